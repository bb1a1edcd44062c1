"""Run configuration: dataclasses for each concern, layered YAML files and key=value overrides.

Layers, later wins: ``configs/defaults.yaml`` < ``configs/<comp>/defaults.yaml`` <
``configs/<comp>/<model>.yaml`` < command-line ``key=value``. Every key is checked against the
dataclasses below, so a misspelt key is an error that names the key and the file it came from.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Dict, List, Optional

import yaml
from omegaconf import DictConfig, OmegaConf
from omegaconf.errors import OmegaConfBaseException

from .errors import UserError
from .paths import config_dir

# Command-line shortcuts: `data_dir=P` is `data.dir=P`, `data=sample` is `data.sample=true`.
SHORTCUTS = {"data_dir": "data.dir", "seed": "seed", "folds": "cv.n_splits"}


@dataclass
class CVConfig:
    """How rows are split into folds; one fold file per (scheme, k, seed, data) is shared by all models."""

    n_splits: int = 5
    scheme: str = "kfold"  # kfold | stratified | group | time
    group_column: Optional[str] = None
    time_column: Optional[str] = None
    n_bins: int = 10  # target bins for stratified splits of a regression target
    only_folds: Optional[List[int]] = None  # train just these folds (quick checks); no submission


@dataclass
class DataConfig:
    """Where the competition files are."""

    dir: Optional[str] = None  # default: data/<comp>
    sample: bool = False  # use the generated sample (made on first use)


@dataclass
class PreprocessConfig:
    """Tabular preprocessing; every statistic is fitted on a fold's training rows only."""

    numeric_impute: str = "median"  # median | mean | zero
    missing_indicators: bool = False
    clip_quantile: Optional[float] = None  # clip numbers to the training rows' [q, 1-q] quantiles; null: off
    skew_threshold: Optional[float] = 0.75  # log1p non-negative columns more skewed than this; null: off
    scale: bool = True
    categorical: str = "onehot"  # onehot | ordinal
    high_cardinality: str = "target"  # target | ordinal | drop
    max_onehot_levels: int = 30
    min_category_count: int = 1
    text_max_features: int = 3000
    text_components: int = 16
    multi_max_items: int = 40


@dataclass
class ImageConfig:
    """Image competitions: how pictures are decoded, cached and fed."""

    size: int = 128  # decoded and resized once to size x size, cached as uint8
    subset: Optional[int] = None  # train on a stratified subset of N labelled images (quick or CPU runs)
    extension: Optional[str] = None  # override the competition's image file extension (e.g. .jpg)
    skip_bad_images: bool = False  # drop unreadable training images (test images are never dropped)
    decode_workers: int = 0  # processes decoding images into the cache; 0: one per core
    loader_workers: int = -1  # DataLoader workers; -1: auto (several on GPU, one on CPU)
    embed_arch: str = "tf_efficientnet_lite0"  # frozen backbone whose features tabular models (AutoGluon) learn from
    embed_pretrained: str = "offline"


@dataclass
class AugmentConfig:
    """Augmentation: albumentations pipelines (list of {TransformName: {kwargs}}), batch mixing, TTA."""

    train: List[Any] = field(default_factory=lambda: [
        {"HorizontalFlip": {"p": 0.5}},
        {"VerticalFlip": {"p": 0.5}},
        {"Affine": {"scale": [0.85, 1.15], "rotate": [-20, 20], "translate_percent": [-0.06, 0.06], "p": 0.7}},
    ])
    test: List[Any] = field(default_factory=list)
    mixup_alpha: float = 0.0  # > 0 turns mixup on
    cutmix_alpha: float = 0.0  # > 0 turns cutmix on
    mix_prob: float = 1.0  # share of batches mixed when either is on
    tta: List[str] = field(default_factory=lambda: ["hflip"])  # any of: hflip, vflip, crops


@dataclass
class ModelConfig:
    """Which registered model to build and its parameters (checked against the model's own dataclass)."""

    name: str = "lightgbm"
    params: Dict[str, Any] = field(default_factory=dict)


