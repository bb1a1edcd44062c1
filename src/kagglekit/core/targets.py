"""Targets encoded once per run, by task type, and saved with it (ensembles and tuning read them back)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import List, Optional

import numpy as np
import pandas as pd

from .competition import CompetitionSpec
from .errors import UserError
from .metrics import Metric


@dataclass
class Targets:
    """``y`` as every metric reads it: floats (n,) or (n, T) for regression; class codes (n,) for binary and
    multi-class (``classes`` holds the original labels, sorted); 0/1 (n, T) for multi-label."""

    y: np.ndarray
    classes: Optional[np.ndarray]
    columns: List[str]
    task: str

    @property
    def n_outputs(self) -> int:
        """Width of a stored prediction: classes, target columns, or 1."""
        if self.classes is not None:
            return len(self.classes)
        return 1 if self.y.ndim == 1 else self.y.shape[1]


def encode_targets(spec: CompetitionSpec, train: pd.DataFrame, metric: Metric, where: str) -> Targets:
    """Encode the target column(s) of ``train`` for ``spec.task``; check the metric suits the task."""
    task, cols = spec.task, spec.targets
    if task == "regression":
        if metric.needs != "value":
            raise UserError(f"{where}: metric {metric.name} judges class {metric.needs}s; a regression task needs a "
                            "value metric (rmse, rmse_log, rmsle, mae, r2).")
        y = train[cols].to_numpy(dtype=float)
        y = y[:, 0] if len(cols) == 1 else y
        if metric.space in ("log", "log1p"):
            low = 0.0 if metric.space == "log" else -1.0
            if (y <= low).any():
                raise UserError(f"{where}: metric {metric.name} takes logs, but target {cols} has values <= {low:g} "
                                f"(e.g. {float(y[y <= low].flat[0]):g}). Fix those rows or choose another metric.")
        return Targets(y, None, cols, task)
    if metric.needs == "value":
        raise UserError(f"{where}: metric {metric.name} is for regression; a {task} task needs a label or probability "
                        "metric (accuracy, roc_auc, logloss, ...).")
    if task == "multilabel":
        y = train[cols].to_numpy()
        if not np.isin(y, [0, 1]).all():
            raise UserError(f"{where}: multilabel targets {cols} must be 0 or 1.")
        return Targets(y.astype(int), None, cols, task)
    labels = train[cols[0]]
    classes = np.array(sorted(labels.unique().tolist(), key=lambda v: (str(type(v)), v)), dtype=object)
    if len(classes) < 2:
        raise UserError(f"{where}: target '{cols[0]}' has a single class ({str(classes[0])!r} in every row): nothing to "
                        "learn. Check that the file holds every label (a filtered or truncated copy?) and that target: "
                        "names the right column.")
    if task == "binary" and len(classes) != 2:
        raise UserError(f"{where}: a binary task needs exactly 2 classes in '{cols[0]}'; found {len(classes)}: "
                        f"{[str(c) for c in classes[:6]]}. Set task: multiclass in competition.yaml.")
    lookup = {v: i for i, v in enumerate(classes)}
    return Targets(labels.map(lookup).to_numpy(dtype=int), classes, cols, task)
