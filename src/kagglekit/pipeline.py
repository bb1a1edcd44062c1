"""One run, start to finish, for every kind of competition: the only place a run is assembled.

resolve config -> load data -> encode targets -> open the run (folds, id, saved config and targets)
-> run the folds -> combine -> score -> OOF / test predictions / submission -> record. What differs
per kind comes from its Task (``tasks.TASKS``); what differs per model from its registry entry.
"""

from __future__ import annotations

import math
import shutil
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Dict, Optional, Union

from .core.competition import CompetitionSpec, competition_fingerprint, competition_metric, load_competition
from .core.config import Overrides, config_hash, flat_overrides, to_dict
from .core.cv import run_cv
from .core.dataset import Dataset
from .core.errors import UserError
from .core.files import sample_dir
from .core.folds import load_or_make_folds
from .core.lock import run_lock
from .core.paths import display
from .core.records import FinishedFolds, RunResult, data_label, describe_overrides, finish_run
from .core.runs import RunDir
from .core.submission import submission_shape
from .core.targets import encode_targets
from .core.tracking import check_tracking
from .tasks import get_task, load_run_config


def ensure_sample(spec: CompetitionSpec, run, log: Callable) -> None:
    """With data=sample and no sample yet, generate it (its README is written last: present means complete).
    The competition's own kind writes it, so its table and image runs read the same files."""
    folder = sample_dir(spec.name)
    if run.data.sample and not run.data.dir and not (folder / "README.md").exists():
        log(f"no sample yet: generating one in {display(folder)}")
        get_task(spec.kind).write_sample(spec, folder, seed=0)


def prepare(comp: Union[str, CompetitionSpec], config_name: str, overrides: Optional[Overrides] = None,
            log: Callable = print):
    """(spec, task, run config, data) for a run: what train and tune both start from. ``comp``: a loaded competition,
    or its name (loaded here, once)."""
    spec, task, run = configure(comp, config_name, overrides)
    check_tracking(run.tracking)
    return spec, task, run, load_data(spec, task, run, log)


def configure(comp: Union[str, CompetitionSpec], config_name: str, overrides: Optional[Overrides] = None):
    """(spec, task, run config): the competition (loaded here when named) and the run's merged, checked config."""
    spec = comp if isinstance(comp, CompetitionSpec) else load_competition(comp)
    return (spec, *load_run_config(spec, config_name, overrides))


def load_data(spec: CompetitionSpec, task, run, log: Callable = print) -> Dataset:
    """The run's data, its generated sample written first when it asks for one that is not there yet."""
    ensure_sample(spec, run, log)
    return task.load(spec, run, log)


def run_dir(spec: CompetitionSpec, run, data: Dataset, runs_base: Optional[Path] = None) -> RunDir:
    """The folder of ``run`` on ``data`` (named by the config hash), whether or not it has started."""
    return RunDir(spec.name, run.config_name, config_hash(run, data.fingerprint, competition_fingerprint(spec)), runs_base)


@dataclass
class Price:
    """What a run will cost, known before it starts: the settings it runs with (a budget rung of its kind, added to
    its overrides; ``{}``: as asked) and the seconds its unfinished folds take with them (0.0: all are finished)."""

    settings: Dict[str, Any]
    seconds: float


def price(comp: Union[str, CompetitionSpec], config_name: str, overrides: Optional[Overrides] = None,
          within: float = math.inf, log: Callable = print) -> Optional[Price]:
    """About how long ``train`` with these arguments would take now, before it starts, sized to ``within`` seconds:
    the first of the kind's budget rungs (``Task.budget_rungs``: the run as asked, then cheaper settings such as
    fewer epochs) whose unfinished folds x the kind's measured seconds a fold (``Task.fold_seconds``) fit in it,
    else the cheapest rung's price; None where the kind has no such estimate (or needs none for this data). A rung
    whose folds are all finished costs 0, so a second call with the same budget resumes what the first chose, and a
    larger one may choose more."""
    spec, task, run = configure(comp, config_name, overrides)
    if not task.estimates(run):
        return None
    data = load_data(spec, task, run, log)  # rungs change the model only: one load prices them all
    if not task.prices(data):
        return None
    asked = flat_overrides(overrides)
    for rung in task.budget_rungs(run):
        sized = load_run_config(spec, config_name, {**asked, **rung})[1] if rung else run
        rd = run_dir(spec, sized, data)
        left = sum(not rd.fold_json(k).exists() for k in sized.cv.folds_to_run())
        each = task.fold_seconds(spec, sized, data) if left else 0.0
        if each is None:  # a model the kind cannot time: the portfolio prices it by the members run
            return None
        cost = Price(dict(rung), math.ceil(left / task.folds_at_once(spec, sized, data)) * each if left else 0.0)
        if cost.seconds <= max(within, 0.0):
            break
    return cost


