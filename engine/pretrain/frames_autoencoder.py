"""Sparse autoencoders, stepped: one forward and backward pass written out (the code a, each
unit's mean activation ρ̂_j, the KL penalty, the reconstruction), then training with ρ̂ per
unit, features and reconstructions; with several hidden sizes, stacked greedily.

Yields (caption, values); the lab numbers the frames.
"""

from __future__ import annotations

from typing import Any, Iterator

import numpy as np

from . import autoencoder as A
from . import checks
from .common import one_blas_thread, thin, unit_grid
from .config import Config, Live
from .data import Data, load_digits, toy
from .rbm import batches
from ..core.fmt import num

SHOWN_FILTERS = 8
SHOWN_DIGITS = 4
SHOWN_UNITS = 256  # ρ̂ is carried for at most this many units


def ae_data(cfg: Config, seed: int) -> Data:
    if cfg.digits:
        return load_digits(seed, False, cfg.threshold, cfg.classes)
    return toy(cfg.toy_rows(), "3×3 bars and stripes" if cfg.data == "bars" else "the rows given")


class AERun:
    def __init__(self, cfg: Config, live: Live, seed: int) -> None:
        self.cfg, self.live = cfg, live
        self.rng = np.random.default_rng(seed)
        self.data = ae_data(cfg, seed)
        self.stack: list[A.AE] = []
        self.layer = 0
        self.epoch = 0
        self.curve: list[list[float]] = []
        self.base = {"model": "autoencoder", "side": self.data.side, "sizes": [self.data.train.x.shape[1], *cfg.hidden],
                     "data_name": self.data.name, "rows": len(self.data.train)}

    def settings(self) -> A.Settings:
        return A.Settings(self.live.sparsity, self.live.rho, self.cfg.decay, self.cfg.loss)

    def codes(self, x: np.ndarray) -> np.ndarray:
        """x up through the frozen layers below the one in training."""
        for ae in self.stack[: self.layer]:
            x = A.encode(ae, x)
        return x

    def frames(self) -> Iterator[tuple[str, dict[str, Any]]]:
        cfg = self.cfg
        x = self.data.train.x
        yield (f"{len(cfg.hidden)} sparse autoencoder(s) {' → '.join(map(str, self.base['sizes']))} on {self.data.name} "
               f"({len(x)} rows): a = σ(W x + b), x̂ = σ(V a + d); J = {cfg.loss} reconstruction + β Σ KL(ρ ‖ ρ̂_j), "
               f"β = {num(self.live.sparsity)}, ρ = {num(self.live.rho)}", {**self.base, "phase": "setup"})
        for self.layer, h in enumerate(cfg.hidden):
            with one_blas_thread():
                inputs = self.codes(x)
                self.stack.append(A.init(inputs.shape[1], h, self.rng))
            self.epoch, self.curve = 0, []
            if self.layer:
                yield (f"layer {self.layer} frozen: its codes a (σ of {inputs.shape[1]} units) are the data for "
                       f"autoencoder {self.layer + 1}, {inputs.shape[1]} → {h} → {inputs.shape[1]}",
                       {**self.base, "phase": "stacked", "layer": self.layer + 1, "codes": inputs[:SHOWN_DIGITS]})
            if cfg.epochs == 0:
                continue
            with one_blas_thread():
                order = batches(len(inputs), cfg.batch, self.rng)
            if self.layer == 0:
                yield from self.walk(inputs[order[0]])
                rest = order[1:]
            else:
                rest = order
            with one_blas_thread():
                for rows in rest:
                    self._step(inputs[rows])
                self.epoch = 1
            yield self.progress(inputs)
            while self.epoch < cfg.epochs:
                with one_blas_thread():
                    for _ in range(min(cfg.per_step, cfg.epochs - self.epoch)):
                        self.stack[self.layer] = A.epoch(self.stack[self.layer], inputs, self.settings(), self.live.lr,
                                                         cfg.batch, self.rng)
                        self.epoch += 1
                yield self.progress(inputs)

    def _step(self, batch: np.ndarray) -> A.Pass:
        p = A.forward_backward(self.stack[self.layer], batch, self.settings())
        self.stack[self.layer] = A.step(self.stack[self.layer], p.grads, self.live.lr)
        return p

    def walk(self, batch: np.ndarray) -> Iterator[tuple[str, dict[str, Any]]]:
        s, ae = self.settings(), self.stack[0]
        with one_blas_thread():
            p = A.forward_backward(ae, batch, s)
        x0, a0 = batch[0], p.a[0]
        j = int(np.argmax(a0))
        z = ae.b[j] + ae.W[j] @ x0
        v = {**self.base, "phase": "encode", "layer": 1, "x": x0, "a": a0, "unit": j, "units": unit_grid(len(a0))}
        yield (f"update 1, minibatch of {len(batch)}: a_j = f(Σ_i W_ji x_i + b_j) for row 1; unit {j}: "
               f"σ({num(z)}) = {num(a0[j])}, the most active of {len(a0)}", v)
        v = {**v, "phase": "sparsity", "rho_hat": p.rho_hat[:SHOWN_UNITS], "kl": p.kl[:SHOWN_UNITS],
             "rho": s.rho, "beta": s.beta, "sparsity_loss": p.sparsity}
        yield (f"ρ̂_j = mean of a_j over the {len(batch)} rows: from {num(p.rho_hat.min())} to {num(p.rho_hat.max())} "
               f"(target ρ = {num(s.rho)}); β Σ_j KL(ρ ‖ ρ̂_j) = {num(s.beta)}·{num(p.kl.sum())} = {num(p.sparsity)}", v)
        check = checks.sparse_autoencoder(ae, batch, s, p)
        with one_blas_thread():
            self._step(batch)
        v = {**v, "phase": "decode", "xh": p.xh[0], "recon_loss": p.recon, "loss": p.loss, "check": check}
        yield (f"x̂ = σ(V a + d); J = {num(p.recon)} ({self.cfg.loss}) + {num(p.sparsity)} (sparsity)"
               f"{f' + {num(p.decay)} (decay)' if p.decay else ''} = {num(p.loss)}; backpropagated with the "
               "sparsity term β(−ρ/ρ̂_j + (1 − ρ)/(1 − ρ̂_j)) added to each hidden unit's error, one step taken", v)

    def progress(self, inputs: np.ndarray) -> tuple[str, dict[str, Any]]:
        ae, n = self.stack[self.layer], self.layer + 1
        with one_blas_thread():
            p = A.forward_backward(ae, inputs, self.settings())
            v: dict[str, Any] = {**self.base, "phase": "epoch", "layer": n, "epoch": self.epoch,
                                 "recon_loss": p.recon, "sparsity_loss": p.sparsity, "loss": p.loss,
                                 "rho_hat": p.rho_hat[:SHOWN_UNITS], "rho": self.live.rho, "beta": self.live.sparsity,
                                 "units": unit_grid(len(p.rho_hat))}
            test = self.data.test.x[:SHOWN_DIGITS]
            if self.data.side:
                v.update(digits=test, reconstructions=A.reconstruct(self.stack, test), filters=self.pixel_filters())
            v["recon_error"] = float(np.mean((A.reconstruct(self.stack, self.data.test.x) - self.data.test.x) ** 2))
        self.curve.append([self.epoch, p.recon, p.sparsity])
        v["curve"] = thin(self.curve)
        return (f"autoencoder {n}, epoch {self.epoch} of {self.cfg.epochs}: J = {num(p.recon)} + {num(p.sparsity)} "
                f"(β = {num(self.live.sparsity)}, ρ = {num(self.live.rho)}); ρ̂ from {num(p.rho_hat.min())} to "
                f"{num(p.rho_hat.max())}, mean {num(p.rho_hat.mean())}; test reconstruction error {num(v['recon_error'])}", v)

    def pixel_filters(self) -> np.ndarray:
        """Each unit of the layer in training as a picture over the pixels: its weights for
        layer 1, the weighted sum of the filters below for higher layers (a linear view)."""
        W = self.stack[self.layer].W[:SHOWN_FILTERS]
        for ae in reversed(self.stack[: self.layer]):
            W = W @ ae.W
        return W
