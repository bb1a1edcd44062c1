"""What a fine-tune run will cost before it starts, and the epochs a budget may size it down to.

A fold costs its pictures x epochs (plus a validation pass an epoch, and the final predictions with their TTA
views) at the speed of a few timed steps of the bare training loop on this machine (``reference.reference_img_s``).
On 2 CPU cores (efficientnet-lite0, 96 px, batch 64) our loop trains at 0.9-1.0x the bare loop's images/second, an
epoch with the backbone frozen at about 3x that rate and inference at about 3.5x: a fold of a 2,000-picture Classify
Leaves subset estimated at 104 s took 109 s. On a GPU our loop reached 0.76-0.92 of the bare loop in ``make bench``
(Classify Leaves and CIFAR-10 on one H200), and one CIFAR-10 run at 64 px and batch 128 trained at 2,000-2,300 img/s,
about half of the 4,000-5,300 the bare loop reached at that batch on Classify Leaves: hence ``GPU_LOOP_SHARE``, not
calibrated further (no GPU to time the estimate against). The timed speed is kept in ``speed.json`` beside the
competition's runs, so a second call prices the same, chooses the same epochs and resumes the same run (delete the
file to time again).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import List

import torch

from ..core.io import atomic_write_text
from ..core.speed import thread_count
from ..models.registry import model_params
from .augment import tta_view_count
from .reference import reference_img_s

FROZEN_SPEEDUP = 3.0  # a frozen-backbone epoch (no backward through the backbone) against a full one
INFER_SPEEDUP = 3.5  # a no-grad forward against a training step, per picture
GPU_LOOP_SHARE = 0.7  # our loop's images/second on a GPU against the bare loop's (seen: about 0.5 to 0.92)
EPOCH_SHARES = (1.0, 0.7, 0.5, 0.35, 0.25)  # the budget rungs of a fine-tune: these shares of its epochs


def finetune_fold_seconds(run, n_classes: int, n_train: int, n_test: int, device: torch.device,
                          speed_file: Path) -> float:
    """About how many seconds ``run`` (a fine-tune config) takes for one fold of a ``n_train``-picture set cut into
    ``run.cv.n_splits`` folds: training on the fold's share with a validation pass an epoch, then predicting its
    validation rows and ``n_test`` test pictures with the TTA views. ``speed_file``: where timed speeds are kept."""
    params = model_params(run.model.name, run.model.params)
    rate = timed_img_s(run, max(n_classes, 2), device, speed_file)
    n_valid = n_train / run.cv.n_splits
    frozen = min(params.freeze_epochs, params.epochs)
    train = (n_train - n_valid) * (params.epochs - frozen + frozen / FROZEN_SPEEDUP) / rate
    validate = n_valid * params.epochs / (rate * INFER_SPEEDUP)
    predict = (n_valid + n_test) * tta_view_count(run.augment.tta) / (rate * INFER_SPEEDUP)
    return train + validate + predict


def epoch_rungs(run) -> List[int]:
    """The epochs a budget may size ``run``'s fine-tune to, its own first, then about 0.7x, 0.5x, 0.35x and 0.25x of
    them: never under 2, nor under one epoch that trains the whole network after the frozen ones."""
    params = model_params(run.model.name, run.model.params)
    least = max(2, params.freeze_epochs + 1)
    rungs: List[int] = [params.epochs]
    for share in EPOCH_SHARES[1:]:
        epochs = max(least, round(params.epochs * share))
        if epochs < rungs[-1]:
            rungs.append(epochs)
    return rungs


def timed_img_s(run, n_classes: int, device: torch.device, speed_file: Path) -> float:
    """Training images/second of ``run``'s loop on ``device``: the bare loop's from a few timed steps (about 6 s on 2
    CPU cores, once), times ``GPU_LOOP_SHARE`` on a GPU; read from ``speed_file`` when timed before."""
    params = model_params(run.model.name, run.model.params)
    threads = thread_count(run.speed.threads)
    torch.set_num_threads(threads)  # as the run will
    cuda = device.type == "cuda"
    where = torch.cuda.get_device_name(device) if cuda else f"cpu x{threads}"
    key = (f"{params.arch} {n_classes} classes {run.image.size}px batch {params.batch_size} {params.optimizer} "
           f"amp={params.amp} channels_last={params.channels_last} on {where}")
    saved = _read(speed_file)
    if key not in saved:
        # On a CPU a step of a real batch takes a second or more: time about 4 s of them (3 steps of batch 64 at 96 px
        # gave 46-54 img/s on 2 cores, 8 steps 43-50), not a fixed count that took 15 s there.
        steps, warmup, enough = (20, 5, 0.0) if cuda else (8, 1, 4.0)
        saved[key] = reference_img_s(params.arch, n_classes, run.image.size, params.batch_size, device,
                                     params.optimizer, params.amp, params.channels_last, steps=steps, warmup=warmup,
                                     enough_seconds=enough)
        atomic_write_text(speed_file, json.dumps(saved, indent=1, sort_keys=True) + "\n")
    return float(saved[key]) * (GPU_LOOP_SHARE if cuda else 1.0)


def _read(speed_file: Path) -> dict:
    try:
        saved = json.loads(speed_file.read_text())
    except (OSError, ValueError):  # absent or damaged: time again
        return {}
    return saved if isinstance(saved, dict) else {}
