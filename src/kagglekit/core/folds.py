"""Fold assignment: made once per (competition, scheme, k, seed, data) and reused by every model.

Sharing the file is what makes CV scores comparable across models and lets their out-of-fold
predictions be blended or stacked without leaking.
"""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import List, Tuple

import numpy as np
import pandas as pd
from sklearn.model_selection import GroupKFold, KFold, StratifiedKFold

from .config import CVConfig
from .dates import parse_dates
from .errors import UserError
from .io import atomic_write_text
from .paths import display, runs_root


def assign_folds(train: pd.DataFrame, target: str, task: str, cv: CVConfig, seed: int) -> np.ndarray:
    """Fold number (0..k-1) of every training row under the configured scheme (stratified on ``target``;
    a regression target is binned by quantiles first)."""
    n, k = len(train), cv.n_splits
    if n < k:
        raise UserError(f"cv.n_splits={k} is more than the {n} training rows.")
    folds = np.full(n, -1, dtype=int)
    index = np.arange(n)
    if cv.scheme == "kfold":
        splits = KFold(k, shuffle=True, random_state=seed).split(index)
    elif cv.scheme == "stratified":
        y = train[target]
        if task == "regression":
            # Quantile bins make every fold see the whole range of the target.
            y = pd.qcut(y.rank(method="first"), q=min(cv.n_bins, n // k), labels=False)
        with warnings.catch_warnings():  # a class of fewer than k rows goes to as many folds as it has rows
            warnings.filterwarnings("ignore", "The least populated class", UserWarning)
            splits = list(StratifiedKFold(k, shuffle=True, random_state=seed).split(index, y))
    elif cv.scheme == "group":
        _require(train, cv.group_column, "cv.group_column")
        splits = GroupKFold(k, shuffle=True, random_state=seed).split(index, groups=train[cv.group_column])
    else:  # time: k contiguous blocks in time order, so each validation block is a period
        _require(train, cv.time_column, "cv.time_column")
        order = np.argsort(parse_dates(train[cv.time_column]).values, kind="stable")
        splits = ((None, block) for block in np.array_split(order, k))
    for fold, (_, valid) in enumerate(splits):
        folds[valid] = fold
    return folds


def _require(train: pd.DataFrame, column, key: str) -> None:
    if column not in train.columns:
        raise UserError(f"{key}='{column}' is not a column of train.csv.")


def fold_file(comp: str, cv: CVConfig, seed: int, fingerprint: str) -> Path:
    """Path of the shared fold file for these settings and data."""
    return runs_root() / comp / "folds" / f"{cv.scheme}-k{cv.n_splits}-seed{seed}-{fingerprint}.csv"


def load_or_make_folds(comp: str, train: pd.DataFrame, ids: np.ndarray, target: str, task: str, cv: CVConfig, seed: int,
                       fingerprint: str) -> tuple[np.ndarray, Path]:
    """Read the shared fold file, or make and save it; check it matches the training ids (as text)."""
    path = fold_file(comp, cv, seed, fingerprint)
    if path.exists():
        try:
            saved = pd.read_csv(path, dtype={"id": str})
            folds = saved["fold"].to_numpy(dtype=int)
        except (pd.errors.ParserError, pd.errors.EmptyDataError, KeyError, ValueError) as exc:
            raise UserError(f"fold file {display(path)} is damaged ({exc}); delete it and run again to make a new one.") from None
        if len(saved) != len(ids) or (saved["id"].to_numpy() != np.asarray(ids)).any():
            raise UserError(f"fold file {display(path)} does not match train.csv's ids; delete it to make a new one.")
        return folds, path
    folds = assign_folds(train, target, task, cv, seed)
    atomic_write_text(path, pd.DataFrame({"id": ids, "fold": folds}).to_csv(index=False))
    return folds, path


def can_stratify(y: np.ndarray, held: int) -> bool:
    """Whether ``held`` of these class labels can be held out stratified (scikit-learn's rule): every class has two
    rows, and each side of the split has room for a row of every class."""
    counts = np.unique(np.asarray(y), return_counts=True)[1]
    return bool(counts.min() >= 2 and len(counts) <= held <= len(y) - len(counts))


def inner_split(y: np.ndarray, fraction: float, seed: int, classification: bool) -> tuple:
    """Positions (fit, hold) splitting a fold's training rows for early stopping or calibration; stratified when
    every class has two rows. The fold's validation rows are never among them."""
    from sklearn.model_selection import train_test_split

    y = np.asarray(y)
    stratify = y if classification and can_stratify(y, round(fraction * len(y))) else None
    fit, hold = train_test_split(np.arange(len(y)), test_size=fraction, random_state=seed, stratify=stratify)
    return _every_class_fitted([(fit, hold)], y)[0] if classification else (fit, hold)


def inner_splits(y: np.ndarray, fraction: float, folds: int, seed: int, classification: bool) -> List[Tuple[np.ndarray, np.ndarray]]:
    """(fit, hold) position pairs: ``folds`` inner folds (stratified when every class allows it), or one split."""
    if folds < 2:
        return [inner_split(y, fraction, seed, classification)]
    counts = np.unique(y, return_counts=True)[1] if classification else None
    if classification and counts.min() >= folds:
        return list(StratifiedKFold(folds, shuffle=True, random_state=seed).split(np.zeros(len(y)), y))
    splits = list(KFold(folds, shuffle=True, random_state=seed).split(np.zeros(len(y))))
    return _every_class_fitted(splits, np.asarray(y)) if classification else splits


def _every_class_fitted(splits: List[Tuple[np.ndarray, np.ndarray]], y: np.ndarray) -> List[Tuple[np.ndarray, np.ndarray]]:
    """The splits with each held row of a class its fit rows lack moved to the fit rows: a booster cannot score held
    rows of a class it was not fitted on (XGBoost stops), and a class of one row has nothing to hold out."""
    out = []
    for fit, hold in splits:
        unseen = ~np.isin(y[hold], y[fit])
        out.append((np.sort(np.concatenate([fit, hold[unseen]])), hold[~unseen]) if unseen.any() else (fit, hold))
    return out
