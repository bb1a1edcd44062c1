"""A search space: ``configs/<comp>/<model>.space.yaml``, a line per config key, read and sampled by Optuna."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Dict


from ..core.competition import load_competition
from ..core.errors import UserError
from ..core.files import read_yaml
from ..core.paths import config_dir
from ..tasks import load_run_config


def space_file(comp: str, config_name: str) -> Path:
    """The search space that sits next to the model config: configs/<comp>/<model>.space.yaml."""
    return config_dir() / comp / f"{config_name}.space.yaml"


def load_space(comp: str, config_name: str) -> Dict[str, dict]:
    path = space_file(comp, config_name)
    if not path.exists():
        raise UserError(f"no search space {path} for {config_name}; write one, a line per key, e.g. "
                        "`model.params.alpha: {float: [0.0001, 0.01], log: true}`.")
    space = read_yaml(path)
    for key, dist in space.items():
        if not isinstance(dist, dict) or not ({"float", "int", "categorical"} & set(dist)):
            raise UserError(f"{path}: '{key}' needs one of float: [low, high], int: [low, high] or categorical: [...].")
    # Every key must be a valid config key: check with the values at the low end of each range.
    probe = [f"{k}={(d.get('float') or d.get('int') or d.get('categorical'))[0]}" for k, d in space.items()]
    try:
        load_run_config(load_competition(comp), config_name, probe)
    except UserError as exc:
        raise UserError(f"{path}: {exc}") from None
    return space


def suggest(trial, space: Dict[str, dict]) -> Dict[str, Any]:
    """Draw one value per key; returns them as overrides, {dotted key: value}."""
    out = {}
    for key, d in space.items():
        if "float" in d:
            v = trial.suggest_float(key, *d["float"], log=d.get("log", False), step=d.get("step"))
        elif "int" in d:
            v = trial.suggest_int(key, *d["int"], log=d.get("log", False), step=d.get("step", 1))
        else:
            v = trial.suggest_categorical(key, d["categorical"])
        out[key] = v
    return out
