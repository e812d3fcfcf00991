"""Greedy layer-wise stacking (the lecture's steps 1–3), then unrolling and fine-tuning.

Step 1: train RBM 1 on the binarised digits. Step 2: freeze W¹, take h¹ = P(h | x) as the
data, train RBM 2. Step 3: and so on. Then the stack is unrolled into a feed-forward net
(layer l computes σ(W^l h^{l−1} + c^l), the very W and c the RBMs learned), a softmax layer
goes on top (fitted alone first: the test error before fine-tuning), and every layer is
trained with the labels.

Yields (caption, values); the lab numbers the frames.
"""

from __future__ import annotations

from typing import Any, Iterator

import numpy as np

from . import classify
from . import net as N
from . import rbm as R
from .common import one_blas_thread, pct, thin, unit_grid
from .config import Config, Live
from .data import Data, Part, load_digits, relabel
from ..core.check import compare
from ..core.fmt import num

SHOWN_FILTERS = 8
SHOWN_DIGITS = 4


def labelled_digits(cfg: Config, seed: int, binary: bool) -> Data:
    """The digits of cfg.classes, labels renumbered 0..len(classes) − 1."""
    d = load_digits(seed, binary, cfg.threshold, cfg.classes)
    parts = [Part(p.x, relabel(p.y, cfg.classes)) for p in (d.train, d.valid, d.test)]
    return Data(*parts, d.side, d.name, d.binary)


class StackRun:
    def __init__(self, cfg: Config, live: Live, seed: int) -> None:
        self.cfg, self.live = cfg, live
        self.rng = np.random.default_rng(seed)
        self.data = labelled_digits(cfg, seed, True)
        self.rbms: list[R.RBM] = []
        self.sizes = [self.data.train.x.shape[1], *cfg.hidden]
        self.base = {"model": "stack", "side": self.data.side, "sizes": self.sizes, "data_name": self.data.name,
                     "rows": len(self.data.train)}

    def up(self, x: np.ndarray, n: int | None = None) -> np.ndarray:
        """x through the first n RBMs' hidden probabilities (all of them by default)."""
        for m in self.rbms[:n]:
            x = R.hidden_probs(m, x)
        return x

    def frames(self) -> Iterator[tuple[str, dict[str, Any]]]:
        cfg = self.cfg
        yield (f"greedy stacking of {len(cfg.hidden)} RBMs, {' → '.join(map(str, self.sizes))}, on {self.data.name} "
               f"({len(self.data.train)} training images), CD-{self.live.k}, {cfg.epochs} epochs each; then unrolled "
               f"and fine-tuned with labels", {**self.base, "phase": "setup"})
        for layer, h in enumerate(cfg.hidden):
            with one_blas_thread():
                x = self.up(self.data.train.x)
                self.rbms.append(R.init(x.shape[1], h, self.rng))
            if layer:
                below = "x" if layer == 1 else f"h^{layer - 1}"
                yield (f"step {min(layer + 1, 3)}: W^{layer} frozen; h^{layer} = P(h | {below}) of its "
                       f"{x.shape[1]} units is the data for RBM {layer + 1} ({x.shape[1]} → {h})",
                       {**self.base, "phase": "stacked", "layer": layer + 1, "codes": x[:SHOWN_DIGITS],
                        "units": unit_grid(x.shape[1])})
            epoch = 0
            while epoch < cfg.epochs:
                with one_blas_thread():
                    for _ in range(min(cfg.per_step, cfg.epochs - epoch)):
                        self.rbms[-1] = R.epoch(self.rbms[-1], x, self.live.k, self.live.lr, cfg.batch, self.rng)
                        epoch += 1
                yield self.rbm_progress(layer, epoch, x)
        yield from self.finetune()

    def rbm_progress(self, layer: int, epoch: int, x: np.ndarray) -> tuple[str, dict[str, Any]]:
        m = self.rbms[layer]
        with one_blas_thread():
            test = self.data.test.x[:SHOWN_DIGITS]
            filters = m.W[:SHOWN_FILTERS]
            for below in reversed(self.rbms[:layer]):
                filters = filters @ below.W  # a linear view of a higher unit over the pixels
            v = {**self.base, "phase": "rbm", "layer": layer + 1, "epoch": epoch, "k": self.live.k,
                 "recon_error": R.recon_error(m, x), "filters": filters, "digits": test,
                 "codes": self.up(test, layer + 1), "units": unit_grid(m.hidden)}
        return (f"step {min(layer + 1, 3)}: RBM {layer + 1} ({m.visible} → {m.hidden}), epoch {epoch} of "
                f"{self.cfg.epochs}: reconstruction error {num(v['recon_error'])} on its data", v)

    def finetune(self) -> Iterator[tuple[str, dict[str, Any]]]:
        cfg, d = self.cfg, self.data
        with one_blas_thread():
            layers = R.unroll(self.rbms)
            top = classify.fit(self.up(d.train.x), d.train.y, classes=len(cfg.classes))
            layers.append((top.W, top.c))
            before = N.errors(layers, d)
        check = compare("W¹ and c of RBM 1", np.concatenate([layers[0][0].ravel(), layers[0][1]]),
                        np.concatenate([self.rbms[0].W.ravel(), self.rbms[0].c]), 0.0)
        v = {**self.base, "phase": "unrolled", "errors": list(before), "check": check,
             "layer_shapes": [list(W.shape) for W, _ in layers]}
        yield (f"unrolled: {' → '.join(map(str, self.sizes))} → softmax over {len(cfg.classes)} classes; layer l "
               f"computes σ(W^l h^(l−1) + c^l) with the RBMs' W and c; the softmax fitted alone: test error "
               f"{pct(before[2])} before fine-tuning", v)
        fit = N.Fit(cfg.finetune_lr, cfg.batch)
        best = N.Best()
        best.offer(0, before)
        curve = [[0, *before]]
        epochs = iter(N.fit(layers, d, fit, cfg.finetune_epochs, "sigmoid", self.rng))
        done = 0
        while done < cfg.finetune_epochs:
            with one_blas_thread():
                for _ in range(min(cfg.per_step, cfg.finetune_epochs - done)):
                    done, layers, loss, errs = next(epochs)
                    best.offer(done, errs)
                    curve.append([done, *errs])
            v = {**self.base, "phase": "finetune", "epoch": done, "loss": loss, "errors": list(errs),
                 "curve": thin(curve), "best_epoch": best.epoch,
                 "test_error": {"before": before[2], "after": best.test}}
            last = done == cfg.finetune_epochs
            lead = "fine-tuned" if last else "fine-tuning"
            yield (f"{lead} with labels, epoch {done} of {cfg.finetune_epochs}: errors train {pct(errs[0])}, valid "
                   f"{pct(errs[1])}, test {pct(errs[2])}; test error before fine-tuning {pct(before[2])}, after "
                   f"{pct(best.test)} (at epoch {best.epoch}, chosen by the validation error)", v)
