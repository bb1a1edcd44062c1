"""Every model kagglekit can train, in one registry (see ``registry.py`` for the contract)."""

from . import autogluon, boosting, forests, mlp, plain_boosting, sklearn, tabular_nets  # noqa: F401  (each module registers its models)
from .registry import EATS, ModelEntry, build_model, get_entry, model_params, names, register_model, validate_params
from .seed_average import build_averaged

__all__ = ["EATS", "ModelEntry", "build_averaged", "build_model", "get_entry", "model_params", "names", "register_model",
           "validate_params"]
