"""Where a run's folds are fitted: here, one after another (``local``) or ``speed.parallel`` at once in worker
processes (one GPU each when there are GPUs), or as Ray tasks (``speed.executor=ray``).

A model whose library fits without holding Python's GIL (the boosters) fits the folds of a small table side by side on
threads of this process (``fit_fold.beside`` at once, ``folds_beside``), one core each: on a few thousand rows a
second thread speeds a LightGBM or XGBoost fit by a fifth at most, while a second fit at once on the other core doubles
the work done (README, the speed section). The libraries' fits do not depend on their thread count, so the folds are
the same either way.

``speed.parallel`` 0 (the default) chooses: one fold at a time, except where the fold fitter says its model fits on
one thread (``fit_fold.one_thread``: scikit-learn's gradient boosting, a support vector machine, the mlp on a CPU),
which would leave the other cores idle. Then its folds start here, on a thread, and once the fold here has run long
enough to pay the workers' start, the other cores' workers join in (``_here_then_beside``). A one-thread model's fold
is the same wherever it runs, so the files do not depend on the choice; such a fitter must be safe to call from a
thread. The caller's deadline (core/deadline.py) is handed to that thread and to the workers, and to Ray tasks as
wall-clock time, which each task turns into its own machine's clock (exact on this machine; on others, to within
their clocks' skew).

Either way the driver scores and saves each fold in the run folder as it arrives, so the files are the same,
and a finished fold is never fitted again. Ray retries a fold whose worker died.
"""

from __future__ import annotations

import copyreg
import io
import mmap
import os
import sys
import time
from contextlib import nullcontext
from pathlib import Path
from typing import Callable, Iterator, List, Optional, Tuple

import numpy as np

from .deadline import current as current_deadline, stop_at
from .errors import UserError
from .speed import gpu_count, grant_threads, physical_cores, thread_count, threads_here


def _split(folds: np.ndarray, k: int):
    return np.flatnonzero(folds != k), np.flatnonzero(folds == k)


def _timed_fold(fit_fold: Callable, k: int, folds: np.ndarray, threads: int, deadline: Optional[float] = None):
    """Fit one fold (in whatever process or thread runs it) with at most ``threads`` threads, stopping at the caller's
    ``deadline`` (core/deadline.py: a thread or process does not inherit it); (output, seconds)."""
    if threads:
        grant_threads(threads)
    train_idx, valid_idx = _split(folds, k)
    start = time.perf_counter()
    with stop_at(deadline) if deadline is not None else nullcontext():  # None: whatever this thread has set
        out = fit_fold(k, train_idx, valid_idx)
    return out, time.perf_counter() - start


# Up to this many cells (training rows x columns) a table's folds run side by side (``folds_beside``): two folds in
# memory at once cost little there, and the gain was measured up to 100,000 rows (LightGBM 1.4x, XGBoost 1.2x).
BESIDE_CELLS = 20_000_000


def folds_beside(speed, rows: int, columns: int, n_folds: int) -> int:
    """How many folds of a model that fits without the GIL run at once on threads here: one per core that other
    processes leave free, at most ``n_folds``, on a table of up to ``BESIDE_CELLS`` cells, under the default speed
    settings (threads, parallel and executor as they come, no GPU to fit on); else 1."""
    if speed.threads or speed.parallel or speed.executor != "local" or rows * max(columns, 1) > BESIDE_CELLS:
        return 1
    if speed.device != "cpu" and gpu_count() > 0:
        return 1
    return max(1, min(n_folds, thread_count(0)))


WORKER_START_SECONDS = 4.0  # a spawned worker's imports and its copy of the data (about 3 s on 2 cores), rounded up


def memory_allows(payload: bytes, workers: int) -> bool:
    """Whether ``workers`` copies of a pickled fold fitter (times 4 for what a fit makes of its data) fit in the memory
    this machine has free."""
    try:
        with open("/proc/meminfo") as f:
            free = next(int(line.split()[1]) * 1024 for line in f if line.startswith("MemAvailable:"))
    except (OSError, StopIteration, ValueError):
        return False
    return 4 * workers * len(payload) < free


