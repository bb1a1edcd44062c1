"""Reading the files a user points at, with one clear message for every way they can be wrong."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Iterable, Optional

import pandas as pd
import yaml

from .errors import UserError
from .paths import data_root, display


def read_yaml(path: Path) -> dict:
    """Parse a YAML mapping, turning syntax errors into a message that names the file."""
    try:
        data = yaml.safe_load(Path(path).read_text()) or {}
    except yaml.YAMLError as exc:
        raise UserError(f"{path}: not valid YAML ({exc}). Fix the file's syntax.") from None
    if not isinstance(data, dict):
        raise UserError(f"{path}: expected a mapping of key: value at the top level.")
    return data


def sample_dir(comp: str) -> Path:
    """Where `make sample comp=X` writes the generated sample."""
    return data_root() / "samples" / comp


def recorded_data_dir(comp: str, label: Optional[str]) -> Path:
    """The folder a run record's ``data`` label names: the generated sample, a data folder, or (none) data/<comp>."""
    return resolve_data_dir(comp, None if label == "sample" else label, label == "sample")


def resolve_data_dir(comp: str, data_dir: Optional[str], sample: bool) -> Path:
    """The folder to read: data_dir if given, the generated sample if asked, else data/<comp>."""
    if data_dir:
        return Path(data_dir).expanduser()
    if sample:
        return sample_dir(comp)
    return data_root() / comp


def how_to_get(comp: str) -> str:
    return (
        f"Get the data with `make data comp={comp}` (Kaggle API: needs ~/.kaggle/kaggle.json and the "
        f"competition's rules accepted on kaggle.com), or point to a folder in Kaggle's layout with "
        f"data_dir=PATH; or try the pipeline on a generated sample with data=sample."
    )


def file_fingerprint(paths: Iterable[Path]) -> str:
    """Short content hash of files (changes whenever any byte does)."""
    h = hashlib.sha1()
    for p in paths:
        with open(p, "rb") as f:
            for chunk in iter(lambda: f.read(1 << 20), b""):
                h.update(chunk)
    return h.hexdigest()[:10]


def read_table(path: Path, comp: str, **read_csv) -> pd.DataFrame:
    """Read one CSV; a missing or empty file is a UserError that says how to get the data."""
    if not path.exists():
        raise UserError(f"data for {comp} not found: {display(path)} is missing. {how_to_get(comp)}")
    try:
        df = pd.read_csv(path, **read_csv)
    except pd.errors.EmptyDataError:
        raise UserError(f"{display(path)} is empty. Download it again or regenerate it (data=sample).") from None
    except (pd.errors.ParserError, UnicodeDecodeError) as exc:
        raise UserError(f"{display(path)} is not a readable CSV ({exc}).") from None
    if df.empty:
        raise UserError(f"{display(path)} has a header but no rows. Download it again.")
    return df


def require_columns(df: pd.DataFrame, columns, path: Path, what: str) -> None:
    missing = [c for c in columns if c not in df.columns]
    if missing:
        raise UserError(
            f"{display(path)}: missing {what} column(s) {missing}; it has {list(df.columns)[:12]}"
            f"{'...' if len(df.columns) > 12 else ''}. Check the file, or the column names in the competition.yaml."
        )
