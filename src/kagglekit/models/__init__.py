"""Model registry: a name maps to a params dataclass and a builder, timm-style.

Builders import their heavy libraries (lightgbm, torch) only when called, so listing models and
checking configs stay fast.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields
from typing import Any, Callable, Dict, List

from omegaconf import OmegaConf
from omegaconf.errors import OmegaConfBaseException

from ..errors import UserError


@dataclass(frozen=True)
class ModelEntry:
    name: str
    params: type  # dataclass of the model's parameters with their defaults
    build: Callable[..., Any]  # build(params_dataclass, task, seed) -> estimator with fit/predict(_proba)
    description: str = ""


_REGISTRY: Dict[str, ModelEntry] = {}


def register_model(name: str, params: type, description: str = ""):
    """Decorator registering ``build(params, task, seed)`` under ``name``."""

    def wrap(build):
        _REGISTRY[name] = ModelEntry(name, params, build, description)
        return build

    return wrap


def _load_builtin() -> None:
    from . import autogluon, image, mlp, tabular  # noqa: F401  (registration side effect)


def model_names() -> List[str]:
    """Names of all registered models."""
    _load_builtin()
    return sorted(_REGISTRY)


def get_model_entry(name: str) -> ModelEntry:
    _load_builtin()
    if name not in _REGISTRY:
        raise UserError(f"unknown model '{name}'; registered models: {', '.join(sorted(_REGISTRY))}.")
    return _REGISTRY[name]


def validate_params(name: str, params: Dict[str, Any], sources: Dict[str, str] | None = None) -> Dict[str, Any]:
    """Merge ``params`` over the model's defaults; an unknown key or bad type names its source."""
    entry = get_model_entry(name)
    known = [f.name for f in fields(entry.params)]
    for key in params:
        if key not in known:
            where = (sources or {}).get(key, "config")
            raise UserError(f"{where}: unknown key 'model.params.{key}' for model {name}. Known: {', '.join(known)}.")
    try:
        merged = OmegaConf.merge(OmegaConf.structured(entry.params), params)
    except OmegaConfBaseException as exc:
        key = getattr(exc, "full_key", "")
        where = (sources or {}).get(str(key), "config")
        raise UserError(f"{where}: bad value for model.params.{key} of model {name}: {exc.msg}") from None
    return OmegaConf.to_container(merged, resolve=True)


def build_model(name: str, params: Dict[str, Any], task: str, seed: int):
    """An unfitted estimator for ``name`` with validated ``params``."""
    entry = get_model_entry(name)
    return entry.build(entry.params(**params), task, seed)


__all__ = ["register_model", "model_names", "get_model_entry", "validate_params", "build_model", "asdict"]
