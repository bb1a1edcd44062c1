"""A tabular competition's files as one run reads them: checked, with the competition's row-wise features added."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..core.competition import CompetitionSpec, feature_function
from ..core.dataset import Dataset, read_competition_files
from ..core.errors import UserError
from ..core.files import resolve_data_dir
from ..core.paths import display
from .config import TabularRunConfig


def fit_mask(train: pd.DataFrame, query) -> np.ndarray:
    """Rows allowed in fitting: all but those matching ``fit_filter`` (they are still scored)."""
    if not query:
        return np.ones(len(train), dtype=bool)
    try:
        drop = train.eval(query).to_numpy(dtype=bool)
    except Exception as exc:  # noqa: BLE001 - pandas raises many types for a bad expression
        raise UserError(f"fit_filter '{query}' cannot be evaluated on train.csv: {exc}") from None
    return ~drop


def load_table_data(spec: CompetitionSpec, run: TabularRunConfig, read_csv=None) -> Dataset:
    """Read train, test and sample submission from the run's data folder and add the competition's features."""
    folder = resolve_data_dir(spec.name, run.data.dir, run.data.sample)
    data = read_competition_files(spec, folder, read_csv)
    add = feature_function(spec) if run.features else None
    if add is not None:
        try:
            data.train, data.test = add(data.train.copy()), add(data.test.copy())
        except KeyError as exc:
            raise UserError(f"{spec.folder / spec.features}: column {exc} is missing from the data in {display(folder)}.") from None
    missing = [c for c in data.train.columns if c not in data.test.columns and c not in spec.targets and c != spec.id]
    if missing:
        raise UserError(f"{display(folder / spec.files.test)} lacks feature column(s) {missing[:8]} that "
                        f"{spec.files.train} has; models cannot predict without them. Re-download the files.")
    return data
