"""Linear models whose regularisation is chosen on the rows they are fitted on (``alpha: null`` in the registry's
linear entries): ridge regression by scikit-learn's efficient leave-one-out (``RidgeCV``), lasso and elastic net along
their own alpha path (``LassoCV``, ``ElasticNetCV``), logistic regression along a path of C on inner folds."""

from __future__ import annotations

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.linear_model import ElasticNetCV, LassoCV, LogisticRegression, Ridge, RidgeCV

from ..core.folds import inner_splits
from .calibration import place_classes

ALPHAS = np.logspace(-3, 3, 13)  # ridge's regularisation strengths, half a decade apart
COARSE_ALPHAS = (100.0, 10.0, 1.0, 0.1, 0.01, 0.001)  # logistic regression's (C = 1 / alpha) first pass
# Above this many cells (rows x columns: 20,000 rows of 250 columns, or 7,000 texts of 6,000 TF-IDF columns) the
# logistic and ridge paths are scored on one held-out fifth instead of 3 inner folds.
LARGE_CELLS = 5_000_000
# Ridge's closed-form leave-one-out decomposes a square matrix of the smaller side of X: cubic in it (3,840 texts of
# 6,016 TF-IDF columns: 11.5 s of a 15 s fold on 2 cores). Above this side ridge takes the path on inner folds instead,
# where one iterative fit of that table takes 0.01-0.3 s.
GCV_SIDE = 1500


def logistic_regression(alpha: float, l1_ratio: float, max_iter: int, random_state, warm_start: bool = False,
                        newton: bool = False):
    """scikit-learn's logistic regression at C = 1 / alpha: L-BFGS for L2 alone (a few hundred steps on any size),
    SAGA where there is an L1 share (it needs it; thousands of passes over 300,000 rows). ``newton``: Newton-CG for
    L2, the faster on sparse input with many classes (``many_sparse_classes``)."""
    solver = "saga" if l1_ratio else "newton-cg" if newton else "lbfgs"
    return LogisticRegression(C=1.0 / alpha, l1_ratio=l1_ratio, solver=solver, max_iter=max_iter, warm_start=warm_start,
                              random_state=random_state)


def many_sparse_classes(X, n_classes: int) -> bool:
    """Whether Newton-CG beats L-BFGS for an L2 logistic fit: more than two classes on sparse input (TF-IDF), where
    L-BFGS takes a hundred steps that each pay for classes x columns coefficients and Newton-CG a few (22 classes of
    844 texts, 6,000 TF-IDF columns: 0.37 s against 1.59 s a fit; the C path 1.3 s against 4.2 s). On dense columns
    and on two classes L-BFGS is as fast or faster (32 classes of 1,525 rows, 49 columns: 4.8 s against 10 s)."""
    from scipy import sparse

    return sparse.issparse(X) and n_classes > 2


def walk_strengths(decades, held_out_loss, patience: int = 1) -> dict:
    """Held-out loss by strength along ``decades`` (strengths a decade apart), strongest first, stopping once
    ``patience`` steps in a row are worse than the best so far (a flat stretch, such as L1's all-zero start, is not
    worse); then the best's two half-decade neighbours inside the path's range. ``held_out_loss(alpha)``: a float."""
    losses = {}
    worse = 0
    for alpha in sorted(decades, reverse=True):
        best_so_far = min(losses.values(), default=np.inf)
        losses[alpha] = held_out_loss(alpha)
        worse = worse + 1 if losses[alpha] > best_so_far + 1e-9 else 0
        if worse >= patience:
            break
    best = min(losses, key=losses.get)
    for alpha in (best * np.sqrt(10), best / np.sqrt(10)):
        if min(decades) <= alpha <= max(decades):
            losses[float(alpha)] = held_out_loss(float(alpha))
    return losses


class ChosenRidge(RidgeCV):
    """``RidgeCV`` (built with ``alphas=ALPHAS``: leave-one-out in closed form, about the price of one ridge fit) that
    reports its choice as ``chosen_params_``; on a table whose rows and columns both exceed ``GCV_SIDE``, where that
    closed form is cubic, the strengths are scored by held-out squared error on inner folds instead (``path_``,
    ``walk_strengths``), each an iterative fit (LSQR). scikit-learn's constructor, unchanged: its CV estimators read
    their parameters back by the constructor's signature."""

    def fit(self, X, y, sample_weight=None):
        if min(X.shape) <= GCV_SIDE:
            self.path_ = None
            return super().fit(X, y, sample_weight=sample_weight)
        rows = X.iloc if hasattr(X, "iloc") else X
        y = np.asarray(y, dtype=float)
        weights = np.ones(len(y)) if sample_weight is None else np.asarray(sample_weight, dtype=float)
        folds = 3 if X.shape[0] * X.shape[1] <= LARGE_CELLS else 1
        splits = inner_splits(y, 0.2, folds, 0, False)

        def held_out_loss(alpha: float) -> float:
            loss = 0.0
            for fit, hold in splits:
                model = Ridge(alpha=alpha, solver="lsqr").fit(rows[fit], y[fit], sample_weight=weights[fit])
                error = (model.predict(rows[hold]) - y[hold]).reshape(len(hold), -1) ** 2
                loss += float(np.average(error.mean(axis=1), weights=weights[hold])) / len(splits)
            return loss

        # ``alphas`` lie half a decade apart (ALPHAS): every second one is the decade path
        losses = walk_strengths([float(a) for a in sorted(self.alphas, reverse=True)[::2]], held_out_loss)
        self.alpha_ = float(min(losses, key=losses.get))
        self.best_score_ = -losses[self.alpha_]
        self.path_ = {f"{a:.3g}": round(v, 6) for a, v in sorted(losses.items(), reverse=True)}
        final = Ridge(alpha=self.alpha_, solver="lsqr").fit(X, y, sample_weight=sample_weight)
        self.coef_, self.intercept_, self.n_features_in_ = final.coef_, final.intercept_, final.n_features_in_
        if hasattr(final, "feature_names_in_"):
            self.feature_names_in_ = final.feature_names_in_
        return self

    @property
    def chosen_params_(self) -> dict:
        return {"alpha": float(self.alpha_)}


