"""Labels chosen for the metric: the decision a label metric scores, fitted on out-of-fold rows.

The most probable class is the best label for accuracy, not for F1, balanced accuracy or quadratic weighted kappa:
F1 of a rare positive class wants a lower threshold than 0.5, balanced accuracy weighs rare classes up, and kappa
rewards labels near the truth on an ordered scale. ``LabelRule`` learns the decision from probabilities and truth:
a threshold per binary or multi-label column, a weight per class for several classes, and for kappa cut points on
the expected class. A run's CV scores each fold with a rule fitted on the other folds' rows (cross-fitted, so the
CV stays honest); the rule fitted on every row decides the test labels. Stored predictions stay probabilities.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import List, Optional

import numpy as np

from .metrics import Metric

ARGMAX_METRICS = ("accuracy",)  # the most probable class is already the best decision
ORDERED_METRICS = ("qwk",)  # classes on a scale: cut points on the expected class
PASSES = 3  # coordinate-ascent sweeps over the class weights or cut points
MAX_TRIALS = 600  # metric evaluations a fit may spend (above 11 classes: fewer sweeps), so a rule costs seconds


def chooses_labels(metric: Metric) -> bool:
    """Whether ``metric`` scores labels that the most probable class does not maximise."""
    return metric.needs == "label" and metric.name not in ARGMAX_METRICS


def decides_labels(metric: Metric, fmt: str) -> bool:
    """Whether a run's labels are chosen for ``metric`` rather than by argmax: such a metric, a label submission."""
    return chooses_labels(metric) and fmt == "label"


def _one_hot(codes: np.ndarray, n_classes: int) -> np.ndarray:
    return np.eye(n_classes)[codes]


class LabelRule:
    """``fit(y, proba, metric)`` on out-of-fold rows, then ``decide(proba)``: the labels as the metric reads them
    (one-hot rows for classes, 0/1 columns for multi-label targets), so a metric and a submission read them as they
    read probabilities. ``kind_`` is thresholds, cuts or weights, ``values_`` its numbers."""

    def __init__(self, ordered: bool = False):
        self.ordered = ordered

    def fit(self, y: np.ndarray, proba: np.ndarray, metric: Metric) -> "LabelRule":
        with warnings.catch_warnings():  # trial labels that miss a class are expected, and scikit-learn warns of each
            warnings.simplefilter("ignore")
            return self._fit(np.asarray(y), np.asarray(proba, float), metric)

    def _fit(self, y: np.ndarray, proba: np.ndarray, metric: Metric) -> "LabelRule":
        self.kind_ = "thresholds" if y.ndim == 2 else ("cuts" if self.ordered and proba.shape[1] > 2 else "weights")
        if self.kind_ == "thresholds":  # a multi-label metric is a mean over its columns: each column on its own
            self.values_ = np.array([_best(lambda t: metric.fn(y[:, [j]], (proba[:, [j]] > t).astype(float)),
                                      _grid(proba[:, j]), 0.5) for j in range(y.shape[1])])
        elif self.kind_ == "cuts":
            n = proba.shape[1]
            self.values_ = _ascend(np.arange(n - 1) + 0.5, lambda c: metric.fn(y, self._cut(proba, c)), _cut_values)
        elif proba.shape[1] == 2:  # a threshold on P(positive), written as the weights of the two classes
            t = _best(lambda t: metric.fn(y, _one_hot((proba[:, 1] > t).astype(int), 2)), _grid(proba[:, 1]), 0.5)
            self.values_ = np.array([t, 1 - t])
        else:  # from equal weights or the inverse class shares (balanced accuracy's rule), whichever scores higher
            score = lambda w: metric.fn(y, self._weigh(proba, np.exp(w)))  # noqa: E731
            shares = np.bincount(y.astype(int), minlength=proba.shape[1]) / len(y)
            start = max([np.zeros(proba.shape[1]), -np.log(np.clip(shares, 1e-3, None))], key=score)
            self.values_ = np.exp(_ascend(start, score, _log_weight_values))
        return self

    @staticmethod
    def _cut(proba, cuts):
        return _one_hot(np.searchsorted(np.sort(cuts), proba @ np.arange(proba.shape[1])), proba.shape[1])

    @staticmethod
    def _weigh(proba, weights):
        return _one_hot((proba * weights).argmax(axis=1), proba.shape[1])

    def decide(self, proba: np.ndarray) -> np.ndarray:
        proba = np.asarray(proba, float)
        if self.kind_ == "thresholds":
            return (proba > self.values_).astype(float)
        return self._cut(proba, self.values_) if self.kind_ == "cuts" else self._weigh(proba, self.values_)

    def describe(self) -> dict:
        """The rule for the record."""
        return {"kind": self.kind_, "values": [round(float(v), 5) for v in self.values_]}


def _grid(p: np.ndarray, n: int = 99) -> np.ndarray:
    """Candidate thresholds: ``n`` quantiles of the scores, and 0.5."""
    return np.unique(np.concatenate([np.quantile(p, np.linspace(0.005, 0.995, n)), [0.5]]))


def _best(score, candidates, default: float) -> float:
    """The candidate scoring highest; among ties the one nearest ``default``."""
    scored = [(score(c), -abs(c - default), c) for c in candidates]
    return float(max(scored)[2])


def _log_weight_values(w: np.ndarray, i: int) -> np.ndarray:
    return w[i] + np.linspace(-2, 2, 17)


def _cut_values(c: np.ndarray, i: int) -> np.ndarray:
    low = c[i - 1] if i > 0 else c[i] - 1.0
    high = c[i + 1] if i + 1 < len(c) else c[i] + 1.0
    return np.linspace(low, high, 21)[1:-1]


def _ascend(start: np.ndarray, score, values) -> np.ndarray:
    """Coordinate ascent: each coordinate in turn set to the value of ``values(x, i)`` that scores highest (the
    current one kept on ties), ``PASSES`` sweeps or ``MAX_TRIALS`` evaluations, whichever ends first."""
    x, best, trials = start.astype(float).copy(), score(start), 0
    for _ in range(PASSES):
        for i in range(len(x)):
            for v in values(x, i):
                trial = x.copy()
                trial[i] = v
                s = score(trial)
                trials += 1
                if s > best:
                    x, best = trial, s
                if trials >= MAX_TRIALS:
                    return x
    return x


@dataclass
class DecidedLabels:
    fold_scores: List[float]  # each fold scored with a rule fitted on the other folds
    oof: np.ndarray  # the cross-fitted labels, as the metric reads them
    test: Optional[np.ndarray]  # the test labels by the rule fitted on every row
    rule: dict


def decide_labels(metric: Metric, y: np.ndarray, oof: np.ndarray, test: Optional[np.ndarray],
                  fold_of: np.ndarray) -> DecidedLabels:
    """Cross-fitted fold scores and labels for ``metric`` (``fold_of``: each training row's fold)."""
    sign = 1.0 if metric.greater_is_better else -1.0
    signed = Metric(metric.name, lambda a, b: sign * metric.fn(a, b), True, metric.needs)
    ordered = metric.name in ORDERED_METRICS
    decided = np.zeros(oof.shape if y.ndim == 2 else (len(oof), oof.shape[1]))
    scores = []
    for k in sorted(set(fold_of.tolist())):
        held = fold_of == k
        decided[held] = LabelRule(ordered).fit(y[~held], oof[~held], signed).decide(oof[held])
        scores.append(float(metric.fn(y[held], decided[held])))
    rule = LabelRule(ordered).fit(y, oof, signed)
    return DecidedLabels(scores, decided, None if test is None else rule.decide(test), rule.describe())
