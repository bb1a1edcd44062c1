"""Image competitions: cached decoding, albumentations, timm fine-tuning, on the shared CV core."""

from . import classifier  # noqa: F401  (registers the timm image model in the model registry)