def worker_died(message: str) -> str:
    """``message``, and where this process runs a script of the user's (not ``python -m kagglekit``) the usual cause:
    spawned workers start by importing that script, so a call to kagglekit outside ``if __name__ == "__main__":``
    runs again in each of them."""
    main = sys.modules.get("__main__")
    script = getattr(main, "__file__", None)
    if not script or getattr(main, "__spec__", None) is not None or Path(script).resolve().is_relative_to(Path(sys.prefix).resolve()):
        return message  # python -m ..., an interactive session, or a tool's entry point in the environment (pytest)
    return (f"{message} If {Path(script).name} calls kagglekit at its top level, put the call under "
            "`if __name__ == \"__main__\":` (each worker starts by importing that script).")


def local_folds(pending: List[int], fit_fold: Callable, folds: np.ndarray, speed) -> Iterator[Tuple[int, object, float]]:
    """The pending folds on this machine: one after another, ``speed.parallel`` at once in worker processes, (0, a
    one-thread model) here first and beside it in workers once that pays (``_here_then_beside``), or, for a fitter
    built to (``beside`` > 1), that many at once on threads here (``side_by_side``)."""
    parallel = getattr(speed, "parallel", 1)
    if getattr(fit_fold, "beside", 1) > 1:
        yield from side_by_side(pending, fit_fold, folds, fit_fold.beside)
    elif parallel > 1 and len(pending) > 1:
        yield from process_folds(pending, fit_fold, folds, speed, parallel)
    elif parallel == 0 and len(pending) > 1 and getattr(fit_fold, "one_thread", False) and physical_cores() > 1:
        yield from _here_then_beside(pending, fit_fold, folds, speed)
    else:
        for k in pending:
            out, seconds = _timed_fold(fit_fold, k, folds, 0)
            yield k, out, seconds


def _fold_here(fit_fold: Callable, k: int, folds: np.ndarray, threads: int, deadline: Optional[float]):
    """``_timed_fold`` on a thread of this process, its model built with at most ``threads`` threads."""
    with threads_here(threads):
        return _timed_fold(fit_fold, k, folds, 0, deadline)


def side_by_side(pending: List[int], fit_fold: Callable, folds: np.ndarray, at_once: int) -> Iterator[Tuple[int, object, float]]:
    """The pending folds ``at_once`` at a time on threads of this process, each model built with one thread (its
    library fits without the GIL), yielded as each finishes. A last fold that would run alone (5 folds two at a time)
    waits for the others and runs here on every core: on 32 classes CatBoost's fold takes 1.7x as long on one thread
    as on two; under a deadline the first fold runs alone too, first. Only such a fold, on this thread, gets more than
    one thread: an OpenMP team of two on a thread of its own, once this thread has one, took LightGBM 7x as long
    (libgomp then counts more threads than cores and hands off through the kernel at every parallel region). numpy's
    BLAS keeps one thread around the threaded folds (a limit each fold set and restored would undo another's). A fold
    that fails ends the run once the folds running beside it are done and handed on (finished work is kept); those
    not started are not started."""
    if not pending:
        return
    from threadpoolctl import threadpool_limits

    if current_deadline() is not None and len(pending) > 1:
        # Under a deadline (a portfolio member's budget) the first fold runs alone on every core, so that its pace,
        # which decides whether the member goes on, is known a fold early: two at once, the first result of a slow
        # member came at twice the time, and its budget was spent before it was stopped.
        out, seconds = _fold_here(fit_fold, pending[0], folds, thread_count(0), current_deadline())
        yield pending[0], out, seconds
        pending = pending[1:]
    here = pending[-1:] if len(pending) % at_once == 1 else []
    failed = None
    with threadpool_limits(1, user_api="blas"):
        for k, out, seconds, error in _threads(pending[:len(pending) - len(here)], fit_fold, folds, at_once):
            if error is None:
                yield k, out, seconds
            failed = failed or error
    if failed is not None:
        raise failed
    for k in here:
        out, seconds = _fold_here(fit_fold, k, folds, thread_count(0), current_deadline())
        yield k, out, seconds


