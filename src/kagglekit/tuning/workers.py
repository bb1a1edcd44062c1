"""Worker processes (or Ray tasks) that share one study: each runs trials until the study has ``trials`` finished,
with heartbeats so a killed worker's trial is failed and retried; a failing worker is reported with its message."""

from __future__ import annotations

import multiprocessing as mp
import sys
import threading
import time
from contextlib import contextmanager
from typing import Callable, Optional


from ..core.config import combine_overrides
from ..core.errors import UserError
from ..core.paths import runs_root
from ..core.progress import bar_hidden
from ..pipeline import train
from .space import load_space, suggest
from .study import FINISHED, StudyJob, n_finished, open_study


def run_worker(job: StudyJob, worker: int = 0, progress: bool = False) -> None:
    """Run trials until the study holds exactly ``job.trials`` finished ones, or ``job.timeout`` seconds pass.

    Trials are numbered by the database; a trial runs only while fewer than ``trials`` others are finished,
    running or waiting, so several workers never overshoot. A worker that finds the remaining trials running
    elsewhere waits for them (a dead worker's trial goes stale, is failed and retried). The sampler's seed
    differs per call and per worker: a continued study explores anew instead of repeating its first trials."""
    import os

    import optuna
    from optuna.storages import fail_stale_trials
    from optuna.trial import TrialState
    from tqdm.auto import tqdm

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    comp, config_name, overrides, trials, seed, heartbeat = (job.comp, job.config_name, job.overrides, job.trials,
                                                              job.seed, job.heartbeat)
    study, storage = open_study(job, worker)
    # Workers on other machines are all "worker 0": the process id keeps their samplers apart.
    n_before = len(study.get_trials(deepcopy=False))
    study.sampler = optuna.samplers.TPESampler(seed=(seed + 1000 * n_before + 7919 * worker + os.getpid()) % 2**31)
    space = load_space(comp, config_name)
    base = runs_root() / comp / "tune"
    deadline = None if job.timeout is None else time.time() + job.timeout
    live = (TrialState.COMPLETE, TrialState.PRUNED, TrialState.RUNNING, TrialState.WAITING)
    bar = tqdm(total=trials, initial=min(trials, n_finished(study)), desc=f"trials (worker {worker})", disable=bar_hidden(progress))
    idle_since = None
    while deadline is None or time.time() < deadline:
        fail_stale_trials(study)  # a dead worker's trial: failed now, and queued again by the retry callback
        states = [t.state for t in study.get_trials(deepcopy=False)]  # one look at the database per round
        if sum(s.name in FINISHED for s in states) >= trials:
            break
        taken = sum(s in live for s in states)
        waiting = TrialState.WAITING in states
        if taken >= trials and not waiting:
            # The rest are running elsewhere: wait for them to finish or go stale (a trial without heartbeats,
            # from a process that never sent any, would never go stale: give up on it after a while).
            idle_since = idle_since or time.time()
            if time.time() - idle_since > 20 * heartbeat + 60:
                break
            time.sleep(min(1.0, heartbeat))
            continue
        idle_since = None
        trial = study.ask()
        ahead = [t for t in study.get_trials(deepcopy=False) if t.number < trial.number and t.state in live]
        if len(ahead) >= trials:  # another worker took the last trial between our count and our ask
            trial.set_user_attr("skipped", "the study already had its trials")
            study.tell(trial, state=TrialState.FAIL)
            continue
        storage.record_heartbeat(trial._trial_id)  # at once: a trial is never without a heartbeat for long
        trial.set_user_attr("worker", worker)
        trial.set_user_attr("pid", os.getpid())

        def on_fold(k, scores, trial=trial):
            trial.report(sum(scores) / len(scores), step=len(scores))
            if trial.should_prune():
                raise optuna.TrialPruned()

        try:  # a retried trial's suggest_* calls return the failed trial's values (its fixed params)
            with heartbeats(storage, trial, heartbeat):  # two workers may draw the same values: the second waits, then reuses
                result = train(comp, config_name, combine_overrides(overrides, suggest(trial, space)), progress=False, log=lambda *a: None,
                               on_fold=on_fold, runs_base=base, submit_file=False, wait_for_run=True, plots=False)
        except optuna.TrialPruned:
            study.tell(trial, state=TrialState.PRUNED)
        except BaseException as exc:
            trial.set_user_attr("error", f"{type(exc).__name__}: {exc}"[:500])
            study.tell(trial, state=TrialState.FAIL)
            raise
        else:
            trial.set_user_attr("run_dir", str(result.run_dir))
            study.tell(trial, result.record["cv_mean"])
        bar.update(1)
    bar.close()


