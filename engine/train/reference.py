"""The independent reference: the same network in torch (float64), gradients by autograd.

Each layer is torch's own operation (F.conv2d, F.max_pool2d, F.batch_norm, F.linear, …),
fed the very tensors our numpy pass used (the weights, the image, the dropout masks), and
`loss.backward()` computes every gradient. `check` compares them with ours and returns the
one check record every frame that shows a gradient carries.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..core.check import max_diff, record
from .forward import EPS

# Float64 on both sides: the two differ only by the order of additions, ~1e-15 relative.
TOLERANCE = 1e-9


def autograd(layers, weights, x: np.ndarray, y: np.ndarray, caches) -> list[dict[str, Any]]:
    """Per layer, as backward.backward returns it: ∂L/∂input and the parameter gradients, by autograd,
    for a pass in training mode (batch statistics; the dropout masks our pass drew, read from `caches`)."""
    import torch
    import torch.nn.functional as F

    t = lambda a: torch.tensor(np.asarray(a), dtype=torch.float64)
    params = {name: {k: t(v).requires_grad_() for k, v in ws.items()} for name, ws in weights.items()}
    h = t(x).requires_grad_()
    inputs = [h]
    for layer, cache in zip(layers, caches):
        kind, ps = layer["kind"], params.get(layer["name"], {})
        if kind == "conv":
            h = F.conv2d(h, ps["weight"], ps.get("bias"), layer["stride"], layer["padding"], groups=layer["groups"])
        elif kind == "pool" and layer["pool"] == "adaptive_avg":
            h = F.adaptive_avg_pool2d(h, tuple(layer["output"]))
        elif kind == "pool":
            op = F.max_pool2d if layer["pool"] == "max" else F.avg_pool2d
            h = op(h, layer["size"], layer["stride"], layer["padding"])
        elif kind == "relu":
            h = F.relu(h)
        elif kind == "sigmoid":
            h = torch.sigmoid(h)
        elif kind == "softmax":
            if layer is layers[-1]:
                break  # the loss reads the logits: F.cross_entropy = softmax + negative log-likelihood
            h = F.softmax(h, dim=1)
        elif kind == "batchnorm":  # training mode: the batch's own statistics, as our pass used
            h = F.batch_norm(h, None, None, ps["weight"], ps["bias"], training=True, eps=EPS)
        elif kind == "dropout":
            h = h * t(cache)  # the same mask our pass drew
        elif kind == "flatten":
            h = h.flatten(1)
        elif kind == "fc":
            h = F.linear(h.flatten(1), ps["weight"], ps.get("bias"))
        h.retain_grad()
        inputs.append(h)
    loss = F.cross_entropy(h, torch.as_tensor(y, dtype=torch.long))
    loss.backward()
    out = []
    for i, layer in enumerate(layers):
        ps = params.get(layer["name"], {})
        d_in = inputs[i].grad
        out.append({"d_in": d_in.numpy() if d_in is not None else None,
                    "grads": {k: v.grad.numpy() for k, v in ps.items() if v.grad is not None}})
    return out


def compare(ours: list[dict[str, Any]], ref: list[dict[str, Any]], which: range | None = None) -> float:
    """The largest difference over the chosen layers' ∂L/∂input and parameter gradients."""
    worst = 0.0
    for i in which if which is not None else range(len(ours)):
        a, b = ours[i], ref[i]
        if a.get("d_in") is not None and b.get("d_in") is not None:
            worst = max(worst, max_diff(a["d_in"], b["d_in"]))
        for k, g in a.get("grads", {}).items():
            worst = max(worst, max_diff(g, b["grads"].get(k)))
    return worst


def check(ours, ref, which: range | None = None) -> dict[str, Any]:
    """The frame's check record: our backward formulas against autograd."""
    return record("autograd", compare(ours, ref, which), TOLERANCE)
