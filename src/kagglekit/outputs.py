"""Finishing a run, whatever produced it (a model, an ensemble): predictions, scores, submission, record."""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path
from typing import List, Optional

import numpy as np
import pandas as pd

from .competition import CompetitionSpec
from .data import CompetitionData
from .metrics import Metric
from .runs import RunDir, write_json
from .submission import check_written, regression_range, write_submission


def write_scores(rd: RunDir, metric: Metric, fold_scores: List[float], fold_seconds: List[float], oof_score) -> dict:
    scores = {
        "metric": metric.name,
        "greater_is_better": metric.greater_is_better,
        "fold_scores": list(map(float, fold_scores)),
        "mean": float(np.mean(fold_scores)),
        "std": float(np.std(fold_scores)),
        "oof_score": oof_score,
        "fold_seconds": list(map(float, fold_seconds)),
    }
    write_json(rd.path / "scores.json", scores)
    return scores


def write_predictions_and_submission(
    spec: CompetitionSpec, data: CompetitionData, rd: RunDir, oof: np.ndarray, test: np.ndarray,
    y: np.ndarray, classes: Optional[np.ndarray], cv_mean: float, positive: bool,
) -> Path:
    """Save OOF and test predictions (arrays and CSVs) and write the validated submission."""
    ids_train, ids_test = data.train[spec.id].to_numpy(), data.test[spec.id].to_numpy()
    np.save(rd.path / "oof.npy", oof)
    np.save(rd.path / "test.npy", test)
    if classes is not None:
        pd.DataFrame(oof, columns=classes).assign(**{spec.id: ids_train}).to_csv(rd.path / "oof.csv", index=False)
        pd.DataFrame(test, columns=classes).assign(**{spec.id: ids_test}).to_csv(rd.path / "test_pred.csv", index=False)
        sub = pd.DataFrame({spec.id: ids_test, spec.target: classes[np.argmax(test, axis=1)]})
        checks = {"classes": classes}
    else:
        pd.DataFrame({spec.id: ids_train, "target": y, "oof": oof}).to_csv(rd.path / "oof.csv", index=False)
        pd.DataFrame({spec.id: ids_test, "prediction": test}).to_csv(rd.path / "test_pred.csv", index=False)
        sub = pd.DataFrame({spec.id: ids_test, spec.target: test})
        checks = {"value_range": regression_range(y, positive=positive)}
    sub = sub[list(data.sample_submission.columns)]
    name = f"{rd.config_name}-cv{cv_mean:.5f}-{rd.run_id}"
    path = write_submission(sub, spec.name, name, sample=data.sample_submission, id_col=spec.id, **checks)
    check_written(path, data.sample_submission, spec.id)
    return path


def describe_overrides(overrides) -> str:
    """The command-line changes that define a run, for the compare table (where the data lies is not one)."""
    return " ".join(o for o in (overrides or []) if not o.startswith(("data.dir=", "data.sample=", "data_dir=", "data=")))


def run_data_label(run, folder: Path) -> str:
    """How records name a run's data: "sample" for the generated sample, else the folder read."""
    return "sample" if run.data.sample and not run.data.dir else str(folder)


def make_record(spec: CompetitionSpec, rd: RunDir, model: str, metric: Metric, scores: dict, wall_seconds: float,
                data_label: str, fingerprint: str, folds_file: str, classes, submission: Optional[Path], **extra) -> dict:
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
        "data": data_label,
        "data_fingerprint": fingerprint,
        "folds_file": folds_file,
        "classes": list(classes) if classes is not None else None,
        "submission": str(submission) if submission else None,
        **extra,
    }
