"""A sparse autoencoder (UFLDL's), in numpy float64 with its backward pass written out.

    a = f(W x + b)                 the hidden code (f = σ), W is [hidden][visible]
    x̂ = f(V a + d)                 the reconstruction, V is [visible][hidden]
    J = reconstruction + β Σ_j KL(ρ ‖ ρ̂_j) + (λ/2)(‖W‖² + ‖V‖²)
    ρ̂_j = (1/m) Σ_n a_j(x_n)       each unit's mean activation over the batch
    KL(ρ ‖ ρ̂) = ρ ln(ρ/ρ̂) + (1 − ρ) ln((1 − ρ)/(1 − ρ̂))

The reconstruction is (1/m) Σ ½‖x̂ − x‖² ("squared") or the cross-entropy
−(1/m) Σ [x ln x̂ + (1 − x) ln(1 − x̂)] (the 2007 auto-associator). The sparsity term adds
β(−ρ/ρ̂_j + (1 − ρ)/(1 − ρ̂_j))/m to every example's hidden error before f'(z): that is the
one line a plain autoencoder does not have.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .rbm import batches, sigmoid

LOSSES = ("squared", "cross-entropy")
EPS = 1e-12  # keeps ln away from 0 in the cross-entropy and KL when a unit saturates


@dataclass(frozen=True)
class AE:
    W: np.ndarray  # encoder [hidden][visible]
    b: np.ndarray  # [hidden]
    V: np.ndarray  # decoder [visible][hidden]
    d: np.ndarray  # [visible]


@dataclass(frozen=True)
class Settings:
    beta: float = 0.0  # sparsity weight β
    rho: float = 0.05  # target mean activation ρ
    decay: float = 0.0  # weight decay λ
    loss: str = "squared"


def init(visible: int, hidden: int, rng: np.random.Generator) -> AE:
    """UFLDL's: W, V uniform in ±√6/√(visible + hidden + 1), zero biases."""
    r = np.sqrt(6.0 / (visible + hidden + 1))
    return AE(rng.uniform(-r, r, (hidden, visible)), np.zeros(hidden), rng.uniform(-r, r, (visible, hidden)),
              np.zeros(visible))


def encode(ae: AE, x: np.ndarray) -> np.ndarray:
    return sigmoid(x @ ae.W.T + ae.b)


def decode(ae: AE, a: np.ndarray) -> np.ndarray:
    return sigmoid(a @ ae.V.T + ae.d)


def kl(rho: float, rho_hat: np.ndarray) -> np.ndarray:
    """KL(ρ ‖ ρ̂_j) per unit."""
    q = np.clip(rho_hat, EPS, 1 - EPS)
    return rho * np.log(rho / q) + (1 - rho) * np.log((1 - rho) / (1 - q))


def reconstruction_loss(x: np.ndarray, xh: np.ndarray, loss: str) -> float:
    m = len(x)
    if loss == "squared":
        return float(0.5 * np.sum((xh - x) ** 2) / m)
    q = np.clip(xh, EPS, 1 - EPS)
    return float(-np.sum(x * np.log(q) + (1 - x) * np.log(1 - q)) / m)


@dataclass(frozen=True)
class Pass:
    """One forward and backward pass over a batch: every part of J and every gradient."""

    a: np.ndarray
    xh: np.ndarray
    rho_hat: np.ndarray
    kl: np.ndarray
    recon: float
    sparsity: float
    decay: float
    grads: AE

    @property
    def loss(self) -> float:
        return self.recon + self.sparsity + self.decay


def forward_backward(ae: AE, x: np.ndarray, s: Settings) -> Pass:
    m = len(x)
    a = encode(ae, x)
    xh = decode(ae, a)
    rho_hat = a.mean(axis=0)
    kls = kl(s.rho, rho_hat)
    # Output error: for σ with cross-entropy the f' cancels; for squared error it stays.
    d2 = (xh - x) / m if s.loss == "cross-entropy" else (xh - x) * xh * (1 - xh) / m
    q = np.clip(rho_hat, EPS, 1 - EPS)
    sparse = s.beta * (-s.rho / q + (1 - s.rho) / (1 - q)) / m
    d1 = (d2 @ ae.V + sparse) * a * (1 - a)
    grads = AE(d1.T @ x + s.decay * ae.W, d1.sum(axis=0), d2.T @ a + s.decay * ae.V, d2.sum(axis=0))
    decay = 0.5 * s.decay * float(np.sum(ae.W ** 2) + np.sum(ae.V ** 2))
    return Pass(a, xh, rho_hat, kls, reconstruction_loss(x, xh, s.loss), s.beta * float(kls.sum()), decay, grads)


def step(ae: AE, g: AE, lr: float) -> AE:
    return AE(ae.W - lr * g.W, ae.b - lr * g.b, ae.V - lr * g.V, ae.d - lr * g.d)


def epoch(ae: AE, data: np.ndarray, s: Settings, lr: float, batch: int, rng: np.random.Generator) -> AE:
    for rows in batches(len(data), batch, rng):
        ae = step(ae, forward_backward(ae, data[rows], s).grads, lr)
    return ae


def reconstruct(stack: list[AE], x: np.ndarray) -> np.ndarray:
    """Up through every encoder, then down through every decoder."""
    for ae in stack:
        x = encode(ae, x)
    for ae in reversed(stack):
        x = decode(ae, x)
    return x