@contextmanager
def heartbeats(storage, trial, interval: float):
    """Record the trial's heartbeat every ``interval`` seconds while it runs (ask/tell trials get none from Optuna):
    if this process dies, the trial goes stale and another worker fails and retries it."""
    stop = threading.Event()

    def beat():
        while not stop.is_set():
            storage.record_heartbeat(trial._trial_id)  # the trial's id: Optuna keeps it private, it has no other name
            stop.wait(interval)

    thread = threading.Thread(target=beat, daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join()


def _worker_entry(job: StudyJob, worker: int, errors):
    """A worker process: failures go back to the parent as one message; Ctrl-C ends it quietly."""
    try:
        run_worker(job, worker)
    except KeyboardInterrupt:
        sys.exit(130)
    except UserError as exc:
        errors.put(f"worker {worker}: {exc}")
        sys.exit(2)
    except Exception as exc:  # noqa: BLE001 - report any failure of a worker with its message
        errors.put(f"worker {worker}: {type(exc).__name__}: {exc}")
        sys.exit(1)


def watch(study, trials: int, alive: Callable[[], bool], every: float = 2.0, progress: bool = True) -> None:
    """A progress bar over the study's finished trials (and its best value) while the workers run elsewhere."""
    from tqdm.auto import tqdm

    bar = tqdm(total=trials, initial=min(trials, n_finished(study)), desc="trials (all workers)", disable=bar_hidden(progress))
    while True:
        running = alive()
        now = study.get_trials(deepcopy=False)  # one look at the database per round
        done = [t for t in now if t.state.name in FINISHED]
        bar.n = min(trials, len(done))
        values = [t.value for t in done if t.value is not None]
        if values:
            best = max(values) if study.direction.name == "MAXIMIZE" else min(values)
            bar.set_postfix(best=f"{best:.5f}", running=sum(t.state.name == "RUNNING" for t in now))
        bar.refresh()
        if not running:
            break
        time.sleep(every)
    bar.close()


def run_workers(job: StudyJob, workers: int, executor: str = "local", ray_address: Optional[str] = None,
                study=None, progress: bool = True) -> None:
    """``workers`` processes (or Ray tasks) on one study, watched with one progress bar; the first failure is raised
    with its message, Ctrl-C stops them all."""
    if executor == "ray":
        from ..core.executors import connect_ray

        ray = connect_ray(ray_address)
        remote = ray.remote(num_cpus=1, max_retries=1)(_ray_worker)
        refs = [remote.remote(job, i) for i in range(workers)]
        if study is not None:
            watch(study, job.trials, lambda: len(ray.wait(refs, num_returns=len(refs), timeout=0)[0]) < len(refs), progress=progress)
        failures = [m for m in ray.get(refs) if m]
        if failures:
            raise UserError("tuning worker failed: " + "; ".join(failures) + ". Finished trials are kept; fix the cause "
                            "and run the same command to continue.")
        return
    ctx = mp.get_context("spawn")
    errors = ctx.Queue()
    procs = [ctx.Process(target=_worker_entry, args=(job, i, errors)) for i in range(workers)]
    for p in procs:
        p.start()
    try:
        if study is not None:
            watch(study, job.trials, lambda: any(p.is_alive() for p in procs), progress=progress)
        for p in procs:
            p.join()
    except KeyboardInterrupt:
        for p in procs:
            p.terminate()
        for p in procs:
            p.join()
        raise
    messages = []
    while not errors.empty():
        messages.append(errors.get())
    failed = [p.exitcode for p in procs if p.exitcode not in (0, None)]
    if messages or failed:
        raise UserError("tuning worker failed: " + ("; ".join(messages) or f"exit codes {failed}") +
                        ". Finished trials are kept; fix the cause and run the same command to continue.")


def _ray_worker(job: StudyJob, worker: int) -> str:
    try:
        run_worker(job, worker)
    except Exception as exc:  # noqa: BLE001 - reported to the driver with its message
        return f"worker {worker}: {exc}"
    return ""