def open_run(spec: CompetitionSpec, run, data: Dataset, targets, runs_base: Optional[Path] = None):
    """The shared fold assignment and the run folder (named by the config hash), with config, folds and targets saved."""
    folds, fold_path = load_or_make_folds(spec.name, data.train, data.train_ids, spec.targets[0],
                                          "regression" if spec.task == "regression" else "classification",
                                          run.cv, run.seed, data.fingerprint)
    rd = run_dir(spec, run, data, runs_base)
    rd.save_config(to_dict(run))
    rd.save_targets(targets)
    if not (rd.path / "folds.csv").exists():
        shutil.copyfile(fold_path, rd.path / "folds.csv")
    return rd, folds, fold_path


def train(comp: Union[str, CompetitionSpec], config_name: str, overrides: Optional[Overrides] = None, progress: bool = True,
          log: Callable = print,
          on_fold: Optional[Callable] = None, runs_base: Optional[Path] = None, submit_file: bool = True,
          wait_for_run: bool = False, plots: bool = True, finished_only: bool = False) -> RunResult:
    """Cross-validate ``config_name`` on ``comp``; resume finished folds; write run files and the submission.

    ``on_fold(k, scores so far)`` runs after each fold (a tuner reports there); ``runs_base`` moves the run
    folder (default runs/<comp>); ``submit_file=False`` skips the submission (tuning trials); ``wait_for_run``: if another
    process is training the same run, wait for it (then reuse its folds) instead of failing; ``plots=False`` skips the
    run's pictures (tuning trials: a second of a small run each, for runs nobody looks at one by one); ``finished_only``
    fits nothing: the folds already on disk (a portfolio member the budget stopped) are scored and their test
    predictions submitted, with no record for `make compare` (UserError when there are none)."""
    started = time.perf_counter()
    spec, task, run, data = prepare(comp, config_name, overrides, log)
    metric = competition_metric(spec)
    targets = encode_targets(spec, data.train, metric, f"{display(data.folder / spec.files.train)}")
    rd, folds, fold_path = open_run(spec, run, data, targets, runs_base)
    label = task.model_label(run)
    log(f"{spec.name} / {config_name} ({label}, {task.kind}) run {rd.run_id}: {run.cv.n_splits}-fold {run.cv.scheme}, "
        f"{len(data.train)} rows, data {display(data.folder)}")
    submission_shape(spec, metric, targets.classes, data.sample_submission)  # a bad shape fails now, not after every fold
    if finished_only:
        on_disk = [k for k in run.cv.folds_to_run() if rd.fold_json(k).exists()]
        if not on_disk:
            raise UserError(f"{config_name}: no finished fold in {display(rd.path)} to submit from.")
        run.cv.only_folds = on_disk
    fit_fold = task.fold_fitter(spec, run, data, targets, rd, progress, log)
    with run_lock(rd.path, wait=wait_for_run):
        rd.remove_stale_temporaries()
        result = run_cv(rd, folds, targets.y, metric, fit_fold, run.cv.only_folds, n_outputs=targets.n_outputs,
                        progress=progress, on_fold=on_fold, force_resume=run.force_resume, speed=run.speed)
    if result.resumed:
        log(f"resumed finished folds {result.resumed} from {display(rd.path)}")
    if result.note:
        log(result.note)
    log(f"CV {metric.name}: {result.mean:.5f} ± {result.std:.5f} over folds {result.folds_run} "
        f"(per fold: {', '.join(f'{s:.5f}' for s in result.fold_scores)})")
    complete = len(result.folds_run) == len(set(folds.tolist()))
    infos = result.infos
    extra = task.reports(rd, run, data, targets, result.oof, infos, metric, plots)
    # What each fold chose on its own training rows (early stopping, a forest's out-of-bag choice), shown in the record.
    for chosen, key in (("best_iteration", "best_iterations"), ("best_epoch", "best_epochs"), ("chosen_params", "chosen_params"),
                        ("start", "starts"), ("probe_seconds", "probe_seconds"), ("final_seconds", "final_seconds"),
                        ("final_rate", "final_rates")):
        if infos and all(chosen in i for i in infos):
            extra[key] = [i[chosen] for i in infos]
    if result.folds_wall:
        extra["folds_wall_seconds"] = round(result.folds_wall, 3)  # below the sum of fold seconds where folds ran side by side
    per_fold = {"logloss_folds": [i["logloss"] for i in infos]} if all("logloss" in i for i in infos) else {}
    if not complete:
        extra["folds_run"] = list(result.folds_run)
    submitted = complete or (finished_only and len(result.test_folds) == len(result.folds_run))
    folds_done = FinishedFolds(result.oof, task.combine_test(metric, result.test_folds) if submitted else None,
                               result.fold_scores, result.fold_seconds, folds, complete, infos, per_fold)
    return finish_run(spec, rd, metric, targets, folds_done, model=label, started=started, train_ids=data.train_ids,
                      sample=data.sample_submission, data=data_label(run.data.sample, run.data.dir, data.folder),
                      fingerprint=data.fingerprint, folds_file=fold_path.name, kind=task.kind,
                      overrides=describe_overrides(overrides), submit_file=submit_file,
                      tracking=run.tracking, config=to_dict(run), log=log,
                      **{k: v for k, v in extra.items() if v is not None})
