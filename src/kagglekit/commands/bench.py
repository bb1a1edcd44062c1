"""`make bench comp=X`: train the benchmark configs of a competition on its real data and time them.

What to run lives in ``configs/<comp>/bench.yaml``: the data folder and the configs, or a ``gpu`` and a
``cpu`` profile (the CPU one uses smaller images and fewer folds and says so). Speed and score targets
live here, not in unit tests.
"""

from __future__ import annotations

import os
import time

from ..core.competition import load_competition
from ..core.config import available_configs, parse_overrides
from ..core.errors import UserError
from ..core.files import read_yaml
from ..core.paths import ROOT, config_dir
from ..pipeline import train
from .args import need
from .compare import compare, print_table


def plan_for(comp: str, overrides: list) -> tuple:
    """(configs, extra overrides, description of this machine)."""
    load_competition(comp)
    path = config_dir() / comp / "bench.yaml"
    plan = read_yaml(path) if path.exists() else {}
    extra = []
    if "dir" not in parse_overrides(overrides).get("data", {}):
        data_dir = plan.get("data_dir")
        if not data_dir:
            raise UserError(f"`make bench comp={comp}` needs the real data: data_dir=PATH.")
        folder = (ROOT / data_dir).resolve()
        if not folder.exists():
            raise UserError(f"bench data {folder} (from {path}) is missing; pass data_dir=PATH to the real files"
                            f"{' or run `make data comp=' + comp + '`' if 'data/' in str(data_dir) else ''}.")
        extra.append(f"data_dir={folder}")
    if "gpu" not in plan and "cpu" not in plan:
        return plan.get("configs") or available_configs(comp), extra, f"{os.cpu_count()} CPU cores"
    import torch

    gpu = torch.cuda.is_available()
    profile = plan.get("gpu" if gpu else "cpu", {})
    where = torch.cuda.get_device_name(0) if gpu else f"CPU only ({os.cpu_count()} cores): {profile.get('note', '')}"
    return profile.get("configs", available_configs(comp)), extra + list(profile.get("overrides", [])), where


def cmd_bench(own, overrides) -> None:
    comp = need(own, "comp", "bench")
    configs, extra, where = plan_for(comp, overrides)
    if own.get("model"):
        configs = own["model"].split(",")
    print(f"bench {comp} on {where}: {', '.join(configs)} {' '.join(extra)}", flush=True)
    total = 0.0
    for name in configs:
        start = time.perf_counter()
        rec = train(comp, name, extra + overrides, progress=True, log=lambda *a: None).record
        wall = time.perf_counter() - start
        total += wall
        line = f"{name:20s} CV {rec['metric']} {rec['cv_mean']:.5f} ± {rec['cv_std']:.5f} ({rec['n_folds']} fold(s))  wall {wall:7.1f} s"
        if "train_img_s" in rec:
            line += (f"  train {rec['train_img_s']:.0f} img/s, inference {rec['infer_img_s']:.0f} img/s;"
                     f" cache {rec['cache_seconds']:.0f}s, train {rec['train_seconds']:.0f}s, predict {rec['predict_seconds']:.0f}s"
                     f" at {rec['image_size']}px on {rec['device']}")
        print(line, flush=True)
    print(f"total wall {total:.1f} s")
    try:
        df, _, _ = compare(comp)
        print_table(df)
    except UserError:
        pass  # single-fold benchmarks leave no compare record
