"""Kaggle-style files from a labelled table: for competitions whose real data ships without a Kaggle download.

A seeded, stratified split into train.csv (labels), test.csv (no labels), sample_submission.csv and
solution.csv (the held-back test labels, for checking a submission as Kaggle's scorer would).
"""

from __future__ import annotations

from pathlib import Path
from typing import Dict, Optional

import numpy as np
import pandas as pd
from sklearn.model_selection import train_test_split

from .io import atomic_write_text


def write_kaggle_split(frame: pd.DataFrame, target: str, dest: Path, submission: Dict[str, object],
                       id_col: Optional[str] = None, submission_id: Optional[str] = None, test_fraction: float = 0.2,
                       seed: int = 0, readme: str = "") -> Path:
    """Split ``frame`` and write the four files into ``dest``; ``submission`` maps sample columns to fill values.
    Without ``id_col`` the test rows are numbered 1.. in the submission's ``submission_id`` column."""
    train, test = train_test_split(frame, test_size=test_fraction, random_state=seed, stratify=frame[target])
    train, test = train.sort_index(), test.sort_index()
    sub_id = submission_id or id_col
    ids = test[id_col].to_numpy() if id_col else np.arange(1, len(test) + 1)
    dest.mkdir(parents=True, exist_ok=True)
    atomic_write_text(dest / "train.csv", train.to_csv(index=False))
    atomic_write_text(dest / "test.csv", test.drop(columns=[target]).to_csv(index=False))
    atomic_write_text(dest / "sample_submission.csv", pd.DataFrame({sub_id: ids, **submission}).to_csv(index=False))
    atomic_write_text(dest / "solution.csv", pd.DataFrame({sub_id: ids, target: test[target].to_numpy()}).to_csv(index=False))
    atomic_write_text(dest / "README.md", readme or f"Written by `make data`: {len(train)} train rows, {len(test)} test rows.\n")
    return dest
