"""Fine-tune a timm backbone on one fold's images: the whole loop in one place.

Batches come from a feed (feed.py: a DataLoader with CPU augmentation, or the pictures resident on the
device), are normalised and augmented on the device (batch_augment.py, mixup/cutmix). AdamW or SGD with a
faster head (and optional timm layer decay), linear warmup then cosine, optional frozen-backbone warm start,
label smoothing, bf16 autocast and channels_last on CUDA, gradient clipping, optional weight EMA. A checkpoint
is written after every epoch, so a killed run resumes mid-fold; the epoch with the best validation accuracy is
kept, and its weights predict the validation fold and the test set with test-time augmentation.
"""

from __future__ import annotations

import io
import json
import math
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, List, Optional, Tuple

import numpy as np
import pandas as pd
import torch
import torch.nn.functional as F
from tqdm.auto import tqdm

from ..core.errors import UserError
from ..core.io import atomic_write_bytes, atomic_write_text
from ..core.metrics import get_metric
from ..core.paths import display
from ..core.progress import bar_hidden
from ..core.speed import thread_count, torch_device
from .augment import build_pipeline, crops_sized_to, mix_batch, tta_views
from .backbones import create_backbone
from .batch_augment import build_batch_augment
from .feed import make_feed
from .ranks import Ranks


@dataclass
class ImageRows:
    """Some rows of a uint8 image array (N, S, S, 3), e.g. a fold's training images in the memory-mapped cache."""

    array: np.ndarray
    rows: np.ndarray

    def __len__(self) -> int:
        return len(self.rows)

    def take(self, idx) -> np.ndarray:
        return np.asarray(self.array[self.rows[idx]])


def param_groups(model: torch.nn.Module, p):
    """Backbone at lr, head at lr * head_lr_mult; no weight decay on biases and norms."""
    if p.layer_decay:
        from timm.optim import param_groups_layer_decay

        groups = param_groups_layer_decay(model, weight_decay=p.weight_decay, layer_decay=p.layer_decay)
        for g in groups:
            g["lr"] = p.lr * g.get("lr_scale", 1.0)
        return groups
    head = {id(t) for t in model.get_classifier().parameters()}
    groups = {(h, d): [] for h in (0, 1) for d in (0, 1)}
    for t in model.parameters():
        groups[(int(id(t) in head), int(t.ndim > 1))].append(t)
    return [{"params": ts, "lr": p.lr * (p.head_lr_mult if h else 1.0), "weight_decay": p.weight_decay if d else 0.0}
            for (h, d), ts in groups.items() if ts]


def warmup_cosine(step: int, total: int, warmup: int, min_ratio: float) -> float:
    if step < warmup:
        return (step + 1) / warmup
    progress = (step - warmup) / max(1, total - warmup)
    return min_ratio + (1 - min_ratio) * 0.5 * (1 + math.cos(math.pi * min(1.0, progress)))


class Normalizer:
    """uint8 NHWC batch -> normalised float NCHW on the device (cheap on a GPU, once per batch)."""

    def __init__(self, model, device, channels_last: bool):
        cfg = getattr(model, "pretrained_cfg", {}) or {}
        self.mean = torch.tensor(cfg.get("mean", (0.485, 0.456, 0.406)), device=device).view(1, 3, 1, 1) * 255
        self.std = torch.tensor(cfg.get("std", (0.229, 0.224, 0.225)), device=device).view(1, 3, 1, 1) * 255
        self.device, self.channels_last = device, channels_last

    def __call__(self, batch: torch.Tensor) -> torch.Tensor:
        x = batch.to(self.device, non_blocking=True).permute(0, 3, 1, 2).float()
        return self.layout((x - self.mean) / self.std)

    def layout(self, x: torch.Tensor) -> torch.Tensor:
        """The memory layout the model runs fastest in (channels_last on CUDA)."""
        return x.contiguous(memory_format=torch.channels_last if self.channels_last else torch.contiguous_format)


