"""Finishing a run, whatever produced it (a model, an ensemble): predictions, scores, submission, record."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import List, Optional

import numpy as np
import pandas as pd

from .competition import CompetitionSpec
from .dataset import row_ids
from .decisions import decide_labels, decides_labels
from .io import atomic_save_npy, atomic_write_text, write_json
from .metrics import Metric
from .paths import display
from .runs import RunDir
from .secrets import mask_secrets
from .submission import fill_submission, regression_range, submission_shape, top_count, write_submission
from .targets import Targets
from .tracking import track


@dataclass
class RunResult:
    """A finished run, trained or ensembled: its folder, its record (scores, timings, config) and its submission file
    (the Python API's ``kagglekit.Run``)."""

    run_dir: Path
    record: dict
    submission: Optional[Path]

    @property
    def run_id(self) -> str:
        return self.record["run_id"]

    @property
    def cv_mean(self) -> float:
        return self.record["cv_mean"]

    @property
    def cv_std(self) -> float:
        return self.record["cv_std"]

    @property
    def fold_scores(self) -> List[float]:
        return self.record["fold_scores"]

    @property
    def oof(self):
        """Out-of-fold predictions with ids and the true target (a DataFrame)."""
        import pandas as pd

        return pd.read_csv(Path(self.run_dir) / "oof.csv")

    @property
    def test_predictions(self):
        import pandas as pd

        return pd.read_csv(Path(self.run_dir) / "test_pred.csv")

    def __repr__(self) -> str:
        return (f"Run({self.record['config']} CV {self.record['metric']} {self.cv_mean:.5f} ± {self.cv_std:.5f}, "
                f"id {self.run_id}, {self.run_dir})")


@dataclass
class FinishedFolds:
    """What a run's folds (or an ensemble's honest CV) produced, for ``finish_run``."""

    oof: np.ndarray  # out-of-fold predictions, every row (NaN where a fold was not run)
    test: Optional[np.ndarray]  # the combined test prediction; None unless every fold ran (or a part is submitted)
    fold_scores: List[float]
    fold_seconds: List[float]
    assignment: np.ndarray  # each row's fold
    complete: bool = True  # every fold ran: predictions, submission and record are written
    infos: List[dict] = field(default_factory=list)  # per fold, for the tracker
    per_fold: dict = field(default_factory=dict)  # more per-fold figures for scores.json (e.g. logloss_folds)


def finish_run(spec: CompetitionSpec, rd: RunDir, metric: Metric, targets: Targets, folds: FinishedFolds, *, model: str,
               started: float, train_ids, sample: pd.DataFrame, data: str, fingerprint: str, folds_file: str,
               kind: Optional[str], overrides: str, submit_file: bool = True, tracking=None, config: Optional[dict] = None,
               log=print, **extra) -> RunResult:
    """The one end of every run, trained or ensembled: scores, OOF and test predictions, the submission, the record
    and the tracker. A partial run (``cv.only_folds``) writes its scores, and its submission only when it has a test
    prediction (a portfolio member the budget stopped: ``train(finished_only=True)``). Under a label metric that the most
    probable class does not maximise (F1, kappa, ...) the labels are chosen for it on out-of-fold rows
    (``core/decisions.py``): the CV is of those labels, cross-fitted, and the submission's are the rule's."""
    fold_scores, scored_oof, submitted, decision = folds.fold_scores, folds.oof, folds.test, {}
    part = not folds.complete and folds.test is not None  # the finished folds of a stopped member, submitted
    shape = submission_shape(spec, metric, targets.classes, sample) if folds.complete or part else None
    folds_run = extra.get("folds_run", [])  # set when only some folds ran
    # a part's labels are chosen on its finished folds' rows (cross-fitted, so two folds at least; one fold submits
    # its most probable labels)
    if shape and decides_labels(metric, shape[0]) and (folds.complete or len(folds_run) > 1):
        ran = np.isin(np.asarray(folds.assignment), folds_run) if part else slice(None)
        fold_scores, scored_oof, submitted, decision = _labels_for_metric(metric, targets.y[ran], folds, ran, log)
    oof_score = metric.fn(targets.y, scored_oof) if folds.complete else None
    scores = write_scores(rd, metric, fold_scores, folds.fold_seconds, oof_score, **folds.per_fold)
    submission = None
    if folds.complete:
        write_predictions(spec, rd, train_ids, sample, folds.oof, folds.test, targets)
        if submit_file:
            submission = write_run_submission(spec, metric, rd, sample, submitted, targets, scores["mean"], shape)
            log(f"submission: {display(submission)}")
    elif part and submit_file:
        submission = write_run_submission(spec, metric, rd, sample, submitted, targets, scores["mean"], shape,
                                          suffix=f"-folds{'-'.join(map(str, folds_run))}")
        log(f"submission from the finished folds only: {display(submission)} (no compare record)")
    else:
        log("only some folds were run (cv.only_folds): no submission and no compare record.")
    disk_mb = round(sum(f.stat().st_size for f in rd.path.rglob("*") if f.is_file()) / 2**20, 2)
    record = make_record(spec, rd, model, metric, scores, time.perf_counter() - started, data=data, fingerprint=fingerprint,
                         folds_file=folds_file, targets=targets, submission=submission, kind=kind, disk_mb=disk_mb,
                         overrides=overrides, **decision, **extra)
    if folds.complete:
        write_json(rd.path / "record.json", record)
        if tracking is not None:
            track(tracking, config or {}, {**record, "fold_seconds": scores["fold_seconds"]}, folds.infos, rd.path, log)
    return RunResult(rd.path, record, submission)


def _labels_for_metric(metric: Metric, y: np.ndarray, folds: FinishedFolds, rows, log) -> tuple:
    """(fold scores, OOF labels, test labels, record entries) with the labels chosen for ``metric`` on the run's
    out-of-fold ``rows`` (``y``: their truth), each fold's by a rule fitted on the other folds."""
    decided = decide_labels(metric, y, folds.oof[rows], folds.test, np.asarray(folds.assignment, dtype=int)[rows])
    argmax = float(np.mean(folds.fold_scores))
    log(f"labels chosen for {metric.name} on out-of-fold rows ({decided.rule['kind']}): CV "
        f"{np.mean(decided.fold_scores):.5f} ± {np.std(decided.fold_scores):.5f}, the most probable class {argmax:.5f}")
    return decided.fold_scores, decided.oof, decided.test, {"decision": decided.rule, "cv_argmax": argmax}


def write_scores(rd: RunDir, metric: Metric, fold_scores: List[float], fold_seconds: List[float], oof_score, **extra) -> dict:
    scores = {
        "metric": metric.name,
        "greater_is_better": metric.greater_is_better,
        "fold_scores": list(map(float, fold_scores)),
        "mean": float(np.mean(fold_scores)),
        "std": float(np.std(fold_scores)),
        "oof_score": oof_score,
        "fold_seconds": list(map(float, fold_seconds)),
        **extra,
    }
    write_json(rd.path / "scores.json", scores)
    return scores


def _prediction_frame(ids, id_name: str, pred: np.ndarray, targets: Targets, with_target: bool) -> pd.DataFrame:
    names = [str(c) for c in targets.classes] if targets.classes is not None else \
        ([("oof" if with_target else "prediction")] if pred.ndim == 1 else [f"{c}_prediction" for c in targets.columns])
    taken = {id_name, *map(str, targets.columns)}  # a class named like the target column ("dead" of column dead)
    names = [f"{n}_prediction" if n in taken else n for n in names]
    frame = pd.DataFrame(pred.reshape(len(ids), -1), columns=names)
    if with_target:
        y = targets.y.reshape(len(ids), -1)
        for j, col in enumerate(targets.columns):
            frame.insert(j, col, targets.classes[y[:, j]] if targets.classes is not None else y[:, j])
    frame.insert(0, id_name, ids)
    return frame


def write_predictions(spec: CompetitionSpec, rd: RunDir, train_ids: np.ndarray, sample: pd.DataFrame,
                      oof: np.ndarray, test: np.ndarray, targets: Targets) -> None:
    """OOF and test predictions as arrays (for ensembles) and as CSVs with ids (for people)."""
    atomic_save_npy(rd.path / "oof.npy", oof)
    atomic_save_npy(rd.path / "test.npy", test)
    id_name = spec.id or "row"
    atomic_write_text(rd.path / "oof.csv", _prediction_frame(train_ids, id_name, oof, targets, True).to_csv(index=False))
    test_ids = row_ids(sample, spec.submission_id)
    atomic_write_text(rd.path / "test_pred.csv",
                      _prediction_frame(test_ids, spec.submission_id or "row", test, targets, False).to_csv(index=False))


def write_run_submission(spec: CompetitionSpec, metric: Metric, rd: RunDir, sample: pd.DataFrame, test: np.ndarray, targets: Targets,
           cv_mean: float, shape: tuple, suffix: str = "") -> Path:
    """Fill the sample submission with the test prediction and write it, checked, to submissions/<comp>/ (``shape``:
    ``submission_shape``'s format and columns)."""
    fmt, columns = shape
    top = top_count(spec, metric, sample, columns[0]) if fmt == "top_labels" else 1
    sub = fill_submission(sample, spec, test, targets.classes, fmt, columns, top)
    value_range = regression_range(targets.y, positive=metric.space is not None) if fmt == "value" else None
    name = f"{rd.config_name}-cv{cv_mean:.5f}-{rd.run_id}{suffix}"
    return write_submission(sub, spec.name, name, sample=sample, id_col=spec.submission_id, fmt=fmt,
                            value_range=value_range, classes=targets.classes if fmt in ("label", "top_labels") else None)


def describe_overrides(overrides) -> str:
    """The changes that define a run (command-line words, or the Python API's dict), for the compare table; where the
    data lies and speed are left out."""
    skip = ("data.dir=", "data.sample=", "data_dir=", "data=", "speed.")
    words = [f"{k}={v}" for k, v in overrides.items()] if isinstance(overrides, dict) else list(overrides or [])
    return mask_secrets(" ".join(o for o in words if not o.startswith(skip)))


def data_label(sample: bool, data_dir: Optional[str], folder: Path) -> str:
    """How records name a run's data: "sample" for the generated sample, else the folder read."""
    return "sample" if sample and not data_dir else str(folder)


def make_record(spec: CompetitionSpec, rd: RunDir, model: str, metric: Metric, scores: dict, wall_seconds: float,
                data: str, fingerprint: str, folds_file: str, targets: Targets, submission: Optional[Path], **extra) -> dict:
    """The summary `make compare` and `make ensemble` read; written only for complete runs."""
    return {
        "comp": spec.name,
        "config": rd.config_name,
        "model": model,
        "run_id": rd.run_id,
        "task": spec.task,
        "metric": metric.name,
        "greater_is_better": metric.greater_is_better,
        "cv_mean": scores["mean"],
        "cv_std": scores["std"],
        "fold_scores": scores["fold_scores"],
        "oof_score": scores["oof_score"],
        "n_folds": len(scores["fold_scores"]),
        "fit_seconds": float(np.sum(scores["fold_seconds"])),
        "wall_seconds": wall_seconds,
        "created": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "data": data,
        "data_fingerprint": fingerprint,
        "folds_file": folds_file,
        "classes": [c.item() if hasattr(c, "item") else c for c in targets.classes] if targets.classes is not None else None,
        "target_columns": targets.columns,
        "submission": str(submission) if submission else None,
        **extra,
    }
