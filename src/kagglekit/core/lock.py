"""One process per run folder: a second run of the same config says who holds it instead of redoing its folds."""

from __future__ import annotations

import fcntl
import os
import time
from contextlib import contextmanager
from pathlib import Path

from .errors import UserError
from .paths import display


@contextmanager
def run_lock(folder: Path, wait: bool = False):
    """Hold ``folder/.lock`` for the duration; if another process holds it, fail naming it (or wait, if asked)."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / ".lock"
    with open(path, "a+") as f:
        try:
            fcntl.flock(f, fcntl.LOCK_EX | (0 if wait else fcntl.LOCK_NB))
        except BlockingIOError:
            f.seek(0)
            holder = f.read().strip() or "another process"
            raise UserError(f"run folder {display(folder)} is in use by {holder}: the same run is already training. "
                            "Wait for it to finish (its folds are then reused), or stop it.") from None
        f.seek(0)
        f.truncate()
        f.write(f"process {os.getpid()} since {time.strftime('%Y-%m-%d %H:%M:%S')}")
        f.flush()
        try:
            yield
        finally:
            f.seek(0)
            f.truncate()
            fcntl.flock(f, fcntl.LOCK_UN)
