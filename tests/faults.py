"""Fault injection: each case damages a copy of a generated sample (or a run) and runs one command.

Every case must end with exit code 2, one `error:` line on stderr naming the problem (progress bars aside), no
traceback, and every file written before it untouched (the run's train.log aside, which records the attempt).
`make faults` prints the table; tests/test_faults.py asserts it.
"""

from __future__ import annotations

import atexit
import contextlib
import hashlib
import io
import os
import shutil
import sys
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, List

import numpy as np
import pandas as pd

import kagglekit.core.io as io_module
from kagglekit.commands import main
from kagglekit.core.competition import load_competition
from kagglekit.core.files import sample_dir
from kagglekit.tabular.sample import write_sample


@dataclass
class Case:
    name: str
    damage: Callable[[Path, Path], List[str]]  # (data folder copy, workdir) -> the command's arguments
    expect: str  # a piece of the message


def _csv(folder: Path, name: str, change: Callable[[pd.DataFrame], pd.DataFrame]) -> None:
    path = folder / name
    change(pd.read_csv(path)).to_csv(path, index=False)


def _train(folder, *extra):
    return ["train", "comp=house-prices", "model=lasso", f"data_dir={folder}", *extra]


def _model(folder, model, *extra):
    return ["train", "comp=house-prices", f"model={model}", f"data_dir={folder}", "folds=2", *extra]


def _tune(folder, storage):
    return ["tune", "comp=house-prices", "model=lasso", f"data_dir={folder}", "trials=1", f"storage={storage}"]


def _rewrite(folder: Path, name: str, **to_csv) -> None:
    path = folder / name
    pd.read_csv(path, dtype=str, keep_default_na=False).to_csv(path, index=False, **to_csv)


def _kaggle_zip(folder: Path) -> None:
    """Kaggle's competition download as it comes: one zip of every file, beside nothing unpacked."""
    with zipfile.ZipFile(folder / "house-prices-advanced-regression-techniques.zip", "w") as z:
        z.write(folder / "train.csv", "train.csv")
    (folder / "train.csv").unlink()


def _first_run(workdir: Path) -> Path:
    return next((workdir / "runs/house-prices/lasso").glob("*/"))


def _set(frame, col, rows, value):
    frame[col] = frame[col].astype(object)
    frame.loc[rows, col] = value
    return frame


