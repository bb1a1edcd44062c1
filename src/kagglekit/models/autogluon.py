"""AutoGluon's TabularPredictor as a model, fitted on each of OUR folds so its CV and OOF compare.

It takes the raw feature frame (AutoGluon does its own preprocessing) and keeps its model folders
under the run folder (``autogluon/fold_<k>``).
"""

from __future__ import annotations

import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Dict, List, Optional

import numpy as np

from ..core.errors import UserError
from ..core.io import atomic_write_text
from ..core.speed import thread_count
from .registry import register_model


@dataclass
class AutoGluonParams:
    time_limit: Optional[float] = 120.0  # seconds per fold
    presets: str = "medium_quality"
    eval_metric: Optional[str] = None  # default: root_mean_squared_error (regression), log_loss (classification)
    # Model families to skip (e.g. [FASTAI]); none by default: CatBoost, XGBoost and FastAI are installed, so the
    # preset fits every family its users get.
    excluded_model_types: List[str] = field(default_factory=list)
    hyperparameters: Optional[Dict[str, Any]] = None
    keep_only_best: bool = True  # delete the other models after fitting: less disk
    dynamic_stacking: Any = None  # null: the preset's choice (best_quality checks stacking on a holdout first); false: skip
    verbosity: int = 0


MIN_FOLD_SECONDS = 10.0  # below about this AutoGluon may fit no model at all


def same_wall_params(seconds: float, folds: int) -> Dict[str, Any]:
    """AutoGluon best_quality params for a CV run given ``seconds`` of wall over ``folds`` folds (ours measured, to be
    matched): the time limit per fold, at least MIN_FOLD_SECONDS, and dynamic stacking off below a minute a fold,
    where its holdout check takes a quarter of the time and fitted nothing."""
    per_fold = max(MIN_FOLD_SECONDS, seconds / folds)
    return {"presets": "best_quality", "time_limit": round(per_fold), **({"dynamic_stacking": False} if per_fold < 60 else {})}


class AutoGluonModel:
    """sklearn-style wrapper: ``fit(frame, y)``, ``predict(frame)`` / ``predict_proba(frame)``."""

    raw_features = True
    keeps_files = True  # its predictor's folder: set_params(path=...)

    def __init__(self, params: AutoGluonParams, task: str, seed: int, speed, path: Optional[Path] = None):
        self.params, self.task, self.seed, self.speed = params, task, seed, speed
        self.path = path  # where it keeps its files (the fold fitter gives it a folder inside the run)

    def set_params(self, path: Optional[Path] = None) -> "AutoGluonModel":
        """The one parameter set after construction, as scikit-learn's ``set_params`` does: its folder."""
        self.path = path
        return self

    def fit(self, X, y):
        p = self.params
        frame = X.copy()
        frame["__target__"] = y
        metric = p.eval_metric or ("root_mean_squared_error" if self.task == "regression" else "log_loss")
        problem = "regression" if self.task == "regression" else ("binary" if len(np.unique(y)) == 2 else "multiclass")
        self.classes_ = np.unique(y)
        # Its stacking check (a sub-fit on a holdout) can fit nothing and leave the predictor unusable (176 classes in
        # 160 s on one H200 machine): then it fits again without the check, in what is left of the time.
        tries = [p.dynamic_stacking] + ([False] if p.dynamic_stacking is not False else [])
        started, time_limit = time.perf_counter(), p.time_limit
        for i, stacking in enumerate(tries):
            try:
                self._fit_predictor(frame, problem, metric, time_limit, stacking)
                break
            except (AssertionError, RuntimeError, ValueError) as exc:  # AutoGluon's "no model was fitted" and the like
                time_limit = None if p.time_limit is None else p.time_limit - (time.perf_counter() - started)
                if i == len(tries) - 1 or (time_limit is not None and time_limit < MIN_FOLD_SECONDS):
                    raise UserError(f"AutoGluon ({p.presets}, time_limit={p.time_limit} s per fold) fitted no usable "
                                    f"model: {str(exc).splitlines()[0][:200]}. Give it more time "
                                    "(model.params.time_limit=...), or model.params.dynamic_stacking=false for short "
                                    "budgets.") from None
                if self.path is not None:
                    shutil.rmtree(self.path, ignore_errors=True)
        board = self.predictor_.leaderboard(silent=True)  # every model it tried, best first, before any is deleted
        if self.path is not None:
            atomic_write_text(Path(self.path) / "leaderboard.csv", board.to_csv(index=False))
        keep = [c for c in ("model", "score_val", "fit_time", "pred_time_val", "stack_level") if c in board.columns]
        self.leaderboard_ = board[keep].head(15).to_dict("records")
        if p.keep_only_best:
            self.predictor_.delete_models(models_to_keep="best", dry_run=False)
        self.best_model_ = self.predictor_.model_best
        return self

    def _fit_predictor(self, frame, problem: str, metric: str, time_limit, dynamic_stacking) -> None:
        from autogluon.tabular import TabularPredictor

        p = self.params
        self.predictor_ = TabularPredictor(label="__target__", problem_type=problem, eval_metric=metric,
                                           path=str(self.path) if self.path else None, verbosity=p.verbosity)
        extra = {} if dynamic_stacking is None else {"dynamic_stacking": dynamic_stacking}
        self.predictor_.fit(frame, time_limit=time_limit, presets=p.presets, hyperparameters=p.hyperparameters,
                            excluded_model_types=p.excluded_model_types, num_cpus=thread_count(self.speed.threads),
                            **extra)

    def predict(self, X):
        return self.predictor_.predict(X).to_numpy(dtype=float)

    def predict_proba(self, X):
        proba = self.predictor_.predict_proba(X)  # columns: the class codes seen in this fold
        return proba.reindex(columns=self.classes_, fill_value=0.0).to_numpy(dtype=float)


@register_model("autogluon", AutoGluonParams, "AutoGluon TabularPredictor fitted on each of our folds (raw features)",
                eats="frame")
def build_autogluon(p: AutoGluonParams, task: str, seed: int, speed):
    return AutoGluonModel(p, task, seed, speed)
