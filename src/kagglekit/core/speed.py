"""Thread counts and devices: one thread per physical core other processes leave free by default, never more than the
machine has."""

from __future__ import annotations

import os
import sys
import threading
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Optional, Tuple


def physical_cores() -> int:
    """Physical cores this process may use (hyper-threads counted once)."""
    allowed = sorted(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else list(range(os.cpu_count() or 1))
    cores = set()
    for cpu in allowed:
        siblings = Path(f"/sys/devices/system/cpu/cpu{cpu}/topology/thread_siblings_list")
        try:
            cores.add(siblings.read_text().strip())
        except OSError:
            cores.add(str(cpu))
    return max(1, len(cores))


GRANT = "KAGGLEKIT_THREADS"  # the variable that carries a grant into this process's children (DDP ranks, say)


def grant_threads(n: int) -> None:
    """An executor's grant to the process it runs a fold in: ``thread_count`` never exceeds ``n`` here, nor in the
    processes this one starts (an environment variable is what reaches them)."""
    os.environ[GRANT] = str(int(n))


_here = threading.local()


@contextmanager
def threads_here(n: int):
    """A grant to the calling thread only, as ``grant_threads`` is to a process: a fold run on a thread beside others
    (core/executors.py: ``side_by_side``) builds its model with at most ``n`` threads."""
    before = getattr(_here, "threads", 0)
    _here.threads = int(n)
    try:
        yield
    finally:
        _here.threads = before


def thread_count(requested: int) -> int:
    """``speed.threads``: 0 means one per physical core not kept busy by other processes (``cores_busy_elsewhere``);
    more than the cores available is capped, and so is anything above what an executor granted this thread
    (``threads_here``) or this process (``grant_threads``: a Ray fold's ``fold_cpus``)."""
    granted = getattr(_here, "threads", 0) or int(os.environ.get(GRANT, "0") or 0)
    if granted:
        return min(granted, requested) if requested > 0 else granted
    cores = physical_cores()
    if requested <= 0:
        return max(1, cores - cores_busy_elsewhere())
    return min(requested, max(cores, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else cores))


# Why: on a small matrix a BLAS call is over before a second OpenBLAS thread has done its share, and the threads'
# hand-offs cost more than the work. Measured on 2 cores: a logistic regression of 1,300 rows x 80 columns x 28
# classes took 0.57 s on 2 BLAS threads and 0.14 s on one; the linear starts of LightGBM's probes on 500 rows, 1.65 s
# of fold seconds against 0.97. Large dense solves (a ridge SVD of 100,000 x 100) still gain from the second thread.
SMALL_BLAS_CELLS = 2_000_000  # rows x columns up to which numpy's and scipy's BLAS get one thread


@contextmanager
def blas_threads_for(rows: int, columns: int):
    """One BLAS thread (numpy, scipy, scikit-learn's solvers) while fitting on a table of ``rows`` x ``columns`` up to
    ``SMALL_BLAS_CELLS``; the library's own count above it. OpenMP (the boosters) and torch keep their threads."""
    if rows * max(columns, 1) > SMALL_BLAS_CELLS:
        yield
        return
    from threadpoolctl import threadpool_limits

    with threadpool_limits(1, user_api="blas"):
        yield


# Why: LightGBM, XGBoost and torch wait for their OpenMP threads by spinning. When another process holds a core, a
# thread of ours that waits spins through the other's time slice at every barrier: on 2 cores with two busy processes
# beside it, a 100-tree LightGBM fit on 2 threads took 190 s against 2.9 s on 1 thread (1.1 s on 2 threads idle).
BUSY_SHARE = 0.5  # a core counts as taken once other processes keep it this busy on average
WINDOW_SECONDS = 0.5  # the shortest span a reading is taken over; a call sooner gets the last answer
_TICK = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100
_lock = threading.Lock()


def _cpu_reading() -> Optional[Tuple[float, float, float]]:
    """(now, CPU seconds of every process on the machine, of this process and its waited-for children); None
    where /proc/stat cannot be read (not Linux)."""
    try:
        with open("/proc/stat") as f:
            user, nice, system, _idle, _iowait, irq, softirq = (int(v) for v in f.readline().split()[1:8])
    except (OSError, ValueError):
        return None
    own = os.times()
    return time.monotonic(), (user + nice + system + irq + softirq) / _TICK, \
        own.user + own.system + own.children_user + own.children_system


_last = {"reading": _cpu_reading(), "busy": 0}


def cores_busy_elsewhere() -> int:
    """Cores that other processes kept busy since the last reading (taken at import, then at each call at least
    ``WINDOW_SECONDS`` apart): the machine's CPU time less this process's own, over the wall time between.
    0 where it cannot be read."""
    with _lock:
        now = _cpu_reading()
        before = _last["reading"]
        if now is None or before is None:
            return 0
        if now[0] - before[0] >= WINDOW_SECONDS:
            others = ((now[1] - before[1]) - (now[2] - before[2])) / (now[0] - before[0])
            _last.update(reading=now, busy=max(0, int(others + 1 - BUSY_SHARE)))
        return _last["busy"]


def torch_device(name: str):
    """``speed.device``: auto picks CUDA when present."""
    import torch

    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    return torch.device(name)


def cuda_possible() -> bool:
    """False only where no NVIDIA driver can be: Linux without its device files (WSL2's /dev/dxg counts). Lets a CPU
    machine skip importing torch (1.5-2 s, paid by every XGBoost or CatBoost run) just to learn it has no GPU."""
    if sys.platform == "darwin":
        return False
    if not sys.platform.startswith("linux"):
        return True
    return any(Path(p).exists() for p in ("/dev/nvidiactl", "/proc/driver/nvidia", "/dev/dxg"))


def gpu_count() -> int:
    """CUDA devices visible here (0 without torch or CUDA)."""
    if not cuda_possible() and "torch" not in sys.modules:
        return 0
    try:
        import torch
    except ImportError:
        return 0
    return torch.cuda.device_count() if torch.cuda.is_available() else 0


def gpu_name() -> str:
    """The first CUDA device's name ("" without one)."""
    if not gpu_count():
        return ""
    import torch

    return torch.cuda.get_device_name(0)
