"""`make train`: cross-validate one model on a tabular competition, save the run, write the submission."""

from __future__ import annotations

import shutil
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Optional

import numpy as np
import pandas as pd

from .competition import CompetitionSpec, competition_fingerprint, feature_function, load_competition
from .config import RunConfig, config_hash, load_config, to_dict
from .cv import FoldOutput, run_cv
from .data import CompetitionData, load_competition_data, resolve_data_dir
from .errors import UserError
from .folds import load_or_make_folds
from .metrics import get_metric
from .models import build_model
from .paths import display
from .preprocess import RawFrame, build_preprocessor, infer_roles
from .outputs import describe_overrides, make_record, run_data_label, write_predictions_and_submission, write_scores
from .runs import RunDir, write_json

TRANSFORMS = {
    None: (lambda y: y, lambda y: y),
    "log1p": (np.log1p, np.expm1),
    "log": (np.log, np.exp),
}


@dataclass
class TrainResult:
    run_dir: Path
    record: dict
    submission: Optional[Path]


def prepare_data(spec: CompetitionSpec, run: RunConfig, log=print) -> CompetitionData:
    """Read the competition's files (generating the sample first if asked and absent) and add features."""
    folder = resolve_data_dir(spec.name, run.data.dir, run.data.sample)
    if run.data.sample and not run.data.dir and not (folder / spec.files.train).exists():
        from .sample import write_sample

        log(f"no sample yet: generating one in {display(folder)}")
        write_sample(spec, folder, seed=0)
    data = load_competition_data(spec, folder)
    add = feature_function(spec) if run.features else None
    if add is not None:
        try:
            data.train, data.test = add(data.train.copy()), add(data.test.copy())
        except KeyError as exc:
            raise UserError(f"{spec.folder / spec.features}: column {exc} is missing from the data in {display(folder)}.") from None
    return data


def fit_mask(train: pd.DataFrame, query: Optional[str]) -> np.ndarray:
    """Rows allowed in fitting: all but those matching ``fit_filter`` (they are still scored)."""
    if not query:
        return np.ones(len(train), dtype=bool)
    try:
        drop = train.eval(query).to_numpy(dtype=bool)
    except Exception as exc:  # noqa: BLE001 - pandas raises many types for a bad expression
        raise UserError(f"fit_filter '{query}' cannot be evaluated on train.csv: {exc}") from None
    return ~drop


def make_fold_fitter(spec: CompetitionSpec, run: RunConfig, data: CompetitionData, y_fit_space: np.ndarray, keep: np.ndarray,
                     model_dir: Optional[Path] = None):
    """The tabular ``fit_fold``: preprocessing and model fitted on the fold's training rows only."""
    features = data.train.drop(columns=[spec.target])
    _, inverse = TRANSFORMS[run.target_transform]
    classification = spec.task == "classification"

    def fit_fold(k: int, train_idx: np.ndarray, valid_idx: np.ndarray) -> FoldOutput:
        def fit_one(rows):
            model = build_model(run.model.name, run.model.params, spec.task, run.seed + k)
            if getattr(model, "raw_features", False):  # e.g. AutoGluon: it preprocesses on its own
                pre = RawFrame([spec.id])
                model.path = model_dir / f"fold_{k}" if model_dir else None
            else:
                # Roles too come from the fitted rows: a column's cardinality must not depend on validation rows.
                roles = infer_roles(features.iloc[rows], spec.columns, [spec.id], run.preprocess.max_onehot_levels)
                pre = build_preprocessor(roles, spec.columns, run.preprocess, spec.task, run.seed + k)
            X = pre.fit_transform(features.iloc[rows], y_fit_space[rows])
            model.fit(X, y_fit_space[rows])
            return pre, model, X

        fit_idx = train_idx[keep[train_idx]]
        pre, model, X_fit = fit_one(fit_idx)
        n_dropped = 0
        if run.drop_residual_sd and not classification:
            # In-fold outlier removal: drop training rows the first fit explains worst, then refit.
            resid = y_fit_space[fit_idx] - model.predict(X_fit)
            inlier = np.abs(resid - resid.mean()) <= run.drop_residual_sd * resid.std()
            n_dropped = int((~inlier).sum())
            pre, model, X_fit = fit_one(fit_idx[inlier])
            fit_idx = fit_idx[inlier]
        X_valid, X_test = pre.transform(features.iloc[valid_idx]), pre.transform(data.test)
        if classification:
            return FoldOutput(model.predict_proba(X_valid), model.predict_proba(X_test), {"n_fit": len(fit_idx)})
        info = {"n_fit": len(fit_idx), "n_features": int(X_fit.shape[1]), "n_dropped_outliers": n_dropped}
        for attr in ("best_epoch_", "best_model_"):
            if hasattr(model, attr):
                info[attr.rstrip("_")] = getattr(model, attr)
        lo, hi = (y_fit_space[fit_idx].min(), y_fit_space[fit_idx].max()) if run.clip_predictions else (-np.inf, np.inf)
        predict = lambda X: inverse(np.clip(model.predict(X), lo, hi))  # noqa: E731
        return FoldOutput(predict(X_valid), predict(X_test), info)

    return fit_fold


