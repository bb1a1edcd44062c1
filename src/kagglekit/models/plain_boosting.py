"""Plain library fits: the reference `make bench` prices each booster against.

Each library with its own default parameters, fitted on 85% of the rows it is given with early stopping on the other
15% (one stratified split), and kept as fitted: no refit, no start, no calibration, no size-aware settings. It is
what a notebook's ``LGBMClassifier().fit(..., eval_set=..., callbacks=[early_stopping(50)])`` does, on our folds and
preprocessing, so a bench line says what every choice of ours costs (seconds) and buys (CV).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..core.folds import inner_split
from ..core.speed import thread_count
from .boosting import _catboost_frame, _category_columns, _gpu, _rows
from .framed import FramedPredictions
from .registry import register_model

LIBRARIES = ("lightgbm", "xgboost", "catboost", "gbrt")
MODULES = {"lightgbm": "lightgbm", "xgboost": "xgboost", "catboost": "catboost", "gbrt": "sklearn.ensemble"}


def import_libraries() -> None:
    """Import every booster library now, so that neither side of a timed comparison pays the one-off import (1-2 s
    each) inside its first fold."""
    import importlib

    for module in MODULES.values():
        importlib.import_module(module)


@dataclass
class PlainParams:
    n_estimators: int = 1000  # the cap; early stopping on the held split decides (the libraries' own default rates)
    early_stopping_rounds: int = 50
    valid_fraction: float = 0.15


def _check_plain(p: PlainParams):
    if p.n_estimators < 1 or p.early_stopping_rounds < 1 or not 0 < p.valid_fraction < 0.5:
        return "n_estimators >= 1, early_stopping_rounds >= 1 and valid_fraction in (0, 0.5) are needed."
    return None


class PlainBooster(FramedPredictions):
    """One library at its defaults, early-stopped on one held split of the rows it is fitted on."""

    def __init__(self, library: str, p: PlainParams, task: str, seed: int, threads: int, gpu: bool = False):
        self.library, self.p, self.task, self.seed, self.threads, self.gpu = library, p, task, seed, threads, gpu

    def _estimator(self):
        regression, p = self.task == "regression", self.p
        if self.library == "lightgbm":
            import lightgbm as lgb

            cls = lgb.LGBMRegressor if regression else lgb.LGBMClassifier
            return cls(n_estimators=p.n_estimators, random_state=self.seed, n_jobs=self.threads, verbose=-1)
        if self.library == "xgboost":
            import xgboost as xgb

            cls = xgb.XGBRegressor if regression else xgb.XGBClassifier
            return cls(n_estimators=p.n_estimators, early_stopping_rounds=p.early_stopping_rounds, random_state=self.seed,
                       n_jobs=self.threads, device="cuda" if self.gpu else "cpu", verbosity=0)
        if self.library == "catboost":
            import catboost as cb

            cls = cb.CatBoostRegressor if regression else cb.CatBoostClassifier
            return cls(iterations=p.n_estimators, random_seed=self.seed, thread_count=self.threads, verbose=False,
                       allow_writing_files=False, task_type="GPU" if self.gpu else "CPU")
        from sklearn import ensemble as en

        cls = en.GradientBoostingRegressor if regression else en.GradientBoostingClassifier
        return cls(n_estimators=p.n_estimators, n_iter_no_change=p.early_stopping_rounds,
                   validation_fraction=p.valid_fraction, random_state=self.seed)

    def _frame(self, X):
        return _catboost_frame(X, self.cats_) if self.library == "catboost" else X

    def fit(self, X, y):
        model, p = self._estimator(), self.p
        if self.library == "gbrt":  # scikit-learn holds its own split out (validation_fraction)
            self.model_ = model.fit(X, y)
            self.best_iteration_ = int(model.n_estimators_)
        else:
            fit, hold = inner_split(y, p.valid_fraction, self.seed, self.task != "regression")
            self.cats_ = _category_columns(X) if self.library == "catboost" else []
            X_fit, X_hold = self._frame(_rows(X, fit)), self._frame(_rows(X, hold))
            if self.library == "lightgbm":
                import lightgbm as lgb

                model.fit(X_fit, y[fit], eval_X=(X_hold,), eval_y=(y[hold],),
                          callbacks=[lgb.early_stopping(p.early_stopping_rounds, verbose=False)])
                self.best_iteration_ = int(model.best_iteration_ or p.n_estimators)
            elif self.library == "xgboost":
                model.fit(X_fit, y[fit], eval_set=[(X_hold, y[hold])], verbose=False)
                self.best_iteration_ = int(model.best_iteration) + 1
            else:
                model.fit(X_fit, y[fit], cat_features=self.cats_, eval_set=(X_hold, y[hold]),
                          early_stopping_rounds=p.early_stopping_rounds)
                self.best_iteration_ = int(model.get_best_iteration()) + 1
            self.model_ = model
        self.classes_ = getattr(self.model_, "classes_", None)
        return self

    @property
    def feature_importances_(self):
        return np.asarray(self.model_.feature_importances_, float)


def _register(library: str) -> None:
    eats = "categories" if library == "catboost" else "table"

    @register_model(f"{library}_plain", PlainParams, f"{library} at the library's defaults, early stopping on one 15% "
                    "split, no refit: the reference `make bench` prices the booster against", check=_check_plain, eats=eats)
    def build(p: PlainParams, task: str, seed: int, speed):
        threads = 1 if library == "gbrt" else thread_count(speed.threads)
        return PlainBooster(library, p, task, seed, threads, library in ("xgboost", "catboost") and _gpu(speed))


for _library in LIBRARIES:
    _register(_library)
