"""The data contract every Task returns: the competition's three files, read and checked once.

Checks shared by every kind live here: ids, targets, and the sample submission agreeing with the
test rows. What a kind reads besides the tables (decoded pictures) goes in ``kind_data``, as that kind's own type.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Optional

import numpy as np
import pandas as pd

from .competition import CompetitionSpec
from .errors import UserError
from .files import file_fingerprint, locate_table, read_table, require_columns
from .paths import display


@dataclass
class Dataset:
    """A competition's data as one run reads it (rows in the order folds and predictions use)."""

    train: pd.DataFrame
    test: pd.DataFrame
    sample_submission: pd.DataFrame
    folder: Path
    fingerprint: str  # hash of what the run reads: runs and folds on other data never mix
    train_ids: np.ndarray  # id of each training row as text (the row number where there is no id column)
    kind_data: Any = None  # what a kind reads besides the tables, as its own typed object (images: PictureCaches)


def subsample_positions(train: pd.DataFrame, target: Optional[str], n: int, seed: int) -> np.ndarray:
    """Sorted row positions of about ``n`` rows drawn with ``seed``; with a class ``target``, every class is kept in
    proportion (at least one row each)."""
    rng = np.random.default_rng(seed)
    if target is None:
        return np.sort(rng.choice(len(train), size=min(n, len(train)), replace=False))
    frac = min(1.0, n / len(train))
    keep = []
    for _, rows in train.reset_index(drop=True).groupby(target, sort=True):
        k = max(1, int(round(len(rows) * frac)))
        keep.extend(rng.choice(rows.index.to_numpy(), size=min(k, len(rows)), replace=False))
    return np.array(sorted(keep))


def keep_rows(data: "Dataset", positions: np.ndarray, seed: int) -> None:
    """Keep only these training rows; the fingerprint says so, so folds and run ids of the subsample stay apart."""
    if len(positions) < len(data.train):
        data.fingerprint += f"-n{len(positions)}-s{seed}"
        data.train = data.train.iloc[positions].reset_index(drop=True)
        data.train_ids = data.train_ids[positions]


def row_ids(frame: pd.DataFrame, id_col: Optional[str]) -> np.ndarray:
    """Ids as text: the id column, or the row number when the competition has none."""
    if id_col and id_col in frame.columns:
        return frame[id_col].astype(str).to_numpy()
    return np.arange(len(frame)).astype(str)


def _first_difference(a: np.ndarray, b: np.ndarray) -> str:
    """The first row where two id lists differ, over their common length first (a missing row shows where it is)."""
    n = min(len(a), len(b))
    differ = np.flatnonzero(a[:n] != b[:n])
    i = int(differ[0]) if len(differ) else n
    left = a[i] if i < len(a) else "(none)"
    right = b[i] if i < len(b) else "(none)"
    return f"row {i + 1}: {left!s} vs {right!s}"


def check_submission_rows(spec: CompetitionSpec, test: pd.DataFrame, sample: pd.DataFrame, test_path: Path,
                          sample_path: Path) -> None:
    """The sample submission must list the test rows: the same ids in the same order (or as many rows)."""
    sub_id = spec.submission_id
    if sub_id and spec.id and spec.id in test.columns and sub_id in sample.columns:
        a, b = sample[sub_id].astype(str).to_numpy(), test[spec.id].astype(str).to_numpy()
        if len(a) != len(b) or (a != b).any():
            raise UserError(f"{display(sample_path)} disagrees with {display(test_path)}: it must list the same {len(b)} "
                            f"ids in the same order (it has {len(a)} rows; first difference at {_first_difference(a, b)}). "
                            "Re-download both files from the same source.")
    elif len(sample) != len(test):
        raise UserError(f"{display(sample_path)} has {len(sample)} rows but {display(test_path)} has {len(test)}: "
                        "one submission row per test row is needed.")


def check_targets(spec: CompetitionSpec, train: pd.DataFrame, path: Path) -> None:
    """Targets (present in every row: ``labelled_rows`` came first) numeric and finite for regression."""
    for target in spec.targets:
        col = train[target]
        if spec.task == "regression":
            numeric = pd.to_numeric(col, errors="coerce")
            bad = numeric.isna() & col.notna()
            if bad.any():
                examples = col[bad].astype(str).unique()[:3].tolist()
                raise UserError(f"{display(path)}: target '{target}' must be numeric for a regression task; found "
                                f"{int(bad.sum())} non-numeric value(s) such as {examples}.")
            if np.isinf(numeric.to_numpy(dtype=float)).any():
                raise UserError(f"{display(path)}: target '{target}' has infinite values; fix or drop those rows.")
            train[target] = numeric


