"""The config sections of image runs: how pictures are decoded, cached, augmented and fed."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, List, Optional

from ..core.config import RunConfig, SpeedConfig

@dataclass
class ImageConfig:
    """How pictures are decoded, cached and fed."""

    size: int = 128  # decoded and resized once to size x size, cached as uint8
    subset: Optional[int] = None  # train on a stratified subset of N labelled images (quick or CPU runs); same as data.rows
    extension: Optional[str] = None  # override the competition's image file extension (e.g. .jpg)
    skip_bad_images: bool = False  # drop unreadable training images (test images are never dropped)
    embed_arch: str = "tf_efficientnet_lite0"  # frozen backbone whose pooled features table models learn from
    embed_pretrained: str = "offline"
    thumbnail: int = 8  # table models also see each picture as a gray side x side thumbnail (0: embeddings alone)


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
class ImageSpeedConfig(SpeedConfig):
    """The shared speed keys plus how image runs decode, feed and spread their pictures (none is part of the run id)."""

    decode_workers: int = 0  # processes decoding images into the cache; 0: one per core
    loader_workers: int = -1  # DataLoader workers; -1: auto (several on GPU, one on CPU)
    infer_batch_size: int = 0  # batch size for prediction; 0: twice the training batch
    gpus: int = 1  # processes training each fold together (DDP), one GPU each; gloo CPU processes without GPUs
    feed: str = "auto"  # loader (DataLoader, CPU augmentation) | device (uint8 images on the device) | auto


@dataclass
class ImageRunConfig(RunConfig):
    """An image run: the common keys plus ``image`` and ``augment``, and the image speed keys."""

    speed: ImageSpeedConfig = field(default_factory=ImageSpeedConfig)

    image: ImageConfig = field(default_factory=ImageConfig)
    augment: AugmentConfig = field(default_factory=AugmentConfig)
