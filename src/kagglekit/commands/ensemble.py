"""`make ensemble`: parse, call the library (``kagglekit.ensembles``), print."""

from __future__ import annotations

from ..ensembles import ensemble
from .args import data_choice, need, number


def cmd_ensemble(own, overrides) -> None:
    comp = need(own, "comp", "ensemble")
    ensemble(comp, own.get("runs", "").split() or None, number(own, "top", int, low=2), own.get("method", "blend"),
             own.get("meta", "ridge"), data_label=data_choice(overrides, "ensemble"))
