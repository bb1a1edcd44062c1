"""The code a fold was made by: the git commit (when there is one) and a hash of the package's source."""

from __future__ import annotations

import functools
import hashlib
import subprocess
from pathlib import Path
from typing import Dict, Optional

PACKAGE = Path(__file__).resolve().parents[1]


@functools.lru_cache(maxsize=1)
def source_hash() -> str:
    """Hash of every .py file of the package: any edit to the code changes it."""
    h = hashlib.sha1()
    for path in sorted(PACKAGE.rglob("*.py")):
        h.update(path.relative_to(PACKAGE).as_posix().encode() + b"\0" + path.read_bytes())
    return h.hexdigest()[:12]


@functools.lru_cache(maxsize=1)
def git_commit() -> Optional[str]:
    try:
        out = subprocess.run(["git", "rev-parse", "--short=10", "HEAD"], cwd=PACKAGE, capture_output=True, text=True, timeout=5)
    except (OSError, subprocess.SubprocessError):
        return None
    return out.stdout.strip() or None if out.returncode == 0 else None


def code_version() -> Dict[str, Optional[str]]:
    """What a fold records about the code that made it."""
    return {"commit": git_commit(), "source": source_hash()}


def describe(version: Optional[dict]) -> str:
    if not version:
        return "unrecorded code"
    return f"source {version.get('source')}" + (f" (commit {version['commit']})" if version.get("commit") else "")
