"""The reference training loop: a run's model, batch size, precision, layout and optimizer, fed one batch of
random pictures already on the device, and nothing else. It is the speed our loop should reach; ``make bench``
prints our training images/second as a ratio of its own (below ~0.9 the loop is input-bound: try speed.feed=device
with augment.device instead of CPU augmentation)."""

from __future__ import annotations

import time
from typing import Dict, List, Optional

import numpy as np
import torch
import torch.nn.functional as F

from ..core.speed import thread_count, torch_device
from .backbones import create_backbone
from .finetune import Normalizer, autocast_context


def reference_img_s(arch: str, n_classes: int, size: int, batch_size: int, device: torch.device, optimizer: str = "adamw",
                    amp: bool = True, channels_last: bool = True, compile: bool = False, steps: int = 20,
                    warmup: int = 5, enough_seconds: float = 0.0) -> float:
    """Training images/second of the bare loop (forward, loss, backward, optimizer step) over ``steps`` steps after
    ``warmup`` ones, or fewer (at least 2) once ``enough_seconds`` have been timed. Torch's global random state is left
    as it was (the random weights and pictures draw from a forked one)."""
    cuda = device.type == "cuda"
    with torch.random.fork_rng(devices=[device] if cuda else []):
        torch.manual_seed(0)
        return _timed_steps(arch, n_classes, size, batch_size, device, optimizer, amp, channels_last, compile, steps,
                            warmup, enough_seconds)


def _timed_steps(arch, n_classes, size, batch_size, device, optimizer, amp, channels_last, compile, steps, warmup,
                 enough_seconds):
    cuda = device.type == "cuda"
    model = create_backbone(arch, n_classes, "none").to(device)  # the weights do not change the speed
    if cuda and channels_last:
        model = model.to(memory_format=torch.channels_last)
    norm = Normalizer(model, device, cuda and channels_last)
    opt = torch.optim.AdamW(model.parameters(), lr=1e-4) if optimizer == "adamw" else torch.optim.SGD(
        model.parameters(), lr=1e-3, momentum=0.9, nesterov=True)
    fitted = torch.compile(model) if cuda and compile else model
    autocast = autocast_context(cuda, amp)
    images = torch.randint(0, 256, (batch_size, size, size, 3), dtype=torch.uint8, device=device)
    labels = torch.randint(0, n_classes, (batch_size,), device=device)
    model.train()

    def step() -> None:
        with autocast():
            loss = F.cross_entropy(fitted(norm(images)).float(), labels)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()

    for _ in range(warmup):
        step()
    if cuda:
        torch.cuda.synchronize(device)
    start, done = time.perf_counter(), 0
    while done < steps:
        step()
        done += 1
        if enough_seconds and done >= 2 and time.perf_counter() - start >= enough_seconds:
            break
    if cuda:
        torch.cuda.synchronize(device)
    return done * batch_size / (time.perf_counter() - start)


def loop_img_s(history: List[dict], freeze_epochs: int) -> float:
    """Our loop's training images/second: the median over the epochs that train the whole network."""
    rates = [h["train_img_s"] for h in history if h["epoch"] > freeze_epochs] or [h["train_img_s"] for h in history]
    return float(np.median(rates))


def compare_to_reference(config: dict, n_classes: int, histories: List[List[dict]], steps: int = 20) -> Optional[Dict]:
    """Our img/s, the reference's, and their ratio for a finished run's saved ``config``; on CUDA also the reference
    with channels_last and torch.compile on and off (which layout and compilation are fastest on this device)."""
    params, speed = config["model"]["params"], config["speed"]
    if not histories or "arch" not in params:
        return None
    device = torch_device(speed["device"])
    torch.set_num_threads(thread_count(speed["threads"]))
    size, batch = config["image"]["size"], params["batch_size"]
    ours = float(np.mean([loop_img_s(h, params["freeze_epochs"]) for h in histories]))

    def measure(channels_last: bool, compile: bool) -> float:
        return reference_img_s(params["arch"], n_classes, size, batch, device, params["optimizer"], params["amp"],
                               channels_last, compile, steps=steps)

    reference = measure(params["channels_last"], params["compile"])
    out = {"ours_img_s": round(ours, 1), "reference_img_s": round(reference, 1), "ratio": round(ours / reference, 3),
           "device": torch.cuda.get_device_name(device) if device.type == "cuda" else "cpu"}
    if device.type == "cuda":
        out["variants"] = {f"channels_last={cl}, compile={co}": _measured(measure, cl, co)
                           for cl in (False, True) for co in (False, True)}
    return out


def _measured(measure, channels_last: bool, compile: bool):
    """A variant's img/s, or why it could not run (torch.compile needs a working compiler toolchain): a variant
    that fails must not cost the bench the run it has finished."""
    try:
        return round(measure(channels_last, compile), 1)
    except Exception as err:  # noqa: BLE001 - any backend failure is reported, not raised
        return f"failed: {type(err).__name__}: {str(err).splitlines()[0][:160] if str(err) else ''}"
