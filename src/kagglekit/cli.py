"""Command line: ``python -m kagglekit <command> comp=NAME [model=NAME] [key=value ...]``.

Every argument is ``key=value`` (what make passes through). User mistakes print one message and
exit 2; heavy libraries are imported only by the commands that need them.
"""

from __future__ import annotations

import os
import re
import sys
from typing import Dict, List, Tuple

from .errors import UserError

USAGE = """usage: python -m kagglekit COMMAND comp=NAME [model=NAME] [key=value ...]

commands:
  train     cross-validate a model, save the run (OOF, test predictions, scores), write a submission
  compare   table and bar chart of every finished run of a competition
  ensemble  blend or stack finished runs: runs="id1 id2" or top=N, method=mean|blend|hill|rank|stack, meta=ridge|lightgbm
  tune      Optuna search (configs/<comp>/<model>.space.yaml): trials=N timeout=S workers=K storage=URL pruner=median|halving
  autogluon AutoGluon TabularPredictor on each of our folds: time_limit=S (per fold) presets=medium_quality
  sample    write a generated sample in the competition's Kaggle layout (data/samples/<comp>/)
  data      download the competition's files with the Kaggle API into data/<comp>/
  describe  print sample.yaml column entries from a real train.csv (for adding a competition)
  list      competitions, their model configs and the registered models

common keys: data_dir=PATH (a folder in Kaggle's layout), data=sample, seed=N, folds=K,
and any config key, e.g. model.params.learning_rate=0.05 cv.scheme=kfold
"""


def split_args(argv: List[str], keys=("comp", "model")) -> Tuple[Dict[str, str], List[str]]:
    """Pull the command's own ``keys`` out; every other key=value is a config override (and checked as one)."""
    own, overrides = {}, []
    for arg in argv:
        key = arg.split("=", 1)[0]
        if "=" in arg and key in keys:
            own[key] = arg.split("=", 1)[1]
        else:
            overrides.append(arg)
    return own, overrides


def _need(own: Dict[str, str], key: str, command: str) -> str:
    if not own.get(key):
        from .competition import competition_names

        hint = f" Competitions: {', '.join(competition_names())}." if key == "comp" else ""
        raise UserError(f"`{command}` needs {key}=NAME.{hint}")
    return own[key]


def cmd_train(own, overrides) -> None:
    from .train import train

    comp = _need(own, "comp", "train")
    train(comp, own.get("model") or "lightgbm", overrides)


def data_label(overrides, command: str):
    """Which data set a command is about: "sample", a data folder, or None (all / the newest)."""
    from pathlib import Path

    from .config import parse_overrides

    extra = parse_overrides(overrides)
    data = extra.pop("data", {})
    if extra or set(data) - {"dir", "sample"}:
        raise UserError(f"{command} takes data_dir=PATH or data=sample besides its own keys; not {overrides}.")
    return "sample" if data.get("sample") else (str(Path(data["dir"]).expanduser()) if data.get("dir") else None)


def cmd_compare(own, overrides) -> None:
    from .compare import compare, print_table
    from .paths import display

    df, csv_path, png_path = compare(_need(own, "comp", "compare"), data_label=data_label(overrides, "compare"))
    print_table(df)
    print(f"saved {display(csv_path)} and {display(png_path)}")


def cmd_ensemble(own, overrides) -> None:
    from .ensemble import ensemble

    comp = _need(own, "comp", "ensemble")
    label = data_label(overrides, "ensemble")
    top = int(own["top"]) if own.get("top") else None
    ensemble(comp, own.get("runs", "").split() or None, top, own.get("method", "blend"), own.get("meta", "ridge"),
             data_label=label)


def cmd_autogluon(own, overrides) -> None:
    from .train import train

    comp = _need(own, "comp", "autogluon")
    extra = [f"model.params.{k}={own[k]}" for k in ("time_limit", "presets") if own.get(k)]
    train(comp, own.get("model") or "autogluon", overrides + extra)


