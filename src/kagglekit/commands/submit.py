"""`make submit` and `make leaderboard`: parse, call the library (``kagglekit.kaggle``), print."""

from __future__ import annotations

from typing import Dict, List

from ..core.errors import UserError
from ..core.paths import display
from ..api import leaderboard, submit
from ..kaggle.submissions import submissions_log
from .args import need


def _score_text(value) -> str:
    return "" if value is None else f"{value:.5f}"


def print_leaderboard(log: List[Dict]) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table()
    for col in ("submitted", "config", "run_id", "cv_mean", "public", "private", "status", "message"):
        table.add_column(col)
    for e in log:
        table.add_row(e["submitted"][:16].replace("T", " "), e.get("config") or "", (e.get("run_id") or "")[:8],
                      _score_text(e.get("cv_mean")), _score_text(e.get("public_score")), _score_text(e.get("private_score")),
                      (e.get("status") or "").replace("SubmissionStatus.", "").lower(), e["message"][:40])
    Console(width=160).print(table)


def cmd_submit(own, overrides) -> None:
    if overrides:
        raise UserError(f"submit takes comp=, run=ID or file=PATH, and message=...; not {overrides}.")
    submit(need(own, "comp", "submit"), own.get("run"), own.get("file"), own.get("message"))


def cmd_leaderboard(own, overrides) -> None:
    if overrides:
        raise UserError(f"leaderboard takes comp= only; not {overrides}.")
    comp = need(own, "comp", "leaderboard")
    log = leaderboard(comp)
    if not log:
        print(f"no submissions of {comp} sent from here yet; `make submit comp={comp}` sends the best run.")
        return
    print_leaderboard(log)
    print(f"saved in {display(submissions_log(comp))}; `make compare comp={comp}` plots CV against public score.")
