"""`model=auto`: the competition's portfolio, run fastest-first within a time budget, then the ensemble that honest CV
prefers (or the best member, when it beats that ensemble by more than the noise of their fold scores), whose
submission is written.

Each member is an ordinary run on the shared folds (resumable, in `make compare`, reusable by `make ensemble`); the
kind's Task says which members suit the data (``Task.portfolio``) and what each costs relative to the others. A
member whose estimate (its cost x the median seconds per cost unit of the members already run, once two have run)
exceeds what is left of the budget is skipped with one line; running again with a larger budget resumes the finished
members and adds the skipped ones. A member whose kind measures it before it starts (a fine-tune, from a few timed
training steps: ``pipeline.price``) is priced by that instead, may run first, and runs only when it fits in
``MEASURED_SHARE`` of what is left, at the dearest of its kind's budget rungs that fits there (a fine-tune: its own
epochs, else fewer). What the members leave of the budget goes to the best member again, fitted with several seeds a
fold (``_bag_best``). A member the budget stopped after some of its folds is submitted from those folds alone when it
beats the chosen candidate on every one of them by more than three times that candidate's fold-to-fold spread
(``_part_instead``: on a large table at a tight budget, LightGBM's first fold against a logistic regression's five,
ahead by 0.12 ROC AUC). The leaderboard (members and ensembles: CV, sd, seconds) is printed and saved beside the runs.
"""

from __future__ import annotations

import time
import traceback
from pathlib import Path
from typing import Callable, Dict, List, Optional

import numpy as np
import pandas as pd

from .core.competition import competition_metric, load_competition
from .core.deadline import PastDeadline, stop_at
from .core.errors import UserError
from .core.io import atomic_write_text
from .core.paths import display, runs_root, submissions_root
from .core.records import RunResult
from .ensembles.build import ensemble
from .models.registry import seeds_differ
from .pipeline import price, train
from .tasks import get_task, load_config

DEFAULT_SECONDS = 900.0
METHODS = ("hill", "stack")  # the ensembles tried on the members' OOF predictions, each scored by honest CV
MEASURED_SHARE = 0.8  # a member priced before it starts may take this much of the budget left: the rest is the others'
OVERRUN_SHARE = 0.05  # a member whose pace ends it this share of the budget late finishes instead of being stopped
# Members priced by the seconds per cost unit once this many have run: one member's seconds are no estimate of a unit
# (a logistic regression on 1,500 columns took 14.7 s, so LightGBM, 15 s there, was priced at 24.5 s and skipped with
# 20 s left). Before that a member starts without a price, under the budget's watch like every member after the first.
PRICED_AFTER = 2
MIN_BAG_SEEDS, BAG_SEEDS = 3, 8  # the fewest seeds worth a bagged run of the best member, and the most it gets
# A stopped member's finished folds replace the chosen candidate only when ahead on each by more than this many of
# the chosen one's fold sds: one or two folds say little of a paired difference's noise (a table near 0.99 ROC AUC:
# CatBoost's fold 0 led XGBoost's by 2.3 sds and scored 0.9825 held-back against every full member's 0.986-0.988).
PART_MARGIN = 3.0


def _sign(metric) -> float:
    return 1.0 if metric.greater_is_better else -1.0


def _seconds(result: RunResult) -> float:
    """What a member cost: its folds' fit time (also right for a member resumed from an earlier call)."""
    return float(result.record.get("fit_seconds") or result.record.get("wall_seconds") or 0.0)


def _seconds_per_unit(done: list) -> float:
    """What a unit of listed cost took on this data: the median over the members run, so that one member far off its
    listed cost (CatBoost at 34 s a unit where LightGBM took 5) does not price every later member out of the budget;
    one that overruns its estimate is stopped between folds (``_budget_watch``)."""
    return float(np.median([_seconds(r) / max(c, 1e-9) for _, c, r in done]))


