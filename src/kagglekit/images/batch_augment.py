"""Augmentation of whole batches on the device (the GPU when there is one): flips, translations, affine warps, cutout.

Configured as ``augment.device: [hflip, vflip, {translate: 4}, {affine: {rotate: 30}}, {cutout: 8}]``. Every step
draws per image from one ``torch.Generator`` on the batch's device, seeded per (seed, epoch) by the training loop,
so runs repeat and resume exactly. Steps run on the normalised float NCHW batch: a GPU does a batch in
microseconds, where albumentations costs a CPU worker per image.
"""

from __future__ import annotations

import inspect
import math
from typing import Any, Callable, List, Optional, Tuple

import torch
import torch.nn.functional as F

from ..core.errors import UserError


def _chosen(x: torch.Tensor, g: torch.Generator, p: float) -> torch.Tensor:
    """(N,) bool: which images of the batch this step changes."""
    return torch.rand(x.shape[0], device=x.device, generator=g) < p


def hflip(x: torch.Tensor, g: torch.Generator, p: float = 0.5) -> torch.Tensor:
    """Mirror left-right with probability ``p`` per image."""
    return torch.where(_chosen(x, g, p).view(-1, 1, 1, 1), x.flip(-1), x)


def vflip(x: torch.Tensor, g: torch.Generator, p: float = 0.5) -> torch.Tensor:
    """Mirror top-bottom with probability ``p`` per image."""
    return torch.where(_chosen(x, g, p).view(-1, 1, 1, 1), x.flip(-2), x)


def translate(x: torch.Tensor, g: torch.Generator, pixels: int = 2) -> torch.Tensor:
    """Shift each image by up to ``pixels`` in each direction (reflect padding, then a random crop of the original
    size): the CIFAR "pad and crop", done for the whole batch with one gather."""
    n, _, h, w = x.shape
    padded = F.pad(x, (pixels,) * 4, mode="reflect").permute(0, 2, 3, 1)
    dy = torch.randint(0, 2 * pixels + 1, (n,), device=x.device, generator=g)
    dx = torch.randint(0, 2 * pixels + 1, (n,), device=x.device, generator=g)
    rows = (dy[:, None] + torch.arange(h, device=x.device))[:, :, None]
    cols = (dx[:, None] + torch.arange(w, device=x.device))[:, None, :]
    return padded[torch.arange(n, device=x.device)[:, None, None], rows, cols].permute(0, 3, 1, 2)


def affine(x: torch.Tensor, g: torch.Generator, scale: Tuple[float, float] = (0.85, 1.15), rotate: float = 30.0,
           translate: float = 0.05, p: float = 0.8) -> torch.Tensor:
    """Random zoom (``scale`` range), rotation (up to ``rotate`` degrees) and shift (up to ``translate`` of the side)
    per image, with probability ``p``; reflected borders, bilinear sampling."""
    n = x.shape[0]

    def uniform(low: float, high: float) -> torch.Tensor:
        return low + (high - low) * torch.rand(n, device=x.device, generator=g)

    keep = ~_chosen(x, g, p)
    zoom = uniform(*scale).masked_fill(keep, 1.0)
    angle = (uniform(-rotate, rotate) * math.pi / 180).masked_fill(keep, 0.0)
    tx, ty = (2 * uniform(-translate, translate)).masked_fill(keep, 0.0), (2 * uniform(-translate, translate)).masked_fill(keep, 0.0)
    cos, sin = torch.cos(angle) / zoom, torch.sin(angle) / zoom
    theta = torch.stack([torch.stack([cos, -sin, tx], 1), torch.stack([sin, cos, ty], 1)], 1)
    grid = F.affine_grid(theta.to(x.dtype), list(x.shape), align_corners=False)
    return F.grid_sample(x, grid, mode="bilinear", padding_mode="reflection", align_corners=False)


def cutout(x: torch.Tensor, g: torch.Generator, size: int = 8, p: float = 1.0) -> torch.Tensor:
    """Zero (the mean, after normalisation) a ``size`` x ``size`` square at a random place, with probability ``p``."""
    n, _, h, w = x.shape
    cy = torch.randint(0, h, (n, 1), device=x.device, generator=g)
    cx = torch.randint(0, w, (n, 1), device=x.device, generator=g)
    in_y = (torch.arange(h, device=x.device)[None] - cy).abs() <= size // 2
    in_x = (torch.arange(w, device=x.device)[None] - cx).abs() <= size // 2
    mask = in_y[:, :, None] & in_x[:, None, :] & _chosen(x, g, p)[:, None, None]
    return x.masked_fill(mask[:, None], 0.0)


STEPS = {"hflip": hflip, "vflip": vflip, "translate": translate, "affine": affine, "cutout": cutout}


class BatchAugment:
    """The configured steps, applied in order to a device batch."""

    def __init__(self, steps: List[Tuple[Callable, dict]]):
        self.steps = steps

    def __call__(self, x: torch.Tensor, g: torch.Generator) -> torch.Tensor:
        for fn, kwargs in self.steps:
            x = fn(x, g, **kwargs)
        return x


def build_batch_augment(steps: List[Any], where: str = "augment.device") -> Optional[BatchAugment]:
    """``[hflip, {translate: 4}, {affine: {rotate: 15}}]`` -> BatchAugment (None when empty); a scalar value is the
    step's first argument. Unknown steps and bad arguments name the step and the choices."""
    if not steps:
        return None
    built = []
    for step in steps:
        name, args = (step, {}) if isinstance(step, str) else next(iter(dict(step).items()))
        fn = STEPS.get(name)
        if fn is None:
            raise UserError(f"{where}: unknown step '{name}'; choose from {', '.join(STEPS)}.")
        parameters = list(inspect.signature(fn).parameters)[2:]
        kwargs = dict(args) if isinstance(args, dict) else ({} if args is None else {parameters[0]: args})
        try:
            inspect.signature(fn).bind(None, None, **kwargs)
        except TypeError:
            raise UserError(f"{where}: {name} takes {', '.join(parameters)}; got {', '.join(kwargs)}.") from None
        if "p" in kwargs and not 0 <= float(kwargs["p"]) <= 1:
            raise UserError(f"{where}: {name} p={kwargs['p']} must be in [0, 1].")
        if "scale" in kwargs:
            kwargs["scale"] = tuple(kwargs["scale"])
        built.append((fn, kwargs))
    return BatchAugment(built)
