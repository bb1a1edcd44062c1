"""Per-run pictures for image runs: learning curves of every fold and the OOF confusion matrix."""

from __future__ import annotations

from pathlib import Path
from typing import Dict, List

import numpy as np


def _plt():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def learning_curves(histories: Dict[int, List[dict]], path: Path) -> Path:
    """Training loss and validation accuracy per epoch, one line per fold."""
    plt = _plt()
    fig, (a, b) = plt.subplots(1, 2, figsize=(10, 4))
    for k, hist in sorted(histories.items()):
        epochs = [h["epoch"] for h in hist]
        a.plot(epochs, [h["train_loss"] for h in hist], marker="o", label=f"fold {k}")
        b.plot(epochs, [h["valid_acc"] for h in hist], marker="o", label=f"fold {k}")
    a.set(xlabel="epoch", ylabel="training loss", title="training loss")
    b.set(xlabel="epoch", ylabel="validation accuracy (no TTA)", title="validation accuracy")
    b.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def confusion_matrix_png(y: np.ndarray, proba: np.ndarray, classes: np.ndarray, path: Path, max_labels: int = 40) -> Path:
    """Row-normalised confusion matrix of the OOF predictions (tick labels only when few classes)."""
    plt = _plt()
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
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path
