"""Feed-forward nets for fine-tuning, in numpy float64 with backpropagation written out.

A net is a list of layers (W [out][in], c [out]): the same arrays an RBM or autoencoder
learned, so "unrolling" a stack is taking its W and c as they are, with a new softmax
layer on top. Hidden units are σ or ReLU; the last layer gives the logits and the loss is
the mean cross-entropy of softmax(logits). These nets are small (8×8 digits, ~100 units),
where numpy's per-step cost is a fraction of an autograd graph's; the tests check the
gradients against torch's autograd and the update rules against torch.optim.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Iterator

import numpy as np

from .rbm import batches, sigmoid

Layer = tuple[np.ndarray, np.ndarray]
INITS = ("default", "glorot", "he")
ACTIVATIONS = ("sigmoid", "relu")


def init_layer(n_in: int, n_out: int, how: str, rng: np.random.Generator) -> Layer:
    """default: torch's nn.Linear (W and c uniform in ±1/√fan_in); glorot: W uniform in
    ±√(6/(fan_in + fan_out)); he: W ~ N(0, 2/fan_in); both with zero biases."""
    if how == "default":
        r = 1.0 / math.sqrt(n_in)
        return rng.uniform(-r, r, (n_out, n_in)), rng.uniform(-r, r, n_out)
    if how == "glorot":
        r = math.sqrt(6.0 / (n_in + n_out))
        return rng.uniform(-r, r, (n_out, n_in)), np.zeros(n_out)
    if how == "he":
        return rng.normal(0.0, math.sqrt(2.0 / n_in), (n_out, n_in)), np.zeros(n_out)
    raise ValueError(how)


def init_layers(sizes: list[int], how: str, rng: np.random.Generator) -> list[Layer]:
    """Layers for sizes [in, h1, …, out]."""
    return [init_layer(a, b, how, rng) for a, b in zip(sizes[:-1], sizes[1:])]


def copy(layers: list[Layer]) -> list[Layer]:
    return [(W.copy(), c.copy()) for W, c in layers]


def _act(z: np.ndarray, activation: str) -> np.ndarray:
    return sigmoid(z) if activation == "sigmoid" else np.maximum(z, 0.0)


def _act_grad(a: np.ndarray, activation: str) -> np.ndarray:
    """f'(z) written with the output a = f(z): σ' = a(1 − a); ReLU' = 1 where a > 0."""
    return a * (1.0 - a) if activation == "sigmoid" else (a > 0).astype(a.dtype)


def forward(layers: list[Layer], x: np.ndarray, activation: str = "sigmoid") -> list[np.ndarray]:
    """[x, a1, …, a_{L−1}, logits]."""
    outs = [x]
    for i, (W, c) in enumerate(layers):
        z = outs[-1] @ W.T + c
        outs.append(z if i == len(layers) - 1 else _act(z, activation))
    return outs


