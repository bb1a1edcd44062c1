"""A wall-clock deadline that long fits check as they go: the portfolio sets one for each member it watches, so a
member whose fold runs past the budget stops inside that fold instead of after it (its finished folds stay on disk,
and which members finish is all the clock decides: a finished fold is the same whatever the deadline was). The mlp
checks it each epoch (``check``); boosters each iteration and forests every few dozen trees, from callbacks that may
run on a pool's threads, through a ``Watch`` made where the fit starts."""

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


class Watch:
    """The deadline of the context it is made in, for a library's per-iteration callback: such a callback may run on a
    thread of a pool, which the context's deadline does not reach. ``stopped`` says the watch saw it pass."""

    def __init__(self, what: str):
        self.what, self.at, self.stopped = what, current(), False

    @property
    def armed(self) -> bool:
        """Whether there is a deadline to watch (None: the fit runs to its end, and needs no callback)."""
        return self.at is not None

    def passed(self) -> bool:
        """Whether the deadline has passed (and remember that it has: ``stopped``)."""
        if self.at is not None and time.perf_counter() > self.at:
            self.stopped = True
        return self.stopped

    def check(self) -> None:
        """Raise ``PastDeadline`` once the deadline has passed: for callbacks whose exceptions end the library's fit,
        and after a fit that a callback stopped quietly (``stopped``)."""
        if self.passed():
            raise PastDeadline(f"{self.what} was still fitting when the budget ran out")


def check(what: str) -> None:
    """Raise ``PastDeadline`` naming ``what`` when a deadline is set and passed; cheap enough for every epoch."""
    at = _DEADLINE.get()
    if at is not None and time.perf_counter() > at:
        raise PastDeadline(f"{what} was still fitting when the budget ran out")
