"""Find and read a competition's files in Kaggle's layout, with clear messages for every bad input."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import Optional

import pandas as pd

from .competition import CompetitionSpec
from .errors import UserError
from .paths import data_root, display


@dataclass
class CompetitionData:
    """The three Kaggle files of a tabular competition, read and checked."""

    train: pd.DataFrame
    test: pd.DataFrame
    sample_submission: pd.DataFrame
    folder: Path
    fingerprint: str  # hash of the train and test files: runs and folds on other data never mix


def sample_dir(comp: str) -> Path:
    """Where `make sample comp=X` writes the generated sample."""
    return data_root() / "samples" / comp


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


def file_fingerprint(*paths: Path) -> str:
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


def load_competition_data(spec: CompetitionSpec, folder: Path) -> CompetitionData:
    """Read train, test and sample submission from ``folder`` and check them against the spec."""
    paths = {k: folder / getattr(spec.files, k) for k in ("train", "test", "sample_submission")}
    train = read_table(paths["train"], spec.name, **spec.read_csv)
    test = read_table(paths["test"], spec.name, **spec.read_csv)
    sub = read_table(paths["sample_submission"], spec.name)
    require_columns(train, [spec.id, spec.target], paths["train"], "id/target")
    require_columns(test, [spec.id], paths["test"], "id")
    require_columns(sub, spec.submission_columns, paths["sample_submission"], "submission")
    if spec.task == "regression":
        target = pd.to_numeric(train[spec.target], errors="coerce")
        bad = target.isna() & train[spec.target].notna()
        if bad.any():
            examples = train.loc[bad, spec.target].astype(str).unique()[:3].tolist()
            raise UserError(
                f"{display(paths['train'])}: target '{spec.target}' must be numeric for a regression task; "
                f"found {int(bad.sum())} non-numeric value(s) such as {examples}."
            )
        train[spec.target] = target
    if train[spec.target].isna().any():
        raise UserError(
            f"{display(paths['train'])}: target '{spec.target}' is missing in {int(train[spec.target].isna().sum())} "
            "row(s). Drop those rows or fix the file."
        )
    if train[spec.id].duplicated().any():
        raise UserError(f"{display(paths['train'])}: id column '{spec.id}' has duplicate values.")
    if len(sub) != len(test) or not (sub[spec.id].astype(str).values == test[spec.id].astype(str).values).all():
        raise UserError(
            f"{display(paths['sample_submission'])} disagrees with {display(paths['test'])}: it must list the same "
            f"{len(test)} ids in the same order (it has {len(sub)} rows). Re-download both files from the same source."
        )
    return CompetitionData(
        train=train,
        test=test,
        sample_submission=sub,
        folder=folder,
        fingerprint=file_fingerprint(paths["train"], paths["test"]),
    )
