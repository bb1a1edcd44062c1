"""``rank``: the mean of each member's class-probability ranks (robust to members calibrated differently)."""

import numpy as np

from .mean import MeanCombiner
from .registry import register_ensemble


def ranks(P):
    """Each member's predictions as ranks over the rows in (0, 1]; per row summing to 1 for several classes."""
    from scipy.stats import rankdata

    R = rankdata(P, axis=1) / P.shape[1]
    return R / R.sum(axis=-1, keepdims=True) if P.ndim == 3 else R


@register_ensemble("rank", "the mean of the members' probability ranks (classification)")
class RankCombiner(MeanCombiner):
    tasks = ("binary", "multiclass")

    def apply(self, P):
        return np.tensordot(self.weights_, ranks(P), axes=1)