def open_run(spec: CompetitionSpec, run: RunConfig, config_name: str, train_frame: pd.DataFrame, fingerprint: str,
             runs_base: Optional[Path] = None):
    """The shared fold assignment and the run folder (named by the config hash), with config and folds saved."""
    folds, fold_path = load_or_make_folds(spec.name, train_frame, spec.id, spec.target, spec.task, run.cv, run.seed, fingerprint)
    rd = RunDir(spec.name, config_name, config_hash(run, fingerprint, competition_fingerprint(spec)), runs_base)
    rd.save_config(to_dict(run))
    if not (rd.path / "folds.csv").exists():
        shutil.copyfile(fold_path, rd.path / "folds.csv")
    return rd, folds, fold_path


def train(comp: str, config_name: str, overrides: Optional[list] = None, progress: bool = True, log=print,
          on_fold=None, runs_base: Optional[Path] = None, submit: bool = True) -> TrainResult:
    """Cross-validate ``config_name`` on ``comp``; resume finished folds; write run files and submission.

    ``on_fold``: called after each fold with (k, scores so far); ``runs_base``: folder for the run
    (default runs/<comp>); ``submit=False`` skips the submission (tuning trials)."""
    spec = load_competition(comp)
    run = load_config(comp, config_name, overrides)
    if spec.kind == "image":
        from .images.pipeline import train_images

        return train_images(spec, run, config_name, overrides, progress, log, on_fold, runs_base, submit)
    if run.model.name == "timm":
        raise UserError(f"{comp} is a tabular competition; model.name timm is for image competitions.")
    metric = get_metric(spec.metric)
    data = prepare_data(spec, run, log)
    started = time.perf_counter()

    forward, inverse = TRANSFORMS[run.target_transform]
    if classification := spec.task == "classification":
        classes = np.array(sorted(data.train[spec.target].astype(str).unique()))
        y = np.searchsorted(classes, data.train[spec.target].astype(str))
        y_fit_space = y
    else:
        classes = None
        y = data.train[spec.target].to_numpy(dtype=float)
        if run.target_transform == "log" and (y <= 0).any() or run.target_transform == "log1p" and (y <= -1).any():
            raise UserError(f"target_transform={run.target_transform} needs a positive target; '{spec.target}' has values ≤ 0.")
        y_fit_space = forward(y)
    rd, folds, fold_path = open_run(spec, run, config_name, data.train, data.fingerprint, runs_base)
    run_id = rd.run_id
    keep = fit_mask(data.train, run.fit_filter)
    log(f"{comp} / {config_name} ({run.model.name}) run {run_id}: {run.cv.n_splits}-fold {run.cv.scheme}, "
        f"{len(data.train)} rows ({int((~keep).sum())} left out of fitting by fit_filter), data {display(data.folder)}")
    fitter = make_fold_fitter(spec, run, data, y_fit_space, keep, rd.path / "models")
    result = run_cv(rd, folds, y, metric, fitter, run.cv.only_folds,
                    n_outputs=len(classes) if classification else 1, progress=progress, on_fold=on_fold)
    if result.resumed:
        log(f"resumed finished folds {result.resumed} from {display(rd.path)}")

    complete = len(result.folds_run) == len(set(folds.tolist()))
    scores = write_scores(rd, metric, result.fold_scores, result.fold_seconds, metric.fn(y, result.oof) if complete else None)
    log(f"CV {metric.name}: {result.mean:.5f} ± {result.std:.5f} over folds {result.folds_run} "
        f"(per fold: {', '.join(f'{s:.5f}' for s in result.fold_scores)})")
    submission = None
    if complete:
        if classification:
            test = np.mean(result.test_folds, axis=0)
        else:  # averaged in the transformed (metric) space: the geometric mean for log targets
            test = inverse(np.mean([forward(t) for t in result.test_folds], axis=0))
        positive = spec.metric == "rmse_log" or run.target_transform is not None
        if submit:
            submission = write_predictions_and_submission(spec, data, rd, result.oof, test, y, classes, result.mean, positive)
            log(f"submission: {display(submission)}")
    else:
        log("only some folds were run (cv.only_folds): no submission and no compare record.")
    record = make_record(
        spec, rd, run.model.name, metric, scores, time.perf_counter() - started,
        data_label=run_data_label(run, data.folder),
        fingerprint=data.fingerprint, folds_file=fold_path.name, classes=classes, submission=submission,
        disk_mb=round(sum(f.stat().st_size for f in rd.path.rglob("*") if f.is_file()) / 2**20, 2),
        overrides=describe_overrides(overrides),
    )
    if complete:
        write_json(rd.path / "record.json", record)
    return TrainResult(rd.path, record, submission)
