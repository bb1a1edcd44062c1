"""The Optuna study of one config on one data set: its name carries the data's fingerprint (sample and real never mix)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Dict, Optional

from ..core.config import Overrides
from ..pipeline import prepare
from .storage import storage_url


FINISHED = ("COMPLETE", "PRUNED")


@dataclass(frozen=True)
class StudyJob:
    """What every worker of one study is given (it travels to worker processes and Ray tasks as it is)."""

    comp: str
    config_name: str
    overrides: Dict[str, Any] = field(default_factory=dict)  # {dotted key: value}, combine_overrides
    trials: int = 50  # the study ends with exactly this many finished (complete or pruned) trials
    timeout: Optional[float] = None  # seconds a worker keeps starting trials
    storage: Optional[str] = None  # a database URL; None: SQLite under runs/<comp>/
    seed: int = 42
    pruner: str = "median"
    fingerprint: str = ""  # of the data tuned on: part of the study's name
    heartbeat: float = 10.0  # seconds between a running trial's heartbeats
    maximize: bool = False  # the competition metric's direction, read once when the job is made


def data_fingerprint(comp: str, config_name: str, overrides: Optional[Overrides]) -> str:
    """Fingerprint of the data a study tunes on (its name carries it: sample and real studies never mix)."""
    return prepare(comp, config_name, overrides, log=lambda *a: None)[3].fingerprint


def open_study(job: StudyJob, worker: int = 0):
    """(the study, its storage): the study in its database, with trial heartbeats: a trial whose worker died (even by
    SIGKILL) is marked failed after ``4 x heartbeat`` seconds of silence and retried once."""
    import warnings

    import optuna
    from optuna.exceptions import ExperimentalWarning
    from optuna.storages import RetryHeartbeatStaleTrialCallback

    warnings.simplefilter("ignore", ExperimentalWarning)  # heartbeats and the retry callback are stable enough here
    warnings.filterwarnings("ignore", message="Heartbeat of storage")  # we beat for ask/tell trials ourselves
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    url = storage_url(job.comp, job.storage)
    # SQLite: wait for the lock instead of failing when several workers write at once.
    engine = {"connect_args": {"timeout": 60}} if url.startswith("sqlite") else {"pool_pre_ping": True}
    prune = optuna.pruners.MedianPruner(n_startup_trials=5, n_warmup_steps=1) if job.pruner == "median" \
        else optuna.pruners.SuccessiveHalvingPruner(min_resource=1, reduction_factor=3)
    rdb = optuna.storages.RDBStorage(url, engine_kwargs=engine, heartbeat_interval=max(1, int(job.heartbeat)),
                                     grace_period=max(2, int(4 * job.heartbeat)),
                                     heartbeat_stale_trial_callback=RetryHeartbeatStaleTrialCallback(max_retry=1))
    study = optuna.create_study(
        storage=rdb,
        sampler=optuna.samplers.TPESampler(seed=job.seed + worker),
        pruner=prune,
        study_name=f"{job.comp}-{job.config_name}-{job.fingerprint}",
        direction="maximize" if job.maximize else "minimize",
        load_if_exists=True,
    )
    return study, rdb


def n_finished(study) -> int:
    return sum(t.state.name in FINISHED for t in study.get_trials(deepcopy=False))