def _threads(batch: List[int], fit_fold: Callable, folds: np.ndarray, slots: int):
    """(fold, output, seconds, None) for each fold of ``batch`` as it finishes, ``slots`` at a time on a thread each;
    (fold, None, 0.0, error) for one that failed, after which no other is started."""
    if not batch:
        return
    from concurrent.futures import FIRST_COMPLETED, ThreadPoolExecutor, wait

    queue, running, deadline = list(batch), {}, current_deadline()
    with ThreadPoolExecutor(slots, thread_name_prefix="fold") as pool:
        def submit():
            k = queue.pop(0)
            running[pool.submit(_fold_here, fit_fold, k, folds, 1, deadline)] = k

        for _ in range(min(slots, len(queue))):
            submit()
        while running:
            done, _ = wait(list(running), return_when=FIRST_COMPLETED)
            for future in sorted(done, key=running.get):
                k = running.pop(future)
                try:
                    out, seconds = future.result()
                except BaseException as exc:  # noqa: BLE001 - the caller raises it once the folds beside it are saved
                    queue.clear()
                    yield k, None, 0.0, exc
                    continue
                yield k, out, seconds, None
                if queue:
                    submit()


def folds_saved(queued: int, workers: int) -> int:
    """Folds' worth of wall saved by fitting the running fold and ``queued`` more on 1 + ``workers`` cores at once."""
    total = queued + 1
    return total - int(np.ceil(total / (workers + 1)))


def _here_then_beside(pending: List[int], fit_fold: Callable, folds: np.ndarray, speed):
    """A one-thread model's folds: one at a time on a thread of this process; once the fold here has run long enough
    that workers on the other cores would save more than two workers' start (its seconds so far times
    ``folds_saved``; a start is ``WORKER_START_SECONDS`` plus the fitter's ``worker_imports``), they start, and each
    fold left goes to whichever is free, here or a worker. Folds of a few seconds never start a worker; long ones no
    longer wait for the first to end."""
    from concurrent.futures import FIRST_COMPLETED, ThreadPoolExecutor, wait
    from concurrent.futures.process import BrokenProcessPool

    queue, running, pool, payload, deadline = list(pending), {}, None, b"", current_deadline()
    here = ThreadPoolExecutor(1, thread_name_prefix="fold")

    def submit(where):
        k = queue.pop(0)
        future = where.submit(_timed_fold, fit_fold, k, folds, 0, deadline) if where is here else \
            where.submit(_fold_in_worker, payload, k, folds, deadline)
        running[future] = (k, where, time.perf_counter())

    try:
        submit(here)
        while running:
            timeout, workers = None, min(physical_cores() - 1, len(queue))
            if pool is None and workers:
                began = next(t for _, where, t in running.values() if where is here)
                start = WORKER_START_SECONDS + getattr(fit_fold, "worker_imports", 0.0)
                timeout = max(0.0, began + 2 * start / folds_saved(len(queue), workers) - time.perf_counter())
            done, _ = wait(list(running), timeout=timeout, return_when=FIRST_COMPLETED)
            if not done:  # the fold here has run long enough: workers would pay their start
                payload = dumps_sharing_memmaps(fit_fold)
                pool = _worker_pool(workers, workers + 1, speed) if memory_allows(payload, workers) else False
                for _ in range(workers if pool else 0):
                    submit(pool)
                continue
            for future in done:
                k, where, _ = running.pop(future)
                out, seconds = future.result()
                yield k, out, seconds
                if queue:
                    submit(where)
    except BrokenProcessPool:
        raise UserError(worker_died("a fold's worker process died; the finished folds are saved: run the same command "
                                    "again to fit the rest, one at a time (speed.parallel=1) if memory ran out.")) from None
    finally:
        for future in running:
            future.cancel()
        here.shutdown(wait=True)
        if pool:
            pool.shutdown(wait=True)


def _reduce_memmap(array: np.memmap):
    """Pickle a whole memory-mapped file (an image cache) as its path, not its bytes; views pickle as arrays."""
    if isinstance(array.base, mmap.mmap) and array.filename:
        return np.memmap, (array.filename, array.dtype, "r", array.offset, array.shape, "F" if array.flags.f_contiguous
                                                                                      and not array.flags.c_contiguous else "C")
    return np.asarray(array).__reduce__()


def dumps_sharing_memmaps(obj) -> bytes:
    """Pickle anything (closures too, with cloudpickle) for a fresh process; memory-mapped image caches travel as
    their file path, not their bytes."""
    import cloudpickle

    buffer = io.BytesIO()
    pickler = cloudpickle.CloudPickler(buffer)
    pickler.dispatch_table = {**copyreg.dispatch_table, np.memmap: _reduce_memmap}
    pickler.dump(obj)
    return buffer.getvalue()


