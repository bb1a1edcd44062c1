"""The Optuna study of one config on one data set: its name carries the data's fingerprint (sample and real never mix)."""

from __future__ import annotations

from typing import List, Optional


from ..core.competition import competition_metric, load_competition
from ..pipeline import prepare
from .storage import storage_url


FINISHED = ("COMPLETE", "PRUNED")


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