def run_portfolio(comp: str, overrides: Optional[Dict] = None, seconds: Optional[float] = None,
                  members: Optional[List[str]] = None, progress: bool = True, log: Callable = print) -> RunResult:
    """Train the portfolio of ``comp`` within ``seconds`` (None: DEFAULT_SECONDS), ensemble it, write the chosen
    submission; its RunResult. ``members``: these configs or models instead of the kind's portfolio (its costs kept
    where it lists them)."""
    seconds = DEFAULT_SECONDS if seconds is None else seconds
    if seconds <= 0:
        raise UserError(f"time={seconds:g}: the portfolio's budget is a number of seconds above 0.")
    spec = load_competition(comp)
    overrides = dict(overrides or {})
    portfolio = get_task(spec.kind).portfolio(spec)
    if members:
        listed = {name: (name, extra, cost) for name, extra, cost in portfolio}
        portfolio = [listed.get(name, (name, {}, 1.0)) for name in members]
    members = portfolio
    metric = competition_metric(spec)
    log(f"{spec.name} / auto: {', '.join(m[0] for m in members)} within {seconds:.0f} s (time=SECONDS to change), "
        f"then the ensemble honest CV prefers")
    started, done, skipped, stopped = time.perf_counter(), [], [], []  # done: (name, cost, result); stopped: (name, settings)
    extras = {name: extra for name, extra, _ in members}  # a member's settings, with the rung its budget chose
    for name, extra, cost in members:
        left = seconds - (time.perf_counter() - started)
        settings = {**overrides, **extra}
        try:
            # A fine-tune, priced by its own timed steps and sized to the share of the budget it may take (fewer
            # epochs) before it starts; 0 s when its folds are all finished, and it resumes.
            priced = price(spec, name, settings, within=MEASURED_SHARE * left, log=log)
            if priced is not None:
                extras[name] = {**extra, **priced.settings}
                settings = {**settings, **priced.settings}
                how = f"about {priced.seconds:.0f} s by its own timed steps{_at(priced.settings)}"
                if priced.seconds > MEASURED_SHARE * max(left, 0):
                    skipped.append(name)
                    log(f"skip {name}: {how}, {max(left, 0):.0f} s of the budget left (a member priced before it "
                        f"starts may take {MEASURED_SHARE:.0%} of it; a larger time= adds it; finished members are "
                        "reused)")
                    continue
                log(f"{name}: {how}, {left:.0f} s of the budget left")
            elif done:  # the first member runs; the rest are priced by the seconds per cost unit of those run
                estimate = cost * _seconds_per_unit(done) if len(done) >= PRICED_AFTER else 0.0
                if left <= 0 or estimate > left:
                    skipped.append(name)
                    # unpriced (the second member): skipped only because nothing is left, which is all it says
                    why = f"about {estimate:.0f} s by the members so far, {max(left, 0):.0f} s" if estimate else "none"
                    log(f"skip {name}: {why} of the budget left (a larger time= adds it; finished members are reused)")
                    continue
            if done or priced is not None:
                folds = _folds_to_run(load_config(spec.name, name, settings))
                result = _train_within(spec, name, name, settings, folds, started, seconds, progress, log)
            else:
                result = train(spec, name, settings, progress=progress, log=log)
        except OverBudget as exc:
            log(str(exc))
            skipped.append(name)
            stopped.append((name, settings))
            continue
        except UserError as exc:  # a member that cannot run here (its task, a missing extra): the rest still run
            log(f"skip {name}: {exc}")
            skipped.append(name)
            continue
        except Exception as exc:  # a member's own failure on this data (a library's error): the rest still run
            log(f"skip {name}: it failed ({_first_line(exc)}); the traceback: {display(_failure(spec.name, name))}")
            skipped.append(name)
            continue
        done.append((name, cost, result))
    if not done:
        raise UserError(f"model=auto: no member of {spec.name}'s portfolio could run ({', '.join(skipped)}).")
    bagged = _bag_best(spec, done, extras, overrides, seconds, started, progress, log)
    if bagged is not None:
        done.append(bagged)
    candidates = [(name, "member", r) for name, _, r in done]
    for method in METHODS if len(done) > 1 else ():
        try:
            made = ensemble(spec.name, run_ids=[r.run_id for _, _, r in done], method=method, log=lambda *a: None)
        except UserError as exc:  # a method that cannot combine this task
            log(f"ensemble {method}: not made ({exc})")
            continue
        candidates.append((f"ensemble {method}", "ensemble", made))
    chosen_name, _, chosen = _submitted(candidates, _sign(metric))
    part = _part_instead(spec, chosen_name, chosen, stopped, _sign(metric), log)
    if part is not None:
        candidates.append(part)
        chosen_name, _, chosen = part
    board = [_row(name, kind, r) for name, kind, r in candidates]
    table = pd.DataFrame(board).sort_values("cv_mean", ascending=not metric.greater_is_better, ignore_index=True)
    table["chosen"] = table["name"] == chosen_name
    _save(spec.name, table, chosen, skipped, metric.name, log)
    return chosen


