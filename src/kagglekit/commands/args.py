"""Command-line arguments: every argument is ``key=value`` (what make passes through)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Dict, List, Optional, Tuple

from ..core.config import parse_overrides
from ..core.errors import UserError


def split_args(argv: List[str], keys=("comp", "model")) -> Tuple[Dict[str, str], List[str]]:
    """Pull the command's own ``keys`` out; every other key=value is a config override (and checked as one)."""
    own, overrides = {}, []
    for arg in argv:
        key = arg.split("=", 1)[0]
        if "=" in arg and key in keys:
            own[key] = arg.split("=", 1)[1]
        else:
            overrides.append(arg)
    return own, overrides


def args_from_makeflags(makeflags: str) -> List[str]:
    """The ``key=value`` words make was given, from MAKEFLAGS (no shell quoting is involved), unescaped as make escaped
    them: a space as ``\\ ``, a ``$`` as ``$$``."""
    if " -- " not in f" {makeflags}":
        return []
    tail = f" {makeflags}".split(" -- ", 1)[1]
    words = re.split(r"(?<!\\) ", tail)
    return [w.replace("\\ ", " ").replace("$$", "$") for w in words if "=" in w]


def need(own: Dict[str, str], key: str, command: str) -> str:
    """A required key of a command, or a message that says how to give it."""
    if not own.get(key):
        from ..core.competition import competition_names

        hint = f" Competitions: {', '.join(competition_names())}." if key == "comp" else ""
        raise UserError(f"`{command}` needs {key}=NAME.{hint}")
    return own[key]


def number(own: Dict[str, str], key: str, kind=int, default=None, low=None):
    """A numeric command key (top=, trials=, workers=, timeout=, time_limit=), or one clear message."""
    raw = own.get(key)
    if raw in (None, ""):
        return default
    try:
        value = kind(raw)
    except ValueError:
        raise UserError(f"{key}={raw}: expected {'a whole number' if kind is int else 'a number'}.") from None
    if low is not None and value < low:
        raise UserError(f"{key}={raw}: must be at least {low}.")
    return value


def data_choice(overrides: List[str], command: str) -> Optional[str]:
    """Which data set a command is about: "sample", a data folder, or None (all / the newest)."""
    extra = parse_overrides(overrides)
    data = extra.pop("data", {})
    if extra or set(data) - {"dir", "sample"}:
        raise UserError(f"{command} takes data_dir=PATH or data=sample besides its own keys; not {overrides}.")
    return "sample" if data.get("sample") else (str(Path(data["dir"]).expanduser()) if data.get("dir") else None)
