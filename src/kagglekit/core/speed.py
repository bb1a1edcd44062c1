"""Thread counts and devices: one thread per physical core by default, never more than the machine has."""

from __future__ import annotations

import os
import sys
from pathlib import Path


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


def thread_count(requested: int) -> int:
    """``speed.threads``: 0 means one per physical core; more than the cores available is capped, and so is
    anything above what an executor granted this process (``grant_threads``: a Ray fold's ``fold_cpus``)."""
    granted = int(os.environ.get(GRANT, "0") or 0)
    if granted:
        return min(granted, requested) if requested > 0 else granted
    cores = physical_cores()
    return cores if requested <= 0 else min(requested, max(cores, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else cores))


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
