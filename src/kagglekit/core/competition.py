"""A competition is a folder ``competitions/<name>/``: ``competition.yaml`` and, if needed, Python files of its own.

The YAML says which Kaggle files there are, the id and target columns, the task, the metric, the
submission's shape and the column roles. Optional files in the folder: ``features.py`` (row-wise
``add_features(df)``, never fitted, so it cannot leak across folds), a metric module
(``custom_metrics``), ``prepare.py`` (``prepare(dest)`` writes the files where no Kaggle download
exists) and ``sample.yaml`` (how to generate a sample for tests).
"""

from __future__ import annotations

import hashlib
import importlib.util
import re
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any, Callable, Dict, List, Optional

from omegaconf import OmegaConf
from omegaconf.errors import OmegaConfBaseException

from .errors import UserError
from .files import read_yaml
from .metrics import get_metric
from .paths import competitions_dir

TASK_TYPES = ("regression", "binary", "multiclass", "multilabel")
SUBMISSION_FORMATS = ("value", "label", "proba", "class_proba", "top_labels")


@dataclass
class FilesSpec:
    """File names inside the data folder (test: "" when the test ids live only in the sample submission)."""

    train: str = "train.csv"  # the labelled rows
    test: str = "test.csv"  # the rows to predict ("": none, the sample submission lists them)
    sample_submission: str = "sample_submission.csv"  # the shape Kaggle expects; filled in as it is


@dataclass
class ColumnsSpec:
    """Column roles that cannot be read off dtypes; the rest are inferred (number: numeric, text: categorical)."""

    categorical: List[str] = field(default_factory=list)  # numbers that are really codes
    ordinal: Dict[str, List[str]] = field(default_factory=dict)  # column: levels, worst first
    text: List[str] = field(default_factory=list)  # free text: sparse TF-IDF (linear models) or its SVD (the rest)
    multi: List[str] = field(default_factory=list)  # "a, b, c" lists (item indicators)
    date: List[str] = field(default_factory=list)  # any spelling (zoned ISO as UTC, epoch seconds): calendar parts, hour, cycles, days
    drop: List[str] = field(default_factory=list)  # never fed to a model
    amounts: List[str] = field(default_factory=list)  # numbers written "$1,234.50" or "12.5%": read as 1234.5 and 12.5
    multi_separator: str = ", "  # between the items of a multi column


@dataclass
class SubmissionSpec:
    """How predictions fill the sample submission (its id column and row order are kept as they are).

    ``format``: value (regression numbers), label (the most probable class, written like the sample's
    labels), proba (P(positive) for binary; P(1) per column for multi-label), class_proba (one column
    per class, named as the classes), top_labels (the ``top`` most probable classes in one cell, best first,
    separated by spaces: Kaggle's MAP@K layout). Null: guessed from the task, the metric and the sample's columns.
    """

    id: Optional[str] = None  # the sample submission's id column; default the competition's id
    columns: Optional[List[str]] = None  # prediction columns; default every sample column but the id
    format: Optional[str] = None  # value, label, proba, class_proba or top_labels; null: guessed
    top: Optional[int] = None  # top_labels: labels a row; null: K of a map@K metric, else as many as the sample's rows hold
    positive: Optional[str] = None  # binary proba: the class whose probability is written; default the larger label


@dataclass
class CompetitionSpec:
    """What kagglekit needs to know about one Kaggle competition."""

    name: str = ""
    kaggle: str = ""  # the Kaggle slug used by `kaggle competitions download`
    title: str = ""  # for people
    kind: str = "tabular"  # tabular or image: the Task that trains it by default
    other_kinds: List[str] = field(default_factory=list)  # also trainable as (a config sets kind: ...)
    task: str = "regression"  # regression, binary, multiclass or multilabel
    id: Optional[str] = "Id"  # null: no id column (rows are numbered)
    target: Any = ""  # a column name, or a list of them (several targets, multi-label)
    metric: str = "rmse"  # a metric below, or one of custom_metrics
    custom_metrics: Dict[str, Any] = field(default_factory=dict)  # name: {file, greater_is_better, needs, space}
    files: FilesSpec = field(default_factory=FilesSpec)
    submission: SubmissionSpec = field(default_factory=SubmissionSpec)
    columns: ColumnsSpec = field(default_factory=ColumnsSpec)
    read_csv: Dict[str, Any] = field(default_factory=dict)  # extra pandas.read_csv arguments
    features: Optional[str] = None  # module file in the competition folder with add_features(df)
    # Sections a kind owns (images: ...), as written; ``section`` reads one through its kind's dataclass.
    sections: Dict[str, Any] = field(default_factory=dict, metadata={"internal": True})

    def section(self, name: str, cls: type):
        """The ``name:`` section of competition.yaml read as ``cls`` (a kind's dataclass): defaults filled in, every
        key and type checked, one line naming the file and the key when one is wrong. Read once, then reused."""
        read = self.__dict__.setdefault("_read_sections", {})
        if name in read:
            return read[name]
        out = _structured(cls, self.sections.get(name) or {}, self.folder / "competition.yaml", f"{name}.")
        problem = out.check() if hasattr(out, "check") else None
        if problem:
            raise UserError(f"{self.folder / 'competition.yaml'}: {problem}.")
        read[name] = out
        return out

    @property
    def folder(self) -> Path:
        return competitions_dir() / self.name

    @property
    def targets(self) -> List[str]:
        return list(self.target) if isinstance(self.target, (list, tuple)) else [self.target]

    @property
    def submission_id(self) -> Optional[str]:
        return self.submission.id or self.id

    @property
    def classification(self) -> bool:
        return self.task != "regression"

    @property
    def kinds(self) -> List[str]:
        return [self.kind] + [k for k in self.other_kinds if k != self.kind]


