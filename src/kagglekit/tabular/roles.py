"""Column roles a new competition's files show, with the evidence for each: free text, numeric codes, and ids that
carry no signal.

Numbers, categories and their cardinality are read off dtypes at every run (``preprocess.infer_roles``); what cannot
be is guessed here once, written to competition.yaml by `make new` with its evidence so a user can correct it:
free text (most cells distinct, several words each; or nearly every cell distinct, two words or more: titles, names)
gets TF-IDF features instead of being a category of one row each; a text column unique per row with one token per
cell (a hash, a row key) is dropped.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Dict, List, Optional, Tuple

import numpy as np
import pandas as pd

from ..core.dataset import AMOUNT_MARKS, looks_like_amounts
from .preprocess import onehot_levels
from .run_config import PreprocessConfig


@dataclass
class RoleGuess:
    """``columns`` keys for competition.yaml (``text``, ``drop``) and one line of evidence per guess."""

    columns: Dict[str, List[str]] = field(default_factory=dict)
    evidence: List[str] = field(default_factory=list)


ORDERED_RATIO = 1.75  # below it a column's level means follow its numbers: amounts (about 2 when they follow nothing)
MIN_LEVEL_ROWS, MIN_LEVELS = 5, 5  # the levels the order test reads: those with this many rows, at least this many


def order_ratio(values: pd.Series, target: pd.Series, classes: bool) -> Optional[float]:
    """How smoothly the target's mean (classes: each class's share) moves along a column's numbers: the von Neumann
    ratio of the level means taken in the numbers' order (mean squared step between neighbours over the levels'
    variance): about 2 when the order says nothing (codes), near 0 when neighbours agree (amounts). None when fewer
    than ``MIN_LEVELS`` levels have ``MIN_LEVEL_ROWS`` rows."""
    frame = pd.DataFrame({"v": values.to_numpy(), "t": target.to_numpy()})
    if not classes:  # a target written as amounts ("$1,200") is a number the run reads; here it says nothing
        frame["t"] = pd.to_numeric(frame["t"], errors="coerce")
    frame = frame.dropna()
    counts = frame["v"].value_counts()
    frame = frame[frame["v"].isin(counts[counts >= MIN_LEVEL_ROWS].index)]
    if frame["v"].nunique() < MIN_LEVELS:
        return None
    outcome = pd.get_dummies(frame["t"].astype(str)).astype(float) if classes else frame[["t"]]
    means = outcome.groupby(frame["v"]).mean().sort_index().to_numpy()
    spread = np.sum((means - means.mean(axis=0)) ** 2) / len(means)
    if spread == 0:
        return None
    return float(np.sum(np.diff(means, axis=0) ** 2) / (len(means) - 1) / spread)


def _codes(values: pd.Series, target: Optional[pd.Series] = None, classes: bool = False) -> Tuple[bool, Optional[str]]:
    """(codes?, evidence) for a column of whole numbers: codes (``MSSubClass``: 20, 30, ... 190) are a few distinct
    values spread thinly over their range whose target means follow no order of the numbers; amounts spread so (a
    concrete's age in days: 1, 3, 7, 28, 90, 365) have target means that move smoothly along them (``order_ratio``)
    and stay numbers, as do columns with too few populated levels to tell. Without a target, spread alone decides.
    No evidence: neither question arises."""
    if not pd.api.types.is_integer_dtype(values):
        return False, None
    distinct = values.dropna().unique()
    if not 3 <= len(distinct) <= 50:
        return False, None
    span = float(distinct.max() - distinct.min() + 1)
    if len(distinct) / span >= 0.3:
        return False, None
    spread = f"{len(distinct)} distinct whole numbers spread over {distinct.min()}..{distinct.max()}"
    if target is None:
        return True, f"{spread}: codes, not amounts"
    ratio = order_ratio(values, target, classes)
    if ratio is None:  # mostly one value (a pool's area: 0 in most rows): an amount is the likelier
        return False, f"{spread}, too few of them in {MIN_LEVEL_ROWS} rows or more to read an order: kept as numbers"
    if ratio < ORDERED_RATIO:
        return False, f"{spread}, the target's mean moving smoothly along them (order ratio {ratio:.2f}): amounts"
    return True, f"{spread}, the target's mean in no order of them (order ratio {ratio:.2f}): codes, not amounts"


# Cells that stand for a missing number in files pandas does not read as missing by itself (UCI's "?", a dash).
PLACEHOLDERS = {"?", "-", "--", "---", ".", "..", "na", "none", "missing", "unknown", "undefined", "nil"}
NUMERIC_SHARE = 0.5  # a text column is numbers with placeholders when at least this share of its cells are numbers


def missing_markers(frames: List[pd.DataFrame], skip: List[str]) -> Tuple[Dict[str, List[str]], List[str]]:
    """(``read_csv``'s ``na_values`` by column, evidence lines): the placeholder cells (``PLACEHOLDERS``, spelt as the
    file spells them, " ?" included) of columns that are numbers otherwise, so each reads as numbers with missing
    values instead of a category of every distinct number. Only those columns: a category's level "unknown" stays."""
    markers, evidence = {}, []
    for col in [c for c in frames[0].columns if c not in skip]:
        cells = pd.concat([f[col] for f in frames if col in f.columns]).dropna()
        if not len(cells) or pd.api.types.is_numeric_dtype(cells):
            continue
        text = cells.astype(str)
        number = pd.to_numeric(text, errors="coerce").notna()
        others = text[~number]
        if number.mean() < NUMERIC_SHARE or not others.str.strip().str.lower().isin(PLACEHOLDERS).all():
            continue
        markers[col] = sorted(others.unique())
        evidence.append(f"numbers '{col}': {(~number).mean():.0%} of its cells are {', '.join(map(repr, markers[col]))}: "
                        "read as missing (read_csv.na_values)")
    return markers, evidence


def _onehot_levels(n_rows: int) -> int:
    """The default preprocessing's one-hot limit for a fold of a table of ``n_rows`` rows (5 folds: 80% of them)."""
    config = PreprocessConfig()
    return onehot_levels(int(n_rows * 0.8), config.max_onehot_levels, config.onehot_rows_per_level)


def _example(values: pd.Series) -> str:
    """One cell that shows how the column writes its amounts (a sign, commas or a percent)."""
    text = values.dropna().astype(str)
    marked = text[text.str.contains(AMOUNT_MARKS, regex=True)]
    return repr((marked if len(marked) else text).iloc[0])


def guess_roles(train: pd.DataFrame, test: Optional[pd.DataFrame], skip: List[str], target: Optional[pd.Series] = None,
                classes: bool = False) -> RoleGuess:
    """Free-text, id-like text, numeric-code and high-cardinality columns among ``train``'s features (``skip``: id,
    targets, dates, pixels, image paths). High cardinality needs no key (it is read off the levels at every run):
    only its evidence is written. ``target`` (one column; ``classes``: its values are classes) tells codes from
    amounts among sparse whole numbers."""
    out, most = RoleGuess(), _onehot_levels(len(train))
    for col in train.columns:
        values = train[col]
        if col in skip:
            continue
        code, why = _codes(values, target, classes)
        if code:
            out.columns.setdefault("categorical", []).append(col)
            out.evidence.append(f"categorical '{col}': {why}")
            continue
        if why:
            out.evidence.append(f"numbers '{col}': {why}")
            continue
        if looks_like_amounts(values):
            out.columns.setdefault("amounts", []).append(col)
            out.evidence.append(f"amounts '{col}': {_example(values)} and the like: read as numbers")
            continue
        if not (pd.api.types.is_object_dtype(values) or pd.api.types.is_string_dtype(values)):
            continue
        text = values.dropna().astype(str)
        if len(text) < 20:
            continue
        distinct = text.nunique() / len(text)
        words = text.str.split().str.len().mean()
        if distinct >= 0.5 and words >= 3 or distinct >= 0.9 and words >= 2:  # sentences; or titles and names
            out.columns.setdefault("text", []).append(col)
            out.evidence.append(f"text '{col}': {distinct:.0%} distinct, {words:.0f} words on average")
        elif distinct == 1.0 and words <= 1 and (test is None or col not in test.columns
                                                 or not test[col].dropna().astype(str).isin(set(text)).any()):
            out.columns.setdefault("drop", []).append(col)
            out.evidence.append(f"drop '{col}': a different single token in every row (a key, no signal)")
        elif text.nunique() > most:
            out.evidence.append(f"high-cardinality '{col}': {text.nunique()} levels (over {most}): "
                                "target-encoded inside each fold")
    return out
