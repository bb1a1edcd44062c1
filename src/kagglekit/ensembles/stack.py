"""``stack``: a meta model on the members' predictions (ridge or logistic regression, or a small LightGBM)."""

import numpy as np

from ..core.speed import thread_count
from ..models.calibration import place_classes
from .registry import Combiner, register_ensemble


def _features(P):
    return np.concatenate(list(P), axis=1) if P.ndim == 3 else P.T


class MedianRegression:
    """A linear model of the conditional median (least absolute deviations, what MAE rewards) with a ridge penalty on
    the coefficients, by iteratively reweighted least squares: each row weighs 1 / |its residual|."""

    def __init__(self, alpha: float = 1.0, iterations: int = 50):
        self.alpha, self.iterations = alpha, iterations

    def fit(self, X, y):
        A = np.column_stack([np.asarray(X, float), np.ones(len(X))])
        y = np.asarray(y, float)
        penalty = self.alpha * np.diag(np.r_[np.ones(A.shape[1] - 1), 0.0])  # the intercept is not penalised
        floor = 1e-6 * (np.median(np.abs(y - np.median(y))) + 1e-12)  # keeps a row fitted exactly from weighing infinity
        weights = np.ones(len(y))
        for _ in range(self.iterations):
            coef = np.linalg.solve(A.T @ (A * weights[:, None]) + penalty, A.T @ (weights * y))
            new = 1.0 / np.maximum(np.abs(y - A @ coef), floor)
            weights_before, weights = weights, new / new.mean()  # mean 1, so that alpha keeps its scale
            if np.allclose(weights, weights_before, rtol=1e-4, atol=1e-8):
                break
        self.coef_, self.intercept_ = coef[:-1], coef[-1]
        return self

    def predict(self, X):
        return np.asarray(X, float) @ self.coef_ + self.intercept_


@register_ensemble("stack", "a meta model on the members' predictions: meta=ridge (logistic) or lightgbm")
class StackCombiner(Combiner):
    tasks = ("regression", "binary", "multiclass")

    def fit(self, P, y, metric):
        X = _features(P)
        absolute = self.task == "regression" and metric.regression_loss == "absolute"
        if self.meta == "lightgbm":
            import lightgbm as lgb

            cls = lgb.LGBMRegressor if self.task == "regression" else lgb.LGBMClassifier
            model = cls(n_estimators=200, learning_rate=0.05, num_leaves=7, min_child_samples=20, random_state=self.seed,
                        verbose=-1, n_jobs=thread_count(0), **({"objective": "l1"} if absolute else {}))
        elif absolute:
            model = MedianRegression(alpha=1.0)
        elif self.task == "regression":
            from sklearn.linear_model import Ridge

            model = Ridge(alpha=1.0)
        else:
            from sklearn.linear_model import LogisticRegression

            model = LogisticRegression(C=1.0, max_iter=2000)
        self.model_ = model.fit(X, y)
        return self

    def apply(self, P):
        X = _features(P)
        if not hasattr(self.model_, "predict_proba"):
            return self.model_.predict(X)
        # Rows of many small classes may lack one in the folds the meta model saw: it gets probability 0. Class
        # predictions are (members, rows, classes).
        return place_classes(self.model_.predict_proba(X), self.model_.classes_, P.shape[2])
