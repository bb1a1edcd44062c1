"""In-fold probability calibration: a map from a model's class probabilities to better-calibrated ones.

It is fitted on an inner split of the fold's training rows (a model fitted on the rest predicts them), never
on the fold's validation rows. Same contract as scikit-learn transformers: ``fit(proba, y)`` then ``transform``.
"""

from __future__ import annotations

import numpy as np

METHODS = ("temperature", "platt", "isotonic")


def place_classes(proba: np.ndarray, classes, n_classes: int) -> np.ndarray:
    """Probabilities in columns 0..n_classes-1, whatever classes a model saw (classes it never saw get 0)."""
    out = np.zeros((len(proba), n_classes))
    out[:, np.asarray(classes, dtype=int)] = proba
    return out


def _logits(proba: np.ndarray) -> np.ndarray:
    return np.log(np.clip(proba, 1e-7, 1.0))


def _softmax(z: np.ndarray) -> np.ndarray:
    z = z - z.max(axis=1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=1, keepdims=True)


class ProbabilityCalibrator:
    """``temperature``: one scale for every class's log-probability (keeps the ranking; multiclass-safe);
    ``platt``: a logistic map per class (binary: of the positive class); ``isotonic``: a monotone step map per class.
    Per-class maps are renormalised to sum to one and kept away from 0 and 1."""

    def __init__(self, method: str, min_temperature: float = 0.05):
        if method not in METHODS:
            raise ValueError(f"calibration method {method!r}; choose one of {METHODS}")
        self.method, self.min_temperature = method, min_temperature  # 1: soften only, never sharpen

    def _columns(self, n_classes: int) -> list:
        return [1] if n_classes == 2 else list(range(n_classes))

    def fit(self, proba: np.ndarray, y: np.ndarray) -> "ProbabilityCalibrator":
        proba, y = np.asarray(proba, float), np.asarray(y, int)
        n, c = proba.shape
        self.eps_ = 0.5 / max(n, 1)
        if self.method == "temperature":
            from scipy.optimize import minimize_scalar

            z = _logits(proba)

            def nll(log_t):
                return -np.mean(np.log(np.clip(_softmax(z / np.exp(log_t))[np.arange(n), y], 1e-15, None)))

            low = float(np.log(self.min_temperature))
            self.temperature_ = float(np.exp(minimize_scalar(nll, bounds=(low, max(low, 3.0)), method="bounded").x))
            return self
        self.maps_ = {}
        for j in self._columns(c):
            target = (y == j).astype(int)
            if target.min() == target.max():  # a class absent from the calibration rows keeps its probability
                continue
            if self.method == "platt":
                from sklearn.linear_model import LogisticRegression

                x = np.log(np.clip(proba[:, j], 1e-7, 1 - 1e-7) / np.clip(1 - proba[:, j], 1e-7, 1)).reshape(-1, 1)
                self.maps_[j] = LogisticRegression(C=1e4).fit(x, target)
            else:
                from sklearn.isotonic import IsotonicRegression

                self.maps_[j] = IsotonicRegression(y_min=0.0, y_max=1.0, out_of_bounds="clip").fit(proba[:, j], target)
        return self

    def transform(self, proba: np.ndarray) -> np.ndarray:
        """Calibrated probabilities, same shape as ``proba``, rows summing to one."""
        proba = np.asarray(proba, float)
        if self.method == "temperature":
            return _softmax(_logits(proba) / self.temperature_)
        out = proba.copy()
        for j, m in self.maps_.items():
            if self.method == "platt":
                x = np.log(np.clip(proba[:, j], 1e-7, 1 - 1e-7) / np.clip(1 - proba[:, j], 1e-7, 1)).reshape(-1, 1)
                out[:, j] = m.predict_proba(x)[:, 1]
            else:
                out[:, j] = m.predict(proba[:, j])
        out = np.clip(out, self.eps_, 1 - self.eps_)
        if proba.shape[1] == 2:
            out[:, 0] = 1 - out[:, 1]
            return out
        return out / out.sum(axis=1, keepdims=True)