@dataclass
class RunConfig:
    """Everything that determines a run; its hash names the run folder."""

    comp: str = ""
    config_name: str = ""  # the configs/<comp>/<name>.yaml this run came from
    seed: int = 42
    target_transform: Optional[str] = None  # log1p | log | null
    fit_filter: Optional[str] = None  # pandas query: matching rows are left out of fitting, never of scoring
    drop_residual_sd: Optional[float] = None  # refit without training rows whose first-fit residual exceeds this many sd
    clip_predictions: bool = False  # regression: clip predictions to the fold's training target range
    features: bool = True  # apply the competition's own feature module, if it has one
    cv: CVConfig = field(default_factory=CVConfig)
    data: DataConfig = field(default_factory=DataConfig)
    preprocess: PreprocessConfig = field(default_factory=PreprocessConfig)
    model: ModelConfig = field(default_factory=ModelConfig)
    image: ImageConfig = field(default_factory=ImageConfig)
    augment: AugmentConfig = field(default_factory=AugmentConfig)


def read_yaml(path: Path) -> dict:
    """Parse a YAML mapping, turning syntax errors into a message that names the file."""
    try:
        data = yaml.safe_load(path.read_text()) or {}
    except yaml.YAMLError as exc:
        raise UserError(f"{path}: not valid YAML ({exc}). Fix the file's syntax.") from None
    if not isinstance(data, dict):
        raise UserError(f"{path}: expected a mapping of key: value at the top level.")
    return data


def parse_overrides(items: List[str]) -> Dict[str, Any]:
    """Turn ``key=value`` strings into a nested dict, values parsed as YAML scalars."""
    out: Dict[str, Any] = {}
    for item in items:
        if "=" not in item:
            raise UserError(f"override '{item}' is not key=value (e.g. model.params.learning_rate=0.05).")
        key, raw = item.split("=", 1)
        key = SHORTCUTS.get(key.strip(), key.strip())
        if key == "data":
            if raw != "sample":
                raise UserError(f"data={raw}: use data=sample for the generated sample, or data_dir=PATH for a folder.")
            key, raw = "data.sample", "true"
        try:
            value = yaml.safe_load(raw) if raw != "" else None
        except yaml.YAMLError:
            value = raw
        node = out
        parts = key.split(".")
        for part in parts[:-1]:
            node = node.setdefault(part, {})
            if not isinstance(node, dict):
                raise UserError(f"override '{item}' sets inside '{part}', which is not a section.")
        node[parts[-1]] = value
    return out


def _flat_keys(d: dict, prefix: str = "") -> List[str]:
    keys = []
    for k, v in d.items():
        name = f"{prefix}{k}"
        keys.append(name)
        if isinstance(v, dict):
            keys.extend(_flat_keys(v, name + "."))
    return keys


def _merge_layer(cfg: DictConfig, layer: dict, source: str) -> DictConfig:
    try:
        return OmegaConf.merge(cfg, layer)
    except OmegaConfBaseException as exc:
        key = getattr(exc, "full_key", None) or "?"
        if "not in" in str(exc) or type(exc).__name__ == "ConfigKeyError":
            parent = key.rsplit(".", 1)[0] if "." in key else ""
            node = OmegaConf.select(cfg, parent) if parent else cfg
            known = ", ".join(sorted(node.keys())) if isinstance(node, DictConfig) else ""
            raise UserError(f"{source}: unknown key '{key}'. Known keys here: {known}.") from None
        raise UserError(f"{source}: bad value for '{key}': {exc.msg if hasattr(exc, 'msg') else exc}.") from None


def config_files(comp: str, config_name: str) -> List[Path]:
    """The YAML layers that exist for a competition and model config, lowest first."""
    files = [config_dir() / "defaults.yaml", config_dir() / comp / "defaults.yaml"]
    files.append(config_dir() / comp / f"{config_name}.yaml")
    return [f for f in files if f.exists()]


