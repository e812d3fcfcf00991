""""Gradient is progressively getting more dilute": per-layer gradient norms of a deep net on
the digits, one layer per step from the top down, as backpropagation reaches it.

Four nets of the same shape: σ units with torch's default initialisation, σ with Glorot's,
ReLU with He's, and σ after greedy RBM pre-training. In a σ net each layer down multiplies
the error by Wᵀ and by σ'(z) ≤ 1/4, so the first layer's gradient is orders of magnitude
smaller than the last hidden layer's; the ratio of the two is the number to watch.

Yields (caption, values); the lab numbers the frames.
"""

from __future__ import annotations

from typing import Any, Iterator

import numpy as np

from . import checks
from . import net as N
from . import table as T
from .common import one_blas_thread, sci
from .config import Config
from .frames_stack import labelled_digits
from ..core.fmt import num

NETS = (
    ("sigmoid", "default", "σ, torch's default initialisation"),
    ("sigmoid", "glorot", "σ, Glorot initialisation"),
    ("relu", "he", "ReLU, He initialisation"),
    ("sigmoid", "pretrained", "σ, after greedy RBM pre-training"),
)


class DilutionRun:
    def __init__(self, cfg: Config, seed: int) -> None:
        self.cfg, self.seed = cfg, seed
        self.data = labelled_digits(cfg, seed, False)
        self.sizes = [self.data.train.x.shape[1], *cfg.hidden, len(cfg.classes)]
        self.done: list[dict[str, Any]] = []
        self.base = {"model": "dilution", "sizes": self.sizes, "rows": len(self.data.train),
                     "names": [n[2] for n in NETS]}

    def layers(self, act: str, how: str, rng: np.random.Generator) -> list[N.Layer]:
        if how != "pretrained":
            return N.init_layers(self.sizes, how, rng)
        b = T.Budget(self.cfg.hidden, self.cfg.epochs, self.cfg.lr, self.cfg.k, 0, 0.0, self.cfg.batch)
        stack = T.pretrain_rbms(self.data.train.x, b, rng)
        return stack + [N.init_layer(self.sizes[-2], self.sizes[-1], "default", rng)]

    def frames(self) -> Iterator[tuple[str, dict[str, Any]]]:
        x, y = self.data.train.x, self.data.train.y
        depth = len(self.cfg.hidden)
        yield (f"a {depth}×{self.cfg.hidden[0]} net on the digits ({' → '.join(map(str, self.sizes))}): ‖∂L/∂W‖ of "
               f"every layer for the mean cross-entropy over the {len(y)} training images, four ways to start",
               {**self.base, "phase": "setup", "nets": []})
        for n, (act, how, name) in enumerate(NETS):
            rng = np.random.default_rng([self.seed, n])
            with one_blas_thread():
                layers = self.layers(act, how, rng)
                loss, grads = N.gradients(layers, x, y, act)
                norms = N.weight_norms(grads)
            check = checks.backprop(layers, x, y, act, grads)
            ratio = norms[0] / norms[-2] if len(norms) > 1 else 1.0
            net = {"name": name, "activation": act, "init": how, "loss": loss, "norms": norms, "ratio": ratio}
            for shown in range(1, len(norms) + 1):
                layer = len(norms) - shown  # 0-based, counted from the input
                net_now = {**net, "shown": shown}
                v = {**self.base, "phase": "layer", "net": n, "layer": layer + 1, "nets": self.done + [net_now],
                     "check": check}
                yield self.caption(name, norms, layer, ratio), v
            self.done.append({**net, "shown": len(norms)})
        yield self.summary(), {**self.base, "phase": "done", "nets": self.done}

    def caption(self, name: str, norms: list[float], layer: int, ratio: float) -> str:
        L = len(norms)
        what = "the softmax layer" if layer == L - 1 else f"hidden layer {layer + 1}"
        text = f"{name}: {what}, ‖∂L/∂W{layer + 1}‖ = {sci(norms[layer])}"
        if layer < L - 1:
            text += f" (×{num(norms[layer] / norms[layer + 1], 3)} of the layer above)"
        if layer == 0 and L > 1:
            text += f"; first to last hidden layer: {sci(ratio)}"
        return text

    def summary(self) -> str:
        parts = [f"{n['name'].split(',')[0]} {n['init']} {sci(n['ratio'])}" for n in self.done]
        return "‖∂L/∂W1‖ / ‖∂L/∂W_last hidden‖: " + "; ".join(parts)
