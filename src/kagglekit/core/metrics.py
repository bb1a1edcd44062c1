"""Competition metrics by name: each knows its direction, what it reads and the space predictions average in.

What a run stores, and so what every metric function receives as ``pred``:
- regression: values, (n,) or (n, T) for several target columns;
- binary and multi-class: class probabilities (n, C), columns in sorted class order; ``y`` holds class codes;
- multi-label: probabilities of 1 per target column (n, T); ``y`` is (n, T) of 0/1.

``needs`` says what the metric judges: ``value`` (regression numbers), ``label`` (the most probable class,
or p > 0.5 per multi-label column) or ``proba`` (the probabilities themselves). ``space`` is the one rule
for where predictions are averaged over folds and combined by ensembles: ``log`` for RMSE of logs,
``log1p`` for RMSLE, else the predictions' own space.
"""

from __future__ import annotations

import importlib.util
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Dict, Optional

import numpy as np

from .errors import UserError

SPACES = {
    None: (lambda p: p, lambda p: p),
    "log": (lambda p: np.log(np.clip(p, 1e-12, None)), np.exp),
    "log1p": (lambda p: np.log1p(np.clip(p, 0.0, None)), np.expm1),
}


REGRESSION_LOSSES = ("auto", "squared", "absolute")  # a model's regression_loss; auto: the metric's


def check_regression_loss(loss: str):
    """None, or what is wrong with a model's ``regression_loss``."""
    if loss not in REGRESSION_LOSSES:
        return f"regression_loss is one of {', '.join(REGRESSION_LOSSES)}, not '{loss}'."
    return None


@dataclass(frozen=True)
class Metric:
    name: str
    fn: Callable[[np.ndarray, np.ndarray], float]  # (y_true, stored prediction) -> score
    greater_is_better: bool
    needs: str = "value"  # value | label | proba
    space: Optional[str] = None  # None | log | log1p: where predictions are averaged and ensembled
    description: str = ""
    regression_loss: str = "squared"  # what a value metric scores: squared errors (the mean wins) or absolute (the median)

    @property
    def needs_proba(self) -> bool:
        return self.needs in ("label", "proba")

    def to_space(self, p: np.ndarray) -> np.ndarray:
        return SPACES[self.space][0](np.asarray(p, float))

    def from_space(self, p: np.ndarray) -> np.ndarray:
        return SPACES[self.space][1](np.asarray(p, float))


def _columns(fn):
    """Average a one-column metric over target columns when y is (n, T) (several targets, multi-label)."""

    def wrapped(y, p):
        y, p = np.asarray(y), np.asarray(p)
        if y.ndim == 2:
            return float(np.mean([fn(y[:, t], p[:, t]) for t in range(y.shape[1])]))
        return float(fn(y, p))

    return wrapped


def _labels(fn):
    """A label metric on stored probabilities: argmax of (n, C), or p > 0.5 for one multi-label column."""

    def wrapped(y, p):
        y, p = np.asarray(y), np.asarray(p, float)
        if y.ndim == 2:
            return float(np.mean([fn(y[:, t], (p[:, t] > 0.5).astype(int)) for t in range(y.shape[1])]))
        return float(fn(y.astype(int), p.argmax(axis=1)))

    return wrapped


def _rmse(y, p):
    return np.sqrt(np.mean((np.asarray(y, float) - np.asarray(p, float)) ** 2))


def _rmse_log(y, p):
    # Kaggle's house-price metric: RMSE between logs; predictions below 1 are clipped as Kaggle's scorer would fail on them.
    return _rmse(np.log(np.asarray(y, float)), np.log(np.clip(np.asarray(p, float), 1.0, None)))


def _rmsle(y, p):
    return _rmse(np.log1p(np.asarray(y, float)), np.log1p(np.clip(np.asarray(p, float), 0.0, None)))


def _binary_column(y, p):
    """One multi-label column: P(1) as a two-column matrix."""
    p = np.clip(np.asarray(p, float), 0.0, 1.0)
    return np.column_stack([1 - p, p])


def _logloss(y, proba):
    y, proba = np.asarray(y), np.asarray(proba, float)
    if y.ndim == 2:
        return float(np.mean([_logloss(y[:, t], _binary_column(y[:, t], proba[:, t])) for t in range(y.shape[1])]))
    proba = np.clip(proba, 1e-15, 1.0)
    proba = proba / proba.sum(axis=1, keepdims=True)
    return float(-np.mean(np.log(proba[np.arange(len(y)), y.astype(int)])))


