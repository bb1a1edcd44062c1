"""Per-run pictures for image runs: learning curves of every fold and the OOF confusion matrix (or, for many
classes, the most-confused class pairs)."""

from __future__ import annotations

from pathlib import Path
from typing import Dict, List

import numpy as np

from ..core.plots import pyplot, save_figure


def learning_curves(histories: Dict[int, List[dict]], path: Path, best_epochs: Dict[int, int] = None) -> Path:
    """Training and validation loss, validation accuracy (the kept epoch marked with a star) and learning rate per
    epoch, one colour per fold."""
    plt = pyplot()
    fig, (a, b, c) = plt.subplots(1, 3, figsize=(14, 4))
    for i, (k, hist) in enumerate(sorted(histories.items())):
        color = f"C{i % 10}"
        epochs = [h["epoch"] for h in hist]
        a.plot(epochs, [h["train_loss"] for h in hist], color=color, marker="o", label=f"fold {k} train")
        if all("valid_loss" in h for h in hist):
            a.plot(epochs, [h["valid_loss"] for h in hist], color=color, ls="--", label=f"fold {k} valid")
        b.plot(epochs, [h["valid_acc"] for h in hist], color=color, marker="o", label=f"fold {k}")
        best = (best_epochs or {}).get(k)
        if best is not None and 1 <= best <= len(hist):
            b.plot([best], [hist[best - 1]["valid_acc"]], marker="*", markersize=16, color=color, mec="black")
        c.plot(epochs, [h["lr"] for h in hist], color=color)
    a.set(xlabel="epoch", ylabel="cross-entropy", title="loss: training (solid), validation (dashed)")
    b.set(xlabel="epoch", ylabel="validation accuracy (no TTA)", title="validation accuracy (* = epoch kept)")
    c.set(xlabel="epoch", ylabel="learning rate (end of epoch)", title="learning rate")
    if histories:
        a.legend(fontsize=7)
    save_figure(fig, path, dpi=110)
    return path


def confused_pairs(y: np.ndarray, proba: np.ndarray, classes: np.ndarray, top: int = 20):
    """The class pairs mistaken for each other most often in the OOF predictions: a table (true, predicted, count,
    share of the true class's rows), most first."""
    import pandas as pd

    pred = proba.argmax(1)
    wrong = pred != y
    pairs = pd.DataFrame({"true": np.asarray(classes)[y[wrong]], "predicted": np.asarray(classes)[pred[wrong]]})
    counts = pairs.value_counts().rename("count").reset_index()
    per_class = pd.Series(np.bincount(y, minlength=len(classes)), index=np.asarray(classes))
    counts["share_of_true"] = counts["count"] / per_class.loc[counts["true"]].to_numpy()
    return counts.head(top)


def confused_pairs_png(table, path: Path, accuracy: float) -> Path:
    """Horizontal bars of the most-confused pairs: readable at 176 classes, where a matrix is not."""
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(9, 0.32 * max(len(table), 1) + 1.5))
    labels = [f"{t} -> {p}"[:60] for t, p in zip(table["true"], table["predicted"])]
    ax.barh(range(len(table)), table["count"], color="#C44E52")
    ax.set_yticks(range(len(table)), labels, fontsize=7)
    ax.invert_yaxis()
    ax.set(xlabel="OOF rows of the true class predicted as the other",
           title=f"most-confused class pairs (OOF accuracy {accuracy:.4f})")
    save_figure(fig, path, dpi=110)
    return path


def confusion_matrix_png(y: np.ndarray, proba: np.ndarray, classes: np.ndarray, path: Path, max_labels: int = 40) -> Path:
    """Row-normalised confusion matrix of the OOF predictions (tick labels only when few classes)."""
    plt = pyplot()
    n = len(classes)
    cm = np.zeros((n, n))
    np.add.at(cm, (y, proba.argmax(1)), 1)
    cm = cm / np.maximum(cm.sum(1, keepdims=True), 1)
    size = min(14, 3 + 0.35 * n)
    fig, ax = plt.subplots(figsize=(size, size))
    im = ax.imshow(cm, cmap="Blues", vmin=0, vmax=1)
    if n <= max_labels:
        ax.set_xticks(range(n), classes, rotation=90, fontsize=7)
        ax.set_yticks(range(n), classes, fontsize=7)
    ax.set(xlabel="predicted", ylabel="true", title=f"OOF confusion matrix (accuracy {np.mean(proba.argmax(1) == y):.4f})")
    fig.colorbar(im, ax=ax, fraction=0.046)
    save_figure(fig, path, dpi=110)
    return path
