"""Where a run's folds are fitted: one after another here (``local``), or as Ray tasks (``speed.executor=ray``).

Either way the driver scores and saves each fold in the run folder as it arrives, so the files are the same,
and a finished fold is never fitted again. Ray retries a fold whose worker died.
"""

from __future__ import annotations

import os
import time
from typing import Callable, Iterator, List, Tuple

import numpy as np

from .errors import UserError
from .speed import physical_cores


def _split(folds: np.ndarray, k: int):
    return np.flatnonzero(folds != k), np.flatnonzero(folds == k)


def _timed_fold(fit_fold: Callable, k: int, folds: np.ndarray, threads: int):
    """Fit one fold (in whatever process runs it) with at most ``threads`` threads; (output, seconds)."""
    if threads:
        os.environ["KAGGLEKIT_THREADS"] = str(threads)
    train_idx, valid_idx = _split(folds, k)
    start = time.perf_counter()
    out = fit_fold(k, train_idx, valid_idx)
    return out, time.perf_counter() - start


def local_folds(pending: List[int], fit_fold: Callable, folds: np.ndarray, speed) -> Iterator[Tuple[int, object, float]]:
    for k in pending:
        out, seconds = _timed_fold(fit_fold, k, folds, 0)
        yield k, out, seconds


def connect_ray(address):
    """Join a Ray cluster (``address``: auto or host:port) or start a local one with one CPU per physical core."""
    try:
        import ray
    except ImportError:
        raise UserError("executor=ray needs the ray package (pip install ray, pinned in requirements.txt).") from None
    if not ray.is_initialized():
        kwargs = {"address": address} if address else {"num_cpus": physical_cores()}
        try:
            ray.init(include_dashboard=False, log_to_driver=False, configure_logging=False, **kwargs)
        except ConnectionError as exc:
            raise UserError(f"ray_address={address}: no Ray cluster answers there ({exc}). Start one with `ray start "
                            "--head`, or leave ray_address out for a local one.") from None
    return ray


def ray_folds(pending: List[int], fit_fold: Callable, folds: np.ndarray, speed) -> Iterator[Tuple[int, object, float]]:
    """Every pending fold as a Ray task declaring ``speed.fold_cpus`` CPUs and ``speed.fold_gpus`` GPUs, yielded as
    each finishes."""
    ray = connect_ray(speed.ray_address)
    remote = ray.remote(num_cpus=speed.fold_cpus, num_gpus=speed.fold_gpus, max_retries=3)(_timed_fold)
    shared = ray.put(fit_fold)
    waiting = {remote.remote(shared, k, folds, speed.fold_cpus): k for k in pending}
    while waiting:
        done, _ = ray.wait(list(waiting), num_returns=1)
        k = waiting.pop(done[0])
        out, seconds = ray.get(done[0])
        yield k, out, seconds


EXECUTORS = {"local": local_folds, "ray": ray_folds}
