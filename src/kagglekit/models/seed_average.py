"""One model fitted with several seeds on the same rows, its predictions averaged (``model.seeds``).

Boosters with row and column subsampling, forests and networks vary from seed to seed; the mean of a few such fits
is steadier than any one of them, at the cost of as many fits."""

from __future__ import annotations

from typing import Optional

import numpy as np

from .registry import build_model

SEED_STRIDE = 7919  # member i of fold k uses seed + k + i * SEED_STRIDE


class SeedAveraged:
    """Members fitted on the same rows; ``predict`` (regression) and ``predict_proba`` are their means. What a member
    chose while fitting (``best_iteration_``, ``chosen_params_``, ...) reads as the list of the members' choices."""

    def __init__(self, models: list):
        self.models = models

    def fit(self, X, y):
        for model in self.models:
            model.fit(X, y)
        return self

    def predict(self, X):
        return np.mean([m.predict(X) for m in self.models], axis=0)

    def predict_proba(self, X):
        return np.mean([m.predict_proba(X) for m in self.models], axis=0)

    @property
    def classes_(self):
        return getattr(self.models[0], "classes_", None)

    @property
    def keeps_files(self) -> bool:
        return getattr(self.models[0], "keeps_files", False)

    def set_params(self, path=None) -> "SeedAveraged":
        """Models that save files (AutoGluon) get a folder each, ``path/seed_<i>``."""
        for i, model in enumerate(self.models):
            model.set_params(path=None if path is None else path / f"seed_{i}")
        return self

    @property
    def feature_importances_(self) -> Optional[np.ndarray]:
        values = [getattr(m, "feature_importances_", None) for m in self.models]
        return None if any(v is None for v in values) else np.mean(values, axis=0)

    @property
    def coef_(self) -> Optional[np.ndarray]:
        values = [getattr(m, "coef_", None) for m in self.models]
        return None if any(v is None for v in values) else np.mean(values, axis=0)

    def __getattr__(self, name):
        models = self.__dict__.get("models")
        if models and name.endswith("_") and not name.startswith("_") and all(hasattr(m, name) for m in models):
            return [getattr(m, name) for m in models]
        raise AttributeError(name)


def build_averaged(name: str, params: dict, task: str, seed: int, speed, seeds: int = 1):
    """``build_model`` once (seeds=1) or a ``SeedAveraged`` of ``seeds`` members with seeds ``seed + i * SEED_STRIDE``."""
    if seeds <= 1:
        return build_model(name, params, task, seed, speed)
    return SeedAveraged([build_model(name, params, task, seed + i * SEED_STRIDE, speed) for i in range(seeds)])
