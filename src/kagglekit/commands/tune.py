"""`make tune`: Optuna search over any config keys, each trial a full K-fold CV on the shared folds.

The running mean is reported after every fold so the pruner can stop bad trials early. Studies
live in persistent storage (SQLite per competition by default), so the same command continues a
study, several worker processes can share it, and Ctrl-C or a crash loses no finished trial.
The best parameters become ``configs/<comp>/<model>-tuned.yaml``.
"""

from __future__ import annotations

import json
import multiprocessing as mp
import sys
import threading
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Callable, Dict, List, Optional

import yaml

from ..core.competition import competition_metric, load_competition
from ..core.config import parse_overrides
from ..core.errors import UserError
from ..core.files import read_yaml
from ..core.io import atomic_write_text
from ..core.paths import config_dir, display, runs_root
from ..core.plots import pyplot, save_figure
from ..pipeline import prepare, train
from ..tasks import load_run_config
from .args import need, number

FINISHED = ("COMPLETE", "PRUNED")


def space_file(comp: str, config_name: str) -> Path:
    """The search space that sits next to the model config: configs/<comp>/<model>.space.yaml."""
    return config_dir() / comp / f"{config_name}.space.yaml"


def load_space(comp: str, config_name: str) -> Dict[str, dict]:
    path = space_file(comp, config_name)
    if not path.exists():
        raise UserError(f"no search space {path} for {config_name}; write one, a line per key, e.g. "
                        "`model.params.alpha: {float: [0.0001, 0.01], log: true}`.")
    space = read_yaml(path)
    for key, dist in space.items():
        if not isinstance(dist, dict) or not ({"float", "int", "categorical"} & set(dist)):
            raise UserError(f"{path}: '{key}' needs one of float: [low, high], int: [low, high] or categorical: [...].")
    # Every key must be a valid config key: check with the values at the low end of each range.
    probe = [f"{k}={(d.get('float') or d.get('int') or d.get('categorical'))[0]}" for k, d in space.items()]
    try:
        load_run_config(load_competition(comp), config_name, probe)
    except UserError as exc:
        raise UserError(f"{path}: {exc}") from None
    return space


def suggest(trial, space: Dict[str, dict]) -> List[str]:
    """Draw one value per key; returns them as key=value overrides."""
    out = []
    for key, d in space.items():
        if "float" in d:
            v = trial.suggest_float(key, *d["float"], log=d.get("log", False), step=d.get("step"))
        elif "int" in d:
            v = trial.suggest_int(key, *d["int"], log=d.get("log", False), step=d.get("step", 1))
        else:
            v = trial.suggest_categorical(key, d["categorical"])
        out.append(f"{key}={v}")
    return out


def storage_url(comp: str, storage: Optional[str]) -> str:
    """The study's database: ``storage`` (checked: its driver is installed and the server answers) or SQLite under
    runs/<comp>/."""
    if storage:
        url = with_installed_driver(storage)
        check_storage(url)
        return url
    path = runs_root() / comp / "optuna.db"
    path.parent.mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{path}"


def with_installed_driver(url: str) -> str:
    """``postgresql://`` with the PostgreSQL driver that is installed: SQLAlchemy 2.1 reads a bare ``postgresql://`` as
    psycopg 3, and this project installs psycopg2."""
    import importlib.util

    scheme, sep, rest = url.partition("://")
    if sep and scheme in ("postgresql", "postgres") and importlib.util.find_spec("psycopg") is None \
            and importlib.util.find_spec("psycopg2") is not None:
        return f"postgresql+psycopg2://{rest}"
    return url


def check_storage(url: str) -> None:
    """Fail at once, in one line naming the fix (UserError masks the password), when a storage URL is malformed, its driver is missing or its server
    does not answer (within 10 s)."""
    from sqlalchemy import create_engine
    from sqlalchemy.exc import ArgumentError, DBAPIError, NoSuchModuleError

    networked = not url.startswith("sqlite")
    try:
        engine = create_engine(url, **({"connect_args": {"connect_timeout": 10}} if networked else {}))
    except (ImportError, NoSuchModuleError) as exc:
        raise UserError(f"storage={url}: its database driver is not installed ({exc}). For PostgreSQL install "
                        "psycopg2-binary; SQLite needs nothing (storage=sqlite:///path.db).") from None
    except (ArgumentError, ValueError) as exc:
        raise UserError(f"storage={url}: not a database URL ({exc}); e.g. "
                        "postgresql://user@host:5432/db.") from None
    try:
        with engine.connect():
            pass
    except DBAPIError as exc:
        reason = str(exc.orig or exc).strip().splitlines()[0]
        raise UserError(f"storage={url}: the database does not answer ({reason}). Start the server, or fix the host, "
                        "port, user, password and database name in the URL.") from None
    finally:
        engine.dispose()


