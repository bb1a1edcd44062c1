"""Dates and times read as one timeline, whatever their spelling (features, time folds and the shift check alike)."""

from __future__ import annotations

import pandas as pd


def parse_dates(values: pd.Series) -> pd.Series:
    """Dates and times as naive UTC timestamps, whatever their spelling: ISO strings with or without a zone (``Z``,
    ``+02:00``: converted to UTC), several formats in one column, or epoch seconds; what cannot be read is NaT."""
    if pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values):
        return pd.to_datetime(values, unit="s", errors="coerce")
    if isinstance(values.dtype, pd.DatetimeTZDtype):
        return values.dt.tz_convert("UTC").dt.tz_localize(None)
    if pd.api.types.is_datetime64_dtype(values):
        return values
    parsed = pd.to_datetime(values, errors="coerce", utc=True, format="mixed")
    return parsed.dt.tz_localize(None)
