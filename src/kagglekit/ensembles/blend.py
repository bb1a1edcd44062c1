"""``blend``: non-negative weights summing to 1 that optimise the metric on the OOF rows (SLSQP)."""

import numpy as np

from ..core.metrics import get_metric
from .registry import WeightedCombiner, register_ensemble


@register_ensemble("blend", "non-negative weights summing to 1, fitted to the metric by SLSQP")
class BlendCombiner(WeightedCombiner):
    def fit(self, P, y, metric):
        from scipy.optimize import minimize

        if metric.needs_proba:  # accuracy is flat in the weights: optimise log loss instead
            loss, sign = get_metric("logloss").fn, 1.0
        else:
            loss, sign = metric.fn, (-1.0 if metric.greater_is_better else 1.0)
        m = len(P)
        res = minimize(lambda w: sign * loss(y, np.tensordot(w, P, axes=1)), np.full(m, 1.0 / m), method="SLSQP",
                       bounds=[(0.0, 1.0)] * m, constraints=({"type": "eq", "fun": lambda w: w.sum() - 1.0},))
        w = np.clip(res.x, 0, None)
        self.weights_ = w / w.sum()
        return self
