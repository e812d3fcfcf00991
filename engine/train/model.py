"""Training in torch: the same layers and the same initial weights as the numpy pass, on any device.

The model is the arch lab's modules for the layer list (torch_layers) without the final
softmax: F.cross_entropy takes the logits, which is softmax + negative log-likelihood in
one stable step. Torch is imported inside functions: importing this module must not load it.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..arch.torch_check import torch_layers
from ..core.device import cpu_threads as _cpu_threads
from .config import INPUT


def cpu_threads(device: str):
    """One CPU thread while the lab computes, then back to torch's setting (char-RNN's rule, reused).

    This lab's steps are small (a batch of 32 through 2,730 parameters): shared across two
    busy cores they ran an epoch in 5.6 s against 0.15 s on one thread (measured on the
    2-core machine under load), because the threads wait on each other more than they work.
    """
    return _cpu_threads(1 if device == "cpu" else None)


def _inner(module: Any) -> Any:
    """The module holding a layer's weights (an fc on a volume is Sequential(Flatten, Linear))."""
    import torch

    return module[1] if isinstance(module, torch.nn.Sequential) else module


def build(layers, weights: dict[str, dict[str, np.ndarray]], device: str = "cpu",
          running: dict[str, dict[str, np.ndarray]] | None = None) -> Any:
    """nn.Sequential of the layers up to the softmax, holding `weights` (float32) on `device`."""
    import torch

    mods = torch_layers(list(INPUT), list(layers[:-1]))
    with torch.no_grad():
        for layer, mod in zip(layers, mods):
            inner, ws = _inner(mod), weights.get(layer["name"])
            if ws is None:
                continue
            for k, v in ws.items():
                getattr(inner, k).copy_(torch.as_tensor(v, dtype=torch.float32))
            if running and layer["name"] in running:
                inner.running_mean.copy_(torch.as_tensor(running[layer["name"]]["mean"]))
                inner.running_var.copy_(torch.as_tensor(running[layer["name"]]["var"]))
    return torch.nn.Sequential(*mods).to(device)


def weights_of(model: Any, layers) -> dict[str, dict[str, np.ndarray]]:
    """The model's current weights back in numpy (float64), named as the layers are."""
    out = {}
    for layer, mod in zip(layers, model):
        inner = _inner(mod)
        ws = {k: getattr(inner, k).detach().cpu().double().numpy() for k in ("weight", "bias")
              if getattr(inner, k, None) is not None and layer["kind"] in ("conv", "fc", "batchnorm")}
        if ws:
            out[layer["name"]] = ws
    return out


# Each optimizer name: the torch.optim class and the settings this lab gives it beside the learning
# rate (Adam's are torch's defaults, written out so frame 0 can state them before torch loads).
OPTIMIZERS: dict[str, tuple[str, dict[str, Any]]] = {
    "sgd": ("SGD", {}),
    "momentum": ("SGD", {"momentum": 0.9}),
    "adam": ("Adam", {"betas": (0.9, 0.999), "eps": 1e-8}),
}


def optimizer(name: str, params, lr: float) -> Any:
    import torch

    cls, settings = OPTIMIZERS[name]
    return getattr(torch.optim, cls)(params, lr=lr, **settings)


def iterations(images: int, batch: int) -> tuple[int, int]:
    """(minibatches in one pass over `images`, the last one's size): Trainer.epoch slices the shuffled
    images `batch` at a time, so the last minibatch takes what is left."""
    k = -(-images // batch)
    return k, images - (k - 1) * batch


def to_device(x: np.ndarray, y: np.ndarray, device: str) -> tuple[Any, Any]:
    """Images (N, 1, 8, 8) float32 and labels int64, on the device once."""
    import torch

    return (torch.as_tensor(x, dtype=torch.float32).view(-1, *INPUT).to(device),
            torch.as_tensor(y, dtype=torch.long).to(device))


class Trainer:
    """Minibatch SGD over one training set. All state lives here, so a paused run resumes where it was.

    `lr` and `batch` are read at every iteration: a knob turned while training applies from the
    next iteration on.
    """

    def __init__(self, model: Any, opt_name: str, lr: float, batch: int, x: Any, y: Any, seed: int) -> None:
        import torch

        self.model, self.x, self.y = model, x, y
        self.lr, self.batch = lr, batch
        self.opt = optimizer(opt_name, model.parameters(), lr)
        self.gen = torch.Generator().manual_seed(seed)  # the shuffles
        torch.manual_seed(seed)  # dropout draws from the global generator: a run repeats whatever ran before it
        self.iteration = 0

    def epoch(self) -> Any:
        """One pass over the training set in a fresh order; returns the minibatch losses (a tensor on the
        device; nothing is copied back per iteration, so the GPU never waits for the CPU)."""
        import torch
        import torch.nn.functional as F

        self.model.train()
        n = len(self.y)
        order = torch.randperm(n, generator=self.gen).to(self.x.device)
        losses = []
        pos = 0
        while pos < n:
            idx = order[pos:pos + self.batch]
            pos += len(idx)
            if self.opt.param_groups[0]["lr"] != self.lr:
                for group in self.opt.param_groups:
                    group["lr"] = self.lr
            loss = F.cross_entropy(self.model(self.x[idx]), self.y[idx])
            self.opt.zero_grad(set_to_none=True)
            loss.backward()
            self.opt.step()
            losses.append(loss.detach())
            self.iteration += 1
        return torch.stack(losses)


def evaluate(model: Any, x: Any, y: Any) -> tuple[float, float, Any]:
    """(mean cross-entropy, error as a fraction, predictions) in evaluation mode (running batch-norm
    statistics, no dropout)."""
    import torch
    import torch.nn.functional as F

    model.eval()
    with torch.no_grad():
        logits = model(x)
        loss = F.cross_entropy(logits, y)
        pred = logits.argmax(dim=1)
        wrong = (pred != y).sum()
    return float(loss), int(wrong) / len(y), pred


def confusion(y: np.ndarray, pred: np.ndarray, classes: int) -> np.ndarray:
    """counts[true, predicted]."""
    m = np.zeros((classes, classes), dtype=np.int64)
    np.add.at(m, (np.asarray(y), np.asarray(pred)), 1)
    return m
