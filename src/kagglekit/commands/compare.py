"""`make compare`: parse, call the library (``kagglekit.comparison``), print the table."""

from __future__ import annotations

import sys

import pandas as pd

from ..comparison import compare
from ..core.paths import display
from .args import data_choice, need


def print_table(df: pd.DataFrame) -> None:
    """Print the comparison as a rich table."""
    from rich.console import Console
    from rich.table import Table

    table = Table(show_lines=False)
    for col in ["#", "config", "model", "overrides", "data", "cv_mean", "cv_std", "public", "folds", "fit_s", "date", "run_id"]:
        table.add_column(col, justify="right" if col in ("#", "cv_mean", "cv_std", "public", "fit_s") else "left")
    for i, r in df.iterrows():
        public = "" if pd.isna(r["public"]) else f"{r['public']:.5f}"
        table.add_row(str(i + 1), r["config"], r["model"], r["overrides"], r["data"], f"{r['cv_mean']:.5f}", f"{r['cv_std']:.5f}",
                      public, r["folds"], f"{r['fit_s']:.1f}", r["date"], r["run_id"])
    Console(width=200).print(table)


def cmd_compare(own, overrides) -> None:
    unsaved: list = []
    df, csv_path, png_path = compare(need(own, "comp", "compare"), data_label=data_choice(overrides, "compare"),
                                     unsaved=unsaved)
    print_table(df)
    if unsaved:
        print(f"table not saved: {unsaved[0]}", file=sys.stderr)
        return
    scatter = png_path.parent / "cv-vs-public.png"
    also = f" and {display(scatter)}" if df["public"].notna().any() else ""
    print(f"saved {display(csv_path)} and {display(png_path)}{also}")