CASES = [
    Case("zero target under a log metric", lambda f, w: (_csv(f, "train.csv", lambda d: _set(d, "SalePrice", [3], 0)), _train(f))[1],
         "metric rmse_log takes logs"),
    Case("infinite target", lambda f, w: (_csv(f, "train.csv", lambda d: _set(d, "SalePrice", [3], np.inf)), _train(f))[1],
         "infinite values"),
    Case("duplicate ids in test.csv", lambda f, w: (_csv(f, "test.csv", lambda d: _set(d, "Id", [1], d["Id"][0])), _train(f))[1],
         "duplicate values"),
    Case("fold that does not exist", lambda f, w: _train(f, "cv.only_folds=[7]"), "folds are numbered 0..4"),
    Case("competition given as a path", lambda f, w: ["train", "comp=../competitions/house-prices", f"data_dir={f}"],
         "not a path"),
    Case("column numeric in train, text in test",
         lambda f, w: (_csv(f, "test.csv", lambda d: d.assign(LotArea=[f"big{i}" for i in range(len(d))])), _train(f))[1],
         "numeric in"),
    Case("feature missing from test.csv", lambda f, w: (_csv(f, "test.csv", lambda d: d.drop(columns=["LotArea"])), _train(f))[1],
         "lacks feature column"),
    Case("extra column in the sample submission",
         lambda f, w: (_csv(f, "sample_submission.csv", lambda d: d.assign(Extra=0)), _train(f))[1], "sample submission has"),
    Case("infinite value in a feature", lambda f, w: (_csv(f, "train.csv", lambda d: _set(d, "LotArea", [5], np.inf)), _train(f))[1],
         "infinite values"),
    Case("sample submission in another order",
         lambda f, w: (_csv(f, "sample_submission.csv", lambda d: d.iloc[::-1]), _train(f))[1], "first difference at row 1"),
    Case("negative seed", lambda f, w: _train(f, "seed=-1"), "seed=-1"),
    Case("model parameter out of range", lambda f, w: _train(f, "model.params.alpha=-1"), "alpha > 0"),
    Case("non-numeric folds", lambda f, w: _train(f, "folds=abc"), "could not be converted"),
    Case("non-numeric top", lambda f, w: ["ensemble", "comp=house-prices", "top=abc"], "top=abc: expected a whole number"),
    Case("non-numeric trials", lambda f, w: ["tune", "comp=house-prices", "model=lasso", "trials=abc"], "trials=abc"),
    Case("non-numeric workers", lambda f, w: ["tune", "comp=house-prices", "model=lasso", "workers=abc"], "workers=abc"),
    Case("non-numeric timeout", lambda f, w: ["tune", "comp=house-prices", "model=lasso", "timeout=abc"], "timeout=abc"),
    Case("non-numeric time_limit", lambda f, w: ["autogluon", "comp=house-prices", "time_limit=abc"], "time_limit=abc"),
    Case("storage without its driver",
         lambda f, w: ["tune", "comp=house-prices", "model=lasso", f"data_dir={f}", "storage=mysql://u:p@127.0.0.1/x"],
         "database driver is not installed"),
    Case("submission file that is not there", lambda f, w: ["submit", "comp=house-prices", "file=/no/such/submission.csv"],
         "does not exist"),
    Case("unknown experiment tracker", lambda f, w: _train(f, "tracker=wandb"), "tracker=wandb"),
    Case("damaged fold file", lambda f, w: (_first_run(w).joinpath("fold_1.npz").write_bytes(b"garbage"), _train(f))[1],
         "fold 1 of run"),
    Case("full disk", lambda f, w: (_full_disk(), _train(f, "model.params.alpha=0.001"))[1], "No space left on device"),
    # Second audit (#26): overrides, extras, storage, file dialects, id lists, read-only disks.
    Case("seed of 2**32", lambda f, w: _train(f, "seed=4294967296"), "0 to 2**32 - 1"),
    Case("value starting with @", lambda f, w: _train(f, "model.params.alpha=@home"), "model.params.alpha"),
    Case("value with a backtick", lambda f, w: _train(f, "model.params.alpha=`x`"), "model.params.alpha"),
    Case("!!python tag in a value", lambda f, w: _train(f, "seed=!!python/object/apply:os.system [true]"), "'seed'"),
    Case("unknown model.params.extra key", lambda f, w: _model(f, "lightgbm", "model.params.extra={foo_bar: 3}"),
         "extra.foo_bar is not a parameter"),
    Case("extra clashing with a named parameter", lambda f, w: _model(f, "lightgbm", "model.params.extra={num_leaves: 7}"),
         "already set by model.params.num_leaves"),
    Case("extra naming an unknown objective", lambda f, w: _model(f, "lightgbm", "model.params.extra={objective: bogus}"),
         "LightGBM refused it"),
    Case("storage with a malformed port", lambda f, w: _tune(f, "postgresql://u:pw@127.0.0.1:abc/x"), "not a database URL"),
    Case("unreachable PostgreSQL storage", lambda f, w: _tune(f, "postgresql://u:pw@127.0.0.1:1/x"), "does not answer"),
    Case("Kaggle's competition zip unopened", lambda f, w: (_kaggle_zip(f), _train(f))[1], "unzip it there"),
    Case("semicolon-separated train.csv", lambda f, w: (_rewrite(f, "train.csv", sep=";"), _train(f))[1],
         'read_csv: {sep: ";"}'),
    Case("latin-1 train.csv", lambda f, w: (_csv(f, "train.csv", lambda d: _set(d, "MSZoning", [0], "Caf\u00e9")),
                                           _rewrite(f, "train.csv", encoding="latin-1"), _train(f))[-1],
         "read_csv: {encoding: latin-1}"),
    Case("sample submission missing a row", lambda f, w: (_csv(f, "sample_submission.csv", lambda d: d.drop(index=3)),
                                                         _train(f))[1], "first difference at row 4"),
    Case("read-only disk on first use of a sample",
         lambda f, w: (_read_only(), ["train", "comp=credit", "model=lasso", "data=sample"])[1], "Read-only file system"),
]


