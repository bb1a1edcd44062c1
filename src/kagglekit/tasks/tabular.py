"""Tabular competitions: a table in, preprocessing and models fitted inside each fold."""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path
from typing import Optional

import numpy as np
import pandas as pd

from ..core.competition import competition_metric
from ..core.config import check_choices, to_dict
from ..core.targets import encode_targets
from ..core.errors import UserError
from ..core.executors import folds_beside
from ..core.io import atomic_write_text
from ..models import get_entry, model_params
from ..models import names as model_names
from ..models.calibration import METHODS as CALIBRATIONS
from ..tabular.run_config import SKEW_TRANSFORMS, TabularRunConfig
from ..core.files import read_table
from ..core.io import write_json
from ..tabular.data import fit_mask, load_table_data
from ..tabular.fitter import TableProblem, TableFoldFitter
from ..tabular.reports import importance_png, importance_table, residuals_png
from ..tabular.sample import describe_sample, write_sample
from ..tabular.shift import adversarial_validation, shift_plot
from .base import Task


_DOMAIN = {"log": lambda y: bool((y > 0).all()), "log1p": lambda y: bool((y > -1).all())}  # targets a space can take


def fitted_space(target_transform: Optional[str], spec, y: np.ndarray) -> Optional[str]:
    """The space regression models are fitted in: ``target_transform`` as set, or for ``auto`` the metric's own (an
    RMSE of logs is minimised by fitting the logs; a model fitted on the raw target pays for every negative or tiny
    prediction there), where every target value is inside it; None for classes."""
    if spec.task != "regression":
        return None
    if target_transform != "auto":
        return target_transform
    space = competition_metric(spec).space
    return space if space in _DOMAIN and _DOMAIN[space](np.asarray(y, float)) else None


def fitted_loss(spec, model_name: str, params: dict) -> dict:
    """A model's params with ``regression_loss: auto`` (the boosters, the mlp) made the metric's: absolute errors where
    the metric scores them (MAE: the median wins; LightGBM, XGBoost and the mlp were better on four MAE tables,
    README), else squared. Other models' params are returned as they are."""
    if spec.task != "regression" or getattr(model_params(model_name, params), "regression_loss", None) != "auto":
        return params
    return {**params, "regression_loss": competition_metric(spec).regression_loss}


TIMED_ROWS = 20_000  # tables from this size up have their boosters timed before they run (model=auto's pricing)
TIMED_SAMPLE = 50_000  # the most rows a booster is timed on; its pace is scaled up to a fold's rows
SPEEDUPS = (2, 4, 8)  # a booster's budget rungs after the run as asked: its rate times these
# What the timed fits miss: a long fit's iterations cost more than its first 200 did, and a fold does more than fit and
# predict (ggplot2 diamonds, 34,522 rows: LightGBM's fold took 5.9 s where its pace said 4.4).
PRICE_MARGIN = 1.3


def _timing_key(spec, run, data) -> str:
    """What a measured pace depends on: the table and the whole run config but its rung and seeds."""
    config = to_dict(run)
    config["model"] = {**config["model"], "seeds": 1,
                       "params": {k: v for k, v in config["model"]["params"].items() if k != "speedup"}}
    return json.dumps([spec.name, data.fingerprint, config], sort_keys=True, default=str)


