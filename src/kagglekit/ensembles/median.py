"""``median``: the members' median, row by row (class probabilities renormalised): one outlying member moves it least."""

import numpy as np

from .registry import Combiner, register_ensemble


@register_ensemble("median", "the members' median per row (probabilities renormalised to sum to 1)")
class MedianCombiner(Combiner):
    def fit(self, P, y, metric):
        return self  # nothing to learn

    def apply(self, P):
        out = np.median(P, axis=0)
        return out / out.sum(axis=-1, keepdims=True) if P.ndim == 3 and self.task != "multilabel" else out
