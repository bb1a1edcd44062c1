"""Tabular models from scikit-learn (linear, forests, SVM, constant), each with a params dataclass; boosting is in boosting.py."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Optional

import numpy as np

from ..core.speed import thread_count
from .calibration import ProbabilityCalibrator
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
            return lm.LogisticRegression(C=1.0 / p.alpha, l1_ratio=l1_ratio, solver="saga", max_iter=p.max_iter, random_state=seed)
        if kind == "ridge":
            return lm.Ridge(alpha=p.alpha, random_state=seed)
        if kind == "lasso":
            return lm.Lasso(alpha=p.alpha, max_iter=p.max_iter, random_state=seed, selection="cyclic")
        return lm.ElasticNet(alpha=p.alpha, l1_ratio=p.l1_ratio, max_iter=p.max_iter, random_state=seed)

    return build


for _kind in ("ridge", "lasso", "elasticnet"):
    register_model(_kind, LinearParams, f"scikit-learn {_kind} (logistic regression for classification)",
                   check=_check_linear)(_linear(_kind))


@dataclass
class ForestParams:
    n_estimators: int = 500
    max_depth: Optional[int] = None
    min_samples_leaf: Optional[int] = None  # null: 1, but 3 for random-forest class probabilities (measured on the small-data benches)
    max_features: Any = 0.5  # fraction, int, "sqrt" or null
    prior_weight: float = 0.01  # classification: mix this share of the training class prior into every probability
    calibrate: bool = True  # classification: temperature-scale probabilities, fitted on the out-of-bag predictions


class SmoothedForestClassifier:
    """A forest whose class probabilities never reach exactly 0 or 1 (a small share of the training prior is mixed
    in, so one confidently wrong row cannot dominate a fold's log loss), optionally temperature-scaled on its own
    out-of-bag predictions: calibrated on rows each tree never saw, at no extra fit."""

    def __init__(self, forest, prior_weight: float, calibrate: bool):
        self.forest, self.prior_weight, self.calibrate = forest, prior_weight, calibrate

    def _smooth(self, proba):
        return (proba + self.prior_weight * self.prior_) / (1 + self.prior_weight)

    def fit(self, X, y):
        self.forest.fit(X, y)
        self.classes_ = self.forest.classes_
        self.prior_ = np.bincount(np.searchsorted(self.classes_, y), minlength=len(self.classes_)) / len(y)
        self.calibrator_ = None
        if self.calibrate:
            oob = np.nan_to_num(self.forest.oob_decision_function_, nan=0.0)
            seen = oob.sum(axis=1) > 0  # rows in every tree's bootstrap have no out-of-bag vote
            self.calibrator_ = ProbabilityCalibrator("temperature").fit(self._smooth(oob[seen]), np.searchsorted(self.classes_, y[seen]))
        return self

    def predict_proba(self, X):
        proba = self._smooth(self.forest.predict_proba(X))
        return proba if self.calibrator_ is None else self.calibrator_.transform(proba)

    def predict(self, X):
        return self.classes_[np.argmax(self.predict_proba(X), axis=1)]

    @property
    def feature_importances_(self):
        return self.forest.feature_importances_


def _forest(kind: str):
    def build(p: ForestParams, task: str, seed: int, speed):
        from sklearn import ensemble as en

        name = {"random_forest": "RandomForest", "extra_trees": "ExtraTrees"}[kind]
        regression = task == "regression"
        cls = getattr(en, name + ("Regressor" if regression else "Classifier"))
        leaf = p.min_samples_leaf if p.min_samples_leaf is not None else (3 if kind == "random_forest" and not regression else 1)
        oob = {} if regression or not p.calibrate else {"bootstrap": True, "oob_score": True}
        forest = cls(random_state=seed, n_jobs=thread_count(speed.threads), n_estimators=p.n_estimators,
                     max_depth=p.max_depth, min_samples_leaf=leaf, max_features=p.max_features, **oob)
        return forest if regression else SmoothedForestClassifier(forest, p.prior_weight, p.calibrate)

    return build


register_model("random_forest", ForestParams, "scikit-learn random forest")(_forest("random_forest"))
register_model("extra_trees", ForestParams, "scikit-learn extremely randomised trees")(_forest("extra_trees"))


@dataclass
class ConstantParams:
    strategy: str = "prior"  # classification: prior (the training rows' class shares); regression: mean | median


def _check_constant(p: ConstantParams):
    return None if p.strategy in ("prior", "mean", "median") else "strategy is prior, mean or median."


@register_model("constant", ConstantParams, "a constant prediction (class prior or target mean): the floor every model must beat",
                check=_check_constant)
def build_constant(p: ConstantParams, task: str, seed: int, speed):
    from sklearn import dummy

    if task == "regression":
        return dummy.DummyRegressor(strategy="mean" if p.strategy == "prior" else p.strategy)
    return dummy.DummyClassifier(strategy="prior")


@dataclass
class SVRParams:
    C: float = 10.0
    epsilon: float = 0.01  # regression only
    gamma: Any = "scale"  # "scale", "auto" or a number
    kernel: str = "rbf"


@register_model("svr", SVRParams, "scikit-learn support vector machine (RBF kernel); SVC for classification")
def build_svr(p: SVRParams, task: str, seed: int, speed):
    from sklearn import svm

    if task == "regression":
        return svm.SVR(C=p.C, epsilon=p.epsilon, gamma=p.gamma, kernel=p.kernel)
    return svm.SVC(C=p.C, gamma=p.gamma, kernel=p.kernel, probability=True, random_state=seed)
