"""Tabular models from LightGBM and scikit-learn, each with a params dataclass (threads come from ``speed``)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Dict, Optional

import numpy as np

from ..core.speed import thread_count
from .registry import register_model


@dataclass
class LightGBMParams:
    n_estimators: int = 2000  # the most trees; early stopping picks fewer
    learning_rate: Optional[float] = None  # null: from the row count (0.05 up to 2,000 rows, 0.03 up to 20,000, else 0.02)
    num_leaves: int = 15
    max_depth: int = -1
    min_child_samples: Optional[int] = None  # null: from the row count (1% of the rows, between 5 and 50)
    subsample: float = 0.8
    subsample_freq: int = 1
    colsample_bytree: float = 0.4
    reg_alpha: float = 0.0
    reg_lambda: float = 0.0
    min_split_gain: float = 0.0
    max_bin: int = 255
    early_stopping: bool = True  # stop on an inner split of the fold's training rows, then refit on all of them
    early_stopping_rounds: int = 100
    inner_valid_fraction: float = 0.15
    extra: Dict[str, Any] = field(default_factory=dict)  # any other LightGBM parameter, passed through


def _check_lightgbm(p: LightGBMParams):
    if p.n_estimators < 1 or (p.learning_rate is not None and p.learning_rate <= 0) or p.num_leaves < 2 \
            or not 0 < p.subsample <= 1 or not 0 < p.colsample_bytree <= 1 or p.reg_alpha < 0 or p.reg_lambda < 0 \
            or not 0 < p.inner_valid_fraction < 0.5:
        return ("n_estimators >= 1, learning_rate > 0, num_leaves >= 2, subsample and colsample_bytree in (0, 1], "
                "reg_alpha and reg_lambda >= 0, inner_valid_fraction in (0, 0.5) are needed.")
    return None


class EarlyStoppedLightGBM:
    """LightGBM whose tree count is chosen on an inner split of the rows it is given (never the fold's validation
    rows), then refitted on all of them with that many trees scaled to the larger set. Size-aware defaults for the
    learning rate and the minimum leaf size keep small competitions from overfitting."""

    def __init__(self, p: LightGBMParams, task: str, seed: int, threads: int):
        self.p, self.task, self.seed, self.threads = p, task, seed, threads

    def _model(self, n_rows: int, n_estimators: int):
        import lightgbm as lgb

        p = self.p
        lr = p.learning_rate or (0.05 if n_rows <= 2000 else 0.03 if n_rows <= 20000 else 0.02)
        leaf = p.min_child_samples if p.min_child_samples is not None else int(min(50, max(5, round(n_rows / 100))))
        kwargs = {k: v for k, v in vars(p).items()
                  if k not in ("extra", "early_stopping", "early_stopping_rounds", "inner_valid_fraction")}
        kwargs.update(learning_rate=lr, min_child_samples=leaf, n_estimators=n_estimators)
        cls = lgb.LGBMRegressor if self.task == "regression" else lgb.LGBMClassifier
        return cls(random_state=self.seed, verbose=-1, n_jobs=self.threads, **kwargs, **self.p.extra)

    def fit(self, X, y):
        import lightgbm as lgb
        from sklearn.model_selection import train_test_split

        p, n = self.p, len(y)
        trees = p.n_estimators
        if p.early_stopping and n >= 40:
            stratify = y if self.task != "regression" and min(np.bincount(np.asarray(y, int))[np.unique(y)]) >= 2 else None
            tr, va = train_test_split(np.arange(n), test_size=p.inner_valid_fraction, random_state=self.seed, stratify=stratify)
            probe = self._model(len(tr), p.n_estimators)
            probe.fit(X[tr], y[tr], eval_set=[(X[va], y[va])],
                      callbacks=[lgb.early_stopping(p.early_stopping_rounds, verbose=False)])
            best = probe.best_iteration_ or p.n_estimators
            trees = int(min(p.n_estimators, np.ceil(best / (1 - p.inner_valid_fraction))))
        self.model_ = self._model(n, trees).fit(X, y)
        self.best_iteration_ = trees
        self.classes_ = getattr(self.model_, "classes_", None)
        return self

    def predict(self, X):
        return self.model_.predict(X)

    def predict_proba(self, X):
        return self.model_.predict_proba(X)

    @property
    def feature_importances_(self):
        return self.model_.feature_importances_


@register_model("lightgbm", LightGBMParams, "LightGBM gradient-boosted trees, early-stopped on an inner split",
                check=_check_lightgbm)
def build_lightgbm(p: LightGBMParams, task: str, seed: int, speed):
    return EarlyStoppedLightGBM(p, task, seed, thread_count(speed.threads))


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
            penalty = {"ridge": "l2", "lasso": "l1", "elasticnet": "elasticnet"}[kind]
            return lm.LogisticRegression(C=1.0 / p.alpha, penalty=penalty, l1_ratio=p.l1_ratio if kind == "elasticnet" else None,
                                         solver="saga", max_iter=p.max_iter, random_state=seed)
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
    min_samples_leaf: int = 1
    max_features: Any = 0.5  # fraction, int, "sqrt" or null


def _forest(kind: str):
    def build(p: ForestParams, task: str, seed: int, speed):
        from sklearn import ensemble as en

        name = {"random_forest": "RandomForest", "extra_trees": "ExtraTrees"}[kind]
        cls = getattr(en, name + ("Regressor" if task == "regression" else "Classifier"))
        return cls(random_state=seed, n_jobs=thread_count(speed.threads), **vars(p))

    return build


register_model("random_forest", ForestParams, "scikit-learn random forest")(_forest("random_forest"))
register_model("extra_trees", ForestParams, "scikit-learn extremely randomised trees")(_forest("extra_trees"))


@dataclass
class GBRTParams:
    n_estimators: int = 1500
    learning_rate: float = 0.03
    max_depth: int = 4
    subsample: float = 0.8
    max_features: Any = "sqrt"
    min_samples_leaf: int = 10
    loss: str = "huber"  # regression loss; classification always uses log-loss


@register_model("gbrt", GBRTParams, "scikit-learn gradient boosting (robust huber loss by default)")
def build_gbrt(p: GBRTParams, task: str, seed: int, speed):
    from sklearn import ensemble as en

    kwargs = vars(p).copy()
    if task == "regression":
        return en.GradientBoostingRegressor(random_state=seed, **kwargs)
    kwargs.pop("loss")
    return en.GradientBoostingClassifier(random_state=seed, **kwargs)


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