def available_configs(comp: str) -> List[str]:
    """Model config names under configs/<comp>/ (without defaults)."""
    folder = config_dir() / comp
    # "<model>.space.yaml" files are Optuna search spaces and bench.yaml a benchmark plan, not configs.
    return sorted(p.stem for p in folder.glob("*.yaml") if p.stem not in ("defaults", "bench") and "." not in p.stem) if folder.exists() else []


def load_config(comp: str, config_name: str, overrides: Optional[List[str]] = None) -> RunConfig:
    """Resolve the layered config for ``comp`` and model config ``config_name``; validate every key."""
    from .models import model_names, validate_params

    cfg = OmegaConf.structured(RunConfig)
    layers = [(str(p), read_yaml(p)) for p in config_files(comp, config_name)]
    own = config_dir() / comp / f"{config_name}.yaml"
    if not own.exists():
        if config_name not in model_names():
            raise UserError(
                f"unknown model '{config_name}' for {comp}: no {own.relative_to(config_dir().parent)} and no "
                f"registered model of that name. Configs: {', '.join(available_configs(comp)) or 'none'}; "
                f"models: {', '.join(model_names())}."
            )
        layers.append(("model default", {"model": {"name": config_name}}))
    layers.append(("command line", parse_overrides(overrides or [])))
    for source, layer in layers:
        for bad in ("comp", "config_name"):
            if bad in layer:
                raise UserError(f"{source}: '{bad}' is set by the command (comp=, model=), not in a config.")
        cfg = _merge_layer(cfg, layer, source)
    cfg.comp, cfg.config_name = comp, config_name
    run: RunConfig = OmegaConf.to_object(cfg)
    param_sources = {
        key.split(".", 2)[2]: source
        for source, layer in layers
        for key in _flat_keys(layer)
        if key.startswith("model.params.") and key.count(".") == 2
    }
    run.model.params = validate_params(run.model.name, run.model.params, param_sources)
    _check_choices(run)
    return run


def _check_choices(run: RunConfig) -> None:
    choices = {
        "cv.scheme": (run.cv.scheme, ("kfold", "stratified", "group", "time")),
        "target_transform": (run.target_transform, (None, "log1p", "log")),
        "preprocess.numeric_impute": (run.preprocess.numeric_impute, ("median", "mean", "zero")),
        "preprocess.categorical": (run.preprocess.categorical, ("onehot", "ordinal")),
        "preprocess.high_cardinality": (run.preprocess.high_cardinality, ("target", "ordinal", "drop")),
    }
    for key, (value, allowed) in choices.items():
        if value not in allowed:
            raise UserError(f"bad value {key}={value!r}; choose one of: {', '.join(map(str, allowed))}.")
    if run.cv.n_splits < 2:
        raise UserError(f"cv.n_splits={run.cv.n_splits}: K-fold needs at least 2 folds.")
    if run.cv.scheme == "group" and not run.cv.group_column:
        raise UserError("cv.scheme=group needs cv.group_column=<column>.")
    if run.cv.scheme == "time" and not run.cv.time_column:
        raise UserError("cv.scheme=time needs cv.time_column=<column>.")


def to_dict(run: RunConfig) -> dict:
    """Plain dict of a run config (what is saved in the run folder)."""
    return OmegaConf.to_container(OmegaConf.structured(run), resolve=True)


def config_hash(run: RunConfig, data_fingerprint: str, code_fingerprint: str = "") -> str:
    """Short stable id of everything that changes a run's results (not where the data lies)."""
    d = to_dict(run)
    d.pop("data")  # the data fingerprint below says which data; where it lies does not matter
    for speed_only in ("decode_workers", "loader_workers"):
        d["image"].pop(speed_only)
    d["cv"].pop("only_folds", None)
    d["data_fingerprint"] = data_fingerprint
    d["code_fingerprint"] = code_fingerprint
    return hashlib.sha1(json.dumps(d, sort_keys=True, default=str).encode()).hexdigest()[:10]
