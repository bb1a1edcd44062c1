"""How the test rows relate to the train rows, read off the files, and the folds that copy it.

A Kaggle test set is often the next period (every test date after the train dates) or new entities (customers,
series, sites the train rows never show); random folds then score a different problem from the leaderboard's.
``guess_validation`` names the scheme (time, group, or the usual random folds) with the evidence for it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Dict, List, Optional

import pandas as pd

from ..core.dates import day_first, looks_like_dates, parse_dates


@dataclass
class ValidationGuess:
    """The folds to write (``cv`` keys) and why, one line each."""

    cv: Dict[str, object]
    evidence: List[str] = field(default_factory=list)
    dates: List[str] = field(default_factory=list)  # columns that read as dates (for ``columns.date``)


def date_columns(train: pd.DataFrame, test: Optional[pd.DataFrame], skip: List[str]) -> List[str]:
    """Feature columns whose text reads as dates in train (and in test, where it has them)."""
    return [c for c in train.columns if c not in skip and looks_like_dates(train[c])
            and (test is None or c not in test.columns or looks_like_dates(test[c]))]


def _after(train: pd.Series, test: pd.Series) -> Optional[str]:
    """Evidence that the test rows come after the train rows in time, or None."""
    order = day_first(pd.concat([train, test]))  # one reading of n/n/yyyy for both files
    a, b = parse_dates(train, bool(order)).dropna(), parse_dates(test, bool(order)).dropna()
    if a.empty or b.empty or b.min() < a.quantile(0.99):
        return None
    return f"test dates start {b.min():%Y-%m-%d}, train dates end {a.max():%Y-%m-%d}: test is a later period"


def _unseen_groups(train: pd.Series, test: pd.Series) -> Optional[str]:
    """Evidence that the test rows are groups the train rows never show (a key repeated across rows), or None."""
    numbers = pd.api.types.is_numeric_dtype(train) and pd.api.types.is_numeric_dtype(test)
    # As numbers when both are (a test column with gaps reads as floats: 730.0 is train's 730), else as text.
    keys, asked = (train.dropna().astype(float), test.dropna().astype(float)) if numbers \
        else (train.dropna().astype(str), test.dropna().astype(str))
    n_groups = keys.nunique()
    if n_groups < 20 or n_groups > 0.5 * len(keys):
        return None  # a handful of levels is a category, one per row an id
    unseen = ~asked.isin(set(keys))
    if unseen.mean() < 0.9:
        return None
    return (f"{n_groups} groups of {len(keys) / n_groups:.1f} train rows on average; {unseen.mean():.0%} of test rows "
            "belong to groups train never shows")


def _named_like_a_key(name: str) -> bool:
    return "id" in name.lower().replace("_", "")[-4:]  # store_id, UserID


def _could_be_a_key(name: str, values: pd.Series) -> bool:
    """Text columns, whole numbers named like a key, and other whole numbers most of whose values occur on several rows
    (a panel's person number; not square feet, most of which occur once). Whether test shows values train never does
    is ``_unseen_groups``'s check (a pixel or a count shows the same values in both)."""
    if pd.api.types.is_object_dtype(values) or pd.api.types.is_string_dtype(values):
        return True
    return pd.api.types.is_integer_dtype(values) and (_named_like_a_key(name) or values.value_counts().median() >= 2)


def guess_validation(train: pd.DataFrame, test: Optional[pd.DataFrame], skip: List[str], task: str) -> ValidationGuess:
    """Time folds when the test rows follow the train rows in a date column, group folds when they are unseen
    values of a repeated key, else stratified (classification) or plain k-fold."""
    default = "kfold" if task in ("regression", "multilabel") else "stratified"
    dates = date_columns(train, test, skip)
    if test is None:
        return ValidationGuess({"scheme": default, "n_splits": 5}, dates=dates)
    shared = [c for c in train.columns if c in test.columns and c not in skip]
    for col in dates:
        if col in test.columns:
            why = _after(train[col], test[col])
            if why:
                return ValidationGuess({"scheme": "time", "time_column": col, "n_splits": 5}, [f"{col}: {why}"], dates)
    for col in sorted(shared, key=lambda c: not _named_like_a_key(c)):  # columns named like a key first
        if col in dates or not _could_be_a_key(col, train[col]):
            continue
        why = _unseen_groups(train[col], test[col])
        if why:
            return ValidationGuess({"scheme": "group", "group_column": col, "n_splits": 5}, [f"{col}: {why}"], dates)
    return ValidationGuess({"scheme": default, "n_splits": 5}, ["test rows look drawn like train rows: random folds"],
                           dates)
