"""A torch MLP for tabular data: d2l's house-price model done properly.

Inputs arrive standardised from the preprocessor; the (already log-transformed) regression target
is standardised inside ``fit``; AdamW gives decoupled weight decay; early stopping watches an
inner holdout carved from the fold's *training* rows, so the fold's validation rows stay unseen.
"""

from __future__ import annotations

from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import List

import numpy as np

from ..core.deadline import check as check_deadline
from ..core.metrics import check_regression_loss
from ..core.progress import bar_hidden
from ..core.speed import gpu_count, thread_count, torch_device
from .registry import register_model


@dataclass
class MLPParams:
    hidden: List[int] = field(default_factory=lambda: [256, 64])
    dropout: float = 0.1
    lr: float = 1e-3
    weight_decay: float = 1e-2
    batch_size: int = 64
    max_epochs: int = 400
    patience: int = 40  # epochs without inner-holdout improvement before stopping
    valid_fraction: float = 0.15  # share of the fold's training rows held out for early stopping
    progress: bool = True  # epoch progress bar
    regression_loss: str = "auto"  # squared | absolute | auto: absolute where the metric scores absolute errors (mae)


def _on_cpu(speed) -> bool:
    """Whether the mlp fits on a CPU, where it takes one thread and its folds run side by side (``one_thread``). At batch
    64 a net of [256, 64] hidden units has matrices too small to split: a step took 1.07 ms on one thread and 1.44 ms on
    two (40 inputs, 2 cores, fused AdamW; 300 inputs 1.42 / 1.84 ms). A wide one (1,280 inputs) steps faster on two
    (2.12 against 2.59 ms), but two folds at once on a thread each still finish sooner (README, Models)."""
    return speed.device == "cpu" or (speed.device == "auto" and gpu_count() == 0)


def _adamw(params, lr: float, weight_decay: float):
    """AdamW, fused into one kernel where this torch has it for the device (about a fifth off a small net's step)."""
    import torch

    try:
        return torch.optim.AdamW(params, lr=lr, weight_decay=weight_decay, fused=True)
    except (RuntimeError, TypeError, ValueError):  # an older torch, or a device without the fused kernel
        return torch.optim.AdamW(params, lr=lr, weight_decay=weight_decay)


@contextmanager
def _torch_threads(n: int):
    """torch's intra-op threads set to ``n`` inside the block and put back after (other torch models of the run set
    their own, but embeddings computed later in the same process would inherit one thread)."""
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(n)
    try:
        yield
    finally:
        torch.set_num_threads(before)


class TorchMLP:
    """sklearn-style estimator: ``fit(X, y)``, ``predict(X)`` (regression) or ``predict_proba(X)``; a multilabel
    target (``y`` one 0/1 column per label) is one network with a logit per label."""

    def __init__(self, params: MLPParams, task: str, seed: int, speed):
        self.params, self.task, self.seed, self.speed = params, task, seed, speed

    def _net(self, n_in: int, n_out: int):
        import torch.nn as nn

        layers, width = [], n_in
        for h in self.params.hidden:
            layers += [nn.Linear(width, h), nn.GELU(), nn.Dropout(self.params.dropout)]
            width = h
        layers.append(nn.Linear(width, n_out))
        return nn.Sequential(*layers)

    def fit(self, X, y):
        import torch

        p = self.params
        torch.manual_seed(self.seed)
        rng = np.random.default_rng(self.seed)
        dev = torch_device(self.speed.device)
        X = np.asarray(X, np.float32)
        if self.task == "regression":
            y = np.asarray(y, np.float32)
            self.y_mean_, self.y_std_ = float(y.mean()), float(y.std() or 1.0)
            target = torch.tensor((y - self.y_mean_) / self.y_std_).unsqueeze(1)
            n_out = 1
            loss_fn = torch.nn.L1Loss() if p.regression_loss == "absolute" else torch.nn.MSELoss()
        elif self.task == "multilabel":  # one logit per label, each label's own cross-entropy
            target = torch.tensor(np.asarray(y, np.float32))
            n_out, loss_fn = target.shape[1], torch.nn.BCEWithLogitsLoss()
        else:
            self.classes_ = np.unique(y)
            target = torch.tensor(np.searchsorted(self.classes_, y), dtype=torch.long)
            n_out, loss_fn = len(self.classes_), torch.nn.CrossEntropyLoss()
        order = rng.permutation(len(X))
        n_hold = max(1, int(len(X) * p.valid_fraction))
        hold, fit = order[:n_hold], order[n_hold:]
        Xt = torch.tensor(X)
        X_fit, y_fit = Xt[fit].to(dev), target[fit].to(dev)
        X_hold, y_hold = Xt[hold].to(dev), target[hold].to(dev)
        net = self._net(X.shape[1], n_out).to(dev)
        self.threads_ = 1 if dev.type == "cpu" else thread_count(self.speed.threads)  # on a CPU: _on_cpu
        with _torch_threads(self.threads_):
            self._train(net, loss_fn, X_fit, y_fit, X_hold, y_hold, dev)
        return self

    def _train(self, net, loss_fn, X_fit, y_fit, X_hold, y_hold, dev):
        """AdamW epochs over the fitting rows until the holdout loss has not improved for ``patience`` epochs; the net
        keeps its best epoch's weights."""
        import torch
        from tqdm.auto import tqdm

        p, n = self.params, len(X_fit)
        opt = _adamw(net.parameters(), p.lr, p.weight_decay)
        best, best_state, stale = float("inf"), None, 0
        bar = tqdm(range(p.max_epochs), desc="epochs", leave=False, disable=bar_hidden(p.progress))
        for epoch in bar:
            check_deadline("the mlp")  # a portfolio member past its budget stops here, not after hundreds of epochs
            net.train()
            perm = torch.randperm(n, device=dev)
            for i in range(0, n, p.batch_size):
                idx = perm[i : i + p.batch_size]
                opt.zero_grad(set_to_none=True)
                loss_fn(net(X_fit[idx]), y_fit[idx]).backward()
                opt.step()
            net.eval()
            with torch.no_grad():
                hold_loss = float(loss_fn(net(X_hold), y_hold))
            if hold_loss < best - 1e-6:
                best, stale = hold_loss, 0
                best_state = {k: v.detach().clone() for k, v in net.state_dict().items()}
            else:
                stale += 1
            bar.set_postfix(holdout=f"{best:.4f}")
            if stale >= p.patience:
                break
        net.load_state_dict(best_state)
        self.net_, self.device_, self.best_epoch_ = net.eval(), dev, epoch + 1 - stale

    def _forward(self, X):
        import torch

        with torch.no_grad():
            return self.net_(torch.tensor(np.asarray(X, np.float32), device=self.device_)).cpu()

    def predict(self, X):
        return self._forward(X).numpy()[:, 0] * self.y_std_ + self.y_mean_

    def predict_proba(self, X):
        """Class probabilities (multilabel: each label's probability, a column each)."""
        logits = self._forward(X)
        return (logits.sigmoid() if self.task == "multilabel" else logits.softmax(dim=1)).numpy()


def _check_mlp(p: MLPParams):
    return check_regression_loss(p.regression_loss)


@register_model("mlp", MLPParams, "torch MLP with weight decay and early stopping on an inner holdout; one network for all "
                "the labels of a multilabel target", check=_check_mlp, multilabel=True, one_thread=_on_cpu,
                worker_imports=2.5)
def build_mlp(p: MLPParams, task: str, seed: int, speed):
    return TorchMLP(p, task, seed, speed)
