"""The Python API for notebooks: the commands as functions that return what they made.

    import kagglekit
    run = kagglekit.train("my-comp", model="lasso", data="sample", **{"model.params.alpha": 0.001})
    run.cv_mean, run.oof.head(), run.submission
    kagglekit.compare("my-comp", data="sample")

Keyword overrides are the command line's keys with Python values (dotted keys through ``**{...}``), passed on as a dict,
never as text; the run folder, its record and the submission are the same files `make train` writes.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Dict, List, Optional

import pandas as pd

from .core.errors import UserError
from .core.records import RunResult
from .pipeline import train as run_train

Run = RunResult  # a finished run: run_dir, record, submission, cv_mean, cv_std, fold_scores, oof, ...


def _overrides(data_dir: Optional[str], data: Optional[str], overrides: Dict[str, Any]) -> Dict[str, Any]:
    """The call's overrides as {dotted key: value}, values as given (never turned into text and back)."""
    out: Dict[str, Any] = {"data_dir": str(data_dir)} if data_dir else {}
    if data:
        out["data"] = data
    return {**out, **overrides}


def _data_label(data_dir: Optional[str], data: Optional[str]) -> Optional[str]:
    """Which data set a question is about, as records name it: "sample", a data folder, or None (any)."""
    if data not in (None, "sample"):
        raise UserError(f"data={data!r}: use data='sample' for the generated sample, or data_dir=PATH for a folder.")
    return "sample" if data and not data_dir else (str(Path(data_dir).expanduser()) if data_dir else None)


def train(comp: str, model: str = "lightgbm", data_dir: Optional[str] = None, data: Optional[str] = None,
          progress: bool = True, **overrides) -> Run:
    """Cross-validate ``model`` (a config of configs/<comp>/ or a registered model) on ``comp``; resumes finished folds."""
    return run_train(comp, model, _overrides(data_dir, data, overrides), progress=progress)


def auto(comp: str, time: Optional[float] = None, members: Optional[List[str]] = None, data_dir: Optional[str] = None,
         data: Optional[str] = None, progress: bool = True, **overrides) -> Run:
    """``model=auto``: the competition's portfolio (or ``members``) within ``time`` seconds (None: its default), then
    the ensemble honest CV prefers (or the best member); resumes finished members and adds skipped ones when given
    more time."""
    from .portfolio import run_portfolio

    return run_portfolio(comp, _overrides(data_dir, data, overrides), seconds=time, members=members,
                         progress=progress)


def compare(comp: str, data_dir: Optional[str] = None, data: Optional[str] = None) -> pd.DataFrame:
    """Every finished run of ``comp`` (of one data set when given), best first; also saved as CSV and PNG."""
    from .comparison import compare as run_compare

    return run_compare(comp, data_label=_data_label(data_dir, data))[0]


def ensemble(comp: str, runs: Optional[List[str]] = None, top: Optional[int] = None, method: str = "blend",
             meta: str = "ridge", data_dir: Optional[str] = None, data: Optional[str] = None) -> Run:
    """Blend or stack finished runs (ids, or the ``top`` N by CV), scored on the same folds, saved as a run."""
    from .ensembles import ensemble as run_ensemble

    return run_ensemble(comp, runs, top, method, meta, data_label=_data_label(data_dir, data))


def tune(comp: str, model: str, trials: int = 20, timeout: Optional[float] = None, workers: int = 1,
         data_dir: Optional[str] = None, data: Optional[str] = None, storage: Optional[str] = None,
         pruner: str = "median", heartbeat: float = 10.0, executor: str = "local", ray_address: Optional[str] = None,
         **overrides) -> Dict[str, Any]:
    """An Optuna study over configs/<comp>/<model>.space.yaml (``workers`` processes, or Ray tasks with
    executor="ray"; ``storage``: a database URL); its best values and the tuned config's path."""
    from .tuning import tune as run_tune

    if executor not in ("local", "ray"):
        raise UserError(f"executor={executor}: choose local (worker processes) or ray (Ray tasks).")
    given = _overrides(data_dir, data, overrides)
    seed = given.get("seed", 42)
    if not isinstance(seed, int) or seed < 0:
        raise UserError(f"seed={seed}: expected a whole number >= 0.")
    return run_tune(comp, model, given, trials=trials, timeout=timeout, workers=workers, storage=storage, seed=seed,
                    pruner=pruner, heartbeat=heartbeat, executor=executor, ray_address=ray_address)


def submit(comp: str, run: Optional[str] = None, file: Optional[str] = None, message: Optional[str] = None) -> Dict:
    """Check a submission again and send it with the Kaggle API (default: the best real-data run by CV)."""
    from .kaggle.submissions import submit as run_submit

    return run_submit(comp, run, file, message)


def leaderboard(comp: str) -> List[Dict]:
    """Read our submissions' public scores from Kaggle; the submissions log."""
    from .kaggle.submissions import leaderboard as run_leaderboard

    return run_leaderboard(comp)
