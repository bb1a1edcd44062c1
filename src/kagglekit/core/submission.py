"""Kaggle submissions: the sample submission filled with predictions, checked strictly before an atomic write.

The sample's header, id column and row order are kept as they are, so an id that is not in test.csv
(a row number, say) or a submission column named otherwise than the train target cost nothing.
"""

from __future__ import annotations

from pathlib import Path
from typing import List, Optional, Tuple

import numpy as np
import pandas as pd

from .competition import CompetitionSpec
from .errors import UserError
from .io import atomic_write_text
from .metrics import Metric, map_k
from .paths import display, submissions_root


def labels_a_row(cells: pd.Series, classes) -> Optional[int]:
    """K when every cell holds two or more class labels separated by spaces (Kaggle's MAP@K sample: "a b c"),
    the most common count; else None. Labels are compared as text."""
    names = {str(c) for c in classes}
    tokens = cells.astype(str).str.split()
    if len(cells) == 0 or cells.isna().any() or (tokens.str.len() < 2).any():
        return None
    if not set(t for row in tokens for t in row) <= names:
        return None
    return _labels_a_cell(tokens)


def _labels_a_cell(tokens: pd.Series) -> int:
    """The most common number of labels in cells already split into labels."""
    return int(tokens.str.len().mode().iloc[0])


def top_count(spec: CompetitionSpec, metric: Metric, sample: pd.DataFrame, column: str) -> int:
    """How many labels a top_labels cell holds: submission.top, else K of a map@K metric, else the sample's count."""
    return int(spec.submission.top or map_k(metric.name) or _labels_a_cell(sample[column].astype(str).str.split()))


def submission_shape(spec: CompetitionSpec, metric: Metric, classes: Optional[np.ndarray],
                     sample: pd.DataFrame) -> Tuple[str, List[str]]:
    """(format, prediction columns) for this competition: from competition.yaml, else guessed."""
    columns = spec.submission.columns or [c for c in sample.columns if c != spec.submission_id]
    missing = [c for c in columns if c not in sample.columns]
    if missing:
        raise UserError(f"competitions/{spec.name}/competition.yaml: submission.columns {missing} are not in the sample "
                        f"submission's header {list(sample.columns)}.")
    fmt = spec.submission.format
    names = [str(c) for c in classes] if classes is not None else []
    if fmt is None:
        if spec.task == "regression":
            fmt = "value"
        elif spec.task == "multilabel":
            fmt = "proba" if metric.needs == "proba" else "label"
        elif len(columns) > 1 and sorted(map(str, columns)) == sorted(names):
            fmt = "class_proba"
        elif names and len(columns) == 1 and (map_k(metric.name) or labels_a_row(sample[columns[0]], names)):
            fmt = "top_labels"
        else:
            fmt = "proba" if spec.task == "binary" and metric.needs == "proba" else "label"
    expected = {"value": len(spec.targets), "label": len(spec.targets), "proba": len(spec.targets),
                "class_proba": len(names), "top_labels": 1}[fmt]
    if len(columns) != expected:
        raise UserError(f"competitions/{spec.name}/competition.yaml: submission format {fmt} writes {expected} column(s), "
                        f"but the sample submission has prediction columns {columns}; set submission.columns or .format.")
    if fmt == "class_proba" and sorted(map(str, columns)) != sorted(names):
        raise UserError(f"sample submission columns {columns} are not the classes {names[:10]}: class_proba needs one "
                        "column per class, named as the class.")
    if fmt == "proba" and spec.task == "binary" and spec.submission.positive is not None \
            and str(spec.submission.positive) not in names:
        raise UserError(f"submission.positive={spec.submission.positive!r} is not one of the classes {names}.")
    if fmt == "top_labels" and not names:
        raise UserError(f"competitions/{spec.name}/competition.yaml: submission format top_labels writes class labels, "
                        f"but the task is {spec.task}; use a binary or multiclass task, or another format.")
    check_sample_values(spec, metric, sample, fmt, columns)
    return fmt, columns


def check_sample_values(spec: CompetitionSpec, metric: Metric, sample: pd.DataFrame, fmt: str, columns: List[str]) -> None:
    """What the submission writes must be what the sample holds: probabilities where it holds fractions,
    labels where it holds labels; a disagreement is refused before the first fold, naming both."""
    where = f"competitions/{spec.name}/competition.yaml"
    for col in columns:
        values = pd.to_numeric(sample[col], errors="coerce")
        fractions = values.notna().all() and ((values > 0) & (values < 1)).any() and not np.allclose(values, np.round(values))
        if fmt == "label" and spec.task != "regression" and fractions:
            raise UserError(f"{where}: metric {metric.name} writes class labels, but the sample submission's '{col}' holds "
                            f"probabilities (e.g. {sample[col].iloc[0]}). Use submission.format: proba (or class_proba) "
                            "and a probability metric such as roc_auc or logloss, or fix the sample file.")
        if fmt in ("proba", "class_proba") and values.isna().any():
            raise UserError(f"{where}: submission format {fmt} writes probabilities, but the sample submission's '{col}' "
                            f"holds text (e.g. {sample[col].iloc[0]!r}): it expects labels. Use submission.format: label.")


def _like(values: np.ndarray, template: pd.Series) -> np.ndarray:
    """Labels written as the sample writes them: numbers where its column is numeric, else text."""
    if pd.api.types.is_numeric_dtype(template):
        numeric = pd.to_numeric(pd.Series(values), errors="coerce")
        if numeric.notna().all():
            return numeric.to_numpy()
    return np.asarray([str(v) for v in values], dtype=object)