def _claim_slot(slots, gpus: int, threads: int) -> None:
    """Worker start: take a slot number, see only its GPU (slot mod GPUs), use its share of the cores."""
    slot = slots.get()
    if gpus:
        os.environ["CUDA_VISIBLE_DEVICES"] = str(slot % gpus)
    grant_threads(threads)


def _fold_in_worker(payload: bytes, k: int, folds: np.ndarray, deadline: Optional[float] = None):
    import pickle

    return _timed_fold(pickle.loads(payload), k, folds, 0, deadline)


def _worker_pool(n: int, share: int, speed):
    """``n`` fresh (spawned) worker processes, each with its share of the cores among ``share`` fits at once."""
    from concurrent.futures import ProcessPoolExecutor
    from multiprocessing import get_context

    context = get_context("spawn")  # CUDA cannot be used in a forked child
    slots = context.Queue()
    for slot in range(n):
        slots.put(slot)
    threads = max(1, physical_cores() // share) if not speed.threads else max(1, speed.threads // share)
    return ProcessPoolExecutor(n, mp_context=context, initializer=_claim_slot, initargs=(slots, gpu_count(), threads))


def process_folds(pending: List[int], fit_fold: Callable, folds: np.ndarray, speed,
                  workers: int) -> Iterator[Tuple[int, object, float]]:
    """``workers`` folds at once in fresh (spawned) worker processes, yielded as each finishes. With GPUs, worker i
    sees only GPU i mod count; the cores are shared out between them."""
    from concurrent.futures import FIRST_COMPLETED, wait
    from concurrent.futures.process import BrokenProcessPool

    n = min(workers, len(pending))
    payload = dumps_sharing_memmaps(fit_fold)
    with _worker_pool(n, n, speed) as pool:
        deadline = current_deadline()
        waiting = {pool.submit(_fold_in_worker, payload, k, folds, deadline): k for k in pending}
        try:
            while waiting:
                done, _ = wait(list(waiting), return_when=FIRST_COMPLETED)
                for future in done:
                    k = waiting.pop(future)
                    out, seconds = future.result()
                    yield k, out, seconds
        except BrokenProcessPool:
            raise UserError(worker_died(f"a fold's worker process died ({n} folds at once); the finished folds are saved: "
                                        "run the same command again to fit the rest, with fewer at once (speed.parallel=1: "
                                        "one at a time) if memory ran out.")) from None
        finally:
            for future in waiting:
                future.cancel()


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


def _fold_in_ray_task(fit_fold: Callable, k: int, folds: np.ndarray, threads: int, wall_deadline: Optional[float] = None):
    """``_timed_fold`` in a Ray task, whose deadline comes as ``time.time()`` (the clock machines share, unlike
    ``time.perf_counter``) and is turned into this machine's ``perf_counter``."""
    at = None if wall_deadline is None else time.perf_counter() + (wall_deadline - time.time())
    return _timed_fold(fit_fold, k, folds, threads, at)


def ray_folds(pending: List[int], fit_fold: Callable, folds: np.ndarray, speed) -> Iterator[Tuple[int, object, float]]:
    """Every pending fold as a Ray task declaring ``speed.fold_cpus`` CPUs and ``speed.fold_gpus`` GPUs, yielded as
    each finishes; each stops at the caller's deadline, as a local fold does."""
    ray = connect_ray(speed.ray_address)
    remote = ray.remote(num_cpus=speed.fold_cpus, num_gpus=speed.fold_gpus, max_retries=3)(_fold_in_ray_task)
    shared = ray.put(fit_fold)
    deadline = current_deadline()
    wall = None if deadline is None else time.time() + (deadline - time.perf_counter())
    waiting = {remote.remote(shared, k, folds, speed.fold_cpus, wall): k for k in pending}
    while waiting:
        done, _ = ray.wait(list(waiting), num_returns=1)
        k = waiting.pop(done[0])
        out, seconds = ray.get(done[0])
        yield k, out, seconds


EXECUTORS = {"local": local_folds, "ray": ray_folds}
