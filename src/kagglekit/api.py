"""The Python API for notebooks: the commands as functions that return what they made.

    import kagglekit
    run = kagglekit.train("my-comp", model="lasso", data="sample", **{"model.params.alpha": 0.001})
    run.cv_mean, run.oof.head(), run.submission
    kagglekit.compare("my-comp", data="sample")

Keyword overrides are the command line's ``key=value`` words (dotted keys through ``**{...}``); the run folder, its
record and the submission are the same files `make train` writes.
"""

from __future__ import annotations

import json
from typing import Any, Dict, List, Optional

import pandas as pd

from .pipeline import TrainResult
from .pipeline import train as run_train


Run = TrainResult  # a finished run: run_dir, record, submission, cv_mean, cv_std, fold_scores, oof, ...


def _word(key: str, value: Any) -> str:
    if isinstance(value, str):
        text = value
    elif value is None:
        text = "null"
    else:
        text = json.dumps(value, default=str)  # numbers, booleans, lists and dicts: JSON is YAML the parser reads
    return f"{key}={text}"


def _words(data_dir: Optional[str], data: Optional[str], overrides: Dict[str, Any]) -> List[str]:
    out = [_word("data_dir", str(data_dir))] if data_dir else []
    out += [_word("data", data)] if data else []
    return out + [_word(k, v) for k, v in overrides.items()]


def train(comp: str, model: str = "lightgbm", data_dir: Optional[str] = None, data: Optional[str] = None,
          progress: bool = True, **overrides) -> Run:
    """Cross-validate ``model`` (a config of configs/<comp>/ or a registered model) on ``comp``; resumes finished folds."""
    return run_train(comp, model, _words(data_dir, data, overrides), progress=progress)


def compare(comp: str, data_dir: Optional[str] = None, data: Optional[str] = None) -> pd.DataFrame:
    """Every finished run of ``comp`` (of one data set when given), best first; also saved as CSV and PNG."""
    from .commands.args import data_choice
    from .commands.compare import compare as run_compare

    return run_compare(comp, data_label=data_choice(_words(data_dir, data, {}), "compare"))[0]


def ensemble(comp: str, runs: Optional[List[str]] = None, top: Optional[int] = None, method: str = "blend",
             meta: str = "ridge", data_dir: Optional[str] = None, data: Optional[str] = None) -> Run:
    """Blend or stack finished runs (ids, or the ``top`` N by CV), scored on the same folds, saved as a run."""
    from .commands.args import data_choice
    from .commands.ensemble import ensemble as run_ensemble

    made = run_ensemble(comp, runs, top, method, meta, data_label=data_choice(_words(data_dir, data, {}), "ensemble"))
    return Run(made["run_dir"], made["record"], made["submission"])


def tune(comp: str, model: str, trials: int = 20, timeout: Optional[float] = None, workers: int = 1,
         data_dir: Optional[str] = None, data: Optional[str] = None, **overrides) -> Dict[str, Any]:
    """An Optuna study over configs/<comp>/<model>.space.yaml; its best values and the tuned config's path."""
    from .commands.tune import tune as run_tune

    return run_tune(comp, model, _words(data_dir, data, overrides), trials=trials, timeout=timeout, workers=workers)


def submit(comp: str, run: Optional[str] = None, file: Optional[str] = None, message: Optional[str] = None) -> Dict:
    """Check a submission again and send it with the Kaggle API (default: the best real-data run by CV)."""
    from .commands.submit import submit as run_submit

    return run_submit(comp, run, file, message)


def leaderboard(comp: str) -> List[Dict]:
    """Read our submissions' public scores from Kaggle; the submissions log."""
    from .commands.submit import leaderboard as run_leaderboard

    return run_leaderboard(comp)
