"""`make tune`: Optuna search over any config keys, each trial a full K-fold CV on the shared folds.

The running mean is reported after every fold so the pruner can stop bad trials early. Studies
live in persistent storage (SQLite per competition by default), so the same command continues a
study, several worker processes can share it, and Ctrl-C or a crash loses no finished trial.
The best parameters become ``configs/<comp>/<model>-tuned.yaml``.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any, Dict, List, Optional

import yaml

from ..core.competition import competition_metric, load_competition
from ..core.config import Overrides, combine_overrides, parse_overrides
from ..core.errors import UserError
from ..core.files import read_yaml
from ..core.io import atomic_write_text
from ..core.paths import config_dir, display, runs_root
from ..core.plots import pyplot, save_figure
from .space import load_space
from .study import StudyJob, data_fingerprint, open_study
from .workers import run_worker, run_workers


def tune(comp: str, config_name: str, overrides: Optional[Overrides] = None, trials: int = 50,
         timeout: Optional[float] = None, workers: int = 1, storage: Optional[str] = None, seed: int = 42,
         pruner: str = "median", log=print, heartbeat: float = 10.0, executor: str = "local",
         ray_address: Optional[str] = None, progress: bool = True) -> Dict[str, Any]:
    """Run or continue the study (``workers`` processes, or Ray tasks with executor=ray), then write the tuned
    config, plots and the top trials."""
    if pruner not in ("median", "halving"):
        raise UserError(f"pruner={pruner}: choose median or halving.")
    overrides = combine_overrides(overrides)  # {dotted key: value}: what every worker and trial starts from
    load_space(comp, config_name)  # fail fast on a bad config or space before any process starts
    fingerprint = data_fingerprint(comp, config_name, overrides)
    started = time.perf_counter()
    maximize = competition_metric(load_competition(comp)).greater_is_better
    job = StudyJob(comp, config_name, overrides, trials, timeout, storage, seed, pruner, fingerprint, heartbeat, maximize)
    study, _ = open_study(job)  # its tables exist before workers race to make them
    if workers > 1 or executor == "ray":
        run_workers(job, workers, executor, ray_address, study=study, progress=progress)
    else:
        run_worker(job, 0, progress)
    study, _ = open_study(job)
    return finish(study, comp, config_name, overrides, time.perf_counter() - started, log, fingerprint)


def finish(study, comp: str, config_name: str, overrides: Optional[Overrides], seconds: float, log=print,
           fingerprint: str = "") -> Dict[str, Any]:
    """Tuned config (never over a better, foreign or hand-written one), history and importance PNGs, the top trials."""
    complete = [t for t in study.get_trials(deepcopy=False) if t.state.name == "COMPLETE"]
    if not complete:
        raise UserError(f"study {study.study_name} has no completed trial yet; run more trials.")
    best = study.best_trial
    tuned = tuned_config(comp, config_name, overrides, best.params)
    header = (f"# Tuned by `make tune comp={comp} model={config_name}`: study {study.study_name}, best of "
              f"{len(complete)} completed trials, CV {best.value:.5f} (trial {best.number}).\n")
    made = {"data": fingerprint, "value": best.value, "direction": study.direction.name.lower(), "trials": len(complete),
            "study": study.study_name}
    path, kept = tuned_path(config_dir() / comp, config_name, made)
    for other, why in kept:
        log(f"kept {display(other)}: {why}")
    if path is not None:
        atomic_write_text(path, header + f"{PROVENANCE}{json.dumps(made)}\n" + yaml.safe_dump(tuned, sort_keys=False))
    out = runs_root() / comp / "tune"
    out.mkdir(parents=True, exist_ok=True)
    plots = save_plots(study, out / f"{config_name}-history.png", out / f"{config_name}-importance.png")
    states = [t.state.name for t in study.get_trials(deepcopy=False) if "skipped" not in t.user_attrs]
    log(f"study {study.study_name}: {states.count('COMPLETE')} complete, {states.count('PRUNED')} pruned, "
        f"{states.count('FAIL')} failed trials; {seconds:.0f} s this call")
    reverse = study.direction.name == "MAXIMIZE"
    for t in sorted(complete, key=lambda t: t.value, reverse=reverse)[:5]:
        log(f"  trial {t.number:3d}  CV {t.value:.5f}  " + " ".join(f"{k.split('.')[-1]}={v:.4g}" if isinstance(v, float)
                                                               else f"{k.split('.')[-1]}={v}" for k, v in t.params.items()))
    if path is not None:
        log(f"best config written to {display(path)}: `make train comp={comp} model={path.stem}`")
    return {"best_value": best.value, "best_params": best.params, "config": path, "plots": plots,
            "n_complete": states.count("COMPLETE"), "n_pruned": states.count("PRUNED")}


PROVENANCE = "# kagglekit-tuned: "  # the line a tuned YAML carries: data fingerprint, best value, direction, study


def read_provenance(path: Path) -> Optional[dict]:
    """What study wrote a tuned YAML (None: written by hand, committed before provenance, or unreadable)."""
    try:
        for line in path.read_text().splitlines()[:5]:
            if line.startswith(PROVENANCE):
                return json.loads(line[len(PROVENANCE):])
    except (OSError, ValueError):
        return None
    return None


def tuned_path(folder: Path, config_name: str, made: dict) -> tuple:
    """(where this study's best config goes, or None; [(file kept, why)]). ``<model>-tuned.yaml`` is replaced only by
    a study on the same data whose best is at least as good; otherwise the result goes to
    ``<model>-tuned-<data>.yaml`` under the same rule, so a quick study on a sample never replaces a real one."""
    kept = []
    for path in (folder / f"{config_name}-tuned.yaml", folder / f"{config_name}-tuned-{made['data'][:8]}.yaml"):
        if not path.exists():
            return path, kept
        old = read_provenance(path)
        if old is None:
            kept.append((path, "written by hand or committed without a study's record; not replaced"))
        elif old.get("data") != made["data"]:
            kept.append((path, f"tuned on other data (fingerprint {old.get('data')}, CV {old.get('value')})"))
        elif (made["value"] < old["value"]) if made["direction"] == "maximize" else (made["value"] > old["value"]):
            kept.append((path, f"its CV {old['value']:.5f} beats this study's {made['value']:.5f} on the same data"))
            return None, kept
        else:
            return path, kept
    return None, kept


def tuned_config(comp: str, config_name: str, overrides: Optional[Overrides], params: Dict[str, Any]) -> dict:
    """The model's YAML with the study's command-line overrides and best values written in."""
    path = config_dir() / comp / f"{config_name}.yaml"
    cfg = read_yaml(path) if path.exists() else {"model": {"name": config_name}}
    extra = parse_overrides(combine_overrides(overrides, params))
    extra.pop("data", None)

    def merge(a, b):
        for k, v in b.items():
            a[k] = merge(a.get(k, {}), v) if isinstance(v, dict) and isinstance(a.get(k), dict) else v
        return a

    return merge(cfg, extra)


def save_plots(study, history: Path, importance: Path) -> List[Path]:
    import warnings

    from optuna.exceptions import ExperimentalWarning

    warnings.simplefilter("ignore", ExperimentalWarning)
    pyplot()  # the Agg backend before optuna imports matplotlib
    from optuna.visualization.matplotlib import plot_optimization_history, plot_param_importances

    done = []
    for fn, path in ((plot_optimization_history, history), (plot_param_importances, importance)):
        try:
            ax = fn(study)
            ax.figure.set_size_inches(8, 5)
            save_figure(ax.figure, path)
            done.append(path)
        except (ValueError, RuntimeError, ZeroDivisionError):
            pass  # too few completed trials for importances
    return done
