"""A restricted Boltzmann machine exactly as the lecture writes it, in numpy float64.

    P(x, h) ∝ exp(hᵀW x + bᵀx + cᵀh)
    P(h_i = 1 | x) = σ(c_i + Σ_j W_ij x_j)        P(x_j = 1 | h) = σ(b_j + Σ_i W_ij h_i)

W is [hidden][visible] (so a row of W is one hidden unit's filter, and the same array is
the first layer of the unrolled feed-forward net), b the visible biases, c the hidden ones.
Trained by contrastive divergence: a Gibbs chain k steps down and up from the data, then
ΔW = α(⟨x hᵀ⟩_data − ⟨x hᵀ⟩_model) with the statistics taken from P(h | x) (Hinton's guide:
probabilities, not samples, for the last hidden update), which is exactly the difference of
the free-energy gradients at the data and at the chain's end.

Small RBMs (visible + hidden ≤ ENUMERABLE) get their exact log-likelihood by summing over
every hidden configuration: log Z = logsumexp_h (cᵀh + Σ_j softplus(b_j + (Wᵀh)_j)).
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import numpy as np

# visible + hidden at or below this: the partition function is summed exactly (2^min(V, H) terms)
ENUMERABLE = 20


@dataclass(frozen=True)
class RBM:
    W: np.ndarray  # [hidden][visible]
    b: np.ndarray  # [visible]
    c: np.ndarray  # [hidden]

    @property
    def visible(self) -> int:
        return self.W.shape[1]

    @property
    def hidden(self) -> int:
        return self.W.shape[0]


def sigmoid(z: np.ndarray) -> np.ndarray:
    # Written with exp of a non-positive number only, so large |z| neither overflows nor warns.
    e = np.exp(-np.abs(z))
    return np.where(z >= 0, 1.0 / (1.0 + e), e / (1.0 + e))


def softplus(z: np.ndarray) -> np.ndarray:
    """ln(1 + e^z) without overflow."""
    return np.maximum(z, 0.0) + np.log1p(np.exp(-np.abs(z)))


def init(visible: int, hidden: int, rng: np.random.Generator, scale: float = 0.01) -> RBM:
    """Small random weights (N(0, 0.01²), Hinton's practical guide), zero biases."""
    return RBM(rng.normal(0.0, scale, size=(hidden, visible)), np.zeros(visible), np.zeros(hidden))


def hidden_probs(rbm: RBM, x: np.ndarray) -> np.ndarray:
    """P(h_i = 1 | x) = σ(c_i + Σ_j W_ij x_j), for each row of x: [n][hidden]."""
    return sigmoid(x @ rbm.W.T + rbm.c)


def visible_probs(rbm: RBM, h: np.ndarray) -> np.ndarray:
    """P(x_j = 1 | h) = σ(b_j + Σ_i W_ij h_i), for each row of h: [n][visible]."""
    return sigmoid(h @ rbm.W + rbm.b)


def sample(p: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Bernoulli draws: 1 where a uniform number falls below the probability."""
    return (rng.random(p.shape) < p).astype(np.float64)


@dataclass(frozen=True)
class Chain:
    """One CD-k chain: the data, each Gibbs step's probabilities and samples, and the end."""

    x0: np.ndarray
    ph0: np.ndarray  # P(h | x0)
    h0: np.ndarray  # sampled from ph0
    px: tuple[np.ndarray, ...]  # P(x | h_{t-1}) for t = 1..k
    xs: tuple[np.ndarray, ...]  # x_t sampled from it
    ph: tuple[np.ndarray, ...]  # P(h | x_t)
    hs: tuple[np.ndarray, ...]  # h_t sampled from it (the last one is not used by the update)

    @property
    def xk(self) -> np.ndarray:
        return self.xs[-1]

    @property
    def phk(self) -> np.ndarray:
        return self.ph[-1]


def gibbs_chain(rbm: RBM, x0: np.ndarray, k: int, rng: np.random.Generator) -> Chain:
    """x0 → h0 → x1 → h1 → … → x_k: k steps down and up, every draw kept for showing."""
    ph0 = hidden_probs(rbm, x0)
    h = h0 = sample(ph0, rng)
    px, xs, ph, hs = [], [], [], []
    for _ in range(k):
        p = visible_probs(rbm, h)
        x = sample(p, rng)
        q = hidden_probs(rbm, x)
        h = sample(q, rng)
        px.append(p), xs.append(x), ph.append(q), hs.append(h)
    return Chain(x0, ph0, h0, tuple(px), tuple(xs), tuple(ph), tuple(hs))


@dataclass(frozen=True)
class Gradient:
    """The CD-k statistics and the resulting ascent direction (per example, averaged)."""

    data: np.ndarray  # ⟨x hᵀ⟩_data as [hidden][visible]
    model: np.ndarray  # ⟨x hᵀ⟩_model
    W: np.ndarray  # data − model
    b: np.ndarray
    c: np.ndarray


def cd_gradient(chain: Chain) -> Gradient:
    n = chain.x0.shape[0]
    data = chain.ph0.T @ chain.x0 / n
    model = chain.phk.T @ chain.xk / n
    return Gradient(data, model, data - model, (chain.x0 - chain.xk).mean(axis=0), (chain.ph0 - chain.phk).mean(axis=0))


def apply(rbm: RBM, g: Gradient, lr: float) -> RBM:
    """One step up the (approximate) log-likelihood: θ ← θ + α·gradient."""
    return RBM(rbm.W + lr * g.W, rbm.b + lr * g.b, rbm.c + lr * g.c)


def cd_step(rbm: RBM, x: np.ndarray, k: int, lr: float, rng: np.random.Generator) -> tuple[RBM, Chain, Gradient]:
    chain = gibbs_chain(rbm, x, k, rng)
    g = cd_gradient(chain)
    return apply(rbm, g, lr), chain, g


def batches(n: int, batch: int, rng: np.random.Generator) -> list[np.ndarray]:
    """Row indices of each minibatch of one epoch, shuffled (one batch when batch ≥ n)."""
    if batch >= n:
        return [np.arange(n)]
    order = rng.permutation(n)
    return [order[i:i + batch] for i in range(0, n, batch)]


def epoch(rbm: RBM, data: np.ndarray, k: int, lr: float, batch: int, rng: np.random.Generator) -> RBM:
    for rows in batches(len(data), batch, rng):
        rbm = cd_step(rbm, data[rows], k, lr, rng)[0]
    return rbm


def unroll(rbms: list[RBM]) -> list[tuple[np.ndarray, np.ndarray]]:
    """The stack as feed-forward layers: layer l computes σ(W^l h^{l−1} + c^l), the very W and
    c of RBM l (its visible biases b are left behind: they only serve going down)."""
    return [(m.W.copy(), m.c.copy()) for m in rbms]


# --- measuring it -----------------------------------------------------------------

def reconstruction(rbm: RBM, x: np.ndarray) -> np.ndarray:
    """Mean-field reconstruction: x → P(h | x) → P(x | h) with the probabilities themselves."""
    return visible_probs(rbm, hidden_probs(rbm, x))


def recon_error(rbm: RBM, x: np.ndarray) -> float:
    """Mean squared reconstruction error per pixel."""
    return float(np.mean((reconstruction(rbm, x) - x) ** 2))


def free_energy(rbm: RBM, x: np.ndarray) -> np.ndarray:
    """F(x) = −bᵀx − Σ_i softplus(c_i + W_i·x), so P(x) = e^{−F(x)} / Z."""
    return -x @ rbm.b - softplus(x @ rbm.W.T + rbm.c).sum(axis=1)


def binary_states(n: int) -> np.ndarray:
    """Every 0/1 vector of length n, [2^n][n]."""
    return np.array(list(itertools.product((0.0, 1.0), repeat=n))).reshape(-1, n)


def _logsumexp(a: np.ndarray) -> float:
    top = float(np.max(a))
    return top + float(np.log(np.sum(np.exp(a - top))))


def log_partition_hidden(rbm: RBM) -> float:
    """ln Z summed over every hidden state, the visible units summed out analytically."""
    h = binary_states(rbm.hidden)
    return _logsumexp(h @ rbm.c + softplus(h @ rbm.W + rbm.b).sum(axis=1))


def log_partition_visible(rbm: RBM) -> float:
    """ln Z summed over every visible state, the hidden units summed out (−F(x))."""
    return _logsumexp(-free_energy(rbm, binary_states(rbm.visible)))


def log_partition(rbm: RBM) -> float:
    """ln Z, summed over the smaller layer's 2^n states."""
    return log_partition_hidden(rbm) if rbm.hidden <= rbm.visible else log_partition_visible(rbm)


def log_likelihood(rbm: RBM, x: np.ndarray) -> float:
    """Mean exact ln P(x) over the rows of x (natural log)."""
    return float(np.mean(-free_energy(rbm, x)) - log_partition(rbm))


def enumerable(visible: int, hidden: int) -> bool:
    return visible + hidden <= ENUMERABLE


def best_log_likelihood(x: np.ndarray) -> float:
    """The most any model can reach on these rows: the mean ln p̂(x) of their own frequencies."""
    _, counts = np.unique(x, axis=0, return_counts=True)
    p = counts / counts.sum()
    return float(np.sum(p * np.log(p)))