def _submitted(candidates: list, sign: float) -> tuple:
    """The candidate to submit: the ensemble honest CV prefers, unless the best member beats it by more than the
    standard error of their paired fold differences. The best member's CV is the best of many (optimistic by that
    choice), the ensemble's is nested; where they are that close the ensemble, which averages, is the safer choice
    (README: on two small tables the member that led by less scored worse on the held-back rows)."""

    def best(kind: str):
        return max((c for c in candidates if c[1] == kind), key=lambda c: sign * c[2].cv_mean, default=None)

    member, mixed = best("member"), best("ensemble")
    if mixed is None:
        return member
    folds = [np.asarray(c[2].fold_scores, float) for c in (member, mixed)]
    if len(folds[0]) != len(folds[1]) or len(folds[0]) < 2 or not np.all(np.isfinite(folds)):
        return member if sign * member[2].cv_mean > sign * mixed[2].cv_mean else mixed
    ahead = sign * (folds[0] - folds[1])
    return member if ahead.mean() > ahead.std(ddof=1) / np.sqrt(len(ahead)) else mixed


def _part_instead(spec, chosen_name: str, chosen: RunResult, stopped: list, sign: float, log: Callable) -> Optional[tuple]:
    """A member the budget stopped, submitted from its finished folds alone (``train(finished_only=True)``: nothing is
    fitted), when on every one of those folds it beats the chosen candidate, and on their mean by more than
    ``PART_MARGIN`` times the spread (sd) of the chosen one's fold scores: its CV is that of fewer folds, and its test
    prediction averages fewer fits, so only a clear margin makes it the better submission. The best such member, as a
    ``(name, kind, result)`` candidate; None when there is none."""
    theirs = dict(zip(chosen.record.get("folds_run") or range(len(chosen.fold_scores)), map(float, chosen.fold_scores)))
    spread = float(np.std(list(theirs.values())))
    best, best_gain = None, 0.0
    for name, settings in stopped:
        try:
            result = train(spec, name, settings, progress=False, log=lambda *a: None, finished_only=True)
        except UserError:  # no finished fold (stopped inside its first), or a part that cannot be submitted
            continue
        folds = result.record.get("folds_run") or []
        if result.submission is None or not folds or not set(folds) <= set(theirs):
            continue
        gains = sign * (np.asarray(result.fold_scores, float) - np.array([theirs[k] for k in folds]))
        if np.all(gains > 0) and gains.mean() > PART_MARGIN * max(spread, 1e-12) and gains.mean() > best_gain:
            best, best_gain = (f"{name} (folds {', '.join(map(str, folds))} of {len(theirs)})", "member, part", result), gains.mean()
    if best is not None:
        log(f"submit {best[0]}: ahead of {chosen_name} on each of those folds, by {best_gain:.5f} on average (its "
            f"fold sd {spread:.5f}, x{PART_MARGIN:g} needed); a larger time= finishes its other folds")
    return best