# A number with a currency sign, thousands commas or a percent sign; a decimal comma ("1,5") is not one.
AMOUNT_MARKS = r"[$€£¥,%]"  # what a plain number lacks
AMOUNT = r"^\s*[-+]?[$€£¥]?\s*[-+]?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?\s*%?\s*$"


def looks_like_amounts(values: pd.Series, share: float = 0.95) -> bool:
    """Text cells that are numbers written with a currency sign, thousands commas or a percent sign ("$1,234.50",
    "12.5%") in at least ``share`` of the non-empty cells, and not plain numbers all (pandas reads those itself)."""
    if not (pd.api.types.is_object_dtype(values) or pd.api.types.is_string_dtype(values)):
        return False
    text = values.dropna().astype(str)
    if len(text) < 5:
        return False
    return bool(text.str.match(AMOUNT).mean() >= share and text.str.contains(AMOUNT_MARKS, regex=True).any())


def read_amounts(values: pd.Series) -> pd.Series:
    """The numbers of amount cells ("$1,234.50" is 1234.5, "12.5%" is 12.5); a cell that is not one is missing."""
    text = values.astype("string").str.replace(rf"\s|\+|{AMOUNT_MARKS}", "", regex=True)
    return pd.to_numeric(text, errors="coerce").astype(float)


def read_sample_submission(spec: CompetitionSpec, folder: Path, path: Optional[Path] = None) -> pd.DataFrame:
    """The sample submission (or a submission file at ``path``) with its id column as text, byte for byte: Kaggle
    compares ids as text, and ``001461`` is not ``1461``."""
    path = path or locate_table(folder / spec.files.sample_submission)
    return read_table(path, spec.name, text=[spec.submission_id] if spec.submission_id else [])


def read_competition_files(spec: CompetitionSpec, folder: Path, read_csv: Optional[dict] = None,
                           need_test_id: bool = True, log: Optional[Callable] = None) -> Dataset:
    """Read train, test (or the sample's ids when there is no test file) and the sample submission; check them.
    ``log``: where to say what reading changed (training rows without a target left out)."""
    read_csv = spec.read_csv if read_csv is None else read_csv
    train_path, sample_path = locate_table(folder / spec.files.train), locate_table(folder / spec.files.sample_submission)
    test_path = locate_table(folder / spec.files.test) if spec.files.test else sample_path
    ids = [spec.id] if spec.id else []
    train = read_table(train_path, spec.name, text=ids, **read_csv)
    sample = read_sample_submission(spec, folder, sample_path)
    test = read_table(test_path, spec.name, text=ids, **read_csv) if spec.files.test else None
    require_columns(train, ids + spec.targets, train_path, "id/target")
    if spec.submission_id:
        require_columns(sample, [spec.submission_id], sample_path, "submission id")
    if test is None:  # e.g. CIFAR-10: the test ids are the sample submission's
        test = sample[[spec.submission_id]].rename(columns={spec.submission_id: spec.id})
    elif spec.id and need_test_id and spec.submission_id == spec.id:
        require_columns(test, [spec.id], test_path, "id")
    for col in spec.columns.amounts:  # before the targets are checked: a price target is an amount too
        for frame in (train, test):
            if col in frame.columns:
                frame[col] = read_amounts(frame[col])
    train, notes = labelled_rows(spec, train, train_path)
    for note in notes if log else ():
        log(note)
    check_targets(spec, train, train_path)
    if spec.id:
        for frame, path in ((train, train_path), (test, test_path)):
            if spec.id in frame.columns and frame[spec.id].duplicated().any():
                dup = frame.loc[frame[spec.id].duplicated(), spec.id].astype(str).tolist()[:3]
                raise UserError(f"{display(path)}: id column '{spec.id}' has duplicate values, e.g. {dup}; "
                                "Kaggle would reject a submission with them. Fix the file.")
    check_submission_rows(spec, test, sample, test_path, sample_path)
    fingerprint = file_fingerprint([train_path] + ([test_path] if spec.files.test else [sample_path]))
    return Dataset(train, test, sample, folder, fingerprint, row_ids(train, spec.id))


def labelled_rows(spec: CompetitionSpec, train: pd.DataFrame, path: Path):
    """(the training rows whose targets are all present, notes): a row without a target has nothing to learn from
    or score against, so it is left out with a line saying so (as AutoGluon does); none labelled is an error."""
    unlabelled = train[spec.targets].isna().any(axis=1)
    if not unlabelled.any():
        return train, []
    names = ", ".join(f"'{t}'" for t in spec.targets)
    if unlabelled.all():
        raise UserError(f"{display(path)}: no row has a value for target {names}; check `target:` in competition.yaml.")
    note = (f"{display(path)}: {int(unlabelled.sum())} of {len(train)} rows have no {names}: trained and scored "
            f"without them")
    return train[~unlabelled].reset_index(drop=True), [note]