class ChosenLasso(LassoCV):
    """``LassoCV`` (built with ``cv=3``: its own alpha path) that reports its choice as ``chosen_params_``."""

    @property
    def chosen_params_(self) -> dict:
        return {"alpha": float(self.alpha_)}


class ChosenElasticNet(ElasticNetCV):
    """``ElasticNetCV`` (built with ``cv=3`` at one l1_ratio) that reports its choice as ``chosen_params_``."""

    @property
    def chosen_params_(self) -> dict:
        return {"alpha": float(self.alpha_)}


class ChosenLogistic(ClassifierMixin, BaseEstimator):
    """Logistic regression whose C is chosen by held-out log loss on inner folds, then one fit at that C on every row.

    The strengths are tried a decade apart from strong to weak regularisation (``alphas``), each inner fold's model
    warm-started from the previous one, until the mean held-out log loss has not improved for ``patience`` steps (the
    weakly regularised end takes the most solver iterations and is only paid for where it helps); then the two
    half-decade neighbours of the best; then one fit on every row, started from the inner models at that C."""

    def __init__(self, alphas=COARSE_ALPHAS, l1_ratio: float = 0.0, max_iter: int = 50000, folds: int = 3,
                 patience: int = 1, random_state=None):
        self.alphas, self.l1_ratio, self.max_iter, self.folds = alphas, l1_ratio, max_iter, folds
        self.patience, self.random_state = patience, random_state

    def _model(self, alpha: float, warm: bool) -> LogisticRegression:
        return logistic_regression(alpha, self.l1_ratio, self.max_iter, self.random_state, warm, self.newton_)

    def fit(self, X, y):
        from sklearn.metrics import log_loss

        rows = X.iloc if hasattr(X, "iloc") else X
        y = np.asarray(y)
        classes = np.unique(y)
        codes = np.searchsorted(classes, y)
        self.newton_ = many_sparse_classes(X, len(classes))
        folds = self.folds if len(y) * X.shape[1] <= LARGE_CELLS else 1
        splits = inner_splits(codes, 0.2, folds, 0 if self.random_state is None else self.random_state, True)
        models = [self._model(1.0, warm=True) for _ in splits]
        kept = {}  # alpha -> the inner models' mean coefficients and intercepts (None: one lacked a class)

        def held_out_loss(alpha: float) -> float:
            loss = 0.0
            for model, (fit, hold) in zip(models, splits):
                model.set_params(C=1.0 / alpha).fit(rows[fit], codes[fit])
                proba = place_classes(model.predict_proba(rows[hold]), model.classes_, len(classes))
                loss += log_loss(codes[hold], np.clip(proba, 1e-15, 1), labels=np.arange(len(classes))) / len(splits)
            whole = all(len(m.classes_) == len(classes) for m in models)
            kept[alpha] = (np.mean([m.coef_ for m in models], axis=0), np.mean([m.intercept_ for m in models], axis=0)) \
                if whole else None
            return loss

        losses = walk_strengths(self.alphas, held_out_loss, self.patience)
        self.alpha_ = float(min(losses, key=losses.get))
        self.path_ = {f"{a:.3g}": round(float(v), 6) for a, v in sorted(losses.items(), reverse=True)}
        self.model_ = self._final(X, codes, kept[self.alpha_], len(classes))
        self.classes_ = classes[self.model_.classes_]
        self.coef_, self.intercept_ = self.model_.coef_, self.model_.intercept_
        return self

    def _final(self, X, codes, start, n_classes: int) -> LogisticRegression:
        """The fit on every row at the chosen C, started where the inner models ended (their mean), as scikit-learn's
        LogisticRegressionCV refits: at its tolerance lbfgs stops sooner from a warm start at weak regularisation than
        from zeros, and a model started from zeros would not be the one the path scored (on a 32-class table of 1,600
        rows, 0.0719 log loss against 0.0351)."""
        model = self._model(self.alpha_, warm=True)
        if start is not None:
            model.coef_, model.intercept_ = start[0].copy(), start[1].copy()
            model.classes_ = np.arange(n_classes)
        return model.fit(X, codes)

    @property
    def chosen_params_(self) -> dict:
        return {"alpha": self.alpha_, "C": 1.0 / self.alpha_}

    def predict_proba(self, X) -> np.ndarray:
        return self.model_.predict_proba(X)

    def predict(self, X) -> np.ndarray:
        return self.classes_[np.argmax(self.predict_proba(X), axis=1)]
