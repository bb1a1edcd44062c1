"""Tabular models from scikit-learn (linear, forests, SVM, constant), each with a params dataclass; boosting is in boosting.py."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Optional

import numpy as np

from ..core.errors import UserError
from ..core.metrics import get_metric
from ..core.speed import thread_count
from .calibration import ProbabilityCalibrator
from .linear_start import LinearStart, cross_fitted_proba
from .registry import register_model


@dataclass
class LinearParams:
    alpha: float = 1.0  # regularisation strength (classification: C = 1 / alpha)
    l1_ratio: float = 0.5  # elasticnet only
    max_iter: int = 50000


def _check_linear(p: LinearParams):
    if p.alpha <= 0 or not 0 <= p.l1_ratio <= 1 or p.max_iter < 1:
        return "alpha > 0, l1_ratio in [0, 1] and max_iter >= 1 are needed."
    return None


def _linear(kind: str):
    def build(p: LinearParams, task: str, seed: int, speed):
        from sklearn import linear_model as lm

        if task != "regression":
            l1_ratio = {"ridge": 0.0, "lasso": 1.0, "elasticnet": p.l1_ratio}[kind]
            # L2 alone converges in a few hundred L-BFGS steps on any size; SAGA (needed for L1) can take thousands of
            # passes over 300,000 rows.
            solver = "lbfgs" if l1_ratio == 0 else "saga"
            return lm.LogisticRegression(C=1.0 / p.alpha, l1_ratio=l1_ratio, solver=solver, max_iter=p.max_iter, random_state=seed)
        if kind == "ridge":
            return lm.Ridge(alpha=p.alpha, random_state=seed)
        if kind == "lasso":
            return lm.Lasso(alpha=p.alpha, max_iter=p.max_iter, random_state=seed, selection="cyclic")
        return lm.ElasticNet(alpha=p.alpha, l1_ratio=p.l1_ratio, max_iter=p.max_iter, random_state=seed)

    return build


for _kind in ("ridge", "lasso", "elasticnet"):
    register_model(_kind, LinearParams, f"scikit-learn {_kind} (logistic regression for classification)",
                   check=_check_linear, sparse=True, seeded=False)(_linear(_kind))


@dataclass
class ForestParams:
    n_estimators: int = 500
    max_depth: Optional[int] = None
    # A value, or a list of values to choose from on the out-of-bag error (every combination is fitted once).
    # null: classification chooses among [1, 3] leaf sizes and [0.5, sqrt] features (measured on the small-data benches:
    # the best pair differs from one competition to the next); regression uses 1 and 0.5.
    min_samples_leaf: Any = None
    max_features: Any = None  # fraction, int, "sqrt" (1.0 for every feature), or a list of them
    prior_weight: float = 0.01  # classification: mix this share of the training class prior into every probability
    calibrate: bool = True  # classification: temperature-scale probabilities, fitted on the out-of-bag predictions
    # Classification: the share of a linear model's probabilities mixed into the forest's, or a list to choose from on
    # the out-of-bag rows (the linear model's own predictions for them are cross-fitted). null: [0, 0.25, 0.5, 0.75]
    # up to linear_rows training rows (where a forest's few rows waste their votes on a slope), 0 above.
    linear_weight: Any = None
    linear_rows: int = 2000
    choose_rows: int = 20000  # above this many training rows only the last candidate pair is fitted (each costs a forest)
    # Several candidates are compared out of bag at this many trees and only the winner is grown on to n_estimators
    # (a warm start: the very trees a full fit grows), so choosing costs a fraction of the forest it chooses.
    choose_trees: int = 100


def _candidates(value, classification_default: list, regression_default, regression: bool) -> list:
    if value is None:
        value = regression_default if regression else classification_default
    return list(value) if isinstance(value, (list, tuple)) else [value]


def _check_forest(p: ForestParams):
    sizes = p.min_samples_leaf if isinstance(p.min_samples_leaf, (list, tuple)) else [p.min_samples_leaf]
    if p.n_estimators < 1 or any(v is not None and (not isinstance(v, int) or v < 1) for v in sizes):
        return "n_estimators >= 1 and min_samples_leaf >= 1 (an integer or a list of them) are needed."
    if not 0 <= p.prior_weight < 1:
        return "prior_weight in [0, 1) is needed."
    weights = p.linear_weight if isinstance(p.linear_weight, (list, tuple)) else [p.linear_weight]
    if any(w is not None and not (isinstance(w, (int, float)) and 0 <= w < 1) for w in weights):
        return "linear_weight in [0, 1) (a number or a list of them) is needed."
    return None


class SmoothedForestClassifier:
    """A forest whose class probabilities never reach exactly 0 or 1 (a small share of the training prior is mixed
    in, so one confidently wrong row cannot dominate a fold's log loss), optionally temperature-scaled on its own
    out-of-bag predictions: calibrated on rows each tree never saw, at no extra fit. Given several candidate
    forests and linear shares, it keeps the pair whose (calibrated) out-of-bag log loss is lowest: chosen on the
    fold's training rows."""

    def __init__(self, forests: list, prior_weight: float, calibrate: bool, settings: Optional[list] = None,
                 linear_weight: Any = 0.0, linear_rows: int = 0, seed: int = 0, choose_rows: int = 20000,
                 choose_trees: int = 100):
        self.forests, self.prior_weight, self.calibrate, self.settings = forests, prior_weight, calibrate, settings
        self.linear_weight, self.linear_rows, self.seed, self.choose_rows = linear_weight, linear_rows, seed, choose_rows
        self.choose_trees = choose_trees

    def _linear_weights(self, n_rows: int) -> list:
        default = [0.0, 0.25, 0.5, 0.75] if n_rows <= self.linear_rows else [0.0]
        return [float(w) for w in _candidates(self.linear_weight, default, None, False)]

    def _smooth(self, proba):
        return (proba + self.prior_weight * self.prior_) / (1 + self.prior_weight)

    def _mix(self, proba, linear, weight: float):
        return proba if weight == 0 else (1 - weight) * proba + weight * linear

    def _out_of_bag(self, forest, codes, linear, weight):
        oob = np.nan_to_num(forest.oob_decision_function_, nan=0.0)
        seen = oob.sum(axis=1) > 0  # rows in every tree's bootstrap have no out-of-bag vote
        proba = self._smooth(self._mix(oob[seen], None if linear is None else linear[seen], weight))
        truth = codes[seen]
        calibrator = ProbabilityCalibrator("temperature").fit(proba, truth) if self.calibrate else None
        if calibrator is not None:
            proba = self._smooth(calibrator.transform(proba))  # a sharpening temperature must not undo the floor
        return get_metric("logloss").fn(truth, proba), calibrator

    def fit(self, X, y):
        weights = self._linear_weights(len(y))
        self.classes_ = np.unique(y)
        codes = np.searchsorted(self.classes_, y)
        self.prior_ = np.bincount(codes, minlength=len(self.classes_)) / len(y)
        linear = cross_fitted_proba(X, codes, len(self.classes_), 1.0, self.seed) if any(weights) else None
        candidates = _affordable(self.forests, len(y), self.choose_rows)
        chosen, self.forest_ = _chosen_out_of_bag(
            candidates, X, y, lambda f: min(self._out_of_bag(f, codes, linear, w)[0] for w in weights), self.choose_trees)
        if len(candidates) == 1 and not self.calibrate and weights == [0.0]:
            self.calibrator_, self.linear_weight_ = None, 0.0  # nothing to choose (nor out-of-bag votes to read)
        else:
            # The linear share and the temperature are chosen on the grown forest's out-of-bag rows.
            scored = [(w, *self._out_of_bag(self.forest_, codes, linear, w)) for w in weights]
            self.linear_weight_, _, self.calibrator_ = min(scored, key=lambda s: s[1])
        self.linear_ = None
        if self.linear_weight_ > 0:
            task = "binary" if len(self.classes_) == 2 else "multiclass"
            self.linear_ = LinearStart(task, 1.0, len(self.classes_)).fit(X, codes)
        if self.settings is not None and (len(candidates) > 1 or len(weights) > 1):
            self.chosen_params_ = {**self.settings[chosen], "linear_weight": self.linear_weight_}
        return self

    def predict_proba(self, X):
        proba = self.forest_.predict_proba(X)
        if self.linear_ is not None:
            proba = self._mix(proba, self.linear_.class_proba(X), self.linear_weight_)
        proba = self._smooth(proba)
        return proba if self.calibrator_ is None else self._smooth(self.calibrator_.transform(proba))

    def predict(self, X):
        return self.classes_[np.argmax(self.predict_proba(X), axis=1)]

    @property
    def feature_importances_(self):
        return self.forest_.feature_importances_


class OutOfBagChosenRegressor:
    """Several candidate regression forests; keeps the one with the lowest out-of-bag squared error."""

    def __init__(self, forests: list, settings: list, choose_rows: int = 20000, choose_trees: int = 100):
        self.forests, self.settings, self.choose_rows, self.choose_trees = forests, settings, choose_rows, choose_trees

    def fit(self, X, y):
        y = np.asarray(y)
        chosen, self.forest_ = _chosen_out_of_bag(
            _affordable(self.forests, len(y), self.choose_rows), X, y,
            lambda f: float(np.nanmean((y - f.oob_prediction_) ** 2)), self.choose_trees)
        self.chosen_params_ = self.settings[chosen]
        return self

    def predict(self, X):
        return self.forest_.predict(X)

    @property
    def feature_importances_(self):
        return self.forest_.feature_importances_


def _affordable(forests: list, n_rows: int, choose_rows: int) -> list:
    """(index, forest) pairs to fit: every candidate up to ``choose_rows`` rows, above only the last (the cheapest
    of the default grid: 3 rows a leaf, sqrt features), since each candidate costs a whole forest."""
    pairs = list(enumerate(forests))
    return pairs if n_rows <= choose_rows else pairs[-1:]


def _chosen_out_of_bag(candidates: list, X, y, loss, trees: int) -> tuple:
    """(index, fitted forest) of the candidate whose out-of-bag ``loss`` is lowest. Several candidates are compared
    as copies of ``trees`` trees and only the winner is grown on to its own count: a warm start draws the random
    state a full fit would, so it ends as the very forest a full fit grows, and choosing costs a fraction of it."""
    from sklearn.base import clone

    if len(candidates) == 1:
        index, forest = candidates[0]
        return index, clone(forest).fit(X, y)
    small = [(i, clone(f).set_params(n_estimators=min(trees, f.n_estimators), warm_start=True)) for i, f in candidates]
    index, winner = min(small, key=lambda pair: loss(pair[1].fit(X, y)))
    full = dict(candidates)[index].n_estimators
    if full > winner.n_estimators:
        winner.set_params(n_estimators=full).fit(X, y)
    return index, winner.set_params(warm_start=False)


def _forest(kind: str):
    def build(p: ForestParams, task: str, seed: int, speed):
        from sklearn import ensemble as en

        name = {"random_forest": "RandomForest", "extra_trees": "ExtraTrees"}[kind]
        regression = task == "regression"
        cls = getattr(en, name + ("Regressor" if regression else "Classifier"))
        settings = [{"min_samples_leaf": leaf, "max_features": features}
                    for leaf in _candidates(p.min_samples_leaf, [1, 3], 1, regression)
                    for features in _candidates(p.max_features, [0.5, "sqrt"], 0.5, regression)]
        out_of_bag = len(settings) > 1 or (not regression and (p.calibrate or p.linear_weight != 0))
        oob = {"bootstrap": True, "oob_score": True} if out_of_bag else {}
        forests = [cls(random_state=seed, n_jobs=thread_count(speed.threads), n_estimators=p.n_estimators,
                       max_depth=p.max_depth, **s, **oob) for s in settings]
        if not regression:
            return SmoothedForestClassifier(forests, p.prior_weight, p.calibrate, settings, p.linear_weight, p.linear_rows, seed,
                                            p.choose_rows, p.choose_trees)
        return forests[0] if len(forests) == 1 else OutOfBagChosenRegressor(forests, settings, p.choose_rows, p.choose_trees)

    return build


_CHOSEN = "; leaf size, features and (classes) a linear share chosen out-of-bag"
register_model("random_forest", ForestParams, "scikit-learn random forest" + _CHOSEN, check=_check_forest)(_forest("random_forest"))
register_model("extra_trees", ForestParams, "scikit-learn extremely randomised trees" + _CHOSEN,
               check=_check_forest)(_forest("extra_trees"))


@dataclass
class ConstantParams:
    strategy: str = "prior"  # classification: prior (the training rows' class shares); regression: mean | median


def _check_constant(p: ConstantParams):
    return None if p.strategy in ("prior", "mean", "median") else "strategy is prior, mean or median."


@register_model("constant", ConstantParams, "a constant prediction (class prior or target mean): the floor every model must beat",
                check=_check_constant, seeded=False)
def build_constant(p: ConstantParams, task: str, seed: int, speed):
    from sklearn import dummy

    if task == "regression":
        return dummy.DummyRegressor(strategy="mean" if p.strategy == "prior" else p.strategy)
    return dummy.DummyClassifier(strategy="prior")


@dataclass
class KernelRidgeParams:
    alpha: float = 0.6
    kernel: str = "polynomial"  # any scikit-learn pairwise kernel: polynomial, rbf, laplacian, linear, ...
    degree: int = 2
    coef0: float = 2.5
    gamma: Optional[float] = None  # null: 1 / number of features


def _check_kernel_ridge(p: KernelRidgeParams):
    if p.alpha <= 0 or p.degree < 1 or (p.gamma is not None and p.gamma <= 0):
        return "alpha > 0, degree >= 1 and gamma > 0 (or null) are needed."
    return None


@register_model("kernel_ridge", KernelRidgeParams, "scikit-learn kernel ridge regression (polynomial kernel by default; "
                "needs scaled inputs)", check=_check_kernel_ridge, seeded=False)
def build_kernel_ridge(p: KernelRidgeParams, task: str, seed: int, speed):
    from sklearn.kernel_ridge import KernelRidge

    if task != "regression":
        raise UserError("kernel_ridge is a regression model; for classes use svr (SVC) or ridge (logistic regression).")
    return KernelRidge(alpha=p.alpha, kernel=p.kernel, degree=p.degree, coef0=p.coef0, gamma=p.gamma)


@dataclass
class SVRParams:
    C: float = 10.0
    epsilon: float = 0.01  # regression only
    gamma: Any = "scale"  # "scale", "auto" or a number
    kernel: str = "rbf"


@register_model("svr", SVRParams, "scikit-learn support vector machine (RBF kernel); SVC for classification",
                seeded=False, one_thread=True)
def build_svr(p: SVRParams, task: str, seed: int, speed):
    from sklearn import svm

    if task == "regression":
        return svm.SVR(C=p.C, epsilon=p.epsilon, gamma=p.gamma, kernel=p.kernel)
    # scikit-learn 1.9 deprecates probability=True (a FutureWarning every fit) for CalibratedClassifierCV(SVC(),
    # ensemble=False), whose one-vs-rest sigmoids of SVC's vote-based scores lost on 4 classes (hpc log loss 0.497 ->
    # 0.821); libsvm's pairwise coupling stays, without the warning, until the pinned scikit-learn drops it.
    import warnings

    warnings.filterwarnings("ignore", message="The `probability` parameter was deprecated", category=FutureWarning)
    return svm.SVC(C=p.C, gamma=p.gamma, kernel=p.kernel, probability=True, random_state=seed)
