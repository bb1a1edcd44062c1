"""This process's place among the processes that train one fold together with DistributedDataParallel.

``Ranks()`` (rank 0 of 1) is a plain single-process run: every method is then a no-op, so the training loop is
written once. With several ranks, each trains on its share of every batch, validation predictions are sharded
and gathered, and rank 0 alone writes files.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch


@dataclass(frozen=True)
class Ranks:
    rank: int = 0
    world: int = 1

    @property
    def lead(self) -> bool:
        """The rank that writes checkpoints and shows progress."""
        return self.rank == 0

    def device(self, device: torch.device) -> torch.device:
        """Each rank's own GPU; CPU ranks share the CPU."""
        return torch.device("cuda", self.rank) if device.type == "cuda" and self.world > 1 else device

    def wrap(self, model: torch.nn.Module, device: torch.device, some_frozen: bool) -> torch.nn.Module:
        """The model as trained: wrapped in DistributedDataParallel when there are several ranks (gradients averaged
        across them after each backward)."""
        if self.world == 1:
            return model
        from torch.nn.parallel import DistributedDataParallel

        return DistributedDataParallel(model, device_ids=[device.index] if device.type == "cuda" else None,
                                       find_unused_parameters=some_frozen)

    def shard(self, rows):
        """This rank's share of some rows (every world-th, from its rank)."""
        return rows[self.rank :: self.world]

    def gather(self, part: np.ndarray, n: int) -> np.ndarray:
        """Every rank's ``shard`` of predictions put back in row order (the same on every rank)."""
        if self.world == 1:
            return part
        import torch.distributed as dist

        parts = [None] * self.world
        dist.all_gather_object(parts, part)
        out = np.empty((n, *part.shape[1:]), dtype=part.dtype)
        for r, p in enumerate(parts):
            out[r :: self.world] = p
        return out

    def barrier(self) -> None:
        """Wait until every rank is here (after rank 0 wrote a file the others read)."""
        if self.world > 1:
            import torch.distributed as dist

            dist.barrier()