def _structured(cls: type, raw: dict, path: Path, prefix: str = ""):
    """``raw`` read as the dataclass ``cls`` (defaults filled in, keys and types checked); a wrong key or value is one
    line naming the file and the key."""
    try:
        return OmegaConf.to_object(OmegaConf.merge(OmegaConf.structured(cls), raw))
    except OmegaConfBaseException as exc:
        key = getattr(exc, "full_key", None) or "?"
        raise UserError(f"{path}: bad key or value '{prefix}{key}': {exc.msg if hasattr(exc, 'msg') else exc}") from None


SECTIONS = {  # competition.yaml keys that hold key: value pairs, with an example of each
    "files": "e.g. files: {train: train.csv}", "submission": "e.g. submission: {format: proba}",
    "columns": "e.g. columns: {categorical: [a, b]}",
    "read_csv": "e.g. read_csv: {sep: ';'}", "custom_metrics": "e.g. custom_metrics: {name: {file: metric.py}}",
}
NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")


def competition_names() -> List[str]:
    """Names of all competition folders."""
    return sorted(p.parent.name for p in competitions_dir().glob("*/competition.yaml"))


def check_name(name: str) -> str:
    """Competition names are plain folder names under competitions/ (no paths)."""
    if not NAME.match(name or "") or ".." in name:
        raise UserError(f"comp={name!r}: a competition is named by its folder under competitions/ "
                        f"(one of: {', '.join(competition_names())}), not a path.")
    return name


def load_competition(name: str) -> CompetitionSpec:
    """Read and validate ``competitions/<name>/competition.yaml``."""
    path = competitions_dir() / check_name(name) / "competition.yaml"
    if not path.exists():
        raise UserError(
            f"unknown competition '{name}' (no {path}). Known: {', '.join(competition_names())}. "
            "A new one: `make new comp=NAME data_dir=PATH` writes competitions/NAME/competition.yaml from its files. "
            "Run from the project folder, or set KAGGLEKIT_HOME=PATH to the folder that holds competitions/ and configs/."
        )
    raw = read_yaml(path)
    core = {f.name for f in fields(CompetitionSpec)} - {"sections"}
    sections = {k: raw.pop(k) for k in list(raw) if k not in core and isinstance(raw[k], dict)}
    for key in SECTIONS:
        if raw.get(key) is not None and not isinstance(raw[key], dict):
            raise UserError(f"{path}: '{key}' is a section of key: value pairs ({SECTIONS[key]}), not {raw[key]!r}.")
    spec: CompetitionSpec = _structured(CompetitionSpec, raw, path)
    spec.name, spec.sections = name, sections  # a kind's sections are checked by its Task (tasks.check_sections)
    if spec.task == "classification":  # older files: binary or multi-class, told apart by the data
        spec.task = "multiclass"
    checks = [
        (all(spec.targets), "'target' (the column or columns to predict) is required"),
        (spec.task in TASK_TYPES, f"task must be one of {', '.join(TASK_TYPES)}, not '{spec.task}'"),
        (spec.submission.format in (None,) + SUBMISSION_FORMATS,
         f"submission.format must be one of {', '.join(SUBMISSION_FORMATS)}, not '{spec.submission.format}'"),
        (spec.submission.top is None or (isinstance(spec.submission.top, int) and spec.submission.top >= 1),
         f"submission.top must be a whole number of labels, 1 or more, not {spec.submission.top!r}"),
        (len(spec.targets) == 1 or spec.task in ("regression", "multilabel"),
         "several target columns are for regression or multilabel tasks"),
    ]
    for ok, message in checks:
        if not ok:
            raise UserError(f"{path}: {message}.")
    return spec


def competition_fingerprint(spec: CompetitionSpec) -> str:
    """Hash of the competition's YAML and its Python files: editing either makes new runs, not resumed ones."""
    h = hashlib.sha1((spec.folder / "competition.yaml").read_bytes())
    for path in sorted(spec.folder.glob("*.py")):
        h.update(path.name.encode() + path.read_bytes())
    return h.hexdigest()[:10]


def _module(spec: CompetitionSpec, filename: str):
    path = spec.folder / filename
    if not path.exists():
        raise UserError(f"{spec.folder / 'competition.yaml'}: file {path} does not exist.")
    module_spec = importlib.util.spec_from_file_location(f"kagglekit_{spec.name.replace('-', '_')}_{path.stem}", path)
    module = importlib.util.module_from_spec(module_spec)
    module_spec.loader.exec_module(module)
    return module


def feature_function(spec: CompetitionSpec) -> Optional[Callable]:
    """The competition's ``add_features(df) -> df`` function, or None when it has no feature module."""
    if not spec.features:
        return None
    module = _module(spec, spec.features)
    if not hasattr(module, "add_features"):
        raise UserError(f"{spec.folder / spec.features}: must define add_features(df) -> df.")
    return module.add_features


def prepare_function(spec: CompetitionSpec) -> Optional[Callable]:
    """``prepare(dest)`` from the competition's ``prepare.py`` (data that ships without a Kaggle download), or None."""
    if not (spec.folder / "prepare.py").exists():
        return None
    module = _module(spec, "prepare.py")
    if not hasattr(module, "prepare"):
        raise UserError(f"{spec.folder / 'prepare.py'}: must define prepare(dest: Path).")
    return module.prepare


def competition_metric(spec: CompetitionSpec):
    """The competition's metric (from the registry, or its own folder)."""
    return get_metric(spec.metric, spec.custom_metrics, spec.folder)
