"""Where things live. The project folder holds competitions/ and configs/: KAGGLEKIT_HOME, else the current folder
or the nearest parent with a competitions/ folder, else this checkout (an editable install or PYTHONPATH=src).
Outputs (data/, runs/, submissions/) go under the project folder unless KAGGLEKIT_WORKDIR moves them;
KAGGLEKIT_COMPETITIONS and KAGGLEKIT_CONFIGS move those two folders on their own."""

from __future__ import annotations

import os
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]  # the checkout, when the package runs from src/


def project_home() -> Path:
    """The project folder: KAGGLEKIT_HOME, the current folder or a parent holding competitions/, else the checkout
    (else the current folder)."""
    if os.environ.get("KAGGLEKIT_HOME"):
        return Path(os.environ["KAGGLEKIT_HOME"]).expanduser()
    here = Path.cwd().resolve()
    for folder in (here, *here.parents):
        if (folder / "competitions").is_dir():
            return folder
    return ROOT if (ROOT / "competitions").is_dir() else here  # a plain `pip install .` has no checkout to fall back on


def competitions_dir() -> Path:
    """The competitions/ folder (one sub-folder per competition)."""
    return Path(os.environ.get("KAGGLEKIT_COMPETITIONS", project_home() / "competitions"))


def config_dir() -> Path:
    """The configs/ folder (KAGGLEKIT_CONFIGS moves it, e.g. for tests that write tuned configs)."""
    return Path(os.environ.get("KAGGLEKIT_CONFIGS", project_home() / "configs"))


def workdir() -> Path:
    """Folder holding data/, runs/ and submissions/ (the project folder unless KAGGLEKIT_WORKDIR is set)."""
    return Path(os.environ.get("KAGGLEKIT_WORKDIR", project_home()))


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
