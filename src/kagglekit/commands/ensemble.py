"""`make ensemble`: parse, call the API (``kagglekit.ensemble``), print."""

from __future__ import annotations

from .. import api
from .args import data_choice, need, number


def cmd_ensemble(own, overrides) -> None:
    comp = need(own, "comp", "ensemble")
    label = data_choice(overrides, "ensemble")  # data_dir=PATH or data=sample, nothing else
    api.ensemble(comp, own.get("runs", "").split() or None, number(own, "top", int, low=2), own.get("method", "blend"),
                 own.get("meta", "ridge"), data_dir=label if label not in (None, "sample") else None,
                 data="sample" if label == "sample" else None)
