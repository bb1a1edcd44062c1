"""``hill``: Caruana et al. (2004), greedy forward selection with replacement; weights are selection counts."""

import numpy as np

from .registry import WeightedCombiner, register_ensemble


@register_ensemble("hill", "hill climbing (Caruana): members added with replacement while the metric improves")
class HillCombiner(WeightedCombiner):
    iterations = 100

    def fit(self, P, y, metric):
        better = (lambda a, b: a > b) if metric.greater_is_better else (lambda a, b: a < b)
        counts = np.zeros(len(P))
        current, best_score = None, None
        for _ in range(self.iterations):
            trial = []
            for j in range(len(P)):
                pred = P[j] if current is None else (current * counts.sum() + P[j]) / (counts.sum() + 1)
                trial.append(metric.fn(y, pred))
            j = int(np.argmax(trial) if metric.greater_is_better else np.argmin(trial))
            if best_score is not None and not better(trial[j], best_score):
                break
            current = P[j] if current is None else (current * counts.sum() + P[j]) / (counts.sum() + 1)
            counts[j] += 1
            best_score = trial[j]
        self.weights_ = counts / counts.sum()
        return self
