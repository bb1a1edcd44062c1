"""RealMLP and TabM from pytabkit (the tabular nets that lead TabArena), with the library's tuned defaults.

Both read the feature frame (dates, free text and lists made into numbers as the boosters get them) and bring their
own preprocessing (robust scaling with smooth clipping, category embeddings or one-hot); what they lack is handled
here, fitted on the rows they are given: missing numbers take the column's median, categories are fixed at fit (a
level unseen then is missing at predict). Early stopping and the epoch count are the library's (its validation split
is carved from the fold's training rows, never the fold's validation rows).
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from typing import Any, Dict, Optional

import numpy as np

from ..core.speed import thread_count, torch_device
from .framed import FramedPredictions
from .registry import register_model

_CLASSES = {"realmlp": ("RealMLP_TD_Regressor", "RealMLP_TD_Classifier"),
            "tabm": ("TabM_D_Regressor", "TabM_D_Classifier")}


# RealMLP's classification defaults pick the epoch by error rate and smooth the labels, which is tuned for accuracy;
# our ensembles and log-loss and AUC metrics read the probabilities, so its epoch is picked by cross-entropy and its
# labels are not smoothed, as pytabkit recommends for those metrics (``extra`` still overrides). TabM keeps its own:
# picking by cross-entropy cost it 0.009 ROC AUC on a 3,563-row table (0.82957 against 0.83831 by error rate).
_PROBABILITIES = {"realmlp": {"val_metric_name": "cross_entropy", "use_ls": False}}


@dataclass
class PyTabKitParams:
    n_epochs: Optional[int] = None  # null: the library's default (RealMLP 256, TabM its own)
    extra: Dict[str, Any] = field(default_factory=dict)  # any other constructor argument of the pytabkit class


class PyTabKitNet(FramedPredictions):
    """sklearn-style wrapper: ``fit(frame, y)``, ``predict``, ``predict_proba`` (a column per class seen in fit)."""

    def __init__(self, which: str, p: PyTabKitParams, task: str, seed: int, speed):
        self.which, self.p, self.task, self.seed, self.speed = which, p, task, seed, speed

    def _frame(self, X):
        import pandas as pd

        X = X.copy()
        for c in X.columns:
            if c in self.categories_:
                X[c] = pd.Categorical(X[c].map(lambda v: None if pd.isna(v) else str(v)), categories=self.categories_[c])
            else:
                X[c] = pd.to_numeric(X[c], errors="coerce").astype(float).fillna(self.medians_[c])
        return X

    def fit(self, X, y):
        import pandas as pd
        import pytabkit

        numeric = {c for c in X.columns if pd.api.types.is_numeric_dtype(X[c]) and not pd.api.types.is_bool_dtype(X[c])}
        self.categories_ = {c: sorted(X[c].dropna().astype(str).unique()) for c in X.columns if c not in numeric}
        self.medians_ = {c: float(X[c].median()) if X[c].notna().any() else 0.0 for c in numeric}
        regression = self.task == "regression"
        cls = getattr(pytabkit, _CLASSES[self.which][0 if regression else 1])
        kwargs = dict(random_state=self.seed, n_threads=thread_count(self.speed.threads),
                      device=str(torch_device(self.speed.device)), verbosity=0)
        if not regression:
            kwargs.update(_PROBABILITIES.get(self.which, {}))
        kwargs.update(self.p.extra)
        if self.p.n_epochs:
            kwargs["n_epochs"] = self.p.n_epochs
        with warnings.catch_warnings():  # Lightning's deprecation notices, once per fit, are not the user's business
            warnings.simplefilter("ignore", DeprecationWarning)
            warnings.filterwarnings("ignore", module="pytorch_lightning")
            self.model_ = cls(**kwargs).fit(self._frame(X), np.asarray(y, float if regression else int))
        self.classes_ = getattr(self.model_, "classes_", None)
        return self


def _check(p: PyTabKitParams) -> Optional[str]:
    if p.n_epochs is not None and p.n_epochs < 1:
        return "n_epochs >= 1 (or null for the library's default) is needed."
    return None


def _register(which: str, description: str) -> None:
    @register_model(which, PyTabKitParams, description, check=_check, eats="categories")
    def build(p: PyTabKitParams, task: str, seed: int, speed):
        return PyTabKitNet(which, p, task, seed, speed)


_register("realmlp", "pytabkit RealMLP-TD: an MLP with tuned defaults (robust scaling, smooth clipping, embeddings)")
_register("tabm", "pytabkit TabM-D: an efficient ensemble of MLPs sharing most weights, with tuned defaults")
