"""Run configuration: the keys every run has, layered YAML files and key=value overrides.

Layers, later wins: ``configs/defaults.yaml`` < ``configs/<comp>/defaults.yaml`` <
``configs/<comp>/<model>.yaml`` < command-line ``key=value``. Each kind of competition (its Task)
extends ``RunConfig`` with its own sections (tabular: ``preprocess`` ...; image: ``image``,
``augment``), so a misspelt key, or a key of the other kind, is an error naming the key and its file.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Dict, List, Optional, Tuple, Union

import yaml
from omegaconf import DictConfig, OmegaConf
from omegaconf.errors import OmegaConfBaseException

from .errors import UserError
from .files import read_yaml
from .paths import config_dir
from .secrets import mask_in

# Command-line shortcuts: `data_dir=P` is `data.dir=P`, `data=sample` is `data.sample=true`.
SHORTCUTS = {"data_dir": "data.dir", "seed": "seed", "folds": "cv.n_splits", "rows": "data.rows", "executor": "speed.executor",
             "ray_address": "speed.ray_address", "parallel": "speed.parallel", "feed": "speed.feed",
             "gpus": "speed.gpus", "tracker": "tracking.tool", "tracker_uri": "tracking.uri"}
Layers = List[Tuple[str, dict]]


@dataclass
class CVConfig:
    """How rows are split into folds; one fold file per (scheme, k, seed, data) is shared by all models."""

    n_splits: int = 5
    scheme: str = "kfold"  # kfold | stratified | group | time
    group_column: Optional[str] = None
    time_column: Optional[str] = None
    n_bins: int = 10  # target bins for stratified splits of a regression target
    only_folds: Optional[List[int]] = None  # train just these folds (quick checks); no submission

    def folds_to_run(self) -> List[int]:
        """The folds a run fits: ``only_folds`` when set, else every fold."""
        return list(self.only_folds) if self.only_folds is not None else list(range(self.n_splits))


@dataclass
class DataConfig:
    """Where the competition files are."""

    dir: Optional[str] = None  # default: data/<comp>
    sample: bool = False  # use the generated sample (made on first use)
    rows: Optional[int] = None  # train on a seeded subsample of N training rows (stratified by class); null: all


@dataclass
class ModelConfig:
    """Which registered model to build and its parameters (checked against the model's own dataclass)."""

    name: str = "lightgbm"
    params: Dict[str, Any] = field(default_factory=dict)
    seeds: int = 1  # table models: fit this many times per fold with different seeds and average the predictions


@dataclass
class SpeedConfig:
    """How fast, not what: none of these keys is part of the run id, so changing them resumes the same run."""

    threads: int = 0  # CPU threads for tree libraries and torch; 0: one per physical core other processes leave free
    device: str = "auto"  # auto | cpu | cuda
    executor: str = "local"  # local | ray: where a run's folds are fitted
    parallel: int = 0  # local executor: folds fitted at once in worker processes (one GPU each when there are GPUs); 0: one
    # at a time, except a model that fits on one thread, whose later folds run one a core once its first fold was slow
    ray_address: Optional[str] = None  # executor=ray: auto or host:port of a cluster; null starts a local Ray
    fold_cpus: int = 1  # executor=ray: CPUs each fold declares (and the threads it uses)
    fold_gpus: float = 0.0  # executor=ray: GPUs each fold declares (1 for image runs on a GPU machine)


@dataclass
class TrackingConfig:
    """Optional copy of each run in an experiment tracker; the run folder stays the source of truth."""

    tool: Optional[str] = None  # null | mlflow
    uri: Optional[str] = None  # mlflow: a tracking server or database URI; null: sqlite in <workdir>/mlruns/
    experiment: Optional[str] = None  # null: the competition's name


@dataclass
class RunConfig:
    """The keys every run has; a Task's config class adds its kind's sections."""

    comp: str = ""
    config_name: str = ""  # the configs/<comp>/<name>.yaml this run came from
    kind: str = ""  # the Task that trains it (default: the competition's kind)
    seed: int = 42
    force_resume: bool = False  # reuse finished folds made by other code (not part of the run id)
    cv: CVConfig = field(default_factory=CVConfig)
    data: DataConfig = field(default_factory=DataConfig)
    model: ModelConfig = field(default_factory=ModelConfig)
    speed: SpeedConfig = field(default_factory=SpeedConfig)
    tracking: TrackingConfig = field(default_factory=TrackingConfig)


def parse_value(raw: str) -> Any:
    """One override's value, read as OmegaConf reads a dotlist (``1e-3`` is a float, ``[1, 3]`` a list, ``null``
    None); text it cannot read (a leading backtick or ``@``, a ``!!python`` tag) stays text, never constructed."""
    try:
        return OmegaConf.to_container(OmegaConf.from_dotlist([f"value={raw}"]))["value"]
    except (OmegaConfBaseException, yaml.YAMLError):
        return raw


Overrides = Union[List[str], Dict[str, Any]]  # command-line words, or {dotted key: value} from Python


def flat_overrides(overrides: Optional[Overrides]) -> Dict[str, Any]:
    """Overrides as {dotted key: value}: ``key=value`` words parsed by ``parse_value``; a dict (the Python API's) as it
    is, its values never turned into text and back. A later key wins."""
    if not overrides:
        return {}
    if isinstance(overrides, dict):
        return {str(k): v for k, v in overrides.items()}
    out: Dict[str, Any] = {}
    for item in overrides:
        if "=" not in item:
            raise UserError(f"override '{item}' is not key=value (e.g. model.params.learning_rate=0.05).")
        key, raw = item.split("=", 1)
        out[key.strip()] = parse_value(raw)
    return out


def combine_overrides(*parts: Optional[Overrides]) -> Dict[str, Any]:
    """Several sets of overrides as one {dotted key: value}, later parts winning (a study's and a trial's, say)."""
    out: Dict[str, Any] = {}
    for part in parts:
        out.update(flat_overrides(part))
    return out


def parse_overrides(overrides: Optional[Overrides]) -> Dict[str, Any]:
    """Overrides (words or a dict) as a nested dict, shortcuts (``folds``, ``data_dir``, ...) expanded (train and tune
    alike)."""
    out: Dict[str, Any] = {}
    for key, value in flat_overrides(overrides).items():
        key = SHORTCUTS.get(key, key)
        item = f"{key}={value}"
        if key == "data":
            if value != "sample":
                raise UserError(f"data={value}: use data=sample for the generated sample, or data_dir=PATH for a folder.")
            key, value = "data.sample", True
        node = out
        parts = key.split(".")
        for part in parts[:-1]:
            node = node.setdefault(part, {})
            if not isinstance(node, dict):
                raise UserError(f"override '{item}' sets inside '{part}', which is not a section.")
        node[parts[-1]] = value
    return out


def flat_keys(d: dict, prefix: str = "") -> List[str]:
    """Dotted names of every key in a nested dict."""
    keys = []
    for k, v in d.items():
        name = f"{prefix}{k}"
        keys.append(name)
        if isinstance(v, dict):
            keys.extend(flat_keys(v, name + "."))
    return keys


def _merge_layer(cfg: DictConfig, layer: dict, source: str, kind: str) -> DictConfig:
    try:
        return OmegaConf.merge(cfg, layer)
    except OmegaConfBaseException as exc:
        key = str(getattr(exc, "full_key", None) or "?")
        if "not in" in str(exc) or type(exc).__name__ == "ConfigKeyError":
            parent = key.rsplit(".", 1)[0] if "." in key else ""
            node = OmegaConf.select(cfg, parent) if parent else cfg
            known = ", ".join(sorted(node.keys())) if isinstance(node, DictConfig) else ""
            raise UserError(f"{source}: unknown key '{key}' for {'an' if kind[0] in 'aeiou' else 'a'} {kind} run. "
                            f"Known keys here: {known}.") from None
        detail = getattr(exc, "msg", str(exc)).split("\n")[0]
        raise UserError(f"{source}: bad value for '{key}': {detail}.") from None


def config_files(comp: str, config_name: str) -> List[Path]:
    """The YAML layers that exist for a competition and model config, lowest first."""
    files = [config_dir() / "defaults.yaml", config_dir() / comp / "defaults.yaml", config_dir() / comp / f"{config_name}.yaml"]
    return [f for f in files if f.exists()]


def available_configs(comp: str) -> List[str]:
    """Model config names under configs/<comp>/ (without defaults)."""
    folder = config_dir() / comp
    # "<model>.space.yaml" files are Optuna search spaces and bench.yaml a benchmark plan, not configs.
    return sorted(p.stem for p in folder.glob("*.yaml") if p.stem not in ("defaults", "bench") and "." not in p.stem) if folder.exists() else []


def config_layers(comp: str, config_name: str, overrides: Optional[Overrides] = None) -> Layers:
    """(source, dict) for every layer, lowest first; ``comp`` and ``config_name`` are set by the command only."""
    layers = [(str(p), read_yaml(p)) for p in config_files(comp, config_name)]
    layers.append(("command line", parse_overrides(overrides)))
    for source, layer in layers:
        for bad in ("comp", "config_name"):
            if bad in layer:
                raise UserError(f"{source}: '{bad}' is set by the command (comp=, model=), not in a config.")
    return layers


def models_named(layers: Layers) -> List[Optional[str]]:
    """The model in force after each layer (the last ``model.name`` set so far): the last one is the run's."""
    owners, in_force = [], None
    for _, layer in layers:
        model = layer.get("model")
        in_force = model.get("name", in_force) if isinstance(model, dict) else in_force
        owners.append(in_force)
    return owners


def params_follow_their_model(layers: Layers) -> Layers:
    """Layers without the ``model.params`` written for a model that a later layer replaces: ``model=lightgbm
    model.name=xgboost`` keeps the config's preprocessing and drops its LightGBM parameters."""
    owners = models_named(layers)
    in_force = owners[-1] if owners else None
    out = []
    for (source, layer), owner in zip(layers, owners):
        model = layer.get("model")
        if isinstance(model, dict) and "params" in model and owner != in_force:
            layer = {**layer, "model": {k: v for k, v in model.items() if k != "params"}}
        out.append((source, layer))
    return out


def build_config(layers: Layers, cls: type, comp: str, config_name: str, kind: str):
    """Merge the layers over ``cls`` (a RunConfig subclass); every key is checked against it."""
    cfg = OmegaConf.structured(cls)
    for source, layer in layers:
        cfg = _merge_layer(cfg, layer, source, kind)
    cfg.comp, cfg.config_name, cfg.kind = comp, config_name, kind
    return OmegaConf.to_object(cfg)


def check_choices(choices: Dict[str, Tuple[Any, tuple]]) -> None:
    """``{key: (value, allowed values)}``: a bad value names the key and the choices."""
    for key, (value, allowed) in choices.items():
        if value not in allowed:
            raise UserError(f"bad value {key}={value!r}; choose one of: {', '.join(map(str, allowed))}.")


def check_common(run: RunConfig) -> None:
    check_choices({"cv.scheme": (run.cv.scheme, ("kfold", "stratified", "group", "time")),
                   "speed.device": (run.speed.device, ("auto", "cpu", "cuda")),
                   "speed.executor": (run.speed.executor, ("local", "ray"))})
    if run.speed.parallel < 0:
        raise UserError(f"speed.parallel={run.speed.parallel}: the number of folds fitted at once, 1 or more (0: "
                        "chosen for the model).")
    if run.cv.n_splits < 2:
        raise UserError(f"cv.n_splits={run.cv.n_splits}: K-fold needs at least 2 folds.")
    if not 0 <= run.seed < 2**32:
        raise UserError(f"seed={run.seed}: seeds are whole numbers from 0 to 2**32 - 1 (4294967295).")
    if run.cv.only_folds is not None and not set(run.cv.only_folds) <= set(range(run.cv.n_splits)):
        raise UserError(f"cv.only_folds={run.cv.only_folds}: folds are numbered 0..{run.cv.n_splits - 1}.")
    if run.cv.scheme == "group" and not run.cv.group_column:
        raise UserError("cv.scheme=group needs cv.group_column=<column>.")
    if run.cv.scheme == "time" and not run.cv.time_column:
        raise UserError("cv.scheme=time needs cv.time_column=<column>.")


def to_dict(run: RunConfig) -> dict:
    """Plain dict of a run config (what is saved in the run folder and sent to trackers): URL secrets masked."""
    return mask_in(OmegaConf.to_container(OmegaConf.structured(run), resolve=True))


def config_hash(run: RunConfig, data_fingerprint: str, code_fingerprint: str = "") -> str:
    """Short stable id of everything that changes a run's results: not where the data lies, not speed settings."""
    d = to_dict(run)
    for not_results in ("data", "speed", "force_resume", "tracking"):
        d.pop(not_results)
    d["cv"].pop("only_folds", None)
    d["data_fingerprint"] = data_fingerprint
    d["code_fingerprint"] = code_fingerprint
    return hashlib.sha1(json.dumps(d, sort_keys=True, default=str).encode()).hexdigest()[:10]
