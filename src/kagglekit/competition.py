"""A competition is a folder ``competitions/<name>/``: ``competition.yaml`` and, if needed, ``features.py``.

The YAML describes the Kaggle files, id and target columns, task, metric and column roles; the
optional feature module adds row-wise columns (never fitted, so it cannot leak across folds).
"""

from __future__ import annotations

import importlib.util
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Dict, List, Optional

from omegaconf import OmegaConf
from omegaconf.errors import OmegaConfBaseException

from .config import read_yaml
from .errors import UserError
from .paths import COMPETITIONS_DIR


@dataclass
class FilesSpec:
    train: str = "train.csv"
    test: str = "test.csv"
    sample_submission: str = "sample_submission.csv"


@dataclass
class ColumnsSpec:
    """Column roles that cannot be read off dtypes; the rest are inferred (number: numeric, text: categorical)."""

    categorical: List[str] = field(default_factory=list)  # numbers that are really codes
    ordinal: Dict[str, List[str]] = field(default_factory=dict)  # column: levels, worst first
    text: List[str] = field(default_factory=list)  # free text (TF-IDF + SVD)
    multi: List[str] = field(default_factory=list)  # "a, b, c" lists (item indicators)
    date: List[str] = field(default_factory=list)  # parsed to year, month, day-of-year, ordinal day
    drop: List[str] = field(default_factory=list)
    multi_separator: str = ", "


@dataclass
class ImagesSpec:
    """Where an image competition keeps its pictures."""

    path_column: Optional[str] = None  # a CSV column holding each image's relative path (e.g. images/0.jpg)
    train_dir: str = ""  # else: folders of <id><extension> files
    test_dir: str = ""
    extension: str = ".png"


@dataclass
class CompetitionSpec:
    """What kagglekit needs to know about one Kaggle competition."""

    name: str = ""
    kaggle: str = ""  # the Kaggle slug used by `kaggle competitions download`
    title: str = ""
    kind: str = "tabular"  # tabular | image
    task: str = "regression"  # regression | classification
    id: str = "Id"
    target: str = ""
    metric: str = "rmse"
    files: FilesSpec = field(default_factory=FilesSpec)
    columns: ColumnsSpec = field(default_factory=ColumnsSpec)
    read_csv: Dict[str, Any] = field(default_factory=dict)  # extra pandas.read_csv arguments
    features: Optional[str] = None  # module file in the competition folder with add_features(df)
    images: ImagesSpec = field(default_factory=ImagesSpec)

    @property
    def folder(self) -> Path:
        return COMPETITIONS_DIR / self.name

    @property
    def submission_columns(self) -> List[str]:
        return [self.id, self.target]


def competition_names() -> List[str]:
    """Names of all competition folders."""
    return sorted(p.parent.name for p in COMPETITIONS_DIR.glob("*/competition.yaml"))


def load_competition(name: str) -> CompetitionSpec:
    """Read and validate ``competitions/<name>/competition.yaml``."""
    path = COMPETITIONS_DIR / name / "competition.yaml"
    if not path.exists():
        raise UserError(
            f"unknown competition '{name}' (no {path}). Known: {', '.join(competition_names())}. "
            "A new one needs competitions/<name>/competition.yaml and configs/<name>/."
        )
    try:
        cfg = OmegaConf.merge(OmegaConf.structured(CompetitionSpec), read_yaml(path))
    except OmegaConfBaseException as exc:
        raise UserError(f"{path}: bad key or value '{getattr(exc, 'full_key', '')}': {exc}") from None
    spec: CompetitionSpec = OmegaConf.to_object(cfg)
    spec.name = name
    if not spec.target:
        raise UserError(f"{path}: 'target' (the column to predict) is required.")
    if spec.task not in ("regression", "classification"):
        raise UserError(f"{path}: task must be regression or classification, not '{spec.task}'.")
    if spec.kind not in ("tabular", "image"):
        raise UserError(f"{path}: kind must be tabular or image, not '{spec.kind}'.")
    return spec


def competition_fingerprint(spec: CompetitionSpec) -> str:
    """Hash of the competition's YAML and feature module: editing either makes new runs, not resumed ones."""
    import hashlib

    h = hashlib.sha1((spec.folder / "competition.yaml").read_bytes())
    if spec.features and (spec.folder / spec.features).exists():
        h.update((spec.folder / spec.features).read_bytes())
    return h.hexdigest()[:10]


def feature_function(spec: CompetitionSpec) -> Optional[Callable]:
    """The competition's ``add_features(df) -> df`` function, or None when it has no feature module."""
    if not spec.features:
        return None
    path = spec.folder / spec.features
    if not path.exists():
        raise UserError(f"{spec.folder / 'competition.yaml'}: features file {path} does not exist.")
    module_spec = importlib.util.spec_from_file_location(f"kagglekit_features_{spec.name.replace('-', '_')}", path)
    module = importlib.util.module_from_spec(module_spec)
    module_spec.loader.exec_module(module)
    if not hasattr(module, "add_features"):
        raise UserError(f"{path}: must define add_features(df) -> df.")
    return module.add_features