def cmd_tune(own, overrides) -> None:
    from .config import parse_overrides
    from .tune import tune

    comp = _need(own, "comp", "tune")
    seed = int(parse_overrides(overrides).get("seed", 42))
    tune(comp, _need(own, "model", "tune"), overrides, trials=int(own.get("trials", 50)),
         timeout=float(own["timeout"]) if own.get("timeout") else None, workers=int(own.get("workers", 1)),
         storage=own.get("storage") or None, seed=seed, pruner=own.get("pruner", "median"))


def cmd_sample(own, overrides) -> None:
    from .competition import load_competition
    from .config import parse_overrides
    from .data import sample_dir
    from .paths import display
    from .sample import write_sample

    spec = load_competition(_need(own, "comp", "sample"))
    seed = int(parse_overrides(overrides).get("seed", 0))
    folder = write_sample(spec, sample_dir(spec.name), seed=seed)
    print(f"wrote a generated sample of {spec.name} to {display(folder)} (use data=sample)")


def cmd_data(own, overrides) -> None:
    from .competition import load_competition
    from .config import parse_overrides
    from .data import resolve_data_dir
    from .download import download
    from .paths import display

    spec = load_competition(_need(own, "comp", "data"))
    dest = resolve_data_dir(spec.name, parse_overrides(overrides).get("data", {}).get("dir"), False)
    print(f"downloaded {spec.kaggle} to {display(download(spec, dest))}")


def cmd_describe(own, overrides) -> None:
    import yaml

    from .competition import load_competition
    from .config import parse_overrides
    from .data import read_table, resolve_data_dir
    from .sample import describe_columns

    spec = load_competition(_need(own, "comp", "describe"))
    folder = resolve_data_dir(spec.name, parse_overrides(overrides).get("data", {}).get("dir"), False)
    train = read_table(folder / spec.files.train, spec.name, **spec.read_csv)
    print(yaml.safe_dump(describe_columns(train), sort_keys=False, default_flow_style=None, width=200))


def cmd_list(own, overrides) -> None:
    from .competition import competition_names
    from .config import available_configs
    from .models import get_model_entry, model_names

    for comp in competition_names():
        print(f"{comp}: {' '.join(available_configs(comp))}")
    print("models:")
    for name in model_names():
        print(f"  {name:14s} {get_model_entry(name).description}")


COMMANDS = {  # command: (function, its own keys; the rest are config overrides)
    "train": (cmd_train, ("comp", "model")),
    "compare": (cmd_compare, ("comp",)),
    "ensemble": (cmd_ensemble, ("comp", "runs", "top", "method", "meta")),
    "tune": (cmd_tune, ("comp", "model", "trials", "timeout", "workers", "storage", "pruner")),
    "autogluon": (cmd_autogluon, ("comp", "model", "time_limit", "presets")),
    "sample": (cmd_sample, ("comp",)),
    "data": (cmd_data, ("comp",)),
    "describe": (cmd_describe, ("comp",)),
    "list": (cmd_list, ()),
}


def args_from_makeflags(makeflags: str) -> List[str]:
    """The ``key=value`` words make was given, from MAKEFLAGS (no shell quoting is involved)."""
    if " -- " not in f" {makeflags}":
        return []
    tail = f" {makeflags}".split(" -- ", 1)[1]
    words = re.split(r"(?<!\\) ", tail)
    return [w.replace("\\ ", " ") for w in words if "=" in w]


def main(argv: List[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if os.environ.get("KAGGLEKIT_MAKE") and len(argv) == 1:
        argv += args_from_makeflags(os.environ.get("MAKEFLAGS", ""))
    if not argv or argv[0] in ("-h", "--help", "help"):
        print(USAGE)
        return 0
    command, rest = argv[0], argv[1:]
    try:
        if command not in COMMANDS:
            raise UserError(f"unknown command '{command}'; commands: {', '.join(COMMANDS)}.")
        function, keys = COMMANDS[command]
        own, overrides = split_args(rest, keys)
        function(own, overrides)
    except UserError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("\ninterrupted: finished folds are saved; run the same command again to resume.", file=sys.stderr)
        return 130
    return 0
