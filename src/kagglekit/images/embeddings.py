"""Image embeddings from a frozen pretrained backbone, computed once per image cache and saved beside it.

They turn an image competition into a table, so tabular learners (the AutoGluon baseline) can run
on the same folds as the fine-tuned networks and join their ensembles.
"""

from __future__ import annotations

import re
import time
from pathlib import Path
from typing import Optional

import numpy as np
import torch
from tqdm.auto import tqdm

from .backbones import create_backbone
from ..core.io import atomic_save_npy
from ..core.speed import torch_device
from .finetune import Normalizer


def embedding_path(image_cache: Path, arch: str, pretrained: str) -> Path:
    tag = re.sub(r"[^A-Za-z0-9_.-]+", "_", f"{arch}-{pretrained}")
    return image_cache.with_name(f"{image_cache.stem}-emb-{tag}.npy")


@torch.no_grad()
def embed(images: np.ndarray, image_cache: Path, arch: str, pretrained: str, rows: Optional[np.ndarray] = None,
          batch_size: int = 128, device: str = "auto") -> tuple[np.ndarray, float]:
    """(len(rows), D) float32 pooled features of ``images[rows]`` (every picture when None) and the seconds spent
    now. Rows embedded by an earlier run are read from the file beside the image cache and the rest are added to it,
    so a run on a 2,000-picture subset of a 18,000-picture cache embeds its own pictures only."""
    path = embedding_path(image_cache, arch, pretrained)
    rows = np.arange(len(images)) if rows is None else np.asarray(rows, dtype=np.int64)
    saved = np.load(path) if path.exists() else None
    if saved is not None and len(saved) != len(images):  # written for another cache: start over
        saved = None
    todo = rows if saved is None else rows[np.isnan(saved[rows, 0])]  # NaN rows: not embedded yet
    todo = np.unique(todo)
    if not len(todo):
        return saved[rows], 0.0
    start = time.perf_counter()
    dev = torch_device(device)
    model = create_backbone(arch, 0, pretrained).eval().to(dev)  # 0 classes: the pooled features
    norm = Normalizer(model, dev, channels_last=False)
    out = []
    for i in tqdm(range(0, len(todo), batch_size), desc=f"embed {arch}", unit="batch"):
        batch = torch.from_numpy(np.asarray(images[todo[i : i + batch_size]]))
        out.append(model(norm(batch)).float().cpu().numpy())
    feats = np.concatenate(out).astype(np.float32)
    if saved is None:
        saved = np.full((len(images), feats.shape[1]), np.nan, np.float32)
    saved[todo] = feats
    atomic_save_npy(path, saved)
    return saved[rows], time.perf_counter() - start