def _bag_best(spec, done: list, extras: Dict[str, dict], overrides: Dict, seconds: float, started: float,
              progress: bool, log: Callable) -> Optional[tuple]:
    """Spend what the members left of the budget on the best member again, fitted with several seeds a fold and their
    predictions averaged (``model.seeds``), as AutoGluon fills its time with more bagged fits: a steadier member for
    the ensemble (on a 3,563-row table, CatBoost 0.84592 ROC AUC alone, 0.84876 with 6 seeds). The seeds are priced
    by the members' recorded seconds, so that a second call with the same budget resumes the same run, and never
    beyond what the clock has left. None when the best member cannot take seeds or too few fit; a ``(name, cost, result)`` entry of ``done``."""
    sign = _sign(competition_metric(spec))
    name, cost, best = max(done, key=lambda d: sign * d[2].cv_mean)
    config = load_config(spec.name, name, {**overrides, **extras[name]})
    if not seeds_differ(config.model.name):  # the registry's name (a record's "model" may say what it eats, too)
        return None
    # the clock too: a member stopped part-way (its folds not in a record) or a busy machine spent time no record holds
    left = min(seconds - sum(_seconds(r) for _, _, r in done), started + seconds - time.perf_counter())
    each = max(_seconds(best), 1e-3) * 1.1  # a seed costs about one fit of the member, and a little to spare
    seeds = int(min(BAG_SEEDS, left // each))
    label = f"{name} x{seeds} seeds"
    if seeds < MIN_BAG_SEEDS:
        log(f"skip bagging {name}: {MIN_BAG_SEEDS} seeds would take about {MIN_BAG_SEEDS * each:.0f} s, "
            f"{max(left, 0):.0f} s of the budget left")
        return None
    settings = {**overrides, **extras[name], "model.seeds": seeds}
    try:
        return label, cost * seeds, _train_within(spec, name, label, settings, _folds_to_run(config), started, seconds,
                                                  progress, log)
    except OverBudget as exc:
        log(str(exc))
    except UserError as exc:  # the members' work is done: the ensemble goes on without the bagged run
        log(f"skip bagging {name}: {exc}")
    return None


class OverBudget(Exception):
    """A member stopped: between folds, as the folds left would not finish inside the budget, or inside one."""


def _train_within(spec, name: str, label: str, settings: Dict, folds: int, started: float, seconds: float,
                  progress: bool, log: Callable) -> RunResult:
    """``train`` a member (``label`` in the log) under the budget that began at ``started``: stopped between folds
    when its pace would end it past the budget and its slack (``_budget_watch``), and inside a fold by a fit that
    checks the clock (``core/deadline.py``: the mlp's epochs, a booster before its final fit; an mlp on 4,800 rows
    took 36 s a fold, priced at 13 s for five). Either raises ``OverBudget`` with the line to log."""
    slack = OVERRUN_SHARE * seconds
    watch = _budget_watch(label, folds, started + seconds, time.perf_counter(), slack)
    try:
        with stop_at(started + seconds + slack):
            return train(spec, name, settings, progress=progress, log=log, on_fold=watch)
    except PastDeadline as exc:
        raise OverBudget(f"stop {label} inside a fold: {exc} (its finished folds are kept; a larger time= resumes "
                         "it)") from None


def _folds_to_run(config) -> int:
    """How many folds a member's run fits: ``cv.only_folds`` when set (a member that ran all it was asked is done)."""
    return len(config.cv.folds_to_run())


def _budget_watch(name: str, folds: int, deadline: float, began: float, slack: float = 0.0) -> Callable:
    """An ``on_fold`` callback that stops a member after a fold when its remaining folds, at the pace of its folds so
    far, would end more than ``slack`` seconds past the deadline (its finished folds stay on disk: a larger time=
    resumes them). The slack keeps a member that would end a few seconds late: stopped, its finished folds would be
    thrown out of the ensemble."""
    def watch(k: int, scores: List[float]) -> None:
        now = time.perf_counter()
        pace = (now - began) / len(scores)
        left = max(folds - len(scores), 0)
        if left and now + pace * left > deadline + slack:
            raise OverBudget(f"stop {name} after {len(scores)} fold(s): about {pace * left:.0f} s more, "
                             f"{max(deadline - now, 0):.0f} s of the budget left (its finished folds are kept; a larger "
                             "time= resumes it)")
    return watch


def _first_line(exc: BaseException) -> str:
    """An exception as one line: its type and the first line of its message."""
    message = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {message[0]}" if message else type(exc).__name__


def _failure(comp: str, name: str) -> Path:
    """Write the exception being handled, whole, to runs/<comp>/auto-failures/<name>.txt; its path."""
    path = runs_root() / comp / "auto-failures" / f"{name}.txt"
    atomic_write_text(path, traceback.format_exc())
    return path


def _at(rung: dict) -> str:
    """How a budget rung reads in a line: " at model.params.epochs=8" ("" for the run as asked)."""
    return " at " + ", ".join(f"{k}={v}" for k, v in rung.items()) if rung else ""


def _row(name: str, kind: str, result: RunResult) -> dict:
    return {"name": name, "kind": kind, "cv_mean": result.cv_mean, "cv_std": result.cv_std,
            "seconds": round(_seconds(result), 1), "run_id": result.run_id}


def _save(comp: str, table: pd.DataFrame, chosen: RunResult, skipped: List[str], metric: str, log: Callable) -> None:
    lines = [f"| | {metric} (mean ± sd) | seconds | run |", "|---|---|---|---|"]
    for row in table.itertuples():
        mark = " **(submitted)**" if row.chosen else ""
        lines.append(f"| {row.name}{mark} | {row.cv_mean:.5f} ± {row.cv_std:.5f} | {row.seconds:.1f} | {row.run_id} |")
    if skipped:
        lines.append(f"\nskipped (over the budget, or unable to run here): {', '.join(skipped)}")
    text = "\n".join(lines) + "\n"
    folder = runs_root() / comp
    atomic_write_text(folder / "auto-leaderboard.md", text)
    atomic_write_text(folder / "auto-leaderboard.csv", table.to_csv(index=False))
    log("\n" + text)
    if chosen.submission is not None:
        final = submissions_root() / comp / "auto.csv"
        atomic_write_text(final, chosen.submission.read_text())
        log(f"submission: {display(final)} (from {display(chosen.submission)}); leaderboard: "
            f"{display(folder / 'auto-leaderboard.md')}")
