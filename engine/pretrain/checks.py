"""The lab's own numbers checked as it runs, against an independent computation: torch's
autograd for every hand-written gradient, the other way round for a partition function.
Each returns the one check record (engine.core.check.record) a frame carries."""

from __future__ import annotations

import numpy as np

from . import autoencoder as A
from . import net as N
from . import rbm as R
from ..core.check import max_diff, record

TOLERANCE = 1e-9
# Both sums of the partition function are done only while each has at most this many states.
BOTH_WAYS = 2 ** 14


def log_partition(rbm: R.RBM) -> dict | None:
    """ln Z summed over the hidden states against ln Z summed over the visible ones."""
    if max(rbm.visible, rbm.hidden) > 14:
        return None
    diff = abs(R.log_partition_hidden(rbm) - R.log_partition_visible(rbm))
    return record("ln Z summed over every visible state", diff, TOLERANCE)


def _tensors(*arrays: np.ndarray, grad: bool = True):
    import torch

    return [torch.tensor(a, dtype=torch.float64, requires_grad=grad) for a in arrays]


def cd_gradient(rbm: R.RBM, chain: R.Chain, g: R.Gradient) -> dict:
    """CD-k's statistics are the free-energy gradient at the chain's end minus the one at the
    data: ∇θ [mean F(x_k) − mean F(x_0)], by autograd."""
    import torch  # noqa: F401  (the package before its submodule: see tui_lab/warm.py)
    import torch.nn.functional as F

    W, b, c = _tensors(rbm.W, rbm.b, rbm.c)
    x0, xk = _tensors(chain.x0, chain.xk, grad=False)

    def free(x):
        return -(x @ b) - F.softplus(x @ W.T + c).sum(dim=1)

    (free(xk).mean() - free(x0).mean()).backward()
    diff = max(max_diff(g.W, W.grad), max_diff(g.b, b.grad), max_diff(g.c, c.grad))
    return record("autograd: ∇F(x_k) − ∇F(x_0)", diff, TOLERANCE)


def sparse_autoencoder(ae: A.AE, x: np.ndarray, s: A.Settings, result: A.Pass) -> dict:
    """The hand-written backward pass (sparsity term included) against autograd of J."""
    import torch

    W, b, V, d = _tensors(ae.W, ae.b, ae.V, ae.d)
    xt = _tensors(x, grad=False)[0]
    a = torch.sigmoid(xt @ W.T + b)
    xh = torch.sigmoid(a @ V.T + d)
    m = len(x)
    if s.loss == "squared":
        recon = 0.5 * ((xh - xt) ** 2).sum() / m
    else:
        q = xh.clamp(A.EPS, 1 - A.EPS)
        recon = -(xt * q.log() + (1 - xt) * (1 - q).log()).sum() / m
    rho_hat = a.mean(dim=0).clamp(A.EPS, 1 - A.EPS)
    kl = s.rho * torch.log(s.rho / rho_hat) + (1 - s.rho) * torch.log((1 - s.rho) / (1 - rho_hat))
    J = recon + s.beta * kl.sum() + 0.5 * s.decay * ((W ** 2).sum() + (V ** 2).sum())
    J.backward()
    g = result.grads
    diff = max(abs(float(J.detach()) - result.loss), max_diff(g.W, W.grad), max_diff(g.b, b.grad), max_diff(g.V, V.grad),
               max_diff(g.d, d.grad))
    return record("autograd of J (reconstruction + β Σ KL)", diff, TOLERANCE)


def backprop(layers: list[N.Layer], x: np.ndarray, y: np.ndarray, activation: str,
             grads: list[N.Layer]) -> dict:
    """Backpropagation written out against autograd of the same cross-entropy; the gradients
    shrink to 1e-8 and below in deep σ nets, so the tolerance is relative to each layer's norm."""
    import torch
    import torch.nn.functional as F

    params = _tensors(*[a for layer in layers for a in layer])
    h = _tensors(x, grad=False)[0]
    for i in range(len(layers)):
        h = h @ params[2 * i].T + params[2 * i + 1]
        if i < len(layers) - 1:
            h = torch.sigmoid(h) if activation == "sigmoid" else torch.relu(h)
    F.cross_entropy(h, torch.from_numpy(y)).backward()
    worst = 0.0
    for i, (gW, gc) in enumerate(grads):
        scale = max(float(np.linalg.norm(gW)), 1e-300)
        worst = max(worst, max_diff(gW, params[2 * i].grad) / scale, max_diff(gc, params[2 * i + 1].grad) / scale)
    return record("autograd (relative to each layer's ‖∂L/∂W‖)", worst, TOLERANCE)
