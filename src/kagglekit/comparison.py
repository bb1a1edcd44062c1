"""Every finished run of a competition in one table, best first, with a bar chart and CV against the public score
(`make compare`)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Optional, Tuple

import numpy as np
import pandas as pd

from .core.errors import UserError
from .core.io import atomic_write_text
from .core.plots import pyplot, save_figure
from .core.paths import display, runs_root
from .core.runs import iter_records, on_data
from .kaggle.submissions import read_log


def compare_table(comp: str, root: Optional[Path] = None, data_label: Optional[str] = None) -> pd.DataFrame:
    """Every run's model, CV mean ± std, per-fold scores, time, date and id; best first within each data set
    (only runs on ``data_label``, "sample" or a data folder, when given)."""
    records = on_data(iter_records(comp, root), data_label)
    if not records:
        on = f" on {data_label}" if data_label else ""
        raise UserError(f"no finished runs for {comp}{on} yet; train one with `make train comp={comp} model=...`.")
    public = {e["run_id"]: e["public_score"] for e in read_log(comp, root) if e.get("run_id") and e.get("public_score") is not None}
    rows = []
    for r in records:
        if not isinstance(r.get("cv_mean"), (int, float)) or not np.isfinite(r["cv_mean"]) or "run_id" not in r:
            print(f"warning: skipping run record {display(r['run_dir'])}: it has no finite CV score "
                  f"({r.get('cv_mean')!r}); delete that run folder or train it again.", file=sys.stderr)
            continue
        rows.append({
            "config": r["config"],
            "model": r["model"],
            "overrides": r.get("overrides", ""),
            "metric": r["metric"],
            "cv_mean": r["cv_mean"],
            "cv_std": r["cv_std"],
            "public": public.get(r["run_id"]),  # the newest scored Kaggle submission of this run
            "folds": " ".join(f"{s:.4f}" for s in r["fold_scores"]),
            "fold_scores": list(r["fold_scores"]),  # for the plot; not written to the CSV
            "fit_s": round(float(r.get("fit_seconds") or 0.0), 1),
            "date": r["created"][:16].replace("T", " "),
            "run_id": r["run_id"],
            "data": "sample" if r["data"] == "sample" else Path(r["data"]).name,
            "greater_is_better": r["greater_is_better"],
        })
    if not rows:
        raise UserError(f"no readable finished runs for {comp}; train one with `make train comp={comp} model=...`.")
    df = pd.DataFrame(rows)
    ascending = not bool(df["greater_is_better"].iloc[0])
    df = df.sort_values(["data", "cv_mean"], ascending=[True, ascending]).drop(columns="greater_is_better").reset_index(drop=True)
    df.attrs["greater_is_better"] = not ascending
    return df


def plot_table(df: pd.DataFrame, path: Path, title: str) -> Path:
    """Left: CV mean with std error bars, one bar per run, the direction of better stated. Right: each run's per-fold
    difference to the best run of its data set (same folds): a gap that holds on every fold is real, one that flips
    sign between folds is noise."""
    plt = pyplot()

    labels = [f"{c} {o} [{r[:6]}] ({d})"[:70] for c, o, r, d in zip(df["config"], df["overrides"], df["run_id"], df["data"])]
    fig, (ax, diff) = plt.subplots(1, 2, figsize=(14, 0.4 * len(df) + 2.0), sharey=True,
                                   gridspec_kw={"width_ratios": [3, 2]})
    palette = ["#4C72B0", "#DD8452", "#55A868", "#C44E52", "#8172B3"]
    datasets = list(dict.fromkeys(df["data"]))
    colors = [palette[datasets.index(d) % len(palette)] for d in df["data"]]
    ax.barh(range(len(df)), df["cv_mean"], xerr=df["cv_std"], color=colors, capsize=4)
    for i, d in enumerate(datasets):  # one legend entry per data set: scores on different data do not compare
        ax.barh([0], [0], color=palette[i % len(palette)], label=f"data: {d}")
    ax.legend(loc="lower right", fontsize=8)
    ax.set_yticks(range(len(df)), labels)
    ax.invert_yaxis()
    lo = (df["cv_mean"] - df["cv_std"]).min()
    hi = (df["cv_mean"] + df["cv_std"]).max()
    ax.set_xlim(max(0.0, lo - 0.1 * (hi - lo + 1e-9)), hi + 0.1 * (hi - lo + 1e-9))
    better = "higher is better" if df.attrs.get("greater_is_better") else "lower is better"
    ax.set_xlabel(f"CV {df['metric'].iloc[0]} (mean ± std over folds; {better})")
    ax.set_title(title)
    for data in datasets:  # the best run of each data set is the first of its rows (the table is sorted)
        rows = df.index[df["data"] == data]
        best = np.asarray(df.loc[rows[0], "fold_scores"])
        for i in rows:
            scores = np.asarray(df.loc[i, "fold_scores"])
            if len(scores) != len(best):
                continue
            gaps = scores - best
            diff.scatter(gaps, np.full(len(gaps), i), s=14, color=colors[i], alpha=0.7)
            diff.plot([gaps.mean()], [i], marker="|", markersize=14, color="black")
    diff.axvline(0, color="grey", lw=1, ls="--")
    diff.set_xlabel("fold score minus the best run's (dots: folds; bar: mean)")
    diff.set_title("difference to the best run, fold by fold")
    save_figure(fig, path, dpi=120)
    return path


def plot_cv_vs_public(df: pd.DataFrame, path: Path, title: str) -> Optional[Path]:
    """CV score against Kaggle's public score, one point per submitted run, with the y = x line: points far from
    the line are runs whose CV the leaderboard does not confirm (or a public split too small to judge)."""
    scored = df.dropna(subset=["public"])
    if scored.empty:
        return None
    plt = pyplot()

    fig, ax = plt.subplots(figsize=(6.5, 5.5))
    ax.errorbar(scored["cv_mean"], scored["public"], xerr=scored["cv_std"], fmt="o", capsize=3)
    for _, r in scored.iterrows():
        ax.annotate(f"{r['config']} [{r['run_id'][:6]}]", (r["cv_mean"], r["public"]), fontsize=7,
                    xytext=(4, 4), textcoords="offset points")
    lo = float(min(scored["cv_mean"].min(), scored["public"].min()))
    hi = float(max(scored["cv_mean"].max(), scored["public"].max()))
    pad = 0.05 * (hi - lo or abs(hi) or 1.0)
    ax.plot([lo - pad, hi + pad], [lo - pad, hi + pad], color="grey", lw=1, ls="--", label="public = CV")
    metric = df["metric"].iloc[0]
    ax.set_xlabel(f"CV {metric} (mean ± std over folds)")
    ax.set_ylabel(f"Kaggle public {metric}")
    ax.set_title(title)
    ax.legend(loc="best", fontsize=8)
    save_figure(fig, path, dpi=120)
    return path


def compare(comp: str, root: Optional[Path] = None, data_label: Optional[str] = None,
            unsaved: Optional[list] = None) -> Tuple[pd.DataFrame, Path, Path]:
    """Build, save (CSV and PNG under runs/<comp>/) and return the comparison. With ``unsaved`` (a list), a disk that
    refuses the files (read-only, full) does not stop it: the reason is appended there and the table still returned."""
    df = compare_table(comp, root, data_label)
    out = (root or runs_root()) / comp
    csv_path, png_path = out / "compare.csv", out / "compare.png"
    try:
        atomic_write_text(csv_path, df.drop(columns="fold_scores").to_csv(index=False))
        plot_table(df, png_path, f"{comp}: every run")
        plot_cv_vs_public(df, out / "cv-vs-public.png", f"{comp}: CV against the public leaderboard")
    except UserError as exc:
        if unsaved is None:
            raise
        unsaved.append(str(exc))
    return df, csv_path, png_path