class TabularTask(Task):
    kind = "tabular"
    config_cls = TabularRunConfig
    eats = ("table", "frame", "categories")
    native = ("table", "frame", "categories")

    def __init__(self):
        self._timings = {}  # _timing_key -> FoldTiming (or None: not a model that can be timed)

    def check_config(self, spec, run: TabularRunConfig) -> None:
        super().check_config(spec, run)
        p = run.preprocess
        check_choices({
            "target_transform": (run.target_transform, (None, "auto", "log1p", "log")),
            "preprocess.numeric_impute": (p.numeric_impute, ("median", "mean", "zero")),
            "preprocess.categorical": (p.categorical, ("onehot", "ordinal")),
            "preprocess.high_cardinality": (p.high_cardinality, ("target", "ordinal", "drop")),
            "preprocess.skew_transform": (p.skew_transform, SKEW_TRANSFORMS),
            "calibration": (run.calibration, (None,) + CALIBRATIONS),
            "preprocess.text": (p.text, ("auto", "sparse", "svd")),
        })
        if p.text == "sparse" and not get_entry(run.model.name).sparse:
            sparse = ", ".join(n for n in model_names() if get_entry(n).sparse)
            raise UserError(f"preprocess.text=sparse: model {run.model.name} fits on dense input; sparse text is for "
                            f"{sparse} (preprocess.text=auto picks for each model).")
        if run.calibration and spec.task == "regression":
            raise UserError(f"calibration={run.calibration} is for class probabilities; {spec.name} is a regression task.")
        if not 0.05 <= run.calibration_fraction <= 0.5:
            raise UserError(f"calibration_fraction={run.calibration_fraction}: use a share between 0.05 and 0.5.")
        if run.group_range.column and spec.task != "regression":
            raise UserError(f"group_range.column={run.group_range.column} clips regression predictions; {spec.name} is "
                            f"{spec.task}. Set group_range.column=null.")
        if run.group_range.margin < 0 or run.group_range.min_rows < 1:
            raise UserError(f"group_range: margin={run.group_range.margin}, min_rows={run.group_range.min_rows}; "
                            "use a margin >= 0 and min_rows >= 1.")
        if run.clip_margin < 0:
            raise UserError(f"clip_margin={run.clip_margin}: use a share of the training range >= 0 (0: the range itself).")
        if run.target_transform not in (None, "auto") and spec.task != "regression":
            raise UserError(f"target_transform={run.target_transform} is for regression; {spec.name} is {spec.task}.")

    def load(self, spec, run, log):
        return load_table_data(spec, run, log=log)

    def portfolio(self, spec):
        # Costs relative to LightGBM's 5-fold run (2 CPU cores; on a 3,563-row table LightGBM took 1.1 s, RealMLP
        # 113 s, TabM 379 s): the nets come last and are skipped when the budget cannot hold them. Extra trees,
        # CatBoost and the mlp vary most from table to table (measured on 9 tables of 600 to 43,000 rows: extra trees
        # 2-13x LightGBM, geometric mean 5.4; CatBoost 0.9-23x, 7.2; the mlp 1.9-35x, 9.3).
        # CatBoost before extra trees, though dearer: where the budget holds one of them, CatBoost is the stronger
        # member (the weakest tree model on every sweep board was extra trees; movies at time=300: 1.2813 -> 1.2791).
        # LightGBM with random thresholds is a second configuration of it, as in AutoGluon's portfolio: worse alone
        # on most tables, but the best single model on small noisy ones (olive) and another view for the ensembles.
        return [("ridge", {}, 0.6), ("lightgbm", {}, 1.0), ("xgboost", {}, 1.2), ("catboost", {}, 6.0),
                ("extra_trees", {}, 4.0), ("mlp", {}, 6.0), ("lightgbm_xt", {}, 1.0), ("realmlp", {}, 100.0),
                ("tabm", {}, 300.0)]

    def reports(self, rd, run, data, targets, oof, infos, metric, plots: bool = True) -> dict:
        table = importance_table(infos)
        if table is not None:
            atomic_write_text(rd.path / "feature_importance.csv", table.to_csv(index=False))
            if plots:
                importance_png(table, rd.path / "feature_importance.png", run.model.name)
        if plots and targets.task == "regression" and targets.n_outputs == 1:
            y, pred = targets.y.reshape(-1), oof.reshape(-1)
            done = np.isfinite(pred)
            ids = pd.read_csv(rd.path / "folds.csv", dtype={"id": str})["id"].to_numpy()
            residuals_png(metric.to_space(y[done]), metric.to_space(pred[done]), rd.path / "oof_residuals.png",
                          f"{metric.space} target" if metric.space else "target", ids[done] if len(ids) == len(y) else None)
        return {}

    def write_sample(self, spec, folder: Path, seed: int = 0) -> Path:
        return write_sample(spec, folder, seed)

    def estimates(self, run) -> bool:
        """A booster (it has ``speedup``): on a large table its folds are priced from two short timed fits, and a
        budget sizes it down to a faster rate (``budget_rungs``) rather than stopping it after its first fold."""
        return hasattr(model_params(run.model.name, dict(run.model.params)), "speedup")

    def fold_seconds(self, spec, run, data):
        """At most how long a fold of a booster takes on this table (``TableFoldFitter.fold_seconds``), from its pace
        on a fold's share of the rows (at most ``TIMED_SAMPLE`` of them, scaled up), measured once per table and model
        whatever the rung."""
        n = len(data.train)
        targets = encode_targets(spec, data.train, competition_metric(spec), spec.files.train)
        fitter = self._fitter(spec, run, data, targets, None, False, lambda *a: None)
        fit_rows = n - n // run.cv.n_splits
        key = _timing_key(spec, run, data)
        if key not in self._timings:  # timed on at most TIMED_SAMPLE rows: a few seconds whatever the table
            rows = np.random.default_rng(run.seed).choice(n, min(fit_rows, TIMED_SAMPLE), replace=False)
            self._timings[key] = fitter.timing(np.sort(rows))
        measured = self._timings[key]
        if measured is None:
            return None
        return PRICE_MARGIN * fitter.fold_seconds(measured, fit_rows, n - fit_rows + len(data.test))

    def folds_at_once(self, spec, run, data):
        """``TableFoldFitter.beside``: a booster's folds on a small table run side by side, one core each (its
        ``fold_seconds`` measured so)."""
        if not get_entry(run.model.name).beside:
            return 1
        features = data.train.shape[1] - len(spec.targets)  # the fitter's feature frame: the table less its targets
        return folds_beside(run.speed, len(data.train), features, run.cv.n_splits)

    def prices(self, data) -> bool:
        """From ``TIMED_ROWS`` rows up: below, a booster's fold takes seconds and the members run price it well."""
        return len(data.train) >= TIMED_ROWS

    def budget_rungs(self, run):
        """A booster as asked, then at 2, 4 and 8 times its learning rate with as many times fewer iterations."""
        if not self.estimates(run):
            return [{}]
        return [{}] + [{"model.params.speedup": float(s)} for s in SPEEDUPS]

    def fold_fitter(self, spec, run: TabularRunConfig, data, targets, rd, progress, log):
        return self._fitter(spec, run, data, targets, rd.path / "models", progress, log)

    def _fitter(self, spec, run: TabularRunConfig, data, targets, model_dir, progress, log):
        transform = fitted_space(run.target_transform, spec, targets.y)
        if transform in _DOMAIN and not _DOMAIN[transform](targets.y):
            raise UserError(f"target_transform={transform} needs a positive target; {targets.columns} has values "
                            "out of its domain. Set target_transform=null.")
        keep = fit_mask(data.train, run.fit_filter)
        if (~keep).any():
            log(f"{int((~keep).sum())} rows left out of fitting by fit_filter (still validated)")
        features = data.train.drop(columns=targets.columns)  # the loader has checked that test.csv has them all
        column = run.group_range.column
        if column and column not in features.columns:
            raise UserError(f"group_range.column={column}: no such column in {spec.files.train} of {spec.name} (after its "
                            "features, target excluded). Name one of its columns, or set group_range.column=null.")
        problem = TableProblem(
            features=features, test=data.test, targets=targets,
            preprocess=run.preprocess, columns=spec.columns, keep=keep,
            drop=[spec.id] if spec.id and spec.id not in spec.columns.date else [],  # a date id is a feature too
            target_transform=transform, drop_residual_sd=run.drop_residual_sd,
            clip_predictions=run.clip_predictions, clip_margin=run.clip_margin, group_range=run.group_range, calibration=run.calibration,
            calibration_fraction=run.calibration_fraction)
        params = fitted_loss(spec, run.model.name, dict(run.model.params))
        if not progress and hasattr(model_params(run.model.name, params), "progress"):
            params["progress"] = False  # a run without bars hides its model's epoch bars too
        return TableFoldFitter(problem, run.model.name, params, run.seed, run.speed, model_dir, run.model.seeds,
                               run.cv.n_splits)

    def shift(self, spec, run, out, log):
        data = load_table_data(spec, run, log=log)
        drop = [spec.id] if spec.id else []
        report = adversarial_validation(data.train, data.test, drop + list(spec.columns.drop), seed=run.seed)
        write_json(out / "shift.json", asdict(report))
        return report, shift_plot(data.train, data.test, report, out / "shift.png")

    def describe_sample(self, spec, folder):
        return describe_sample(spec, read_table(folder / spec.files.train, spec.name, **spec.read_csv))