def data_fingerprint(comp: str, config_name: str, overrides: List[str]) -> str:
    """Fingerprint of the data a study tunes on (its name carries it: sample and real studies never mix)."""
    return prepare(comp, config_name, overrides, log=lambda *a: None)[3].fingerprint


def open_study(comp: str, config_name: str, storage: Optional[str], seed: int, pruner: str, fingerprint: str, worker: int = 0,
               heartbeat: float = 10.0):
    """The study in its database, with trial heartbeats: a trial whose worker died (even by SIGKILL) is marked
    failed after ``4 x heartbeat`` seconds of silence and retried once."""
    import warnings

    import optuna
    from optuna.exceptions import ExperimentalWarning
    from optuna.storages import RetryHeartbeatStaleTrialCallback

    warnings.simplefilter("ignore", ExperimentalWarning)  # heartbeats and the retry callback are stable enough here
    warnings.filterwarnings("ignore", message="Heartbeat of storage")  # we beat for ask/tell trials ourselves
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    url = storage_url(comp, storage)
    # SQLite: wait for the lock instead of failing when several workers write at once.
    engine = {"connect_args": {"timeout": 60}} if url.startswith("sqlite") else {"pool_pre_ping": True}
    prune = optuna.pruners.MedianPruner(n_startup_trials=5, n_warmup_steps=1) if pruner == "median" \
        else optuna.pruners.SuccessiveHalvingPruner(min_resource=1, reduction_factor=3)
    greater = competition_metric(load_competition(comp)).greater_is_better
    rdb = optuna.storages.RDBStorage(url, engine_kwargs=engine, heartbeat_interval=max(1, int(heartbeat)),
                                     grace_period=max(2, int(4 * heartbeat)),
                                     heartbeat_stale_trial_callback=RetryHeartbeatStaleTrialCallback(max_retry=1))
    return optuna.create_study(
        storage=rdb,
        sampler=optuna.samplers.TPESampler(seed=seed + worker),
        pruner=prune,
        study_name=f"{comp}-{config_name}-{fingerprint}",
        direction="maximize" if greater else "minimize",
        load_if_exists=True,
    )


def n_finished(study) -> int:
    return sum(t.state.name in FINISHED for t in study.get_trials(deepcopy=False))


def run_worker(comp, config_name, overrides, trials, timeout, storage, seed, pruner, fingerprint, heartbeat=10.0, worker=0,
               progress=False) -> None:
    """Run trials until the study holds exactly ``trials`` finished ones, or ``timeout`` seconds pass.

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
    study = open_study(comp, config_name, storage, seed, pruner, fingerprint, worker, heartbeat)
    # Workers on other machines are all "worker 0": the process id keeps their samplers apart.
    n_before = len(study.get_trials(deepcopy=False))
    study.sampler = optuna.samplers.TPESampler(seed=(seed + 1000 * n_before + 7919 * worker + os.getpid()) % 2**31)
    space = load_space(comp, config_name)
    base = runs_root() / comp / "tune"
    deadline = None if timeout is None else time.time() + timeout
    live = (TrialState.COMPLETE, TrialState.PRUNED, TrialState.RUNNING, TrialState.WAITING)
    bar = tqdm(total=trials, initial=min(trials, n_finished(study)), desc=f"trials (worker {worker})", disable=not progress)
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
        study._storage.record_heartbeat(trial._trial_id)  # at once: a trial is never without a heartbeat for long
        trial.set_user_attr("worker", worker)
        trial.set_user_attr("pid", os.getpid())

        def on_fold(k, scores, trial=trial):
            trial.report(sum(scores) / len(scores), step=len(scores))
            if trial.should_prune():
                raise optuna.TrialPruned()

        try:  # a retried trial's suggest_* calls return the failed trial's values (its fixed params)
            with heartbeats(study, trial, heartbeat):  # two workers may draw the same values: the second waits, then reuses
                result = train(comp, config_name, overrides + suggest(trial, space), progress=False, log=lambda *a: None,
                               on_fold=on_fold, runs_base=base, submit_file=False, wait_for_run=True)
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
def heartbeats(study, trial, interval: float):
    """Record the trial's heartbeat every ``interval`` seconds while it runs (ask/tell trials get none from Optuna):
    if this process dies, the trial goes stale and another worker fails and retries it."""
    stop = threading.Event()

    def beat():
        while not stop.is_set():
            study._storage.record_heartbeat(trial._trial_id)
            stop.wait(interval)

    thread = threading.Thread(target=beat, daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join()


def _worker_entry(args, errors):
    """A worker process: failures go back to the parent as one message; Ctrl-C ends it quietly."""
    try:
        run_worker(*args)
    except KeyboardInterrupt:
        sys.exit(130)
    except UserError as exc:
        errors.put(f"worker {args[-1]}: {exc}")
        sys.exit(2)
    except Exception as exc:  # noqa: BLE001 - report any failure of a worker with its message
        errors.put(f"worker {args[-1]}: {type(exc).__name__}: {exc}")
        sys.exit(1)


def watch(study, trials: int, alive: Callable[[], bool], every: float = 2.0, progress: bool = True) -> None:
    """A progress bar over the study's finished trials (and its best value) while the workers run elsewhere."""
    from tqdm.auto import tqdm

    bar = tqdm(total=trials, initial=min(trials, n_finished(study)), desc="trials (all workers)", disable=not progress)
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


