"""Row-wise cleaning and features for California house prices; nothing here is fitted on data."""

import re

import numpy as np
import pandas as pd


def _bedrooms(value) -> float:
    """'3' -> 3; a list such as 'Ground Floor Bedroom, Master Bedroom on Ground Floor' -> its item count."""
    if pd.isna(value):
        return np.nan
    text = str(value).strip()
    if re.fullmatch(r"\d+(\.0+)?", text):
        return float(text)
    return float(len([t for t in text.split(",") if t.strip()]))


def _positive(s: pd.Series, low: float = 0.0, high: float = np.inf) -> pd.Series:
    s = pd.to_numeric(s, errors="coerce")
    return s.where((s > low) & (s < high))


def add_features(df: pd.DataFrame) -> pd.DataFrame:
    df["Bedrooms"] = df["Bedrooms"].map(_bedrooms)
    df["Year built"] = _positive(df["Year built"], 1700, 2030)
    for col in ["Total spaces", "Garage spaces"]:
        df[col] = pd.to_numeric(df[col], errors="coerce").where(lambda s: (s >= 0) & (s < 100))
    df["Lot"] = _positive(df["Lot"], 10)
    df["Total interior livable area"] = _positive(df["Total interior livable area"], 100, 1e5)
    for col in ["Listed Price", "Last Sold Price", "Tax assessed value", "Annual tax amount"]:
        df[col] = _positive(df[col], 1000 if "Price" in col or "value" in col else 0)
    area = df["Total interior livable area"]
    df["Listed per sqft"] = df["Listed Price"] / area
    df["Tax value per sqft"] = df["Tax assessed value"] / area
    listed = pd.to_datetime(df["Listed On"], errors="coerce")
    last = pd.to_datetime(df["Last Sold On"], errors="coerce")
    df["Years since last sale"] = (listed - last).dt.days / 365.25
    df["Summary length"] = df["Summary"].fillna("").astype(str).str.len()
    return df