def softmax(z: np.ndarray) -> np.ndarray:
    e = np.exp(z - z.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def cross_entropy(logits: np.ndarray, y: np.ndarray) -> float:
    z = logits - logits.max(axis=1, keepdims=True)
    logp = z - np.log(np.exp(z).sum(axis=1, keepdims=True))
    return float(-np.mean(logp[np.arange(len(y)), y]))


def gradients(layers: list[Layer], x: np.ndarray, y: np.ndarray, activation: str = "sigmoid",
              down_to: int = 0) -> tuple[float, list[Layer | None]]:
    """The mean cross-entropy and ∂/∂(W, c) of every layer from the top down to `down_to`
    (layers below get None: frozen layers need no gradient)."""
    outs = forward(layers, x, activation)
    p = softmax(outs[-1])
    p[np.arange(len(y)), y] -= 1.0
    delta = p / len(y)  # ∂loss/∂logits
    grads: list[Layer | None] = [None] * len(layers)
    for i in range(len(layers) - 1, down_to - 1, -1):
        a = outs[i]
        grads[i] = (delta.T @ a, delta.sum(axis=0))
        if i > down_to:
            delta = (delta @ layers[i][0]) * _act_grad(a, activation)
    return cross_entropy(outs[-1], y), grads


def predict(layers: list[Layer], x: np.ndarray, activation: str = "sigmoid") -> np.ndarray:
    return forward(layers, x, activation)[-1].argmax(axis=1)


def error(layers: list[Layer], x: np.ndarray, y: np.ndarray, activation: str = "sigmoid") -> float:
    """Fraction of rows classified wrongly."""
    return float(np.mean(predict(layers, x, activation) != y)) if len(y) else math.nan


def errors(layers: list[Layer], data, activation: str = "sigmoid") -> tuple[float, float, float]:
    return tuple(error(layers, p.x, p.y, activation) for p in (data.train, data.valid, data.test))  # type: ignore[return-value]


# --- update rules ---------------------------------------------------------------

@dataclass(frozen=True)
class Fit:
    """How supervised training is done: the 2007 way (SGD) or the modern one (Adam)."""

    lr: float = 0.1
    batch: int = 10
    optimizer: str = "sgd"
    frozen: int = 0  # the first `frozen` layers keep their weights, bit for bit


@dataclass
class Optimizer:
    """SGD: θ ← θ − α g.  Adam (as torch.optim.Adam): m ← β1 m + (1 − β1) g,
    v ← β2 v + (1 − β2) g², θ ← θ − α m̂ / (√v̂ + ε), with m̂, v̂ the bias-corrected moments."""

    fit: Fit
    beta1: float = 0.9
    beta2: float = 0.999
    eps: float = 1e-8
    t: int = 0
    moments: dict = field(default_factory=dict)

    def update(self, layers: list[Layer], grads: list[Layer | None]) -> list[Layer]:
        self.t += 1
        out = list(layers)
        for i in range(self.fit.frozen, len(layers)):
            g = grads[i]
            out[i] = tuple(self._one((i, j), p, gp) for j, (p, gp) in enumerate(zip(layers[i], g)))  # type: ignore[arg-type]
        return out

    def _one(self, key, p: np.ndarray, g: np.ndarray) -> np.ndarray:
        lr = self.fit.lr
        if self.fit.optimizer == "sgd":
            return p - lr * g
        m, v = self.moments.get(key, (np.zeros_like(p), np.zeros_like(p)))
        m = self.beta1 * m + (1 - self.beta1) * g
        v = self.beta2 * v + (1 - self.beta2) * g * g
        self.moments[key] = (m, v)
        bc1, bc2 = 1 - self.beta1 ** self.t, 1 - self.beta2 ** self.t
        return p - (lr / bc1) * m / (np.sqrt(v) / math.sqrt(bc2) + self.eps)


def train_epoch(layers: list[Layer], opt: Optimizer, x: np.ndarray, y: np.ndarray, activation: str,
                rng: np.random.Generator) -> tuple[list[Layer], float]:
    """One epoch of minibatch steps; returns the new layers and the mean loss."""
    total = 0.0
    for rows in batches(len(y), opt.fit.batch, rng):
        loss, grads = gradients(layers, x[rows], y[rows], activation, opt.fit.frozen)
        layers = opt.update(layers, grads)
        total += loss * len(rows)
    return layers, total / len(y)


def fit(layers: list[Layer], data, how: Fit, epochs: int, activation: str,
        rng: np.random.Generator) -> Iterator[tuple[int, list[Layer], float, tuple[float, float, float]]]:
    """Train on data.train for `epochs`; yield (epoch, layers, loss, (train, valid, test) errors)."""
    opt = Optimizer(how)
    for e in range(1, epochs + 1):
        layers, loss = train_epoch(layers, opt, data.train.x, data.train.y, activation, rng)
        yield e, layers, loss, errors(layers, data, activation)


@dataclass
class Best:
    """The errors at the epoch with the lowest validation error (early stopping, as in 2007)."""

    epoch: int = -1
    train: float = math.nan
    valid: float = math.inf
    test: float = math.nan

    def offer(self, epoch: int, errs: tuple[float, float, float]) -> None:
        if errs[1] < self.valid:
            self.epoch, (self.train, self.valid, self.test) = epoch, errs


def change_norms(before: list[Layer], after: list[Layer]) -> list[float]:
    """‖θ_after − θ_before‖ (Frobenius, weights and biases together) for each layer."""
    return [float(math.sqrt(np.sum((Wa - Wb) ** 2) + np.sum((ca - cb) ** 2)))
            for (Wb, cb), (Wa, ca) in zip(before, after)]


def weight_norms(grads: list[Layer]) -> list[float]:
    """‖∂L/∂W‖ per layer (the weights only, as gradient-dilution plots show them)."""
    return [float(np.linalg.norm(g[0])) for g in grads]
