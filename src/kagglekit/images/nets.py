"""Networks of our own, registered in timm's model registry so ``model.params.arch`` names them like any timm model.

``airbench_net``: a small convolutional net in the style of Keller Jordan's airbench CIFAR-10 speed runs, trained
from scratch at 32 px: a 2 x 2 patch stem, three groups of conv -> max-pool -> BN -> GELU -> conv -> BN -> GELU
(widths 64, 256, 256), a global max-pool and a linear head. ``test_airbench_net`` is the same at widths 16/32/32.
Neither has pretrained weights (``pretrained: none``). Differences from airbench: the stem is learned (no
patch-whitening initialisation), and there is no lookahead or progressive freezing.

``pixel_cnn``: a small net from scratch for pictures given as pixel columns (digit-recognizer's 28 x 28, 8 x 8
pictures), at their native size from 8 px: two groups of two 3 x 3 conv -> BN -> GELU, each followed by a 2 x 2
max-pool (ceil mode, so 8 px ends at 2 x 2), a 3 x 3 conv to 128 channels and global average + max pooling.
"""

from __future__ import annotations

from typing import Sequence

import torch
from torch import nn

CIFAR_MEAN, CIFAR_STD = (0.4914, 0.4822, 0.4465), (0.2470, 0.2435, 0.2616)


class ConvGroup(nn.Module):
    def __init__(self, c_in: int, c_out: int):
        super().__init__()
        self.conv1 = nn.Conv2d(c_in, c_out, 3, padding=1, bias=False)
        self.pool = nn.MaxPool2d(2)
        self.norm1 = nn.BatchNorm2d(c_out)
        self.conv2 = nn.Conv2d(c_out, c_out, 3, padding=1, bias=False)
        self.norm2 = nn.BatchNorm2d(c_out)
        self.act = nn.GELU()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.act(self.norm1(self.pool(self.conv1(x))))
        return self.act(self.norm2(self.conv2(x)))


class ScratchNet(nn.Module):
    """The timm model contract our loop uses: ``num_classes``, ``pretrained_cfg`` (normalisation), ``get_classifier``,
    ``reset_classifier``, ``forward_features`` / ``forward_head``. A subclass builds its body, then ``_add_head``, and
    says how its feature map is pooled (``_pool``) and whether the head has a bias."""

    head_bias = True

    def _add_head(self, num_features: int, num_classes: int, drop_rate: float, mean, std) -> None:
        self.num_features = num_features
        self.drop = nn.Dropout(drop_rate)
        self.num_classes = num_classes
        self.head = self._new_head(num_classes)
        self.pretrained_cfg = {"mean": mean, "std": std, "num_classes": num_classes}

    def _new_head(self, num_classes: int) -> nn.Module:
        return nn.Linear(self.num_features, num_classes, bias=self.head_bias) if num_classes else nn.Identity()

    def _pool(self, x: torch.Tensor) -> torch.Tensor:
        raise NotImplementedError

    def get_classifier(self) -> nn.Module:
        return self.head

    def reset_classifier(self, num_classes: int) -> None:
        self.num_classes = num_classes
        self.head = self._new_head(num_classes)

    def forward_head(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.drop(self._pool(x)))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.forward_head(self.forward_features(x))


class AirbenchNet(ScratchNet):
    """airbench's shape: a 2 x 2 stem, conv groups, a global max-pool and a linear head without bias."""

    head_bias = False

    def __init__(self, widths: Sequence[int] = (64, 256, 256), stem: int = 24, num_classes: int = 10, drop_rate: float = 0.0):
        super().__init__()
        self.stem = nn.Sequential(nn.Conv2d(3, stem, 2, padding=0), nn.GELU())
        chans = [stem, *widths]
        self.groups = nn.Sequential(*[ConvGroup(a, b) for a, b in zip(chans[:-1], chans[1:])])
        self._add_head(widths[-1], num_classes, drop_rate, CIFAR_MEAN, CIFAR_STD)

    def forward_features(self, x: torch.Tensor) -> torch.Tensor:
        return self.groups(self.stem(x))

    def _pool(self, x: torch.Tensor) -> torch.Tensor:
        return torch.amax(x, dim=(2, 3))


class PixelCNN(ScratchNet):
    """A small net for small pictures of any size from 8 px, pooled by average and max."""

    def __init__(self, widths: Sequence[int] = (32, 64, 128), num_classes: int = 10, drop_rate: float = 0.1):
        super().__init__()

        def conv(a: int, b: int) -> list:
            return [nn.Conv2d(a, b, 3, padding=1, bias=False), nn.BatchNorm2d(b), nn.GELU()]

        a, b, c = widths
        self.body = nn.Sequential(*conv(3, a), *conv(a, a), nn.MaxPool2d(2, ceil_mode=True),
                                  *conv(a, b), *conv(b, b), nn.MaxPool2d(2, ceil_mode=True), *conv(b, c))
        self._add_head(2 * c, num_classes, drop_rate, (0.5, 0.5, 0.5), (0.25, 0.25, 0.25))

    def forward_features(self, x: torch.Tensor) -> torch.Tensor:
        return self.body(x)

    def _pool(self, x: torch.Tensor) -> torch.Tensor:
        return torch.cat([x.mean(dim=(2, 3)), torch.amax(x, dim=(2, 3))], dim=1)


def _build(widths, pretrained: bool, kwargs, net=AirbenchNet):
    if pretrained:
        raise ValueError(f"{net.__name__} has no pretrained weights: use pretrained: none")
    kwargs = {k: v for k, v in kwargs.items() if k in ("num_classes", "drop_rate")}
    return net(widths, **kwargs)


def register() -> None:
    """Add the nets to timm's registry (idempotent)."""
    from timm.models import is_model, register_model

    if is_model("pixel_cnn"):
        return

    def airbench_net(pretrained: bool = False, **kwargs) -> AirbenchNet:
        return _build((64, 256, 256), pretrained, kwargs)

    def test_airbench_net(pretrained: bool = False, **kwargs) -> AirbenchNet:
        return _build((16, 32, 32), pretrained, kwargs)

    def pixel_cnn(pretrained: bool = False, **kwargs) -> PixelCNN:
        return _build((32, 64, 128), pretrained, kwargs, PixelCNN)

    for fn in (airbench_net, test_airbench_net, pixel_cnn):
        register_model(fn)
