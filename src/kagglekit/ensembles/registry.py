"""The ensemble-method registry: one module per method registers one ``Combiner`` class under its name.

A combiner is a model of member predictions, in scikit-learn's way: what it is set by (the task, a seed, the stack's
meta model) goes in the constructor, what it learns is set by ``fit(P, y, metric)``, and ``apply(P)`` combines.
``P`` is (members, rows[, classes]) in the metric's own space; ``tasks`` says which targets it can combine.
"""

from __future__ import annotations

from typing import Dict, List, Optional, Tuple

import numpy as np

from ..core.errors import UserError
from ..core.metrics import Metric

ALL_TASKS = ("regression", "binary", "multiclass", "multilabel")
META_MODELS = ("ridge", "logistic", "lightgbm")


class Combiner:
    """Base of every ensemble method."""

    tasks: Tuple[str, ...] = ALL_TASKS

    def __init__(self, task: str, seed: int = 42, meta: str = "ridge"):
        self.task, self.seed, self.meta = task, seed, meta

    def fit(self, P: np.ndarray, y: np.ndarray, metric: Metric) -> "Combiner":
        raise NotImplementedError

    def apply(self, P: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    @property
    def member_weights(self) -> Optional[List[float]]:
        """Each member's weight, for methods that weigh members (shown in the log and saved in the record)."""
        return None


class WeightedCombiner(Combiner):
    """A weighted mean of the members; subclasses choose ``weights_`` in ``fit``."""

    def apply(self, P):
        return np.tensordot(self.weights_, P, axes=1)

    @property
    def member_weights(self):
        return [float(w) for w in self.weights_]


ENSEMBLES: Dict[str, Tuple[type, str]] = {}  # name: (Combiner class, one line of what it does)


def register_ensemble(name: str, description: str):
    """Class decorator registering a ``Combiner`` under ``name``."""

    def wrap(cls):
        ENSEMBLES[name] = (cls, description)
        return cls

    return wrap


def method_names() -> List[str]:
    return list(ENSEMBLES)


def get_combiner(method: str, task: str, seed: int = 42, meta: str = "ridge") -> Combiner:
    """An unfitted combiner for ``method``, checked against the task and the meta model."""
    if method not in ENSEMBLES:
        raise UserError(f"unknown ensemble method '{method}'; choose one of: {', '.join(ENSEMBLES)}.")
    cls, _ = ENSEMBLES[method]
    if task not in cls.tasks:
        fits = [m for m, (c, _) in ENSEMBLES.items() if task in c.tasks]
        raise UserError(f"method={method} does not combine {task} targets; use {', '.join(fits)}.")
    if meta not in META_MODELS:
        raise UserError(f"unknown meta model '{meta}'; choose ridge (logistic for classification) or lightgbm.")
    return cls(task, seed, meta)
