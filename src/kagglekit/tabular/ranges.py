"""Target ranges: regression predictions kept within what the fold's (or a group's) training rows have shown.

A price model extrapolates on size and quality; an appraiser knows that a house is rarely worth far more than
the dearest sale in its neighbourhood. ``GroupRange`` learns, on a fold's fitting rows only, each group's
[min, max] of the (transformed) target and clips predictions for rows of that group to it, widened by a margin.
Groups with too few fitting rows, and groups the fold never saw, are left as they are.
"""

from __future__ import annotations

from typing import Dict, Tuple

import numpy as np
import pandas as pd

from .preprocess import category_strings


def widened_range(y: np.ndarray, margin: float) -> Tuple[float, float]:
    """[min, max] of ``y`` widened by ``margin`` times its width at each end: the whole fold's clip range."""
    low, high = float(np.min(y)), float(np.max(y))
    return low - margin * (high - low), high + margin * (high - low)


def group_keys(values: pd.Series) -> np.ndarray:
    """Group labels as the preprocessing writes categories: text, 60 and 60.0 alike, missing values as one group."""
    return category_strings(values)[:, 0]


class GroupRange:
    """Fit per-group target bounds on training rows, then clip predictions of rows in those groups."""

    def __init__(self, margin: float = 0.1, min_rows: int = 30):
        self.margin = margin
        self.min_rows = min_rows

    def fit(self, groups: np.ndarray, y: np.ndarray) -> "GroupRange":
        """Bounds for every group with at least ``min_rows`` of ``y`` (the fold's fitting rows)."""
        stats = pd.Series(np.asarray(y, dtype=float)).groupby(np.asarray(groups)).agg(["min", "max", "count"])
        stats = stats[stats["count"] >= self.min_rows]
        self.bounds_: Dict[str, Tuple[float, float]] = {
            g: (row["min"] - self.margin, row["max"] + self.margin) for g, row in stats.iterrows()}
        return self

    def clip(self, groups: np.ndarray, pred: np.ndarray) -> np.ndarray:
        """``pred`` with each row of a fitted group clipped to that group's widened range."""
        bounds = np.array([self.bounds_.get(g, (-np.inf, np.inf)) for g in groups]).reshape(-1, 2)
        return np.clip(pred, bounds[:, 0], bounds[:, 1])
