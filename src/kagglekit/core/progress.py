"""Whether a progress bar is hidden: tqdm reads TQDM_DISABLE only where ``disable=`` is not passed, and ours pass it."""

from __future__ import annotations

import os


def bar_hidden(show: bool) -> bool:
    """tqdm's ``disable=`` for a bar shown when ``show`` is true, unless the user set TQDM_DISABLE (logs, CI)."""
    return not show or os.environ.get("TQDM_DISABLE", "").strip().lower() not in ("", "0", "false", "no")
