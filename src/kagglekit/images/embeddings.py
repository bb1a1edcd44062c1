"""Image embeddings from a frozen pretrained backbone, computed once per image cache and saved beside it.

They turn an image competition into a table, so tabular learners (the AutoGluon baseline) can run
on the same folds as the fine-tuned networks and join their ensembles.
"""

from __future__ import annotations

import re
import time
from pathlib import Path

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
def embed(images: np.ndarray, image_cache: Path, arch: str, pretrained: str, batch_size: int = 128,
          device: str = "auto") -> tuple[np.ndarray, float]:
    """(N, D) float32 pooled features of ``images`` and the seconds spent (0 when already saved)."""
    path = embedding_path(image_cache, arch, pretrained)
    if path.exists():
        return np.load(path), 0.0
    start = time.perf_counter()
    dev = torch_device(device)
    model = create_backbone(arch, 0, pretrained).eval().to(dev)  # 0 classes: the pooled features
    norm = Normalizer(model, dev, channels_last=False)
    out = []
    for i in tqdm(range(0, len(images), batch_size), desc=f"embed {arch}", unit="batch"):
        out.append(model(norm(torch.from_numpy(np.array(images[i : i + batch_size])))).float().cpu().numpy())
    feats = np.concatenate(out).astype(np.float32)
    atomic_save_npy(path, feats)
    return feats, time.perf_counter() - start
