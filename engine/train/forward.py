"""The forward pass in numpy, one short function per layer kind (float64).

Each `<kind>(x, layer, params, ctx)` returns (out, cache): the cache holds what that
kind's backward formula needs (engine/train/backward.py). Shapes are (N, C, H, W) for
volumes and (N, D) for vectors, as PyTorch writes them. `ctx` carries the mode (training
or evaluation), the dropout masks' generator and batch norm's running statistics.

Every function does what the matching torch operation does (F.conv2d, F.max_pool2d,
F.batch_norm, …), so reference.py can check our gradients against autograd number for number.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

EPS = 1e-5  # batch norm's ε, torch's default
MOMENTUM = 0.1  # batch norm's running-statistics momentum, torch's default


@dataclass
class Context:
    """How a forward pass runs: training (batch statistics, dropout) or evaluation."""

    train: bool = True
    rng: np.random.Generator | None = None
    running: dict[str, dict[str, np.ndarray]] = field(default_factory=dict)  # batch norm: name -> mean, var
    update_running: bool = False


def windows(x: np.ndarray, k: int, s: int, p: int, fill: float = 0.0) -> np.ndarray:
    """(N, C, H, W) -> (N, C, OH, OW, k, k): every k×k window at stride s over the padded input."""
    xp = np.pad(x, ((0, 0), (0, 0), (p, p), (p, p)), constant_values=fill)
    return sliding_window_view(xp, (k, k), axis=(2, 3))[:, :, ::s, ::s]


def conv(x, layer, params, ctx):
    w, b = params["weight"], params.get("bias")  # (F, C/g, k, k), (F,)
    g, s, p = layer["groups"], layer["stride"], layer["padding"]
    win = windows(x, layer["size"], s, p)  # (N, C, OH, OW, k, k)
    cg, fg = x.shape[1] // g, w.shape[0] // g
    out = np.concatenate([np.einsum("ncijab,fcab->nfij", win[:, i * cg:(i + 1) * cg], w[i * fg:(i + 1) * fg])
                          for i in range(g)], axis=1)  # (N, F, OH, OW)
    if b is not None:
        out = out + b[None, :, None, None]
    return out, (x.shape, win, w)


def pool(x, layer, params, ctx):
    if layer["pool"] == "adaptive_avg":
        return adaptive_avg(x, layer["output"]), x.shape
    k, s, p = layer["size"], layer["stride"], layer["padding"]
    if layer["pool"] == "max":
        win = windows(x, k, s, p, fill=-np.inf)
        flat = win.reshape(*win.shape[:4], k * k)
        arg = flat.argmax(axis=-1)  # the first maximum, as torch routes ties
        return np.take_along_axis(flat, arg[..., None], -1)[..., 0], (x.shape, arg)
    # Average pooling counts the zero padding in the mean (torch's count_include_pad=True).
    return windows(x, k, s, p).mean(axis=(-1, -2)), (x.shape, None)


def adaptive_cells(n: int, out: int) -> list[tuple[int, int]]:
    """torch's adaptive pooling windows: [floor(i·n/out), ceil((i+1)·n/out)) for each output i."""
    return [(i * n // out, -(-(i + 1) * n // out)) for i in range(out)]


def adaptive_avg(x: np.ndarray, output: list[int]) -> np.ndarray:
    rows, cols = adaptive_cells(x.shape[2], output[0]), adaptive_cells(x.shape[3], output[1])
    out = np.empty(x.shape[:2] + (len(rows), len(cols)))
    for i, (r0, r1) in enumerate(rows):
        for j, (c0, c1) in enumerate(cols):
            out[:, :, i, j] = x[:, :, r0:r1, c0:c1].mean(axis=(2, 3))
    return out


def relu(x, layer, params, ctx):
    out = np.maximum(x, 0.0)
    return out, out


def sigmoid(x, layer, params, ctx):
    out = np.exp(-np.logaddexp(0.0, -x))  # 1/(1 + e^−x) without overflow for large |x|
    return out, out


def softmax(x, layer, params, ctx):
    z = x - x.max(axis=1, keepdims=True)
    e = np.exp(z)
    out = e / e.sum(axis=1, keepdims=True)
    return out, out


def batchnorm(x, layer, params, ctx):
    axes = (0, 2, 3) if x.ndim == 4 else (0,)
    shape = (1, -1, 1, 1) if x.ndim == 4 else (1, -1)
    stats = ctx.running.get(layer["name"])
    if ctx.train:
        mean, var = x.mean(axis=axes), x.var(axis=axes)  # biased, as the normalisation uses
        if ctx.update_running and stats is not None:
            m = x.size // x.shape[1]
            stats["mean"] = (1 - MOMENTUM) * stats["mean"] + MOMENTUM * mean
            stats["var"] = (1 - MOMENTUM) * stats["var"] + MOMENTUM * var * m / max(m - 1, 1)  # unbiased
    else:
        mean, var = stats["mean"], stats["var"]
    inv = 1.0 / np.sqrt(var + EPS)
    xhat = (x - mean.reshape(shape)) * inv.reshape(shape)
    out = xhat * params["weight"].reshape(shape) + params["bias"].reshape(shape)
    return out, (xhat, inv, axes, shape, params["weight"], ctx.train)


def dropout(x, layer, params, ctx):
    p = layer["p"]
    if not ctx.train or p == 0:
        return x, np.ones_like(x)
    keep = ctx.rng.random(x.shape) >= p
    mask = keep / (1.0 - p) if p < 1 else np.zeros_like(x)  # survivors scaled by 1/(1 − p), as torch does
    return x * mask, mask


def flatten(x, layer, params, ctx):
    return x.reshape(x.shape[0], -1), x.shape


def fc(x, layer, params, ctx):
    x2 = x.reshape(x.shape[0], -1)  # an fc on a volume flattens first
    out = x2 @ params["weight"].T
    if "bias" in params:
        out = out + params["bias"]
    return out, (x.shape, x2, params["weight"])


FORWARD: dict[str, Callable[..., tuple[np.ndarray, Any]]] = {
    "conv": conv, "pool": pool, "relu": relu, "sigmoid": sigmoid, "softmax": softmax, "batchnorm": batchnorm,
    "dropout": dropout, "flatten": flatten, "fc": fc,
}


def forward(layers, weights, x: np.ndarray, ctx: Context) -> tuple[list[np.ndarray], list[Any]]:
    """Run every layer: the inputs seen by each layer (inputs[0] = x, inputs[-1] = the output) and the caches."""
    inputs, caches = [x], []
    for layer in layers:
        out, cache = FORWARD[layer["kind"]](inputs[-1], layer, weights.get(layer["name"], {}), ctx)
        inputs.append(out)
        caches.append(cache)
    return inputs, caches


def log_softmax(z: np.ndarray) -> np.ndarray:
    """log p = z − log Σ e^z, stable for large logits."""
    m = z.max(axis=1, keepdims=True)
    return z - m - np.log(np.exp(z - m).sum(axis=1, keepdims=True))


def cross_entropy(logits: np.ndarray, y: np.ndarray) -> float:
    """L = −(1/N) Σ_n ln p_n[y_n], from the logits (the input of the final softmax)."""
    return float(-log_softmax(logits)[np.arange(len(y)), y].mean())
