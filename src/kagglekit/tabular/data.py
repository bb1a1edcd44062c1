"""A tabular competition's files as one run reads them: checked, with the competition's row-wise features added."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..core.competition import CompetitionSpec, feature_function
from ..core.dataset import Dataset, keep_rows, read_competition_files, subsample_positions
from ..core.errors import UserError
from ..core.files import resolve_data_dir
from ..core.paths import display
from .run_config import TabularRunConfig


def fit_mask(train: pd.DataFrame, query) -> np.ndarray:
    """Rows allowed in fitting: all but those matching ``fit_filter`` (they are still scored)."""
    if not query:
        return np.ones(len(train), dtype=bool)
    try:
        drop = train.eval(query).to_numpy(dtype=bool)
    except Exception as exc:  # noqa: BLE001 - pandas raises many types for a bad expression
        raise UserError(f"fit_filter '{query}' cannot be evaluated on train.csv: {exc}") from None
    return ~drop


def check_columns(spec: CompetitionSpec, data: Dataset, log) -> None:
    """Numbers stay numbers: a few stray texts in a numeric column are named and read as missing; a column numeric
    in one file and text in the other, or an infinite value, is one clear error before any fold."""
    declared = set(spec.columns.categorical) | set(spec.columns.text) | set(spec.columns.multi) | set(spec.columns.date) \
        | set(spec.columns.ordinal) | set(spec.targets) | {spec.id}
    train_path, test_path = data.folder / spec.files.train, data.folder / spec.files.test
    for col in [c for c in data.train.columns if c in data.test.columns and c not in declared]:
        a, b = data.train[col], data.test[col]
        if pd.api.types.is_numeric_dtype(a) and pd.api.types.is_numeric_dtype(b):
            for frame, path in ((a, train_path), (b, test_path)):
                if np.isinf(frame.to_numpy(dtype=float)).any():
                    raise UserError(f"{display(path)}: column '{col}' has infinite values; replace them (e.g. with an "
                                    "empty cell) or drop the column.")
            continue
        both = pd.concat([a, b], ignore_index=True)
        numbers = pd.to_numeric(both, errors="coerce")
        stray = both.notna() & numbers.isna()
        if not stray.any() or stray.sum() > max(3, 0.01 * both.notna().sum()):
            if pd.api.types.is_numeric_dtype(a) != pd.api.types.is_numeric_dtype(b) and \
                    (pd.to_numeric(a.dropna(), errors="coerce").notna().mean() > 0.99) != \
                    (pd.to_numeric(b.dropna(), errors="coerce").notna().mean() > 0.99):
                numeric_in = train_path if pd.api.types.is_numeric_dtype(a) else test_path
                raise UserError(f"column '{col}' is numeric in {display(numeric_in)} but text in the other file "
                                f"(e.g. {both[stray].astype(str).unique()[:3].tolist()}); the files disagree. Fix one of them.")
            continue  # a real text column
        values = both[stray].astype(str).unique()[:5].tolist()
        log(f"warning: column '{col}' is numeric but {int(stray.sum())} cell(s) hold text {values}; they are read as "
            "missing and the column stays numeric (declare it under columns.categorical in competition.yaml if it is a code).")
        data.train[col] = pd.to_numeric(a, errors="coerce")
        data.test[col] = pd.to_numeric(b, errors="coerce")


def load_table_data(spec: CompetitionSpec, run: TabularRunConfig, read_csv=None, log=print) -> Dataset:
    """Read train, test and sample submission from the run's data folder and add the competition's features."""
    folder = resolve_data_dir(spec.name, run.data.dir, run.data.sample)
    data = read_competition_files(spec, folder, read_csv, log=log)
    if run.data.rows:
        if run.data.rows < 10:
            raise UserError(f"data.rows={run.data.rows}: a subsample needs at least 10 rows.")
        stratify = spec.targets[0] if spec.task in ("binary", "multiclass") else None
        keep_rows(data, subsample_positions(data.train, stratify, run.data.rows, run.seed), run.seed)
    check_columns(spec, data, log)
    add = feature_function(spec) if run.features else None
    if add is not None:
        try:
            data.train, data.test = add(data.train.copy()), add(data.test.copy())
        except KeyError as exc:
            raise UserError(f"{spec.folder / spec.features}: column {exc} is missing from the data in {display(folder)}.") from None
    missing = [c for c in data.train.columns if c not in data.test.columns and c not in spec.targets and c != spec.id
               and c not in spec.columns.drop]
    if missing:
        raise UserError(f"{display(folder / spec.files.test)} lacks feature column(s) {missing[:8]} that "
                        f"{spec.files.train} has; models cannot predict without them. If the competition gives them in "
                        f"train only, list them under columns.drop in {display(spec.folder / 'competition.yaml')}; "
                        "else re-download the files.")
    return data
