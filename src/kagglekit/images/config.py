"""Config sections of image runs: how pictures are decoded and cached, and how they are augmented."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, List, Optional

from ..core.config import RunConfig


@dataclass
class ImageConfig:
    """How pictures are decoded, cached and fed."""

    size: int = 128  # decoded and resized once to size x size, cached as uint8
    subset: Optional[int] = None  # train on a stratified subset of N labelled images (quick or CPU runs); same as data.rows
    extension: Optional[str] = None  # override the competition's image file extension (e.g. .jpg)
    skip_bad_images: bool = False  # drop unreadable training images (test images are never dropped)
    embed_arch: str = "tf_efficientnet_lite0"  # frozen backbone whose pooled features table models learn from
    embed_pretrained: str = "offline"


@dataclass
class AugmentConfig:
    """Augmentation: albumentations pipelines (list of {TransformName: {kwargs}}) on the CPU, batch steps on the
    device (batch_augment.py), batch mixing, TTA.

    Neutral by default: a flipped digit or letter is another class, so flips come only from a config."""

    train: List[Any] = field(default_factory=list)  # albumentations, per image in the loader's CPU workers
    device: List[Any] = field(default_factory=list)  # on the device batch: hflip, vflip, {translate: px}, affine, cutout
    test: List[Any] = field(default_factory=list)
    mixup_alpha: float = 0.0  # > 0 turns mixup on
    cutmix_alpha: float = 0.0  # > 0 turns cutmix on
    mix_prob: float = 1.0  # share of batches mixed when either is on
    tta: List[str] = field(default_factory=list)  # any of: hflip, vflip, crops


@dataclass
class ImageRunConfig(RunConfig):
    """An image run: the common keys plus ``image`` and ``augment``."""

    image: ImageConfig = field(default_factory=ImageConfig)
    augment: AugmentConfig = field(default_factory=AugmentConfig)
