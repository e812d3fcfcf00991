"""Backpropagation in numpy, one short function per layer kind, micrograd style.

Each `<kind>(dout, cache, layer)` takes ∂L/∂(the layer's output) and the cache its forward
function kept (engine/train/forward.py), and returns ∂L/∂(its input) and the gradients of
its own parameters. These are the gradients the lab shows; reference.py checks every one
of them against torch autograd on the same tensors.

The loss enters through the softmax that ends every network: with cross-entropy on top,
∂L/∂z = (p − onehot(y))/N for the softmax's input z (the logits), the one place where two
layers' formulas are used together, because p − y is exact where −1/p_y would overflow.
"""

from __future__ import annotations

from typing import Any, Callable

import numpy as np

from .forward import adaptive_cells


def conv(dout, cache, layer):
    shape, win, w = cache  # (N, C, H, W), (N, C, OH, OW, k, k), (F, C/g, k, k)
    g, s, p, k = layer["groups"], layer["stride"], layer["padding"], layer["size"]
    cg, fg = shape[1] // g, w.shape[0] // g
    # ∂L/∂w[f,c,a,b] = Σ_{n,i,j} ∂L/∂y[n,f,i,j] · x[n,c,i·s+a,j·s+b]
    dw = np.concatenate([np.einsum("nfij,ncijab->fcab", dout[:, i * fg:(i + 1) * fg], win[:, i * cg:(i + 1) * cg])
                         for i in range(g)], axis=0)
    grads = {"weight": dw}
    if layer["bias"]:
        grads["bias"] = dout.sum(axis=(0, 2, 3))
    # Each input cell receives, from every window that read it, that window's ∂L/∂y times the tap's weight.
    n, _, h, wd = shape
    oh, ow = dout.shape[2:]
    dxp = np.zeros((n, shape[1], h + 2 * p, wd + 2 * p))
    for i in range(g):
        d, wg = dout[:, i * fg:(i + 1) * fg], w[i * fg:(i + 1) * fg]
        for a in range(k):
            for b in range(k):
                dxp[:, i * cg:(i + 1) * cg, a:a + s * (oh - 1) + 1:s, b:b + s * (ow - 1) + 1:s] += \
                    np.einsum("nfij,fc->ncij", d, wg[:, :, a, b])
    return dxp[:, :, p:p + h, p:p + wd], grads


def pool(dout, cache, layer):
    if layer["pool"] == "adaptive_avg":
        return adaptive_avg(dout, cache), {}
    shape, arg = cache
    k, s, p = layer["size"], layer["stride"], layer["padding"]
    n, c, h, w = shape
    oh, ow = dout.shape[2:]
    dxp = np.zeros((n, c, h + 2 * p, w + 2 * p))
    for a in range(k):
        for b in range(k):
            # Max: only the window's (first) maximum receives the gradient; average: every tap gets 1/k².
            share = dout * (arg == a * k + b) if arg is not None else dout / (k * k)
            dxp[:, :, a:a + s * (oh - 1) + 1:s, b:b + s * (ow - 1) + 1:s] += share
    return dxp[:, :, p:p + h, p:p + w], {}


def adaptive_avg(dout, shape):
    dx = np.zeros(shape)
    rows, cols = adaptive_cells(shape[2], dout.shape[2]), adaptive_cells(shape[3], dout.shape[3])
    for i, (r0, r1) in enumerate(rows):
        for j, (c0, c1) in enumerate(cols):
            dx[:, :, r0:r1, c0:c1] += dout[:, :, i:i + 1, j:j + 1] / ((r1 - r0) * (c1 - c0))
    return dx


def relu(dout, out, layer):
    return dout * (out > 0), {}  # max(0, x)' = 1 where x > 0, else 0


def sigmoid(dout, out, layer):
    return dout * out * (1.0 - out), {}  # σ' = σ(1 − σ) ≤ 1/4: the dilution's factor


def softmax(dout, out, layer):
    # ∂L/∂z_i = p_i (∂L/∂p_i − Σ_j ∂L/∂p_j p_j)
    return out * (dout - (dout * out).sum(axis=1, keepdims=True)), {}


def batchnorm(dout, cache, layer):
    xhat, inv, axes, shape, gamma, train = cache
    grads = {"weight": (dout * xhat).sum(axis=axes), "bias": dout.sum(axis=axes)}
    dxhat = dout * gamma.reshape(shape)
    if not train:  # fixed statistics: a plain scale
        return dxhat * inv.reshape(shape), grads
    m = dout.size // dout.shape[1]
    # The batch mean and variance depend on every x too: the two sums remove their share.
    dx = (inv.reshape(shape) / m) * (m * dxhat - dxhat.sum(axis=axes, keepdims=True)
                                     - xhat * (dxhat * xhat).sum(axis=axes, keepdims=True))
    return dx, grads


def dropout(dout, mask, layer):
    return dout * mask, {}


def flatten(dout, shape, layer):
    return dout.reshape(shape), {}


def fc(dout, cache, layer):
    shape, x2, w = cache
    grads = {"weight": dout.T @ x2}  # ∂L/∂W[k,j] = Σ_n ∂L/∂z[n,k] · x[n,j]
    if layer["bias"]:
        grads["bias"] = dout.sum(axis=0)
    return (dout @ w).reshape(shape), grads


BACKWARD: dict[str, Callable[..., tuple[np.ndarray, dict[str, np.ndarray]]]] = {
    "conv": conv, "pool": pool, "relu": relu, "sigmoid": sigmoid, "softmax": softmax, "batchnorm": batchnorm,
    "dropout": dropout, "flatten": flatten, "fc": fc,
}


def loss_gradient(probs: np.ndarray, y: np.ndarray) -> np.ndarray:
    """∂L/∂z for the final softmax's input, with L the mean cross-entropy: (p − onehot(y))/N."""
    d = probs.copy()
    d[np.arange(len(y)), y] -= 1.0
    return d / len(y)


def backward(layers, caches, probs: np.ndarray, y: np.ndarray) -> list[dict[str, Any]]:
    """Every layer's gradients, last layer first: [{"d_in": ∂L/∂input, "grads": {...}}] in layer order.

    The final softmax passes (p − y)/N straight to its input (see the module's docstring).
    """
    out: list[dict[str, Any]] = [{} for _ in layers]
    d = loss_gradient(probs, y)
    out[-1] = {"d_in": d, "grads": {}}
    for i in range(len(layers) - 2, -1, -1):
        d, grads = BACKWARD[layers[i]["kind"]](d, caches[i], layers[i])
        out[i] = {"d_in": d, "grads": grads}
    return out
