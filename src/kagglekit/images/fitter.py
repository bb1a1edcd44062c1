"""Fold fitters of image runs: timm fine-tuning on the cached pictures, and their frozen-backbone embeddings
as a table that any tabular model can learn from."""

from __future__ import annotations

import time
from typing import Callable, Optional, Tuple

import numpy as np
import pandas as pd
import torch

from ..core.cv import FoldOutput
from ..core.dataset import Dataset
from ..core.metrics import get_metric
from ..core.runs import RunDir
from ..core.targets import Targets
from ..models import build_model
from .run_config import ImageRunConfig
from .augment import tta_view_count
from .embeddings import embed
from .finetune import ImageRows


def finetune_fitter(run: ImageRunConfig, rd: RunDir, data: Dataset, targets: Targets, progress: bool, log: Callable):
    """Fine-tune the run's timm model on each fold; keep its best epoch; predict validation and test with TTA."""
    train_cache, test_cache, cache_rows = data.kind_data.train, data.kind_data.test, data.kind_data.rows
    logloss = get_metric("logloss")

    def both(message: str) -> None:  # per-epoch lines: on screen and in the run's train.log
        log(message)
        rd.logger().info(message)

    def fit_fold(k: int, train_idx: np.ndarray, valid_idx: np.ndarray) -> FoldOutput:
        model = build_model(run.model.name, run.model.params, targets.task, run.seed + k, run.speed).set_params(
            n_classes=targets.n_outputs, augment=run.augment, checkpoint=rd.path / f"fold_{k}.ckpt", log=both,
            progress=progress)
        y = targets.y
        model.fit(ImageRows(train_cache.array, cache_rows[train_idx]), y[train_idx],
                  valid=(ImageRows(train_cache.array, cache_rows[valid_idx]), y[valid_idx]))
        start = time.perf_counter()
        valid = model.predict_proba(ImageRows(train_cache.array, cache_rows[valid_idx]))
        test = model.predict_proba(ImageRows(test_cache.array, np.arange(len(test_cache.array))))
        predict_seconds = time.perf_counter() - start
        state, tta = model.state_, run.augment.tta
        n_views = tta_view_count(tta)
        info = {
            "best_epoch": state["best_epoch"],
            "best_valid_acc_no_tta": state["best_acc"],
            "train_seconds": state["train_seconds"],
            "train_img_s": state["images_seen"] / max(state["train_seconds"], 1e-9),
            "predict_seconds": predict_seconds,
            "infer_img_s": (len(valid) + len(test)) * n_views / max(predict_seconds, 1e-9),
            "device": model.device_,
            "feed": state.get("feed"),
            "history": state["history"],
            "logloss": logloss.fn(y[valid_idx], valid),
        }
        return FoldOutput(valid, test, info)

    return fit_fold


def embedding_tables(run: ImageRunConfig, data: Dataset) -> Tuple[pd.DataFrame, pd.DataFrame, float]:
    """Pooled features of the frozen ``image.embed_arch`` for train and test rows (computed once, cached beside the
    images), as tables; and the seconds spent computing them now."""
    train_cache, test_cache, rows = data.kind_data.train, data.kind_data.test, data.kind_data.rows
    emb_train, s1 = embed(train_cache.array, train_cache.path, run.image.embed_arch, run.image.embed_pretrained, rows,
                          device=run.speed.device)
    emb_test, s2 = embed(test_cache.array, test_cache.path, run.image.embed_arch, run.image.embed_pretrained,
                         device=run.speed.device)
    columns = [f"e{i}" for i in range(emb_train.shape[1])]
    side = run.image.thumbnail
    if side:  # small pictures (handwriting, icons) keep their pixels, which ImageNet features blur
        emb_train = np.hstack([emb_train, thumbnails(train_cache.array, side, rows)])
        emb_test = np.hstack([emb_test, thumbnails(test_cache.array, side)])
        columns += [f"t{i}" for i in range(side * side)]
    return (pd.DataFrame(emb_train, columns=columns), pd.DataFrame(emb_test, columns=columns),
            s1 + s2)


def thumbnails(images: np.ndarray, side: int, rows: Optional[np.ndarray] = None, batch: int = 512) -> np.ndarray:
    """(len(rows), side * side) float32 gray thumbnails (area means) of the (N, H, W, C) uint8 pictures ``rows``
    (every picture when None), read in batches."""
    import torch.nn.functional as F

    rows = np.arange(len(images)) if rows is None else np.asarray(rows)
    out = []
    for i in range(0, len(rows), batch):
        x = torch.from_numpy(np.asarray(images[rows[i:i + batch]], np.float32)).mean(dim=3, keepdim=True).permute(0, 3, 1, 2)
        out.append(F.adaptive_avg_pool2d(x, side).reshape(len(x), -1).numpy())
    return np.concatenate(out) if out else np.zeros((0, side * side), np.float32)
