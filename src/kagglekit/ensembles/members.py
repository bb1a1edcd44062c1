"""The members of an ensemble: finished runs on one fold file and one data set, read from their run folders."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import List, Optional

import numpy as np
import pandas as pd

from ..core.errors import UserError
from ..core.runs import RunDir, iter_records, on_data
from ..core.targets import Targets


@dataclass
class Member:
    """One finished run as an ensemble reads it: its record, OOF and test predictions, and fold of each row."""

    record: dict
    oof: np.ndarray
    test: np.ndarray
    folds: np.ndarray


def load_members(comp: str, run_ids: Optional[List[str]] = None, top: Optional[int] = None,
                 data_label: Optional[str] = None) -> List[Member]:
    """Members by run id (prefixes allowed) or the ``top`` N single-model runs by CV on one data set
    (``data_label``: "sample" or a data folder; default the newest run's); same folds and data enforced."""
    records = [r for r in iter_records(comp) if not r["model"].startswith("ensemble")]
    if not run_ids and records:
        label = data_label or max(records, key=lambda r: r["created"])["data"]
        records = on_data(records, label)
    if run_ids:
        chosen = []
        for rid in run_ids:
            hits = [r for r in records if r["run_id"].startswith(rid)]
            if len(hits) != 1:
                raise UserError(f"run '{rid}': {'no' if not hits else 'several'} finished runs of {comp} match; see `make compare comp={comp}`.")
            chosen.append(hits[0])
    else:
        if not records:
            raise UserError(f"no finished runs of {comp} to ensemble; train some with `make train comp={comp} model=...`.")
        best = sorted(records, key=lambda r: r["cv_mean"], reverse=records[0]["greater_is_better"])
        # The best run fixes the data and folds; the next best runs on the same ones join it.
        same = [r for r in best if r["folds_file"] == best[0]["folds_file"] and r["data_fingerprint"] == best[0]["data_fingerprint"]]
        per_config = {}
        for r in same:  # the best run of each config: variants of one config add little diversity
            per_config.setdefault(r["config"], r)
        chosen = list(per_config.values())[: top or 3]
    if len(chosen) < 2:
        raise UserError("an ensemble needs at least two runs (runs=\"id1 id2\" or top=N with N ≥ 2).")
    if len({r["run_id"] for r in chosen}) < len(chosen):
        raise UserError("the same run is named twice; an ensemble's members must be different runs.")
    folds_files = {r["folds_file"] for r in chosen}
    data = {r["data_fingerprint"] for r in chosen}
    if len(folds_files) > 1 or len(data) > 1:
        detail = ", ".join(f"{r['config']}[{r['run_id']}]: folds {r['folds_file']}" for r in chosen)
        raise UserError(f"these runs were made on different folds or different data and cannot be ensembled: {detail}. "
                        "Re-train them with the same data, cv and seed.")
    members = []
    for r in chosen:
        path = Path(r["run_dir"])
        folds = pd.read_csv(path / "folds.csv")["fold"].to_numpy()
        members.append(Member(r, np.load(path / "oof.npy"), np.load(path / "test.npy"), folds))
    return members


def member_targets(comp: str, record: dict) -> Targets:
    """The targets a run was scored against, as it saved them."""
    classes = record.get("classes")
    return Targets(RunDir(comp, record["config"], record["run_id"], Path(record["run_dir"]).parent.parent).load_targets(),
                   np.asarray(classes, dtype=object) if classes else None,
                   record.get("target_columns") or [], record["task"])