def _roc_auc(y, proba):
    from sklearn.metrics import roc_auc_score

    y, proba = np.asarray(y), np.asarray(proba, float)
    if y.ndim == 2:
        return float(np.mean([roc_auc_score(y[:, t], proba[:, t]) for t in range(y.shape[1])]))
    if proba.shape[1] == 2:
        return float(roc_auc_score(y, proba[:, 1]))
    proba = proba / np.clip(proba.sum(axis=1, keepdims=True), 1e-15, None)
    return float(roc_auc_score(y, proba, multi_class="ovr", average="macro", labels=np.arange(proba.shape[1])))


def _brier(y, proba):
    y, proba = np.asarray(y), np.asarray(proba, float)
    if y.ndim == 2:
        return float(np.mean((proba - y) ** 2))
    onehot = np.eye(proba.shape[1])[y.astype(int)]
    return float(np.mean(np.sum((proba - onehot) ** 2, axis=1)))


def _map_at(k: int):
    def fn(y, proba):
        top = np.argsort(-np.asarray(proba, float), axis=1)[:, :k]
        hits = top == np.asarray(y, int)[:, None]
        return float(np.mean((hits / np.arange(1, k + 1)).sum(axis=1)))

    return fn


def _sk(name: str, **kwargs):
    def fn(y, p):
        import sklearn.metrics as skm

        return getattr(skm, name)(y, p, **kwargs)

    return fn


def _confusion(y, lab) -> np.ndarray:
    """The confusion matrix (rows: true, columns: predicted) over the labels either side names, sorted, as
    scikit-learn builds it, from one ``bincount`` of the integer labels: the label rules score up to 600 trial
    labellings a fit, and on 3,840 rows of 9 classes scikit-learn's macro F1 took 3.7 ms a call, this one's 0.08 ms."""
    y, lab = np.asarray(y).astype(int).ravel(), np.asarray(lab).astype(int).ravel()
    if not len(y):
        return np.zeros((0, 0))
    low = min(y.min(), lab.min())
    n = int(max(y.max(), lab.max()) - low) + 1
    matrix = np.bincount((y - low) * n + (lab - low), minlength=n * n).reshape(n, n)
    named = matrix.sum(axis=0) + matrix.sum(axis=1) > 0  # labels in between that neither side names are no class
    return matrix[np.ix_(named, named)].astype(float)


def _per_class_f1(matrix: np.ndarray) -> np.ndarray:
    tp = np.diag(matrix)
    denominator = 2 * tp + (matrix.sum(axis=0) - tp) + (matrix.sum(axis=1) - tp)
    return np.divide(2 * tp, denominator, out=np.zeros_like(tp), where=denominator > 0)


def _macro_f1(y, lab) -> float:
    """scikit-learn's ``f1_score(average="macro")``: the mean F1 over the labels either side names (0 where undefined)."""
    return float(np.mean(_per_class_f1(_confusion(y, lab))))


def _binary_f1(y, lab) -> float:
    """scikit-learn's ``f1_score`` of class 1 (0 where undefined)."""
    y, lab = np.asarray(y).astype(int).ravel(), np.asarray(lab).astype(int).ravel()
    tp, fp, fn = np.sum((y == 1) & (lab == 1)), np.sum((y != 1) & (lab == 1)), np.sum((y == 1) & (lab != 1))
    return float(2 * tp / (2 * tp + fp + fn)) if tp + fp + fn else 0.0


def _balanced_accuracy(y, lab) -> float:
    """scikit-learn's ``balanced_accuracy_score``: the mean recall over the classes the truth holds."""
    matrix = _confusion(y, lab)
    held = matrix.sum(axis=1)
    return float(np.mean(np.diag(matrix)[held > 0] / held[held > 0]))


def _quadratic_kappa(y, lab) -> float:
    """scikit-learn's ``cohen_kappa_score(weights="quadratic")``, whose weights are the squared distances between the
    positions of the labels either side names (not their values)."""
    matrix = _confusion(y, lab)
    n = len(matrix)
    expected = np.outer(matrix.sum(axis=1), matrix.sum(axis=0)) / matrix.sum()
    weights = (np.arange(n)[:, None] - np.arange(n)[None, :]) ** 2.0
    with np.errstate(divide="ignore", invalid="ignore"):
        return float(1 - np.sum(weights * matrix) / np.sum(weights * expected))


def _f1(y, proba):
    """F1 of the positive class for two classes (and per multi-label column), macro F1 for more."""
    y, proba = np.asarray(y), np.asarray(proba, float)
    if y.ndim == 2:
        return float(np.mean([_binary_f1(y[:, t], proba[:, t] > 0.5) for t in range(y.shape[1])]))
    return _binary_f1(y, proba.argmax(axis=1)) if proba.shape[1] == 2 else _macro_f1(y, proba.argmax(axis=1))


