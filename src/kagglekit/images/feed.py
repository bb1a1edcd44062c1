"""How training batches reach the model (``speed.feed``).

- ``loader``: a DataLoader over the cached pictures, albumentations (``augment.train``) per image in CPU workers;
- ``device``: the fold's uint8 pictures copied once to the device (GPU memory, or RAM on a CPU) and batched there
  by index: no worker, no copy per batch. Augmentation then runs on the device (``augment.device``).
- ``auto``: ``device`` when there is no CPU augmentation and the pictures fit (half the free GPU memory; 4 GiB
  on a CPU), else ``loader``.

Both feeds take the same batches in the same order (one seeded permutation per epoch), so the feed is a speed
setting: it never changes a run's result, and it is not part of the run id.
"""

from __future__ import annotations

from typing import Iterator, List, Tuple

import numpy as np
import torch

from ..core.errors import UserError
from .ranks import Ranks

SINGLE = Ranks()
CPU_DEVICE_FEED_BYTES = 4 * 2**30


class AugmentedImages(torch.utils.data.Dataset):
    """Cached uint8 pictures with their labels, each through the albumentations pipeline when there is one."""

    def __init__(self, images, labels: np.ndarray, pipeline):
        self.images, self.labels, self.pipeline = images, labels, pipeline

    def __len__(self):
        return len(self.images)

    def __getitem__(self, i):
        img = self.images.take(i)
        if self.pipeline is not None:
            img = self.pipeline(image=img)["image"]
        return torch.from_numpy(np.array(img, copy=True)), int(self.labels[i])


def batch_count(n: int, batch_size: int) -> int:
    """Batches an epoch of ``n`` rows takes: the last short batch is dropped unless it is the only one."""
    return max(1, n // batch_size)


def epoch_batches(n: int, batch_size: int, generator: torch.Generator, ranks: Ranks = SINGLE) -> List[torch.Tensor]:
    """One epoch's ``batch_count`` batches of row positions, from a seeded permutation. With several DDP ranks, every
    rank draws the same batches and keeps its share of each."""
    order = torch.randperm(n, generator=generator)
    return [ranks.shard(b) for b in order[: min(n, batch_count(n, batch_size) * batch_size)].split(batch_size)]


class LoaderFeed:
    """A DataLoader (CPU augmentation in ``workers`` processes) reading the batches ``epoch_batches`` chose."""

    kind = "loader"

    def __init__(self, images, labels: np.ndarray, pipeline, batch_size: int, workers: int, pin: bool):
        self.n, self.batch_size, self.batches = len(images), batch_size, []
        # Its own generator: the DataLoader draws its workers' base seed from it, never from torch's global generator
        # (which dropout draws from), so both feeds leave the global random state alike.
        self.worker_seeds = torch.Generator()
        self.loader = torch.utils.data.DataLoader(
            AugmentedImages(images, labels, pipeline), batch_sampler=self, num_workers=workers, pin_memory=pin,
            persistent_workers=workers > 0, generator=self.worker_seeds)

    def __iter__(self):  # the DataLoader's batch sampler: this epoch's batches
        return iter([b.tolist() for b in self.batches])

    def __len__(self) -> int:
        return batch_count(self.n, self.batch_size)

    def epoch(self, generator: torch.Generator, ranks: Ranks = SINGLE) -> Iterator[Tuple[torch.Tensor, torch.Tensor]]:
        self.worker_seeds.manual_seed(generator.initial_seed())
        self.batches = epoch_batches(self.n, self.batch_size, generator, ranks)
        return iter(self.loader)


class DeviceFeed:
    """The pictures and labels resident on ``device``; a batch is one index into them."""

    kind = "device"

    def __init__(self, images, labels: np.ndarray, batch_size: int, device: torch.device):
        self.images = torch.from_numpy(np.ascontiguousarray(images.take(slice(None)))).to(device)
        self.labels = torch.as_tensor(np.asarray(labels), dtype=torch.long).to(device)
        self.n, self.batch_size, self.device = len(self.labels), batch_size, device

    def __len__(self) -> int:
        return batch_count(self.n, self.batch_size)

    def epoch(self, generator: torch.Generator, ranks: Ranks = SINGLE) -> Iterator[Tuple[torch.Tensor, torch.Tensor]]:
        for rows in epoch_batches(self.n, self.batch_size, generator, ranks):
            rows = rows.to(self.device, non_blocking=True)
            yield self.images[rows], self.labels[rows]


def device_budget(device: torch.device) -> int:
    """Bytes of pictures ``feed=auto`` puts on ``device``: half its free memory, or 4 GiB of RAM on a CPU."""
    if device.type == "cuda":
        free, _ = torch.cuda.mem_get_info(device)
        return free // 2
    return CPU_DEVICE_FEED_BYTES


def check_feed(choice: str, cpu_augment: bool) -> None:
    """``speed.feed=device`` cannot run albumentations: say so before any fold."""
    if choice == "device" and cpu_augment:
        raise UserError("speed.feed=device cannot run augment.train (albumentations works per image on the CPU): move "
                        "the steps to augment.device (hflip, vflip, translate, affine, cutout), or use speed.feed=loader.")


def make_feed(choice: str, images, labels: np.ndarray, pipeline, batch_size: int, device: torch.device, workers: int):
    """The feed ``speed.feed`` asks for (see the module docstring)."""
    check_feed(choice, pipeline is not None)
    nbytes = len(images) * int(np.prod(images.array.shape[1:]))
    if choice == "device" or (choice == "auto" and pipeline is None and nbytes <= device_budget(device)):
        return DeviceFeed(images, labels, batch_size, device)
    return LoaderFeed(images, labels, pipeline, batch_size, workers, pin=device.type == "cuda")
