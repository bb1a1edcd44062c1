"""Shared test helpers: a generated sample copied to a folder the test may damage."""

import shutil
from pathlib import Path

from kagglekit.core.competition import load_competition
from kagglekit.core.files import sample_dir
from kagglekit.tabular.sample import write_sample


def sample_copy(comp: str, dest: Path, seed: int = 0) -> Path:
    """Write the generated sample of ``comp`` and return a private copy of its folder."""
    spec = load_competition(comp)
    src = write_sample(spec, sample_dir(comp), seed=seed)
    shutil.copytree(src, dest)
    return dest