def fill_submission(sample: pd.DataFrame, spec: CompetitionSpec, pred: np.ndarray, classes: Optional[np.ndarray],
                    fmt: str, columns: List[str], top: int = 1) -> pd.DataFrame:
    """The sample submission with its prediction columns replaced by ``pred`` (a run's stored test prediction);
    ``top``: labels a top_labels cell holds."""
    sub = sample.copy()
    pred = np.asarray(pred)
    if fmt == "top_labels":
        order = np.argsort(-pred, axis=1, kind="stable")[:, :top]  # best first; ties in class order
        names = np.asarray([str(c) for c in classes], dtype=object)
        sub[columns[0]] = [" ".join(row) for row in names[order]]
        return sub
    if fmt == "class_proba":
        by_name = {str(c): i for i, c in enumerate(classes)}
        for col in columns:
            sub[col] = pred[:, by_name[str(col)]]
        return sub
    if fmt == "label" and classes is not None:
        values = classes[pred.argmax(axis=1)][:, None]
    elif fmt == "label" and spec.task == "multilabel":
        values = (pred > 0.5).astype(int)
    elif fmt == "proba" and classes is not None:
        positive = spec.submission.positive
        i = [str(c) for c in classes].index(str(positive)) if positive is not None else len(classes) - 1
        values = pred[:, i][:, None]
    else:
        values = pred.reshape(len(sub), -1)
    for j, col in enumerate(columns):
        sub[col] = _like(values[:, j], sample[col]) if fmt == "label" else values[:, j].astype(float)
    return sub


def validate_submission(sub: pd.DataFrame, sample: pd.DataFrame, id_col: Optional[str], fmt: str = "value",
                        value_range: Optional[tuple] = None, classes: Optional[np.ndarray] = None) -> None:
    """Raise UserError unless ``sub`` is what Kaggle accepts: the sample's header, ids, order and row count,
    no missing or infinite values, numbers in ``value_range``, probabilities in [0, 1], labels among ``classes``."""
    problems = []
    if list(map(str, sub.columns)) != list(map(str, sample.columns)):
        problems.append(f"header {list(sub.columns)} differs from the sample's {list(sample.columns)}")
    if len(sub) != len(sample):
        problems.append(f"{len(sub)} rows, the sample has {len(sample)}")
    elif id_col and id_col in sub.columns:
        a, b = sub[id_col].astype(str).to_numpy(), sample[id_col].astype(str).to_numpy()
        if (a != b).any():
            i = int(np.flatnonzero(a != b)[0])
            problems.append(f"'{id_col}' values are not the sample's ids in the sample's order (row {i + 1}: {a[i]} vs {b[i]})")
    for col in sub.columns:
        if col == id_col or problems:
            continue
        values = sub[col]
        if values.isna().any():
            problems.append(f"{int(values.isna().sum())} missing value(s) in '{col}'")
            continue
        if fmt == "top_labels":
            rows = values.astype(str).str.split()
            known = {str(c) for c in classes} if classes is not None else None
            unknown = set() if known is None else {t for row in rows for t in row} - known
            if unknown:
                problems.append(f"'{col}' has labels not among the classes: {sorted(unknown)[:5]}")
            elif (rows.str.len() == 0).any() or (rows.map(lambda r: len(set(r)) != len(r))).any():
                problems.append(f"'{col}' has a row with no label or one label twice")
            continue
        if fmt == "label":
            if classes is not None:
                unknown = set(values.astype(str)) - {str(c) for c in classes}
                if unknown:
                    problems.append(f"'{col}' has labels not among the classes: {sorted(unknown)[:5]}")
            continue
        arr = pd.to_numeric(values, errors="coerce").to_numpy(dtype=float)
        if np.isnan(arr).any():
            problems.append(f"'{col}' is not numeric")
        elif not np.isfinite(arr).all():
            problems.append(f"infinite value(s) in '{col}'")
        elif fmt in ("proba", "class_proba") and ((arr < 0) | (arr > 1)).any():
            problems.append(f"'{col}' has probabilities outside [0, 1]")
        elif value_range is not None:
            lo, hi = value_range
            out = (arr < lo) | (arr > hi)
            if out.any():
                problems.append(f"{int(out.sum())} value(s) of '{col}' outside the sane range [{lo:g}, {hi:g}]")
    if problems:
        raise UserError("submission rejected before writing (Kaggle would refuse it): " + "; ".join(problems) + ".")


def regression_range(y: np.ndarray, positive: bool) -> tuple:
    """A generous sane range for predictions given the training target."""
    lo, hi = float(np.min(y)), float(np.max(y))
    span = hi - lo or abs(hi) or 1.0
    if positive:
        return (max(lo / 10.0, np.finfo(float).tiny), hi * 10.0)
    return (lo - 10 * span, hi + 10 * span)


def write_submission(sub: pd.DataFrame, comp: str, name: str, sample: pd.DataFrame, id_col: Optional[str],
                     fmt: str = "value", **checks) -> Path:
    """Validate against the sample, write atomically, then read the file back as Kaggle would and check again."""
    validate_submission(sub, sample, id_col, fmt, **checks)
    path = submissions_root() / comp / f"{name}.csv"
    atomic_write_text(path, sub.to_csv(index=False))
    try:
        again = pd.read_csv(path, dtype={id_col: str} if id_col else None)  # ids as text, as Kaggle reads them
    except Exception as exc:  # noqa: BLE001 - any read failure means the file is bad
        raise UserError(f"{display(path)} could not be read back: {exc}") from None
    validate_submission(again, sample, id_col, fmt, **checks)
    return path
