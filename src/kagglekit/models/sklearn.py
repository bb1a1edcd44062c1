"""Tabular models from scikit-learn (linear, SVM, constant), each with a params dataclass; forests are in forests.py,
boosting in boosting.py."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Optional

from ..core.errors import UserError
from .registry import register_model


@dataclass
class LinearParams:
    # Regularisation strength (classification: C = 1 / alpha); null: chosen on the fold's training rows (linear_path.py).
    alpha: Optional[float] = None
    l1_ratio: float = 0.5  # elasticnet only
    max_iter: int = 50000


def _check_linear(p: LinearParams):
    if (p.alpha is not None and p.alpha <= 0) or not 0 <= p.l1_ratio <= 1 or p.max_iter < 1:
        return "alpha > 0 (or null: chosen on the training rows), l1_ratio in [0, 1] and max_iter >= 1 are needed."
    return None


def _linear(kind: str):
    def build(p: LinearParams, task: str, seed: int, speed):
        from sklearn import linear_model as lm

        if p.alpha is None:
            return _chosen(kind, p, task, seed)
        if task != "regression":
            from .linear_path import logistic_regression

            return logistic_regression(p.alpha, _l1_ratio(kind, p), p.max_iter, seed)
        if kind == "ridge":
            return lm.Ridge(alpha=p.alpha, random_state=seed)
        if kind == "lasso":
            return lm.Lasso(alpha=p.alpha, max_iter=p.max_iter, random_state=seed, selection="cyclic")
        return lm.ElasticNet(alpha=p.alpha, l1_ratio=p.l1_ratio, max_iter=p.max_iter, random_state=seed)

    return build


def _l1_ratio(kind: str, p: LinearParams) -> float:
    """The L1 share of a logistic regression fitted for this linear kind."""
    return {"ridge": 0.0, "lasso": 1.0, "elasticnet": p.l1_ratio}[kind]


def _chosen(kind: str, p: LinearParams, task: str, seed: int):
    """The linear model of this kind with its regularisation chosen on the rows it is fitted on."""
    from .linear_path import ALPHAS, ChosenElasticNet, ChosenLasso, ChosenLogistic, ChosenRidge

    if task != "regression":
        return ChosenLogistic(l1_ratio=_l1_ratio(kind, p), max_iter=p.max_iter, random_state=seed)
    if kind == "ridge":
        return ChosenRidge(alphas=ALPHAS)
    if kind == "lasso":
        return ChosenLasso(cv=3, max_iter=p.max_iter, random_state=seed)
    return ChosenElasticNet(l1_ratio=p.l1_ratio, cv=3, max_iter=p.max_iter, random_state=seed)


for _kind in ("ridge", "lasso", "elasticnet"):
    register_model(_kind, LinearParams, f"scikit-learn {_kind} (logistic regression for classification), its penalty "
                   "chosen on each fold's training rows unless alpha is set",
                   check=_check_linear, sparse=True, seeded=False)(_linear(_kind))


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
