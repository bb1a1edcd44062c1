"""Linear models whose regularisation is chosen on the rows they are fitted on (``alpha: null`` in the registry's
linear entries): ridge regression by scikit-learn's efficient leave-one-out (``RidgeCV``), lasso and elastic net along
their own alpha path (``LassoCV``, ``ElasticNetCV``), logistic regression along a path of C on inner folds."""

from __future__ import annotations

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.linear_model import ElasticNetCV, LassoCV, LogisticRegression, RidgeCV

from ..core.folds import inner_splits
from .calibration import place_classes

ALPHAS = np.logspace(-3, 3, 13)  # ridge's regularisation strengths, half a decade apart
COARSE_ALPHAS = (100.0, 10.0, 1.0, 0.1, 0.01, 0.001)  # logistic regression's (C = 1 / alpha) first pass
LARGE = 20_000  # above this many rows the logistic path is scored on one held-out fifth instead of 3 inner folds


class ChosenRidge(RidgeCV):
    """``RidgeCV`` over ``ALPHAS`` (leave-one-out in closed form: about the price of one ridge fit) that reports its
    choice as ``chosen_params_``."""

    def __init__(self, alphas=tuple(ALPHAS)):
        super().__init__(alphas=alphas)

    @property
    def chosen_params_(self) -> dict:
        return {"alpha": float(self.alpha_)}


class ChosenLasso(LassoCV):
    """``LassoCV`` on 3 inner folds (its own alpha path) that reports its choice as ``chosen_params_``."""

    def __init__(self, cv=3, max_iter=50000, random_state=None):
        super().__init__(cv=cv, max_iter=max_iter, random_state=random_state)

    @property
    def chosen_params_(self) -> dict:
        return {"alpha": float(self.alpha_)}


class ChosenElasticNet(ElasticNetCV):
    """``ElasticNetCV`` on 3 inner folds at one l1_ratio that reports its choice as ``chosen_params_``."""

    def __init__(self, l1_ratio=0.5, cv=3, max_iter=50000, random_state=None):
        super().__init__(l1_ratio=l1_ratio, cv=cv, max_iter=max_iter, random_state=random_state)

    @property
    def chosen_params_(self) -> dict:
        return {"alpha": float(self.alpha_)}


class ChosenLogistic(ClassifierMixin, BaseEstimator):
    """Logistic regression whose C is chosen by held-out log loss on inner folds, then one fit at that C on every row.

    The strengths are tried a decade apart from strong to weak regularisation (``alphas``), each inner fold's model
    warm-started from the previous one, until the mean held-out log loss has not improved for ``patience`` steps (the
    weakly regularised end takes the most solver iterations and is only paid for where it helps); then the two
    half-decade neighbours of the best. The final model walks the same path on every row, up to the chosen C."""

    def __init__(self, alphas=COARSE_ALPHAS, l1_ratio: float = 0.0, max_iter: int = 50000, folds: int = 3,
                 patience: int = 1, random_state=None):
        self.alphas, self.l1_ratio, self.max_iter, self.folds = alphas, l1_ratio, max_iter, folds
        self.patience, self.random_state = patience, random_state

    def _model(self, alpha: float, warm: bool) -> LogisticRegression:
        solver = "lbfgs" if self.l1_ratio == 0 else "saga"  # L1 needs SAGA
        return LogisticRegression(C=1.0 / alpha, l1_ratio=self.l1_ratio, solver=solver, max_iter=self.max_iter,
                                  warm_start=warm, random_state=self.random_state)

    def fit(self, X, y):
        from sklearn.metrics import log_loss

        rows = X.iloc if hasattr(X, "iloc") else X
        y = np.asarray(y)
        classes = np.unique(y)
        codes = np.searchsorted(classes, y)
        folds = self.folds if len(y) <= LARGE else 1
        splits = inner_splits(codes, 0.2, folds, 0 if self.random_state is None else self.random_state, True)
        models = [self._model(1.0, warm=True) for _ in splits]
        losses = {}

        def held_out_loss(alpha: float) -> None:
            loss = 0.0
            for model, (fit, hold) in zip(models, splits):
                model.set_params(C=1.0 / alpha).fit(rows[fit], codes[fit])
                proba = place_classes(model.predict_proba(rows[hold]), model.classes_, len(classes))
                loss += log_loss(codes[hold], np.clip(proba, 1e-15, 1), labels=np.arange(len(classes))) / len(splits)
            losses[alpha] = loss

        coarse = sorted(self.alphas, reverse=True)  # strongest regularisation first
        for step, alpha in enumerate(coarse):
            held_out_loss(alpha)
            if step - coarse.index(min(losses, key=losses.get)) >= self.patience:
                break
        best = min(losses, key=losses.get)
        for alpha in (best * np.sqrt(10), best / np.sqrt(10)):
            if min(coarse) <= alpha <= max(coarse):
                held_out_loss(float(alpha))
        self.alpha_ = float(min(losses, key=losses.get))
        self.path_ = {f"{a:.3g}": round(float(v), 6) for a, v in sorted(losses.items(), reverse=True)}
        # The model scored at a C is where the solver stopped along the path to it (at its tolerance a weakly
        # regularised fit stops in fewer steps from a warm start than from zeros, and scores differently), so the
        # final model walks the same path on every row.
        visited = list(losses)
        self.model_ = self._model(1.0, warm=True)
        for alpha in visited[:visited.index(self.alpha_) + 1]:
            self.model_.set_params(C=1.0 / alpha).fit(X, codes)
        self.classes_ = classes[self.model_.classes_]
        self.coef_, self.intercept_ = self.model_.coef_, self.model_.intercept_
        return self

    @property
    def chosen_params_(self) -> dict:
        return {"alpha": self.alpha_, "C": 1.0 / self.alpha_}

    def predict_proba(self, X) -> np.ndarray:
        return self.model_.predict_proba(X)

    def predict(self, X) -> np.ndarray:
        return self.classes_[np.argmax(self.predict_proba(X), axis=1)]
