"""The K-fold loop shared by every model: resume finished folds, save each fold, assemble OOF and test.

A model plugs in as ``fit_fold(k, train_idx, valid_idx) -> FoldOutput``; everything about
folds, saving and scoring lives here once.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Callable, List, Optional, Sequence

import numpy as np
from tqdm.auto import tqdm

from .errors import UserError
from .executors import EXECUTORS
from .metrics import Metric
from .progress import bar_hidden
from .runs import RunDir
from .version import code_version, describe


@dataclass
class FoldOutput:
    valid_pred: np.ndarray  # (n_valid,) or (n_valid, C), in the units the metric expects
    test_pred: Optional[np.ndarray]  # (n_test,) or (n_test, C)
    info: dict = field(default_factory=dict)  # anything worth keeping (rows fitted, best epoch...)


@dataclass
class CVResult:
    oof: np.ndarray  # NaN where a fold was not run
    test_folds: List[np.ndarray]
    fold_scores: List[float]
    fold_seconds: List[float]
    folds_run: List[int]
    resumed: List[int]
    infos: List[dict] = field(default_factory=list)  # each fold's saved info (score, seconds, what the model chose)
    note: Optional[str] = None  # a line for the user about what was resumed (folds made by other code)
    folds_wall: float = 0.0  # seconds from the first pending fold's start to the last one's end (folds side by side overlap)

    @property
    def mean(self) -> float:
        return float(np.mean(self.fold_scores))

    @property
    def std(self) -> float:
        return float(np.std(self.fold_scores))


def _check_one_code_version(run: RunDir, finished: dict, pending: list, force_resume: bool) -> Optional[str]:
    """Refuse to mix folds made by two code versions (the CV score would be neither's). A run whose every fold is
    finished by one other version is whole and is reused as it is, with a line saying which code made it: a portfolio
    run again after an update keeps its finished members instead of losing them."""
    made = {k: (done["info"].get("code") or {}) for k, done in finished.items()}
    now = code_version()
    other = [k for k, by in made.items() if by.get("source") != now["source"]]
    if not other:
        return None
    if force_resume:
        return f"folds {other} were made by other code; reused as force_resume=true asks"
    if not pending and len({by.get("source") for by in made.values()}) == 1:
        return (f"every fold was made by {describe(made[other[0]])}, not this {describe(now)}: the finished run is "
                f"reused whole (delete {run.path} to refit it with this code)")
    k = other[0]
    raise UserError(f"{run.fold_json(k)} was made by {describe(made[k])}, but this is {describe(now)}: "
                    "mixing folds of two code versions gives a CV score of neither. Delete the run folder "
                    f"{run.path} to start over, or add force_resume=true to reuse those folds anyway.")


def run_cv(
    run: RunDir,
    folds: np.ndarray,
    y: np.ndarray,
    metric: Metric,
    fit_fold: Callable[[int, np.ndarray, np.ndarray], FoldOutput],
    only_folds: Optional[Sequence[int]] = None,
    n_outputs: int = 1,
    progress: bool = True,
    on_fold: Optional[Callable[[int, List[float]], None]] = None,
    force_resume: bool = False,
    speed=None,
) -> CVResult:
    """Run (or resume) every fold; each finished fold is saved, with the code version that made it, as it arrives.

    ``on_fold(k, scores_so_far)`` is called after each fold (a tuner reports and may prune there). A finished fold
    made by other code is not mixed with new ones unless ``force_resume``. ``speed.executor`` says where the
    pending folds are fitted (see executors.py); the files are the same either way."""
    log = run.logger()
    k_all = sorted(set(int(f) for f in folds))
    todo = [k for k in k_all if only_folds is None or k in only_folds]
    resumed, pending, finished = [], [], {}
    for k in todo:
        done = run.load_fold(k)
        if done is None:
            pending.append(k)
        else:
            finished[k] = done
    note = _check_one_code_version(run, finished, pending, force_resume)
    if note:
        log.info(note)
    for k in finished:
        resumed.append(k)
        log.info("fold %d: resumed from %s", k, run.fold_json(k).name)
    scores: dict = {}
    bar = tqdm(total=len(todo), desc=f"{run.config_name} folds", disable=bar_hidden(progress))

    def report(k: int, score: float) -> None:
        scores[k] = score
        bar.update(1)
        bar.set_postfix({metric.name: f"{np.mean(list(scores.values())):.5f}"})
        if on_fold is not None:
            on_fold(k, list(scores.values()))

    try:  # the bar's line is ended whatever stops the loop: an error message starts a line of its own
        for k in resumed:
            report(k, float(finished[k]["info"]["score"]))
        executor = EXECUTORS[getattr(speed, "executor", "local") or "local"]
        for k in pending:
            log.info("fold %d: fitting on %d rows, validating on %d", k, int((folds != k).sum()), int((folds == k).sum()))
        began = time.perf_counter()
        for k, out, elapsed in executor(pending, fit_fold, folds, speed):
            valid_idx = np.flatnonzero(folds == k)
            score = metric.fn(y[valid_idx], out.valid_pred)
            info = {"fold": k, "score": score, "seconds": elapsed, "n_train": int((folds != k).sum()),
                    "n_valid": len(valid_idx), "code": code_version(), **out.info}
            run.save_fold(k, valid_idx, out.valid_pred, out.test_pred, info)
            finished[k] = run.load_fold(k)  # as saved (json-normalised), the same as a later resume would read
            log.info("fold %d: %s=%.5f in %.1fs", k, metric.name, score, elapsed)
            report(k, float(score))
        folds_wall = time.perf_counter() - began if pending else 0.0
    finally:
        bar.close()
    n = len(folds)
    oof = np.full((n, n_outputs) if n_outputs > 1 else n, np.nan)
    test_folds, fold_scores, seconds = [], [], []
    for k in todo:  # assembled in fold order, whatever order they finished in
        done = finished[k]
        oof[done["valid_idx"]] = done["valid_pred"]
        if "test_pred" in done:
            test_folds.append(done["test_pred"])
        fold_scores.append(float(done["info"]["score"]))
        seconds.append(float(done["info"]["seconds"]))
    return CVResult(oof, test_folds, fold_scores, seconds, todo, resumed, [finished[k]["info"] for k in todo], note,
                    folds_wall)
