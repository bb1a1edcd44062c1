"""Shared test helpers: a generated sample copied to a folder the test may damage."""

import shutil
import socket
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


def closed_port() -> int:
    """A loopback port nothing listens on: one the system just handed out and that was closed again (a fixed port may
    be taken by a test running beside this one in another worker)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]
