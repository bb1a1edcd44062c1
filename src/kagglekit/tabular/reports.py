"""Per-run pictures for table runs: what the model used (feature importance, mean over folds) and where a regression
misses (OOF residuals)."""

from __future__ import annotations

from pathlib import Path
from typing import Dict, List, Optional

import numpy as np
import pandas as pd

from ..core.plots import pyplot, save_figure


def fold_importance(model, pre, n_features: int, top: int = 60) -> Optional[Dict[str, float]]:
    """A fitted fold model's importance per input column, largest ``top`` first: trees' own importances, or a linear
    model's absolute coefficients (on the scaled inputs); None for models that have neither."""
    values = getattr(model, "feature_importances_", None)
    if values is None and getattr(model, "coef_", None) is not None:
        values = np.abs(np.atleast_2d(model.coef_)).mean(axis=0)
    if values is None:
        return None
    values = np.asarray(values, dtype=float)
    try:
        names = [str(n) for n in pre.get_feature_names_out()]
    except Exception:  # noqa: BLE001 - a preprocessing step without names: number them
        names = []
    if len(names) != len(values):
        names = [f"feature_{i}" for i in range(len(values))]
    total = values.sum() or 1.0
    order = np.argsort(-values)[:top]
    return {names[i]: float(values[i] / total) for i in order}


def importance_table(infos: List[dict]) -> Optional[pd.DataFrame]:
    """Mean and sd over folds of each feature's share of the importance (a feature missing from a fold's top counts 0)."""
    folds = [i["importance"] for i in infos if i.get("importance")]
    if not folds:
        return None
    frame = pd.DataFrame(folds).fillna(0.0)
    return pd.DataFrame({"feature": frame.columns, "mean": frame.mean().to_numpy(), "sd": frame.std(ddof=0).to_numpy()}) \
        .sort_values("mean", ascending=False).reset_index(drop=True)


def importance_png(table: pd.DataFrame, path: Path, model: str, top: int = 25) -> Path:
    plt = pyplot()
    shown = table.head(top)
    fig, ax = plt.subplots(figsize=(8, 0.3 * len(shown) + 1.5))
    ax.barh(range(len(shown)), shown["mean"], xerr=shown["sd"], color="#4C72B0", capsize=3)
    ax.set_yticks(range(len(shown)), shown["feature"], fontsize=7)
    ax.invert_yaxis()
    ax.set(xlabel="share of the model's importance (mean ± sd over folds)", title=f"{model}: feature importance")
    save_figure(fig, path, dpi=110)
    return path


def residuals_png(y: np.ndarray, pred: np.ndarray, path: Path, space: str, ids: Optional[np.ndarray] = None) -> Path:
    """OOF prediction against truth, and residual against prediction (in the metric's space, e.g. log prices); the
    five largest misses are labelled with their ids."""
    plt = pyplot()
    resid = pred - y
    fig, (a, b) = plt.subplots(1, 2, figsize=(11, 4.5))
    a.scatter(y, pred, s=6, alpha=0.5)
    lo, hi = float(min(y.min(), pred.min())), float(max(y.max(), pred.max()))
    a.plot([lo, hi], [lo, hi], color="grey", ls="--", lw=1)
    a.set(xlabel=f"true ({space})", ylabel=f"OOF prediction ({space})", title="OOF prediction against truth")
    b.scatter(pred, resid, s=6, alpha=0.5)
    b.axhline(0, color="grey", ls="--", lw=1)
    worst = np.argsort(-np.abs(resid))[:5]
    for i in worst:
        b.annotate(f"id {ids[i]}" if ids is not None else f"row {i}", (pred[i], resid[i]), fontsize=7, xytext=(3, 3),
                   textcoords="offset points")
    b.set(xlabel=f"OOF prediction ({space})", ylabel="residual (prediction - truth)",
          title=f"residuals (sd {resid.std():.4f}; the 5 largest labelled)")
    save_figure(fig, path, dpi=110)
    return path
