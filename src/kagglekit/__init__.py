"""kagglekit: cross-validated Kaggle competition pipelines with shared machinery.

``kagglekit.train``, ``compare``, ``ensemble``, ``tune``, ``submit`` and ``leaderboard`` are the Python API
(``kagglekit/api.py``); the command line is ``kagglekit COMMAND ...``.
"""

__version__ = "0.1.0"

__all__ = ["train", "compare", "ensemble", "tune", "submit", "leaderboard", "Run"]


def __getattr__(name):  # the API loads pandas and friends only when first used
    if name in __all__:
        from . import api

        return getattr(api, name)
    raise AttributeError(f"module 'kagglekit' has no attribute {name!r}")