METRICS: Dict[str, Metric] = {
    m.name: m
    for m in (
        Metric("rmse", _columns(_rmse), False, "value", None, "root mean squared error"),
        Metric("rmse_log", _columns(_rmse_log), False, "value", "log", "RMSE between log(prediction) and log(target)"),
        Metric("rmsle", _columns(_rmsle), False, "value", "log1p", "RMSE between log1p(prediction) and log1p(target)"),
        Metric("mae", _columns(lambda y, p: np.mean(np.abs(np.asarray(y, float) - np.asarray(p, float)))), False, "value",
               None, "mean absolute error", "absolute"),
        Metric("r2", _columns(_sk("r2_score")), True, "value", None, "coefficient of determination"),
        Metric("accuracy", _labels(lambda y, lab: np.mean(y == lab)), True, "label", None, "share of correct labels"),
        Metric("balanced_accuracy", _labels(_balanced_accuracy), True, "label", None, "mean recall per class"),
        Metric("f1", _f1, True, "label", None, "F1 of the positive class (binary); macro F1 otherwise"),
        Metric("macro_f1", _labels(_macro_f1), True, "label", None, "unweighted mean F1 over classes"),
        Metric("qwk", _labels(_quadratic_kappa), True, "label", None,
               "quadratic weighted kappa (ordered classes)"),
        Metric("roc_auc", _roc_auc, True, "proba", None, "area under the ROC curve (one-vs-rest macro for multi-class)"),
        Metric("logloss", _logloss, False, "proba", None, "cross-entropy of the class probabilities"),
        Metric("brier", _brier, False, "proba", None, "mean squared error of the class probabilities"),
        Metric("map@3", _map_at(3), True, "proba", None, "mean average precision of the top 3 classes"),
        Metric("map@5", _map_at(5), True, "proba", None, "mean average precision of the top 5 classes"),
    )
}


def map_k(name: str) -> Optional[int]:
    """K of a ``map@K`` metric name (1 to 99), else None."""
    top = re.fullmatch(r"map@([1-9][0-9]?)", str(name))
    return int(top.group(1)) if top else None


def get_metric(name: str, custom: Optional[Dict[str, dict]] = None, folder: Optional[Path] = None) -> Metric:
    """A metric by name: the registry's, or one a competition defines in its own folder (``custom``)."""
    if custom and name in custom:
        return load_custom_metric(name, custom[name], folder)
    k = map_k(name)
    if k and name not in METRICS:  # any k, as Kaggle's MAP@K competitions ask
        return Metric(name, _map_at(k), True, "proba", None, f"mean average precision of the top {k} classes")
    if name not in METRICS:
        raise UserError(f"unknown metric '{name}'; known: {', '.join(METRICS)} (map@K for any K); or define it in the competition "
                        "folder (custom_metrics in competition.yaml).")
    return METRICS[name]


def load_custom_metric(name: str, entry: dict, folder: Optional[Path]) -> Metric:
    """``custom_metrics: {NAME: {file: metric.py, greater_is_better: .., needs: value|label|proba, space: ..}}``:
    the function NAME(y_true, prediction) -> float from that file."""
    entry = dict(entry or {})
    unknown = set(entry) - {"file", "greater_is_better", "needs", "space", "description"}
    if unknown:
        raise UserError(f"custom metric '{name}': unknown key(s) {sorted(unknown)}; use file, greater_is_better, needs, space.")
    path = Path(folder or ".") / entry.get("file", "metric.py")
    if not path.exists():
        raise UserError(f"custom metric '{name}': {path} does not exist.")
    spec = importlib.util.spec_from_file_location(f"kagglekit_metric_{abs(hash(str(path)))}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    fn = getattr(module, name.replace("@", "_"), None)
    if fn is None:
        raise UserError(f"custom metric '{name}': {path} defines no function {name}(y_true, y_pred).")
    needs, space = entry.get("needs", "value"), entry.get("space")
    if needs not in ("value", "label", "proba") or space not in SPACES:
        raise UserError(f"custom metric '{name}': needs is value, label or proba; space is null, log or log1p.")
    wrapped = _labels(fn) if needs == "label" else (lambda y, p: float(fn(y, p)))
    return Metric(name, wrapped, bool(entry.get("greater_is_better", False)), needs, space,
                  entry.get("description", f"defined in {path.name}"))
