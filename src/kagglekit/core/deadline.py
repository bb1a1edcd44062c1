"""A wall-clock deadline that long fits check as they go: the portfolio sets one for each member it watches, so a
member whose fold runs past the budget stops inside that fold instead of after it (its finished folds stay on disk,
and which members finish is all the clock decides: a finished fold is the same whatever the deadline was)."""

from __future__ import annotations

import time
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Iterator, Optional

_DEADLINE: ContextVar[Optional[float]] = ContextVar("kagglekit_deadline", default=None)


class PastDeadline(Exception):
    """A fit stopped inside a fold: the clock (``time.perf_counter``) passed the deadline its caller set."""


@contextmanager
def stop_at(at: Optional[float]) -> Iterator[None]:
    """Fits run inside this block stop with ``PastDeadline`` once ``time.perf_counter()`` passes ``at`` (None: never)."""
    token = _DEADLINE.set(at)
    try:
        yield
    finally:
        _DEADLINE.reset(token)


def current() -> Optional[float]:
    """The deadline set here, or None: a ``time.perf_counter`` reading, the machine's monotonic clock, which a fold
    handed to a thread or a worker process of the same machine passes on to ``stop_at`` there."""
    return _DEADLINE.get()


def check(what: str) -> None:
    """Raise ``PastDeadline`` naming ``what`` when a deadline is set and passed; cheap enough for every epoch."""
    at = _DEADLINE.get()
    if at is not None and time.perf_counter() > at:
        raise PastDeadline(f"{what} was still fitting when the budget ran out")
