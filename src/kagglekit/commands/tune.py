"""`make tune`: parse, call the library (``kagglekit.tuning``), print."""

from __future__ import annotations

from ..core.config import parse_overrides
from ..core.errors import UserError
from ..tuning import tune
from .args import need, number


def cmd_tune(own, overrides) -> None:
    comp = need(own, "comp", "tune")
    seed = number({"seed": str(parse_overrides(overrides).get("seed", 42))}, "seed", int, low=0)
    executor = own.get("executor", "local")
    if executor not in ("local", "ray"):
        raise UserError(f"executor={executor}: choose local (worker processes) or ray (Ray tasks).")
    tune(comp, need(own, "model", "tune"), overrides, trials=number(own, "trials", int, 50, low=1),
         timeout=number(own, "timeout", float, None, low=1), workers=number(own, "workers", int, 1, low=1),
         storage=own.get("storage") or None, seed=seed, pruner=own.get("pruner", "median"),
         heartbeat=number(own, "heartbeat", float, 10.0, low=1), executor=executor, ray_address=own.get("ray_address"))
