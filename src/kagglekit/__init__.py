"""kagglekit: cross-validated Kaggle competition pipelines with shared machinery."""

__version__ = "0.1.0"
