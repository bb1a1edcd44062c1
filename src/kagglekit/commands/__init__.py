"""Command line: ``kagglekit <command> comp=NAME [model=NAME] [key=value ...]`` (or ``python -m kagglekit``).

Every command is one row of ``COMMANDS`` (function, its own keys, a line of help); every other
key=value is a config override, checked as one. ``kagglekit train COMP --model lasso --data sample`` is the
same as the key=value form. User mistakes print one message and exit 2.
"""

from __future__ import annotations

import os
import sys
from typing import List

from ..core.errors import UserError
from ..core.io import UNWRITABLE, unwritable_message
from .args import args_from_makeflags, split_args

# command: (module, function, its own keys, help)
COMMANDS = {
    "train": ("basic", "cmd_train", ("comp", "model", "time", "members"),
              "cross-validate a model, save the run and write a submission; no model (model=auto): the portfolio "
              "(or members=a,b) within time= seconds (900), then its ensemble"),
    "compare": ("compare", "cmd_compare", ("comp",), "table and bar chart of every finished run of a competition [data=sample | data_dir=PATH]"),
    "ensemble": ("ensemble", "cmd_ensemble", ("comp", "runs", "top", "method", "meta"),
                 'blend or stack finished runs: runs="id1 id2" or top=N, method=NAME (below), meta=ridge|lightgbm'),
    "tune": ("tune", "cmd_tune", ("comp", "model", "trials", "timeout", "workers", "storage", "pruner", "heartbeat",
                                  "executor", "ray_address"),
             "Optuna search (configs/<comp>/<model>.space.yaml): trials=N timeout=S workers=K storage=URL pruner=median|halving "
             "executor=local|ray heartbeat=S"),
    "autogluon": ("basic", "cmd_autogluon", ("comp", "model", "time_limit", "presets"),
                  "AutoGluon TabularPredictor on each of our folds: time_limit=S (per fold) presets=medium_quality"),
    "submit": ("submit", "cmd_submit", ("comp", "run", "file", "message"),
               "check and send a submission with the Kaggle API: run=ID | file=PATH (default: the best run by CV) message=..."),
    "leaderboard": ("submit", "cmd_leaderboard", ("comp",), "read the public scores of our Kaggle submissions into the runs' records"),
    "wheels": ("wheels", "cmd_wheels", ("dest", "python"),
               "every pinned wheel + kagglekit's own + competitions/configs in one folder for offline installs: dest=PATH"),
    "bench": ("bench", "cmd_bench", ("comp", "model", "time"), "the configs of configs/<comp>/bench.yaml on the real data, timed; "
              "model=auto time=S: the default run against AutoGluon best_quality at the same wall"),
    "shift": ("shift", "cmd_shift", ("comp",), "adversarial validation: can a model tell train from test rows? AUC, columns, plot, fixes"),
    "new": ("new", "cmd_new", ("comp", "force"), "write competitions/<comp>/competition.yaml and configs/<comp>/ from data_dir=PATH"),
    "sample": ("basic", "cmd_sample", ("comp",), "write a generated sample in the competition's Kaggle layout (data/samples/<comp>/)"),
    "data": ("basic", "cmd_data", ("comp",), "download the competition (Kaggle API, or its prepare.py) into data/<comp>/"),
    "describe": ("basic", "cmd_describe", ("comp",), "write competitions/<comp>/sample.yaml from a real train.csv (marginals only)"),
    "list": ("basic", "cmd_list", (), "competitions, their model configs and the registered models"),
    "schema": ("schema", "cmd_schema", (), "print the competition.yaml reference (the README's section comes from it)"),
}


def usage() -> str:
    lines = ["usage: kagglekit COMMAND [COMP] [--key value | key=value ...]   (`kagglekit COMMAND --help` for one)", "",
             "commands:"]
    lines += [f"  {name:9s} {row[3]}" for name, row in COMMANDS.items()]
    lines += ["", "common keys: data_dir=PATH (a folder in Kaggle's layout), data=sample, seed=N, folds=K,",
              "and any config key, e.g. model.params.learning_rate=0.05 cv.scheme=kfold speed.threads=2"]
    return "\n".join(lines)


FLAGS = ("force",)  # the keys that may stand alone (--force means force=true)


def command_usage(command: str) -> str:
    """One command's help: what it does and the keys it takes."""
    _, _, keys, text = COMMANDS[command]
    first = " COMP" if "comp" in keys else ""
    own = " ".join(f"[--{k} ...]" for k in keys if k != "comp")
    lines = [f"usage: kagglekit {command}{first} {own} [key=value ...]".replace("  ", " "), "", text]
    if command == "ensemble":
        from ..ensembles import ENSEMBLES

        lines += ["", "methods:"] + [f"  {name:8s} {text}" for name, (_, text) in ENSEMBLES.items()]
    if command in ("train", "tune", "autogluon", "bench"):
        lines += ["", "any config key may follow, e.g. data_dir=PATH data=sample seed=N folds=K model.params.alpha=0.001"]
    return "\n".join(lines)


def words(command: str, args: List[str]) -> List[str]:
    """``--key value``, ``--key=value`` and a first bare word (the competition) as the key=value words commands read."""
    keys = COMMANDS[command][2] if command in COMMANDS else ()
    out, i = [], 0
    while i < len(args):
        arg = args[i]
        if arg.startswith("--") and len(arg) > 2:
            key, eq, value = arg[2:].partition("=")
            head, dot, tail = key.partition(".")
            key = head.replace("-", "_") + dot + tail
            if not eq and i + 1 < len(args) and not args[i + 1].startswith("--"):
                value, i = args[i + 1], i + 1
            elif not eq and key not in FLAGS:
                raise UserError(f"--{key} needs a value (--{key} VALUE or --{key}=VALUE).")
            out.append(f"{key}={value if (eq or value) else 'true'}")
        elif i == 0 and "=" not in arg and "comp" in keys:
            out.append(f"comp={arg}")
        else:
            out.append(arg)
        i += 1
    return out


def run_command(command: str, rest: List[str]) -> None:
    import importlib

    if command not in COMMANDS:
        raise UserError(f"unknown command '{command}'; commands: {', '.join(COMMANDS)}.")
    module, function, keys, _ = COMMANDS[command]
    own, overrides = split_args(words(command, rest), keys)
    getattr(importlib.import_module(f"{__name__}.{module}"), function)(own, overrides)


def main(argv: List[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if os.environ.get("KAGGLEKIT_MAKE") and len(argv) == 1:
        argv += args_from_makeflags(os.environ.get("MAKEFLAGS", ""))
    if not argv or argv[0] in ("-h", "--help", "help"):
        print(usage())
        return 0
    if argv[0] in COMMANDS and any(a in ("-h", "--help") for a in argv[1:]):
        print(command_usage(argv[0]))
        return 0
    try:
        run_command(argv[0], argv[1:])
    except UserError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except OSError as exc:
        if exc.errno not in UNWRITABLE:
            raise
        # A folder or file the library made outside the atomic writer (mkdir, a library's own files) on a disk
        # that is full or read-only: one line naming it, never a traceback.
        print(f"error: {UserError(unwritable_message(exc))}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("\ninterrupted: finished folds are saved; run the same command again to resume.", file=sys.stderr)
        return 130
    return 0
