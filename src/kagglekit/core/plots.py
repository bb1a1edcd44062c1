"""Matplotlib for files, never a window: every plot in the package starts from ``pyplot()``."""

from __future__ import annotations


def pyplot():
    """``matplotlib.pyplot`` on the Agg backend (no display needed, safe in worker processes)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def save_figure(fig, path, dpi: int = 110) -> None:
    """Lay out, render and close ``fig``, then write it atomically (a full disk gives no torn PNG, and says so in one
    line naming the path)."""
    import io
    from pathlib import Path

    from .io import atomic_write_bytes

    buffer = io.BytesIO()
    try:
        fig.tight_layout()
        fig.savefig(buffer, dpi=dpi, format=Path(path).suffix.lstrip(".") or "png")
    finally:
        pyplot().close(fig)
    atomic_write_bytes(Path(path), buffer.getvalue())
