"""The tabular fold fitter: preprocessing and model fitted on a fold's training rows only, once per target column
(or once for all the labels of a multilabel target, for models that take them whole).

It serves every Task that can hand it a table: tabular competitions, and image competitions through
frozen-backbone embeddings. Models that ``eat`` a ``table`` get the fold's preprocessed matrix; those
that eat a ``frame`` (AutoGluon) get the raw feature frame; those that eat ``categories`` (CatBoost, RealMLP, TabM)
the frame with its dates, free text and lists made into numbers (``CategoryFrame``).
"""

from __future__ import annotations

import time
from contextlib import nullcontext
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, List, Optional

import numpy as np
import pandas as pd

from ..core.competition import ColumnsSpec
from ..core.cv import FoldOutput
from ..core.folds import inner_split
from ..core.executors import folds_beside
from ..core.speed import blas_threads_for, threads_here
from ..core.targets import Targets
from ..models import build_averaged, build_model, get_entry
from ..models.calibration import ProbabilityCalibrator, place_classes
from .run_config import GroupRangeConfig, PreprocessConfig
from .preprocess import CategoryFrame, RawFrame, build_preprocessor, infer_roles
from .ranges import GroupRange, group_keys, widened_range
from .reports import fold_importance

TRANSFORMS = {
    None: (lambda y: y, lambda y: y),
    "log1p": (np.log1p, np.expm1),
    "log": (np.log, np.exp),
}


@dataclass(frozen=True)
class FoldTiming:
    """A model's pace measured on a fold's share of a table (``TableFoldFitter.timing``)."""

    preprocessing: float  # seconds to fit the preprocessing and transform those rows
    pace: Any  # the model's own measure (boosters: ``FitTiming``)
    rows: int
    columns: int  # after preprocessing
    classes: int  # 0 for regression


@dataclass
class TableProblem:
    """What the fitter needs to know, independent of where the table came from."""

    features: pd.DataFrame  # one row per training row, targets removed
    test: pd.DataFrame
    targets: Targets
    preprocess: PreprocessConfig
    columns: ColumnsSpec = field(default_factory=ColumnsSpec)
    drop: List[str] = field(default_factory=list)  # columns never fed to a model (ids)
    keep: Optional[np.ndarray] = None  # rows allowed in fitting (fit_filter); every row is still validated
    target_transform: Optional[str] = None
    drop_residual_sd: Optional[float] = None
    clip_predictions: bool = False
    clip_margin: float = 0.0  # the clip's range widened by this share of it at each end
    group_range: Optional[GroupRangeConfig] = None  # regression: per-group clipping, when its column is set
    calibration: Optional[str] = None  # temperature | platt | isotonic: classification probabilities, fitted in-fold
    calibration_fraction: float = 0.2


def _add_fit_info(info: dict, model, pre, X_fit) -> None:
    """The fold's record: its feature count and importances, and what the model's fit chose, as fit reports it."""
    info["n_features"] = int(X_fit.shape[1])
    importance = fold_importance(model, pre, X_fit.shape[1])
    if importance is not None:
        info["importance"] = importance
    for attr in ("best_epoch_", "best_model_", "best_iteration_", "chosen_params_", "leaderboard_", "start_", "start_losses_",
                 "probe_seconds_", "final_seconds_", "rate_scale_", "column_share_", "final_rate_"):
        if hasattr(model, attr):
            info[attr.rstrip("_")] = getattr(model, attr)
    if hasattr(model, "device_"):  # where a torch model trained
        info["device"] = str(model.device_)


def _place_proba(model, proba: np.ndarray, n_classes: int) -> np.ndarray:
    """Probabilities in columns 0..C-1, whatever classes this fold's model saw."""
    return place_classes(proba, getattr(model, "classes_", np.arange(proba.shape[1])), n_classes)


