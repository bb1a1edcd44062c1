"""Augmentation: albumentations pipelines built from config, mixup/cutmix on batches, test-time augmentation."""

from __future__ import annotations

from typing import Any, List

import numpy as np
import torch

from ..core.errors import UserError


def build_pipeline(steps: List[Any], where: str):
    """``[{"HorizontalFlip": {"p": 0.5}}, "ToGray", ...]`` -> ``A.Compose``, or None when empty."""
    if not steps:
        return None
    import albumentations as A

    transforms = []
    for step in steps:
        name, kwargs = (step, {}) if isinstance(step, str) else next(iter(dict(step).items()))
        cls = getattr(A, name, None)
        if cls is None:
            raise UserError(f"{where}: '{name}' is not an albumentations transform (see albumentations.ai/docs).")
        try:
            transforms.append(cls(**dict(kwargs or {})))
        except (TypeError, ValueError) as exc:
            raise UserError(f"{where}: bad arguments for {name}: {exc}") from None
    return A.Compose(transforms)


_CROPS = ("RandomCrop", "CenterCrop")


def crops_sized_to(steps: List[Any], side: int) -> List[Any]:
    """``steps`` with every square pixel crop (and the ``PadIfNeeded`` before it) scaled so that the crop gives the
    ``side`` x ``side`` pictures the network is validated on: a config's 32 px crop of a 36 px pad, written for
    32 px pictures, becomes a 96 px crop of a 108 px pad when a recipe sets ``image.size=96`` (left as written,
    it would train on a ninth of each picture)."""
    out = [step if isinstance(step, str) else {k: dict(v or {}) for k, v in dict(step).items()} for step in steps]
    for i, step in enumerate(out):
        if isinstance(step, str):
            continue
        (name, kwargs), = step.items()
        h, w = kwargs.get("height"), kwargs.get("width")
        if name not in _CROPS or h != w or not isinstance(h, int) or h == side:
            continue
        factor = side / h
        kwargs.update(height=side, width=side)
        for before in out[:i]:
            if not isinstance(before, str) and "PadIfNeeded" in before:
                pad = before["PadIfNeeded"]
                for key in ("min_height", "min_width"):
                    if isinstance(pad.get(key), int):
                        pad[key] = int(round(pad[key] * factor))
    return out


def mix_batch(x: torch.Tensor, y: torch.Tensor, n_classes: int, mixup: float, cutmix: float, prob: float,
              rng: np.random.Generator):
    """Mixup or CutMix (one of them per batch, chosen at random when both are on); returns soft targets."""
    soft = torch.nn.functional.one_hot(y, n_classes).float()
    if (mixup <= 0 and cutmix <= 0) or rng.random() > prob:
        return x, soft
    perm = torch.randperm(x.shape[0], device=x.device)
    use_cutmix = cutmix > 0 and (mixup <= 0 or rng.random() < 0.5)
    lam = float(rng.beta(cutmix, cutmix) if use_cutmix else rng.beta(mixup, mixup))
    if use_cutmix:
        h, w = x.shape[-2:]
        ch, cw = int(h * np.sqrt(1 - lam)), int(w * np.sqrt(1 - lam))
        cy, cx = rng.integers(0, h), rng.integers(0, w)
        y0, y1, x0, x1 = max(cy - ch // 2, 0), min(cy + ch // 2, h), max(cx - cw // 2, 0), min(cx + cw // 2, w)
        x = x.clone()
        x[..., y0:y1, x0:x1] = x[perm][..., y0:y1, x0:x1]
        lam = 1 - (y1 - y0) * (x1 - x0) / (h * w)
    else:
        x = lam * x + (1 - lam) * x[perm]
    return x, lam * soft + (1 - lam) * soft[perm]


def tta_view_count(tta: List[str]) -> int:
    """How many views ``tta_views`` yields a batch: the original, a flip each, five crops."""
    return 1 + ("hflip" in tta) + ("vflip" in tta) + 5 * ("crops" in tta)


def tta_views(x: torch.Tensor, tta: List[str]):
    """The original batch plus each configured view: hflip, vflip, crops (4 corners + centre of a 1.14x zoom)."""
    yield x
    if "hflip" in tta:
        yield torch.flip(x, dims=[-1])
    if "vflip" in tta:
        yield torch.flip(x, dims=[-2])
    if "crops" in tta:
        s = x.shape[-1]
        big = torch.nn.functional.interpolate(x, size=int(s * 1.14), mode="bilinear", align_corners=False)
        d = big.shape[-1] - s
        for oy, ox in ((0, 0), (0, d), (d, 0), (d, d), (d // 2, d // 2)):
            yield big[..., oy : oy + s, ox : ox + s]
