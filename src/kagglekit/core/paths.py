"""Where things live. Outputs (data/, runs/, submissions/) move with KAGGLEKIT_WORKDIR; competitions/ and
configs/ with KAGGLEKIT_COMPETITIONS and KAGGLEKIT_CONFIGS."""

from __future__ import annotations

import os
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]


def competitions_dir() -> Path:
    """The competitions/ folder (one sub-folder per competition)."""
    return Path(os.environ.get("KAGGLEKIT_COMPETITIONS", ROOT / "competitions"))


def config_dir() -> Path:
    """The configs/ folder (KAGGLEKIT_CONFIGS moves it, e.g. for tests that write tuned configs)."""
    return Path(os.environ.get("KAGGLEKIT_CONFIGS", ROOT / "configs"))


def workdir() -> Path:
    """Folder holding data/, runs/ and submissions/ (the repository unless KAGGLEKIT_WORKDIR is set)."""
    return Path(os.environ.get("KAGGLEKIT_WORKDIR", ROOT))


def data_root() -> Path:
    return workdir() / "data"


def runs_root() -> Path:
    return workdir() / "runs"


def submissions_root() -> Path:
    return workdir() / "submissions"


def display(path: Path) -> str:
    """A path relative to the current folder when that is shorter, for messages."""
    try:
        return str(Path(path).resolve().relative_to(Path.cwd()))
    except ValueError:
        return str(path)
