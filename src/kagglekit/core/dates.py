"""Dates and times read as one timeline, whatever their spelling (features, time folds and the shift check alike)."""

from __future__ import annotations

from typing import Optional

import pandas as pd


def day_first(values: pd.Series) -> Optional[bool]:
    """Whether ``n/n/yyyy`` dates (slashes, dots or dashes) put the day first: True when some first field is above 12
    and no second one is (``22/01/2001``), False when some second field is above 12 (``01/22/2001``), None when the
    cells do not say (ISO dates, or every field 12 or less)."""
    if pd.api.types.is_numeric_dtype(values) or pd.api.types.is_datetime64_any_dtype(values):
        return None
    fields = values.dropna().astype(str).str.extract(r"^\s*(\d{1,2})[-/.](\d{1,2})[-/.]\d{2,4}\b").dropna().astype(int)
    if fields.empty:
        return None
    if (fields[1] > 12).any():
        return False
    return True if (fields[0] > 12).any() else None


def parse_dates(values: pd.Series, dayfirst: Optional[bool] = None) -> pd.Series:
    """Dates and times as naive UTC timestamps, whatever their spelling: ISO strings with or without a zone (``Z``,
    ``+02:00``: converted to UTC), several formats in one column, or epoch seconds; what cannot be read is NaT.
    ``dayfirst``: how ``n/n/yyyy`` cells read (None: as ``day_first`` finds in these cells, else month first), one
    way for the whole column, so that ``05/01`` and ``22/01`` are not read as May and January."""
    if pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values):
        return pd.to_datetime(values, unit="s", errors="coerce")
    if isinstance(values.dtype, pd.DatetimeTZDtype):
        return values.dt.tz_convert("UTC").dt.tz_localize(None)
    if pd.api.types.is_datetime64_dtype(values):
        return values
    dayfirst = bool(day_first(values)) if dayfirst is None else dayfirst
    parsed = pd.to_datetime(values, errors="coerce", utc=True, format="mixed", dayfirst=dayfirst)
    return parsed.dt.tz_localize(None)


def looks_like_dates(values: pd.Series, share: float = 0.9) -> bool:
    """Text that reads as dates or times in at least ``share`` of its non-empty cells (``2021-03-01``,
    ``2021-03-01T08:00:00Z``, ``03/01/2021 08:00``); short codes and plain numbers never count."""
    if pd.api.types.is_numeric_dtype(values) or pd.api.types.is_bool_dtype(values):
        return False
    text = values.dropna().astype(str)
    if text.empty:
        return False
    shaped = text.str.len().ge(8) & text.str.contains(r"\d{1,4}[-/.]\d{1,2}[-/.]\d{1,4}|\d{4}-\d{2}", regex=True)
    return bool(shaped.mean() >= share and parse_dates(text).notna().mean() >= share)