def run_workers(args: tuple, workers: int, executor: str = "local", ray_address: Optional[str] = None,
                study=None, progress: bool = True) -> None:
    """``workers`` processes (or Ray tasks) on one study, watched with one progress bar; the first failure is raised
    with its message, Ctrl-C stops them all."""
    if executor == "ray":
        from ..core.executors import connect_ray

        ray = connect_ray(ray_address)
        remote = ray.remote(num_cpus=1, max_retries=1)(_ray_worker)
        refs = [remote.remote(args + (i,)) for i in range(workers)]
        if study is not None:
            watch(study, args[3], lambda: len(ray.wait(refs, num_returns=len(refs), timeout=0)[0]) < len(refs), progress=progress)
        failures = [m for m in ray.get(refs) if m]
        if failures:
            raise UserError("tuning worker failed: " + "; ".join(failures) + ". Finished trials are kept; fix the cause "
                            "and run the same command to continue.")
        return
    ctx = mp.get_context("spawn")
    errors = ctx.Queue()
    procs = [ctx.Process(target=_worker_entry, args=(args + (i,), errors)) for i in range(workers)]
    for p in procs:
        p.start()
    try:
        if study is not None:
            watch(study, args[3], lambda: any(p.is_alive() for p in procs), progress=progress)
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


def _ray_worker(args) -> str:
    try:
        run_worker(*args)
    except Exception as exc:  # noqa: BLE001 - reported to the driver with its message
        return f"worker {args[-1]}: {exc}"
    return ""


def tune(comp: str, config_name: str, overrides: Optional[List[str]] = None, trials: int = 50,
         timeout: Optional[float] = None, workers: int = 1, storage: Optional[str] = None, seed: int = 42,
         pruner: str = "median", log=print, heartbeat: float = 10.0, executor: str = "local",
         ray_address: Optional[str] = None, progress: bool = True) -> Dict[str, Any]:
    """Run or continue the study (``workers`` processes, or Ray tasks with executor=ray), then write the tuned
    config, plots and the top trials."""
    if pruner not in ("median", "halving"):
        raise UserError(f"pruner={pruner}: choose median or halving.")
    overrides = list(overrides or [])
    load_space(comp, config_name)  # fail fast on a bad config or space before any process starts
    fingerprint = data_fingerprint(comp, config_name, overrides)
    started = time.perf_counter()
    study = open_study(comp, config_name, storage, seed, pruner, fingerprint, 0, heartbeat)  # tables exist before workers race
    args = (comp, config_name, overrides, trials, timeout, storage, seed, pruner, fingerprint, heartbeat)
    if workers > 1 or executor == "ray":
        run_workers(args, workers, executor, ray_address, study=study, progress=progress)
    else:
        run_worker(*args, 0, progress)
    study = open_study(comp, config_name, storage, seed, pruner, fingerprint, 0, heartbeat)
    return finish(study, comp, config_name, overrides, time.perf_counter() - started, log, fingerprint)