class TableFoldFitter:
    """``fitter(k, train_idx, valid_idx) -> FoldOutput`` for one model on a table (``seeds`` > 1: that many fits with
    different seeds per fold, predictions averaged); preprocessing, calibration and clipping fitted on the fold's
    training rows only, once per target column (a multilabel target's labels at once for models that take them whole)."""

    def __init__(self, problem: TableProblem, model_name: str, params: dict, seed: int, speed,
                 model_dir: Optional[Path] = None, seeds: int = 1, n_folds: int = 1):
        self.problem, self.model_name, self.params, self.seed, self.speed = problem, model_name, params, seed, speed
        self.model_dir, self.seeds = model_dir, seeds
        t = problem.targets
        self.regression, self.multilabel = t.task == "regression", t.task == "multilabel"
        self.forward, self.inverse = TRANSFORMS[problem.target_transform if self.regression else None]
        self.keep = problem.keep if problem.keep is not None else np.ones(len(problem.features), dtype=bool)
        entry = get_entry(model_name)
        self.eats = entry.eats
        self.one_thread = entry.fits_on_one_thread(speed)  # its folds may run side by side (core/executors.py)
        # A library that fits without the GIL: on a small table ``beside`` folds at once on threads, one core each
        # (core/executors.py: side_by_side grants it to each fold's thread).
        self.beside = folds_beside(speed, *problem.features.shape, n_folds) if entry.beside else 1
        self.worker_imports = entry.worker_imports  # what a worker for them pays beyond kagglekit's own imports
        self.takes_labels = entry.multilabel  # a multilabel target whole, not label by label
        self.by_group = problem.group_range if problem.group_range is not None and problem.group_range.column else None
        if self.by_group is not None:
            self.groups = group_keys(problem.features[self.by_group.column])
            self.test_groups = group_keys(problem.test[self.by_group.column])

    def _clip_regression(self, fit_idx, y, valid_idx, valid, test, info):
        """Predictions (fitted space) kept within their group's and the whole fold's training range, as configured."""
        y_fit, by_group = y[fit_idx], self.by_group
        if by_group is not None:
            ranges = GroupRange(by_group.margin, by_group.min_rows).fit(self.groups[fit_idx], y_fit)
            clipped_valid, clipped_test = ranges.clip(self.groups[valid_idx], valid), ranges.clip(self.test_groups, test)
            info["group_clipped"] = [int((clipped_valid != valid).sum()), int((clipped_test != test).sum())]
            valid, test = clipped_valid, clipped_test
        if self.problem.clip_predictions:
            low, high = widened_range(y_fit, self.problem.clip_margin)
            valid, test = np.clip(valid, low, high), np.clip(test, low, high)
        return valid, test

    def _preprocessor(self, rows, task, k):
        """The preprocessing the model eats, unfitted; its roles read off ``rows`` (a column's cardinality must not
        depend on validation rows)."""
        problem = self.problem
        drop = problem.drop + [c for c in problem.columns.drop if c not in problem.drop]
        if self.eats == "frame":  # AutoGluon: it reads the raw frame
            return RawFrame(drop)
        roles = infer_roles(problem.features.iloc[rows], problem.columns, problem.drop, problem.preprocess.max_onehot_levels,
                            problem.preprocess.code_numbers, problem.preprocess.onehot_rows_per_level)
        if self.eats == "categories":
            return CategoryFrame(roles, problem.columns, problem.preprocess, task, self.seed + k, drop)
        return build_preprocessor(roles, problem.columns, problem.preprocess, task, self.seed + k,
                                  sparse_ok=get_entry(self.model_name).sparse)

    def _fit_one(self, rows, y, task, k, sub):
        model = build_averaged(self.model_name, self.params, task, self.seed + k, self.speed, self.seeds)
        if self.model_dir and getattr(model, "keeps_files", False):  # AutoGluon: its files in a folder of the run
            model.set_params(path=self.model_dir / f"fold_{k}{sub}")
        pre = self._preprocessor(rows, task, k)
        X = pre.fit_transform(self.problem.features.iloc[rows], y[rows])
        model.fit(X, y[rows])
        return pre, model, X

    def _fitted_target(self):
        """(the target as models fit it: regression's in its fitted space; the task of each fit; whether a multilabel
        target is fitted whole, by a model that takes its labels at once, else column by column)."""
        t = self.problem.targets
        y = self.forward(t.y) if self.regression else t.y
        whole = self.multilabel and self.takes_labels and y.ndim == 2 and not self.problem.calibration
        task = "multilabel" if whole else "regression" if self.regression else t.task if y.ndim == 1 else "binary"
        return y, task, whole

    def _first_column(self):
        """(the target a fold's first fit takes; its task; how many fits a fold makes: one per column fitted apart,
        one more each for an in-fold calibrator)."""
        y, task, whole = self._fitted_target()
        if whole or y.ndim == 1:
            columns = 1
        else:
            y, columns = y[:, 0], y.shape[1]
        return y, task, columns * (2 if self.problem.calibration and task != "regression" else 1)

    def timing(self, rows: np.ndarray) -> Optional[FoldTiming]:
        """The model's measured pace on these training rows (a fold's share of the table) after its preprocessing, with
        what that preprocessing took; None for a model that cannot be timed before it runs (not a booster)."""
        y, task, _ = self._first_column()
        with threads_here(1) if self.beside > 1 else nullcontext():  # a fold's one thread where folds run side by side
            model = build_model(self.model_name, self.params, task, self.seed, self.speed)  # its threads are set here
        if not hasattr(model, "timing"):
            return None
        with blas_threads_for(len(rows), self.problem.features.shape[1]):
            began = time.perf_counter()
            X = self._preprocessor(rows, task, 0).fit_transform(self.problem.features.iloc[rows], y[rows])
            preprocessing = time.perf_counter() - began
            pace = model.timing(X, y[rows])
        classes = 0 if task == "regression" else int(np.max(y)) + 1
        return FoldTiming(preprocessing, pace, len(rows), X.shape[1], classes)

    def fold_seconds(self, measured: FoldTiming, fit_rows: int, predict_rows: int) -> float:
        """At most how long a fold of this fitter's model (its params, seeds) takes on ``fit_rows`` training rows at the
        pace ``measured`` (on as many rows or fewer: scaled by the rows), its validation and test rows
        (``predict_rows``) preprocessed and predicted (``EarlyStopped.fit_seconds``)."""
        _, task, fits = self._first_column()
        model = build_model(self.model_name, self.params, task, self.seed, self.speed)
        one = model.fit_seconds(measured.pace.scaled(fit_rows / measured.rows), fit_rows, measured.columns,
                                measured.classes, predict_rows)
        preprocessing = measured.preprocessing * (fit_rows + predict_rows) / measured.rows  # fitted, then applied
        return fits * (preprocessing + self.seeds * one)

    def _proba(self, model, pre, rows, n_classes):
        return _place_proba(model, model.predict_proba(pre.transform(self.problem.features.iloc[rows])), n_classes)

    def _fit_calibrator(self, fit_idx, y, task, k, sub, n_classes):
        """A calibrator fitted on an inner split of the fold's training rows (a model fitted on the rest predicts it)."""
        inner, hold = inner_split(y[fit_idx], self.problem.calibration_fraction, self.seed + k, True)
        pre, model, _ = self._fit_one(fit_idx[inner], y, task, k, sub + "_calibration")
        return ProbabilityCalibrator(self.problem.calibration).fit(self._proba(model, pre, fit_idx[hold], n_classes),
                                                                   y[fit_idx[hold]])

    def _fit_column(self, k, train_idx, valid_idx, y, task, sub=""):
        problem = self.problem
        fit_idx = train_idx[self.keep[train_idx]]
        n_classes = 2 if task == "binary" and self.multilabel else problem.targets.n_outputs
        calibrator = self._fit_calibrator(fit_idx, y, task, k, sub, n_classes) \
            if problem.calibration and task != "regression" else None
        pre, model, X_fit = self._fit_one(fit_idx, y, task, k, sub)
        info = {"n_fit": len(fit_idx)}
        if calibrator is not None:
            info["calibration"] = getattr(calibrator, "temperature_", problem.calibration)
        if problem.drop_residual_sd and task == "regression":
            # In-fold outlier removal: drop training rows the first fit explains worst, then refit.
            resid = y[fit_idx] - model.predict(X_fit)
            inlier = np.abs(resid - resid.mean()) <= problem.drop_residual_sd * resid.std()
            info["n_dropped_outliers"] = int((~inlier).sum())
            fit_idx = fit_idx[inlier]
            pre, model, X_fit = self._fit_one(fit_idx, y, task, k, sub)
            info["n_fit"] = len(fit_idx)
        _add_fit_info(info, model, pre, X_fit)
        X_valid, X_test = pre.transform(problem.features.iloc[valid_idx]), pre.transform(problem.test)
        if task == "regression":
            valid, test = self._clip_regression(fit_idx, y, valid_idx, model.predict(X_valid), model.predict(X_test), info)
            return self.inverse(valid), self.inverse(test), info
        valid = _place_proba(model, model.predict_proba(X_valid), n_classes)
        test = _place_proba(model, model.predict_proba(X_test), n_classes)
        if calibrator is not None:
            valid, test = calibrator.transform(valid), calibrator.transform(test)
        return (valid[:, 1], test[:, 1], info) if self.multilabel else (valid, test, info)

    def _fit_labels(self, k, train_idx, valid_idx, Y) -> FoldOutput:
        """Every label of a multilabel target in one fit, for a model that takes them whole (one forest for all)."""
        fit_idx = train_idx[self.keep[train_idx]]
        pre, model, X_fit = self._fit_one(fit_idx, Y, "multilabel", k, "")
        info = {"n_fit": len(fit_idx)}
        _add_fit_info(info, model, pre, X_fit)
        features = self.problem.features
        return FoldOutput(model.predict_proba(pre.transform(features.iloc[valid_idx])),
                          model.predict_proba(pre.transform(self.problem.test)), info)

    def __call__(self, k: int, train_idx: np.ndarray, valid_idx: np.ndarray) -> FoldOutput:
        with blas_threads_for(len(train_idx), self.problem.features.shape[1]):
            return self._fit_fold(k, train_idx, valid_idx)

    def _fit_fold(self, k: int, train_idx: np.ndarray, valid_idx: np.ndarray) -> FoldOutput:
        y_all, task, whole = self._fitted_target()
        if whole:
            return self._fit_labels(k, train_idx, valid_idx, y_all)
        if y_all.ndim == 1:
            valid, test, info = self._fit_column(k, train_idx, valid_idx, y_all, task)
            return FoldOutput(valid, test, info)
        parts = [self._fit_column(k, train_idx, valid_idx, y_all[:, j], task, f"_{j}") for j in range(y_all.shape[1])]
        return FoldOutput(np.column_stack([p[0] for p in parts]), np.column_stack([p[1] for p in parts]),
                          {"per_target": [p[2] for p in parts], "n_fit": parts[0][2]["n_fit"]})
