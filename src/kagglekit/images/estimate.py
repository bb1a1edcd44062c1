"""What a fine-tune run will cost before it starts: its pictures x epochs x folds at the speed of a few timed steps
of the bare training loop on this machine (``reference.reference_img_s``).

On 2 CPU cores (efficientnet-lite0, 96 px, batch 64) our loop trains at 0.9-1.0x the bare loop's images/second, an
epoch with the backbone frozen at about 3x that rate and inference (TTA views counted) at about 3.5x: a fold of a
2,000-picture Classify Leaves subset estimated at 104 s took 109 s.
"""

from __future__ import annotations

import torch

from ..core.speed import thread_count
from ..models import get_entry
from .augment import tta_view_count
from .reference import reference_img_s

FROZEN_SPEEDUP = 3.0  # a frozen-backbone epoch (no backward through the backbone) against a full one
INFER_SPEEDUP = 3.5  # a no-grad forward against a training step, per picture


def finetune_fold_seconds(run, n_classes: int, n_train: int, n_test: int, device: torch.device) -> float:
    """About how many seconds ``run`` (a fine-tune config) takes for one fold of a ``n_train``-picture set cut into
    ``run.cv.n_splits`` folds: training on the fold's share, then predicting its validation rows and ``n_test`` test
    pictures."""
    torch.set_num_threads(thread_count(run.speed.threads))  # as the run will
    entry = get_entry(run.model.name)
    params = entry.params(**{**entry.defaults, **run.model.params})
    rate = reference_img_s(params.arch, max(n_classes, 2), run.image.size, params.batch_size, device, params.optimizer,
                           params.amp, params.channels_last, steps=3, warmup=1)
    n_valid = n_train / run.cv.n_splits
    frozen = min(params.freeze_epochs, params.epochs)
    train = (n_train - n_valid) * (params.epochs - frozen + frozen / FROZEN_SPEEDUP) / rate
    predict = (n_valid + n_test) * tta_view_count(run.augment.tta) / (rate * INFER_SPEEDUP)
    return train + predict
