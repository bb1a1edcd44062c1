"""Image competitions: cached decoding, albumentations, timm fine-tuning, on the shared CV core."""