@torch.no_grad()
def predict(model, images: ImageRows, norm: Normalizer, batch_size: int, tta: List[str], pipeline, autocast) -> np.ndarray:
    """Class probabilities, averaged over the TTA views."""
    model.eval()
    out = []
    for i in range(0, len(images), batch_size):
        chunk = images.take(slice(i, i + batch_size))
        if pipeline is not None:
            chunk = np.stack([pipeline(image=im)["image"] for im in chunk])
        x = norm(torch.from_numpy(chunk))
        with autocast():
            probs = [model(v).float().softmax(dim=1) for v in tta_views(x, tta)]
        out.append(torch.stack(probs).mean(0).cpu().numpy())
    return np.concatenate(out) if out else np.zeros((0, model.num_classes))


def autocast_context(cuda: bool, amp: bool):
    if cuda and amp:
        return lambda: torch.autocast("cuda", dtype=torch.bfloat16)
    return lambda: torch.autocast("cpu", enabled=False)


def fine_tune(clf, train: ImageRows, y: np.ndarray, valid: Tuple[ImageRows, np.ndarray],
              ranks: Optional[Ranks] = None) -> Tuple[dict, "Predictor"]:
    """Fine-tune ``clf.params.arch`` on ``train``; keep the epoch with the best accuracy on ``valid``. Returns what
    the fold chose and did (``state``: best epoch, history, seconds) and the best epoch's ``Predictor``; ``clf`` is only
    read.

    ``clf`` (images.classifier.TimmClassifier) carries params, seed, speed, n_classes, augment, checkpoint,
    log and progress. Every random source is seeded from the seed and the epoch, so a run resumed from
    its per-epoch checkpoint continues as an uninterrupted one would. ``ranks``: this process's place among
    the DDP processes training this fold together (distributed.py); alone by default."""
    ranks = ranks or Ranks()
    p, aug, seed, ckpt, log = clf.params, clf.augment, clf.seed, clf.checkpoint, clf.log
    device = ranks.device(torch_device(clf.speed.device))
    cuda = device.type == "cuda"
    torch.set_num_threads(max(1, thread_count(clf.speed.threads) // (1 if cuda else ranks.world)))
    torch.manual_seed(seed)
    model = build_network(clf, device, p.pretrained)
    norm = Normalizer(model, device, cuda and p.channels_last)
    groups = param_groups(model, p)
    opt = (torch.optim.AdamW(groups, lr=p.lr) if p.optimizer == "adamw"
           else torch.optim.SGD(groups, lr=p.lr, momentum=p.momentum, nesterov=True))
    for g in opt.param_groups:
        g["initial_lr"] = g["lr"]
    train_pipeline = build_pipeline(crops_sized_to(aug.train, int(train.array.shape[1])), "augment.train")
    on_device = build_batch_augment(aug.device)
    valid_pipeline = build_pipeline(aug.test, "augment.test")
    workers = clf.speed.loader_workers if clf.speed.loader_workers >= 0 else (min(8, torch.get_num_threads()) if cuda else 0)
    feed = make_feed(clf.speed.feed, train, y, train_pipeline, p.batch_size, device, workers)
    order, device_rng = torch.Generator(), torch.Generator(device=device)
    steps = len(feed) * p.epochs
    warmup = int(p.warmup_epochs * len(feed))
    sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda s: warmup_cosine(s, steps, warmup, p.min_lr_ratio))
    ema = None
    if p.ema_decay:
        from timm.utils import ModelEmaV3

        ema = ModelEmaV3(model, decay=p.ema_decay)
    autocast = autocast_context(cuda, p.amp)
    fitted = ranks.wrap(model, device, some_frozen=p.freeze_epochs > 0)
    fitted = torch.compile(fitted) if cuda and p.compile else fitted
    infer_batch = infer_batch_size(clf)

    state = {"epoch": 0, "history": [], "best_acc": -1.0, "best_epoch": -1, "train_seconds": 0.0, "images_seen": 0}
    best_path = best_weights(clf)
    if ckpt.exists():  # resume mid-fold
        saved, state = load_checkpoint(ckpt, device)
        model.load_state_dict(saved["model"])
        opt.load_state_dict(saved["opt"])
        sched.load_state_dict(saved["sched"])
        if ema is not None and saved.get("ema"):
            ema.module.load_state_dict(saved["ema"])
        if ranks.lead:
            log(f"resuming at epoch {state['epoch'] + 1}/{p.epochs} from {ckpt.name}")

    bar = tqdm(range(state["epoch"], p.epochs), desc="epochs", leave=False, disable=bar_hidden(clf.progress and ranks.lead))
    for epoch in bar:
        # Every random source restarts from (seed, epoch): a resumed epoch draws what an uninterrupted one would.
        # Ranks draw the same batch order, but their own dropout and augmentation (per-rank seeds).
        torch.manual_seed(seed * 1000 + epoch + 7919 * ranks.rank)
        order.manual_seed(seed * 1000 + epoch)
        device_rng.manual_seed(seed * 1000 + epoch + 1 + 7919 * ranks.rank)
        rng = np.random.default_rng([seed, epoch])
        if train_pipeline is not None:  # albumentations keeps its own generators (re-seeded per loader worker too)
            train_pipeline.set_random_seed(seed * 1000 + epoch)
        frozen = epoch < p.freeze_epochs
        head = set(map(id, model.get_classifier().parameters()))
        for t in model.parameters():
            t.requires_grad_(not frozen or id(t) in head)
        model.train()
        start, loss_sum, batches, seen = time.perf_counter(), torch.zeros((), device=device), 0, 0
        steps_bar = tqdm(total=len(feed), desc=f"epoch {epoch + 1}", leave=False, unit="batch",
                         disable=bar_hidden(clf.progress and ranks.lead and len(feed) >= 20))  # long epochs only
        for batch, target in feed.epoch(order, ranks):
            x = norm(batch)
            if on_device is not None:
                x = norm.layout(on_device(x, device_rng))
            target = target.to(device, non_blocking=True)
            x, soft = mix_batch(x, target, clf.n_classes, aug.mixup_alpha, aug.cutmix_alpha, aug.mix_prob, rng)
            with autocast():
                loss = F.cross_entropy(fitted(x).float(), soft, label_smoothing=p.label_smoothing)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            if p.grad_clip:
                torch.nn.utils.clip_grad_norm_(model.parameters(), p.grad_clip)
            opt.step()
            sched.step()
            if ema is not None:
                ema.update(model)
            loss_sum += loss.detach()  # read once per epoch: .item() per step would wait for the GPU every step
            batches += 1
            seen += len(batch) * ranks.world
            steps_bar.update()
        steps_bar.close()
        if cuda:
            torch.cuda.synchronize()
        seconds = time.perf_counter() - start
        state["train_seconds"] += seconds
        state["images_seen"] += seen
        judge = ema.module if ema is not None else model
        shard = ImageRows(valid[0].array, ranks.shard(valid[0].rows))
        if valid_pipeline is not None:
            valid_pipeline.set_random_seed(seed * 1000 + epoch)
        proba = ranks.gather(predict(judge, shard, norm, infer_batch, [], valid_pipeline, autocast), len(valid[1]))
        acc = float((proba.argmax(1) == valid[1]).mean())
        valid_loss = get_metric("logloss").fn(valid[1], proba)
        train_loss = float(loss_sum) / batches if batches else float("nan")
        lr = opt.param_groups[0]["lr"]
        state["history"].append({"epoch": epoch + 1, "train_loss": train_loss, "valid_loss": valid_loss, "valid_acc": acc,
                                 "lr": lr, "train_img_s": seen / max(seconds, 1e-9), "seconds": seconds})
        if ranks.lead:
            log(f"{ckpt.stem} epoch {epoch + 1}/{p.epochs}: loss {train_loss:.4f} valid_loss {valid_loss:.4f} "
                f"valid_acc {acc:.4f} lr {lr:.2e} {seen / max(seconds, 1e-9):.0f} img/s {seconds:.1f} s")
            write_history(history_path(clf), state["history"])
        if acc > state["best_acc"]:
            state["best_acc"], state["best_epoch"] = acc, epoch + 1
            if ranks.lead:
                save_tensors(best_path, judge.state_dict())
        state["epoch"] = epoch + 1
        if ranks.lead:
            save_checkpoint(ckpt, {"model": model.state_dict(), "opt": opt.state_dict(), "sched": sched.state_dict(),
                                   "ema": ema.module.state_dict() if ema is not None else None}, state)
        ranks.barrier()
        bar.set_postfix(loss=f"{train_loss:.3f}", acc=f"{acc:.4f}", img_s=f"{seen / max(seconds, 1e-9):.0f}")

    best = ema.module if ema is not None else model
    best.load_state_dict(torch.load(best_path, map_location=device, weights_only=True))
    state["feed"] = feed.kind
    if ranks.lead:
        ckpt.unlink(missing_ok=True)  # the fold is finished: keep only the best weights
    return state, predictor(clf, best, device)


def save_tensors(path: Path, obj) -> None:
    """``torch.save`` through the project's atomic writer: the file is whole or absent, and a full or read-only disk is
    one line naming it (no temporary left behind)."""
    buf = io.BytesIO()
    torch.save(obj, buf)
    atomic_write_bytes(path, buf.getvalue())


def save_checkpoint(ckpt: Path, tensors: dict, state: dict) -> None:
    """The epoch checkpoint: state dicts (tensors and numbers only) and the loop's state as JSON text, so that it
    loads with ``weights_only=True``."""
    save_tensors(ckpt, {**tensors, "state_json": json.dumps(state, default=float)})


def load_checkpoint(ckpt: Path, device) -> Tuple[dict, dict]:
    """(state dicts, loop state) of an epoch checkpoint. Nothing in the file can run code (``weights_only=True``, the
    loop state is JSON); a damaged or foreign file is one line saying to delete it."""
    import pickle

    try:
        saved = torch.load(ckpt, map_location=device, weights_only=True)
        return saved, json.loads(saved["state_json"])
    except (pickle.UnpicklingError, RuntimeError, ValueError, KeyError, TypeError, EOFError, OSError) as exc:
        raise UserError(f"{display(ckpt)} is not a checkpoint kagglekit can read safely ({type(exc).__name__}: "
                        f"{str(exc).splitlines()[0][:120] if str(exc) else 'unreadable'}): it is damaged or was not written by "
                        "this version. Nothing in it was run; delete it to train this fold from its first epoch.") from None


def history_path(clf) -> Path:
    """Where a fold's epoch history is written as it happens (fold_<k>.history.csv beside its checkpoint)."""
    return clf.checkpoint.with_name(clf.checkpoint.name.replace(".ckpt", ".history.csv"))


def write_history(path: Path, history: List[dict]) -> None:
    atomic_write_text(path, pd.DataFrame(history).to_csv(index=False))


def build_network(clf, device: torch.device, pretrained: str) -> torch.nn.Module:
    """The fold's network on ``device``, in the layout it trains and predicts in (channels_last on CUDA)."""
    p = clf.params
    model = create_backbone(p.arch, clf.n_classes, pretrained, p.drop_rate, p.drop_path_rate).to(device)
    return model.to(memory_format=torch.channels_last) if device.type == "cuda" and p.channels_last else model


def infer_batch_size(clf) -> int:
    return clf.speed.infer_batch_size or 2 * clf.params.batch_size


def best_weights(clf) -> Path:
    """Where a fold keeps the weights of its best epoch."""
    return clf.checkpoint.with_name(clf.checkpoint.name.replace(".ckpt", ".best.pt"))


@dataclass
class Predictor:
    """A fitted network and what predicting with it needs: normalisation, precision, the TTA views and pipeline."""

    net: torch.nn.Module
    norm: Normalizer
    autocast: Callable
    test_pipeline: Any
    batch_size: int
    tta: List[str]
    device_name: str

    def predict_proba(self, images: ImageRows) -> np.ndarray:
        """Class probabilities, averaged over the TTA views."""
        return predict(self.net, images, self.norm, self.batch_size, self.tta, self.test_pipeline, self.autocast)


def predictor(clf, model: torch.nn.Module, device: torch.device) -> Predictor:
    """The ``Predictor`` of a fitted network, set up as ``clf``'s parameters say (TTA, precision, batch size)."""
    p, cuda = clf.params, device.type == "cuda"
    test_pipeline = build_pipeline(clf.augment.test, "augment.test")
    if test_pipeline is not None:
        test_pipeline.set_random_seed(clf.seed)
    return Predictor(model, Normalizer(model, device, cuda and p.channels_last), autocast_context(cuda, p.amp),
                     test_pipeline, infer_batch_size(clf), list(clf.augment.tta),
                     torch.cuda.get_device_name(device) if cuda else "cpu")
