"""``stack``: a meta model on the members' predictions (ridge or logistic regression, or a small LightGBM)."""

import numpy as np

from ..core.speed import thread_count
from ..models.calibration import place_classes
from .registry import Combiner, register_ensemble


def _features(P):
    return np.concatenate(list(P), axis=1) if P.ndim == 3 else P.T


@register_ensemble("stack", "a meta model on the members' predictions: meta=ridge (logistic) or lightgbm")
class StackCombiner(Combiner):
    tasks = ("regression", "binary", "multiclass")

    def fit(self, P, y, metric):
        X = _features(P)
        if self.meta == "lightgbm":
            import lightgbm as lgb

            cls = lgb.LGBMRegressor if self.task == "regression" else lgb.LGBMClassifier
            model = cls(n_estimators=200, learning_rate=0.05, num_leaves=7, min_child_samples=20, random_state=self.seed,
                        verbose=-1, n_jobs=thread_count(0))
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
