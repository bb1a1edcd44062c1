"""`make tune`: parse, call the API (``kagglekit.tune``), print."""

from __future__ import annotations

from ..api import tune
from ..core.config import flat_overrides
from .args import need, number


def cmd_tune(own, overrides) -> None:
    tune(need(own, "comp", "tune"), need(own, "model", "tune"), trials=number(own, "trials", int, 50, low=1),
         timeout=number(own, "timeout", float, None, low=1), workers=number(own, "workers", int, 1, low=1),
         storage=own.get("storage") or None, pruner=own.get("pruner", "median"),
         heartbeat=number(own, "heartbeat", float, 10.0, low=1), executor=own.get("executor", "local"),
         ray_address=own.get("ray_address"), **flat_overrides(overrides))