def finish(study, comp: str, config_name: str, overrides: List[str], seconds: float, log=print,
           fingerprint: str = "") -> Dict[str, Any]:
    """Tuned config (never over a better, foreign or hand-written one), history and importance PNGs, the top trials."""
    complete = [t for t in study.get_trials(deepcopy=False) if t.state.name == "COMPLETE"]
    if not complete:
        raise UserError(f"study {study.study_name} has no completed trial yet; run more trials.")
    best = study.best_trial
    tuned = tuned_config(comp, config_name, overrides, best.params)
    header = (f"# Tuned by `make tune comp={comp} model={config_name}`: study {study.study_name}, best of "
              f"{len(complete)} completed trials, CV {best.value:.5f} (trial {best.number}).\n")
    made = {"data": fingerprint, "value": best.value, "direction": study.direction.name.lower(), "trials": len(complete),
            "study": study.study_name}
    path, kept = tuned_path(config_dir() / comp, config_name, made)
    for other, why in kept:
        log(f"kept {display(other)}: {why}")
    if path is not None:
        atomic_write_text(path, header + f"{PROVENANCE}{json.dumps(made)}\n" + yaml.safe_dump(tuned, sort_keys=False))
    out = runs_root() / comp / "tune"
    out.mkdir(parents=True, exist_ok=True)
    plots = save_plots(study, out / f"{config_name}-history.png", out / f"{config_name}-importance.png")
    states = [t.state.name for t in study.get_trials(deepcopy=False) if "skipped" not in t.user_attrs]
    log(f"study {study.study_name}: {states.count('COMPLETE')} complete, {states.count('PRUNED')} pruned, "
        f"{states.count('FAIL')} failed trials; {seconds:.0f} s this call")
    reverse = study.direction.name == "MAXIMIZE"
    for t in sorted(complete, key=lambda t: t.value, reverse=reverse)[:5]:
        log(f"  trial {t.number:3d}  CV {t.value:.5f}  " + " ".join(f"{k.split('.')[-1]}={v:.4g}" if isinstance(v, float)
                                                               else f"{k.split('.')[-1]}={v}" for k, v in t.params.items()))
    if path is not None:
        log(f"best config written to {display(path)}: `make train comp={comp} model={path.stem}`")
    return {"best_value": best.value, "best_params": best.params, "config": path, "plots": plots,
            "n_complete": states.count("COMPLETE"), "n_pruned": states.count("PRUNED")}


PROVENANCE = "# kagglekit-tuned: "  # the line a tuned YAML carries: data fingerprint, best value, direction, study


def read_provenance(path: Path) -> Optional[dict]:
    """What study wrote a tuned YAML (None: written by hand, committed before provenance, or unreadable)."""
    try:
        for line in path.read_text().splitlines()[:5]:
            if line.startswith(PROVENANCE):
                return json.loads(line[len(PROVENANCE):])
    except (OSError, ValueError):
        return None
    return None


def tuned_path(folder: Path, config_name: str, made: dict) -> tuple:
    """(where this study's best config goes, or None; [(file kept, why)]). ``<model>-tuned.yaml`` is replaced only by
    a study on the same data whose best is at least as good; otherwise the result goes to
    ``<model>-tuned-<data>.yaml`` under the same rule, so a quick study on a sample never replaces a real one."""
    kept = []
    for path in (folder / f"{config_name}-tuned.yaml", folder / f"{config_name}-tuned-{made['data'][:8]}.yaml"):
        if not path.exists():
            return path, kept
        old = read_provenance(path)
        if old is None:
            kept.append((path, "written by hand or committed without a study's record; not replaced"))
        elif old.get("data") != made["data"]:
            kept.append((path, f"tuned on other data (fingerprint {old.get('data')}, CV {old.get('value')})"))
        elif (made["value"] < old["value"]) if made["direction"] == "maximize" else (made["value"] > old["value"]):
            kept.append((path, f"its CV {old['value']:.5f} beats this study's {made['value']:.5f} on the same data"))
            return None, kept
        else:
            return path, kept
    return None, kept


def tuned_config(comp: str, config_name: str, overrides: List[str], params: Dict[str, Any]) -> dict:
    """The model's YAML with the study's command-line overrides and best values written in."""
    path = config_dir() / comp / f"{config_name}.yaml"
    cfg = read_yaml(path) if path.exists() else {"model": {"name": config_name}}
    extra = parse_overrides(overrides + [f"{k}={v}" for k, v in params.items()])
    extra.pop("data", None)

    def merge(a, b):
        for k, v in b.items():
            a[k] = merge(a.get(k, {}), v) if isinstance(v, dict) and isinstance(a.get(k), dict) else v
        return a

    return merge(cfg, extra)


def save_plots(study, history: Path, importance: Path) -> List[Path]:
    import warnings

    from optuna.exceptions import ExperimentalWarning

    warnings.simplefilter("ignore", ExperimentalWarning)
    pyplot()  # the Agg backend before optuna imports matplotlib
    from optuna.visualization.matplotlib import plot_optimization_history, plot_param_importances

    done = []
    for fn, path in ((plot_optimization_history, history), (plot_param_importances, importance)):
        try:
            ax = fn(study)
            ax.figure.set_size_inches(8, 5)
            save_figure(ax.figure, path)
            done.append(path)
        except (ValueError, RuntimeError, ZeroDivisionError):
            pass  # too few completed trials for importances
    return done


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
