"""Kaggle submissions: checked against the sample submission before an atomic write."""

from __future__ import annotations

from pathlib import Path
from typing import Optional, Sequence

import numpy as np
import pandas as pd

from .errors import UserError
from .paths import display, submissions_root
from .runs import atomic_write_text


def validate_submission(
    sub: pd.DataFrame,
    sample: pd.DataFrame,
    id_col: str,
    value_range: Optional[tuple] = None,
    classes: Optional[Sequence] = None,
) -> None:
    """Raise UserError unless ``sub`` is what Kaggle accepts: the sample's header, ids, order and row count,
    no missing or infinite values, numbers in ``value_range`` or labels among ``classes``."""
    problems = []
    if list(sub.columns) != list(sample.columns):
        problems.append(f"header {list(sub.columns)} differs from the sample's {list(sample.columns)}")
    if len(sub) != len(sample):
        problems.append(f"{len(sub)} rows, the sample has {len(sample)}")
    elif not (sub[id_col].astype(str).values == sample[id_col].astype(str).values).all():
        problems.append(f"'{id_col}' values are not the sample's ids in the sample's order")
    for col in sub.columns:
        if col == id_col:
            continue
        values = sub[col]
        if values.isna().any():
            problems.append(f"{int(values.isna().sum())} missing value(s) in '{col}'")
        if classes is not None:
            unknown = set(values.dropna().astype(str)) - {str(c) for c in classes}
            if unknown:
                problems.append(f"'{col}' has labels not among the classes: {sorted(unknown)[:5]}")
        elif pd.api.types.is_numeric_dtype(values):
            arr = values.to_numpy(dtype=float)
            if not np.isfinite(arr[~np.isnan(arr)]).all():
                problems.append(f"infinite value(s) in '{col}'")
            elif value_range is not None:
                lo, hi = value_range
                out = (arr < lo) | (arr > hi)
                if out.any():
                    problems.append(f"{int(out.sum())} value(s) of '{col}' outside the sane range [{lo:g}, {hi:g}]")
    if problems:
        raise UserError("submission rejected before writing (Kaggle would refuse it): " + "; ".join(problems) + ".")


def write_submission(sub: pd.DataFrame, comp: str, name: str, **checks) -> Path:
    """Validate against the sample (keyword ``sample``, ``id_col``, ...) and write atomically."""
    validate_submission(sub, **checks)
    path = submissions_root() / comp / f"{name}.csv"
    atomic_write_text(path, sub.to_csv(index=False))
    return path


def regression_range(y: np.ndarray, positive: bool) -> tuple:
    """A generous sane range for predictions given the training target."""
    lo, hi = float(np.min(y)), float(np.max(y))
    span = hi - lo or abs(hi) or 1.0
    if positive:
        return (max(lo / 10.0, np.finfo(float).tiny), hi * 10.0)
    return (lo - 10 * span, hi + 10 * span)


def check_written(path: Path, sample: pd.DataFrame, id_col: str) -> None:
    """Re-read a written submission as Kaggle would and check it once more."""
    try:
        again = pd.read_csv(path)
    except Exception as exc:  # noqa: BLE001 - any read failure means the file is bad
        raise UserError(f"{display(path)} could not be read back: {exc}") from None
    validate_submission(again, sample, id_col)
