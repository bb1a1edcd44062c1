"""``mean``: every member counts the same."""

import numpy as np

from .registry import WeightedCombiner, register_ensemble


@register_ensemble("mean", "the plain average of the members")
class MeanCombiner(WeightedCombiner):
    def fit(self, P, y, metric):
        self.weights_ = np.full(len(P), 1.0 / len(P))
        return self
