"""Competition metrics by name, each knowing whether higher is better."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Dict

import numpy as np

from .errors import UserError


@dataclass(frozen=True)
class Metric:
    name: str
    fn: Callable[[np.ndarray, np.ndarray], float]  # (y_true, prediction) -> score
    greater_is_better: bool
    needs_proba: bool = False  # prediction is an (n, C) probability matrix


def _rmse(y, p):
    return float(np.sqrt(np.mean((np.asarray(y, float) - np.asarray(p, float)) ** 2)))


def _rmse_log(y, p):
    # Kaggle's house-price metric: RMSE between logs; predictions below 1 are clipped as Kaggle's scorer would fail on them.
    return _rmse(np.log(np.asarray(y, float)), np.log(np.clip(np.asarray(p, float), 1.0, None)))


def _accuracy(y, proba):
    return float(np.mean(np.asarray(y) == np.argmax(proba, axis=1)))


def _logloss(y, proba):
    proba = np.clip(np.asarray(proba, float), 1e-15, 1.0)
    proba = proba / proba.sum(axis=1, keepdims=True)
    return float(-np.mean(np.log(proba[np.arange(len(y)), np.asarray(y, int)])))


METRICS: Dict[str, Metric] = {
    m.name: m
    for m in (
        Metric("rmse", _rmse, greater_is_better=False),
        Metric("rmse_log", _rmse_log, greater_is_better=False),
        Metric("mae", lambda y, p: float(np.mean(np.abs(np.asarray(y, float) - np.asarray(p, float)))), False),
        Metric("accuracy", _accuracy, greater_is_better=True, needs_proba=True),
        Metric("logloss", _logloss, greater_is_better=False, needs_proba=True),
    )
}


def get_metric(name: str) -> Metric:
    """Look a metric up by name; unknown names list the known ones."""
    if name not in METRICS:
        raise UserError(f"unknown metric '{name}'; known: {', '.join(METRICS)}.")
    return METRICS[name]