class _FullDisk:
    """``os`` as the atomic writer sees it, on a disk with no space left."""

    def __getattr__(self, name):
        return getattr(os, name)

    @staticmethod
    def fsync(fd):
        import errno

        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))


class _ReadOnly(_FullDisk):
    @staticmethod
    def fsync(fd):
        import errno

        raise OSError(errno.EROFS, os.strerror(errno.EROFS))


def _full_disk() -> None:
    io_module.os = _FullDisk()


def _read_only() -> None:
    io_module.os = _ReadOnly()


def _snapshot(root: Path) -> dict:
    return {str(p.relative_to(root)): hashlib.sha1(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*")) if p.is_file() and p.name not in (".lock", "train.log")}


_TEMPLATE: dict = {}


def _one_finished_run() -> Path:
    """A workdir holding the sample copy and one finished run of it, made once per process. Each case gets a fresh
    copy of it at one fixed path (``case`` beside it): the run's saved config names its data folder, so the files a
    case must leave intact are byte for byte those of a run made there."""
    if "dir" not in _TEMPLATE:
        template = Path(tempfile.mkdtemp(prefix="kagglekit-faults-")) / "template"
        atexit.register(shutil.rmtree, template.parent, True)
        workdir = template.parent / "case"
        os.environ["KAGGLEKIT_WORKDIR"] = str(workdir)
        shutil.copytree(write_sample(load_competition("house-prices"), sample_dir("house-prices"), seed=0),
                        workdir / "copy")
        with contextlib.redirect_stderr(io.StringIO()), contextlib.redirect_stdout(io.StringIO()):
            assert main(_train(workdir / "copy")) == 0
        shutil.copytree(workdir, template)
        _TEMPLATE["dir"] = template
    return _TEMPLATE["dir"]


def run_case(case: Case, base: Path) -> dict:
    """Run one case in a fresh copy of a workdir with one good run; report exit code, message and whether files
    survived (``base`` is unused: every case runs at the one fixed path the run was made at)."""
    template = _one_finished_run()
    workdir = template.parent / "case"
    shutil.rmtree(workdir, ignore_errors=True)
    shutil.copytree(template, workdir)
    os.environ["KAGGLEKIT_WORKDIR"] = str(workdir)
    folder = workdir / "copy"
    args = case.damage(folder, workdir)
    before = _snapshot(workdir / "runs")
    err = io.StringIO()
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
        code = main(args)
    io_module.os = os
    after = _snapshot(workdir / "runs")
    intact = all(after.get(k) == v for k, v in before.items())
    text = err.getvalue()
    lines = [line for line in text.splitlines() if line.startswith("error: ")]  # progress bars aside
    message = lines[0] if lines else text.strip()[-300:]
    return {"case": case.name, "exit": code, "message": message, "intact": intact,
            "ok": code == 2 and case.expect in message and "Traceback" not in text and len(lines) == 1}


def run_all() -> List[dict]:
    os.environ.setdefault("TQDM_DISABLE", "1")
    with tempfile.TemporaryDirectory() as tmp:
        return [run_case(c, Path(tmp)) for c in CASES]


if __name__ == "__main__":
    rows = run_all()
    width = max(len(r["case"]) for r in rows)
    print(f"{'case':{width}s}  exit  intact  message")
    for r in rows:
        print(f"{r['case']:{width}s}  {r['exit']:4d}  {'yes' if r['intact'] else 'NO':6s}  {r['message'][:150]}")
    bad = [r["case"] for r in rows if not (r["ok"] and r["intact"])]
    print(f"{len(rows) - len(bad)} passed, {len(bad)} failed" + (f": {', '.join(bad)}" if bad else ""))
    sys.exit(1 if bad else 0)
