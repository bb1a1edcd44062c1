"""`make train` for image competitions: cached images, K-fold fine-tuning, OOF/test probabilities, submission."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Optional

import numpy as np

from ..competition import CompetitionSpec
from ..config import RunConfig
from ..cv import FoldOutput, run_cv
from ..data import CompetitionData
from ..errors import UserError
from ..metrics import get_metric
from ..outputs import describe_overrides, make_record, run_data_label, write_predictions_and_submission, write_scores
from ..paths import data_root, display
from ..runs import write_json
from .cache import cached_images
from .data import load_image_data
from .finetune import FoldImages, train_fold
from .reports import confusion_matrix_png, learning_curves


def _report_bad(bad, split: str, skip: bool) -> None:
    if bad and (split == "test" or not skip):
        listed = "; ".join(f"{p} ({err})" for _, p, err in bad[:10])
        fix = "replace them (Kaggle's copy)" if split == "test" else "replace them, or drop them with image.skip_bad_images=true"
        raise UserError(f"{len(bad)} {split} image(s) cannot be decoded: {listed}{' ...' if len(bad) > 10 else ''}. Fix: {fix}.")


def train_images(spec: CompetitionSpec, run: RunConfig, config_name: str, overrides, progress: bool, log, on_fold,
                 runs_base: Optional[Path], submit: bool):
    """The image counterpart of train.train (same run folders, folds, scores, submissions and records)."""
    from ..train import TrainResult, open_run

    if run.model.name not in ("timm", "autogluon"):
        raise UserError(f"{spec.name} is an image competition: use an image config (model.name: timm or autogluon), "
                        f"not {run.model.name}.")
    if spec.task != "classification":
        raise UserError(f"{spec.name}: image regression is not supported yet.")
    started = time.perf_counter()
    metric = get_metric(spec.metric)
    data = load_image_data(spec, run, log)
    cache_dir = data_root() / "cache" / spec.name
    t0 = time.perf_counter()
    train_cache = cached_images(data.train_paths, run.image.size, cache_dir, run.image.decode_workers, "cache train")
    test_cache = cached_images(data.test_paths, run.image.size, cache_dir, run.image.decode_workers, "cache test")
    cache_seconds = time.perf_counter() - t0
    _report_bad(train_cache.bad, "train", run.image.skip_bad_images)
    _report_bad(test_cache.bad, "test", False)
    keep = np.ones(len(data.train), dtype=bool)
    keep[[i for i, _, _ in train_cache.bad]] = False
    if not keep.all():
        log(f"skipping {int((~keep).sum())} unreadable training images (image.skip_bad_images)")
        data.fingerprint += f"-skip{int((~keep).sum())}"
    train = data.train[keep].reset_index(drop=True)
    cache_rows = np.flatnonzero(keep)  # row i of `train` is image cache_rows[i] of the cache
    classes = np.array(sorted(train[spec.target].unique()))
    y = np.searchsorted(classes, train[spec.target].to_numpy())
    labels_all = np.zeros(len(data.train), dtype=int)
    labels_all[cache_rows] = y

    rd, folds, fold_path = open_run(spec, run, config_name, train, data.fingerprint, runs_base)
    (rd.path / "classes.txt").write_text("\n".join(classes) + "\n")
    finetune = run.model.name == "timm"
    model_label = f"timm:{run.model.params['arch']}" if finetune else f"autogluon:emb-{run.image.embed_arch}"
    log(f"{spec.name} / {config_name} ({model_label}, {run.image.size}px) run {rd.run_id}: "
        f"{run.cv.n_splits}-fold {run.cv.scheme}, {len(train)} images, {len(classes)} classes, {len(data.test)} test; "
        f"cache {cache_seconds:.1f}s ({display(train_cache.path.parent)})")
    if finetune:
        fit_fold = _finetune_fitter(run, rd, train_cache, test_cache, labels_all, cache_rows, y, len(classes), progress, log)
    else:
        fit_fold = _embedding_fitter(run, rd, train_cache, test_cache, cache_rows, y, len(classes), log)

    result = run_cv(rd, folds, y, metric, fit_fold, run.cv.only_folds, n_outputs=len(classes), progress=progress, on_fold=on_fold)
    infos = [rd.load_fold(k)["info"] for k in result.folds_run]
    complete = len(result.folds_run) == len(set(folds.tolist()))
    done = ~np.isnan(result.oof).any(axis=1)
    scores = write_scores(rd, metric, result.fold_scores, result.fold_seconds, metric.fn(y, result.oof) if complete else None)
    scores["logloss_folds"] = [i["logloss"] for i in infos]
    write_json(rd.path / "scores.json", scores)
    learning_curves({i["fold"]: i["history"] for i in infos}, rd.path / "learning_curves.png")
    confusion_matrix_png(y[done], result.oof[done], classes, rd.path / "confusion_matrix.png")
    timing = {
        "cache_seconds": round(cache_seconds + sum(i.get("embed_seconds", 0.0) for i in infos), 2),
        "train_seconds": round(sum(i["train_seconds"] for i in infos), 2),
        "predict_seconds": round(sum(i["predict_seconds"] for i in infos), 2),
        "train_img_s": round(float(np.mean([i["train_img_s"] for i in infos])), 1),
        "infer_img_s": round(float(np.mean([i["infer_img_s"] for i in infos])), 1),
        "device": infos[0]["device"],
    }
    log(f"CV {metric.name}: {result.mean:.5f} ± {result.std:.5f} over folds {result.folds_run}; log loss "
        f"{np.mean(scores['logloss_folds']):.4f}; train {timing['train_img_s']:.0f} img/s, inference "
        f"{timing['infer_img_s']:.0f} img/s on {timing['device']}; time: cache {timing['cache_seconds']:.0f}s, "
        f"train {timing['train_seconds']:.0f}s, predict {timing['predict_seconds']:.0f}s")
    submission = None
    if complete and submit:
        test = np.mean(result.test_folds, axis=0)
        frame = CompetitionData(train, data.test, data.sample_submission, data.folder, data.fingerprint)
        submission = write_predictions_and_submission(spec, frame, rd, result.oof, test, y, classes, result.mean, positive=False)
        log(f"submission: {display(submission)}")
    elif not complete:
        log("only some folds were run (cv.only_folds): no submission and no compare record.")
    record = make_record(
        spec, rd, model_label, metric, scores, time.perf_counter() - started,
        data_label=run_data_label(run, data.folder),
        fingerprint=data.fingerprint, folds_file=fold_path.name, classes=classes, submission=submission,
        overrides=describe_overrides(overrides),
        image_size=run.image.size, **timing,
    )
    if complete:
        write_json(rd.path / "record.json", record)
    return TrainResult(rd.path, record, submission)


def _finetune_fitter(run, rd, train_cache, test_cache, labels_all, cache_rows, y, n_classes, progress, log):
    from ..models import get_model_entry

    params = get_model_entry("timm").params(**run.model.params)

    def fit_fold(k: int, train_idx: np.ndarray, valid_idx: np.ndarray) -> FoldOutput:
        fold = FoldImages(train_cache.array, labels_all, cache_rows[train_idx], cache_rows[valid_idx], test_cache.array, n_classes)
        res = train_fold(fold, params, run.augment, rd.path / f"fold_{k}.ckpt", run.seed + k, run.image.loader_workers,
                         progress, log)
        res.info["logloss"] = get_metric("logloss").fn(y[valid_idx], res.valid_proba)
        return FoldOutput(res.valid_proba, res.test_proba, res.info)

    return fit_fold


def _embedding_fitter(run, rd, train_cache, test_cache, cache_rows, y, n_classes, log):
    """AutoGluon's TabularPredictor on frozen-backbone embeddings (computed once, cached beside the images)."""
    import pandas as pd

    from ..models import build_model
    from .embeddings import embed

    emb_train, s1 = embed(train_cache.array, train_cache.path, run.image.embed_arch, run.image.embed_pretrained)
    emb_test, s2 = embed(test_cache.array, test_cache.path, run.image.embed_arch, run.image.embed_pretrained)
    columns = [f"e{i}" for i in range(emb_train.shape[1])]
    table = pd.DataFrame(emb_train[cache_rows], columns=columns)
    test_table = pd.DataFrame(emb_test, columns=columns)

    def proba(model, frame):
        p = model.predictor_.predict_proba(frame)  # columns are the class indices seen in this fold
        return p.reindex(columns=range(n_classes), fill_value=0.0).to_numpy(dtype=float)

    def fit_fold(k: int, train_idx: np.ndarray, valid_idx: np.ndarray) -> FoldOutput:
        start = time.perf_counter()
        model = build_model("autogluon", run.model.params, "classification", run.seed + k)
        model.path = rd.path / "models" / f"fold_{k}"
        model.fit(table.iloc[train_idx].reset_index(drop=True), y[train_idx])
        fit_seconds = time.perf_counter() - start
        start = time.perf_counter()
        valid, test = proba(model, table.iloc[valid_idx]), proba(model, test_table)
        seconds = time.perf_counter() - start
        info = {"best_model": model.best_model_, "train_seconds": fit_seconds, "predict_seconds": seconds,
                "train_img_s": len(train_idx) / max(fit_seconds, 1e-9), "infer_img_s": (len(valid_idx) + len(test_table)) / max(seconds, 1e-9),
                "device": "cpu", "history": [], "embed_seconds": (s1 + s2) if k == 0 else 0.0,
                "logloss": get_metric("logloss").fn(y[valid_idx], valid)}
        return FoldOutput(valid, test, info)

    return fit_fold
