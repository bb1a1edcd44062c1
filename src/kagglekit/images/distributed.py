"""One fold trained by several processes with DistributedDataParallel (``speed.gpus=N``, ``make train ... gpus=N``).

The run's own process stays the driver: for each fold it spawns N ranks (one GPU each with NCCL; CPU processes
with gloo where there is no GPU, which is how the tests run it) and waits. Every rank draws the same batches and
trains on its share of each, so the global batch size, schedule and checkpoints are those of one process; BN
statistics and dropout are per rank, so the result matches one process's within noise, not bit for bit. Rank 0
writes the checkpoint and the best weights; the driver then predicts validation and test rows with them and saves
the fold as it always does, so the run folder, resume and OOF/test predictions are unchanged.
"""

from __future__ import annotations

import json
import os
import pickle
import socket
from typing import Tuple

import torch

from ..core.errors import UserError
from ..core.executors import dumps_sharing_memmaps
from ..core.io import atomic_write_text
from ..core.speed import gpu_count, torch_device
from .finetune import Predictor, best_weights, build_network, fine_tune, predictor
from .ranks import Ranks


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _rank_main(rank: int, world: int, port: int, cuda: bool, payload: bytes, result: str) -> None:
    """One rank: join the process group, train its share, and (rank 0) leave the training state for the driver."""
    import torch.distributed as dist

    os.environ.update(MASTER_ADDR="127.0.0.1", MASTER_PORT=str(port))
    clf, train, y, valid = pickle.loads(payload)  # from the driver's memory, never from a file
    if cuda:
        torch.cuda.set_device(rank)
    dist.init_process_group("nccl" if cuda else "gloo", rank=rank, world_size=world)
    try:
        state, _ = fine_tune(clf, train, y, valid, Ranks(rank, world))
        if rank == 0:
            atomic_write_text(result, json.dumps(state, default=float))  # plain data: reading it runs nothing
    finally:
        dist.destroy_process_group()


def fine_tune_distributed(clf, train, y, valid) -> Tuple[dict, Predictor]:
    """``fine_tune`` on ``clf.speed.gpus`` processes; (rank 0's state, the driver's ``Predictor`` of the best weights)."""
    world = clf.speed.gpus
    device = torch_device(clf.speed.device)
    cuda = device.type == "cuda"
    if cuda and world > gpu_count():
        raise UserError(f"speed.gpus={world}, but {gpu_count()} GPU(s) are visible here: use gpus={gpu_count()} or fewer.")
    if not cuda:
        clf.log(f"no GPU: gpus={world} trains each fold in {world} CPU processes (gloo): the DDP path, not a speed-up")
    result = clf.checkpoint.with_name(clf.checkpoint.name + ".rank0.json")
    result.unlink(missing_ok=True)
    payload = dumps_sharing_memmaps((clf, train, y, valid))
    torch.multiprocessing.start_processes(_rank_main, args=(world, _free_port(), cuda, payload, str(result)),
                                          nprocs=world, join=True, start_method="spawn")
    state = json.loads(result.read_text())
    result.unlink()
    model = build_network(clf, device, "none")
    model.load_state_dict(torch.load(best_weights(clf), map_location=device, weights_only=True))
    return state, predictor(clf, model, device)
