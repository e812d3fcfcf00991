"""One weight's gradient written out as the chain rule, with the numbers in.

For a weight w of layer i, ∂L/∂w is a sum over everything w touched: one term for an fc
weight and a single image, one term per position for a conv weight. Each term is
δ · x, where δ = ∂L/∂(the layer's output) at that position came back from the layers
above; `path` follows the largest term's δ up through the layers that pass it on one value
at a time (ReLU, sigmoid, pooling, dropout, flatten), each contributing one factor, to the
first layer that mixes values (fc, conv, batch norm, softmax), where it is a sum.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..core.fmt import factor, num

SHOWN_TERMS = 4


def _idx(index) -> str:
    return "[" + ",".join(str(int(i)) for i in index) + "]"


def pick(grad: np.ndarray) -> tuple[int, ...]:
    """The weight with the largest |gradient| (the first such, so the choice is reproducible)."""
    return tuple(int(i) for i in np.unravel_index(int(np.argmax(np.abs(grad))), grad.shape))


def terms(layer: dict[str, Any], x: np.ndarray, d_out: np.ndarray, w_index: tuple[int, ...]) -> list[dict[str, Any]]:
    """The nonzero terms δ·x of ∂L/∂w for one image: x (C, H, W) or (D,), d_out the layer's ∂L/∂output."""
    if layer["kind"] == "fc":
        k, j = w_index
        return [{"out": [k], "delta": float(d_out[k]), "x": float(x.reshape(-1)[j]), "x_at": [j]}]
    f, c, a, b = w_index
    s, p = layer["stride"], layer["padding"]
    c_all = c + f // (d_out.shape[0] // layer["groups"]) * (x.shape[0] // layer["groups"])  # the group's channel
    out = []
    for i in range(d_out.shape[1]):
        for j in range(d_out.shape[2]):
            r, q = i * s + a - p, j * s + b - p
            xv = float(x[c_all, r, q]) if 0 <= r < x.shape[1] and 0 <= q < x.shape[2] else 0.0  # zero padding
            if d_out[f, i, j] != 0 and xv != 0:
                out.append({"out": [f, i, j], "delta": float(d_out[f, i, j]), "x": xv, "x_at": [c_all, r, q]})
    return out


def formula(name: str, layer: dict[str, Any], w_index, ts: list[dict[str, Any]], grad: float, positions: int) -> str:
    """∂L/∂w = Σ δ·x = δ₁·x₁ + … = value."""
    head = f"∂L/∂{name}.w{_idx(w_index)}"
    shown = " + ".join(f"{factor(t['delta'])}·{factor(t['x'])}" for t in ts[:SHOWN_TERMS])
    more = f" + … ({len(ts)} of {positions} terms nonzero)" if len(ts) > SHOWN_TERMS else ""
    if layer["kind"] == "fc":
        k, j = w_index
        return f"{head} = ∂L/∂z{_idx([k])} · x{_idx([j])} = {shown or '0'} = {num(grad)}"
    f = w_index[0]
    if not ts:
        return f"{head} = Σ_ij δ[{f},i,j]·x[i+a,j+b] = 0 (no position has both δ and x nonzero)"
    return f"{head} = Σ_ij ∂L/∂z[{f},i,j]·x[…] = {shown}{more} = {num(grad)}"


def path(layers, i: int, out_index: tuple[int, ...], ins: list[np.ndarray], caches, back) -> list[dict[str, Any]]:
    """δ at `out_index` of layer i's output, followed upward: [{layer, factor, why, at}] and a last
    {layer, value, why} where a layer mixes values. ins/back are for one image (batch index 0)."""
    steps: list[dict[str, Any]] = []
    pos = tuple(out_index)
    for j in range(i + 1, len(layers)):
        layer, kind = layers[j], layers[j]["kind"]
        name = layer["name"]
        if kind == "relu":
            on = ins[j + 1][0][pos] > 0
            steps.append({"layer": name, "factor": 1.0 if on else 0.0, "at": list(pos),
                          "why": f"{name}: x = {num(ins[j][0][pos])} {'> 0, passes' if on else '≤ 0, blocks'}"})
        elif kind == "sigmoid":
            s = ins[j + 1][0][pos]
            steps.append({"layer": name, "factor": float(s * (1 - s)), "at": list(pos),
                          "why": f"{name}: σ(1 − σ) = {num(s)}·{num(1 - s)}"})
        elif kind == "dropout":
            m = caches[j][0][pos]
            steps.append({"layer": name, "factor": float(m), "at": list(pos),
                          "why": f"{name}: {'kept, ×' + num(m) if m else 'dropped'}"})
        elif kind == "flatten":
            flat = int(np.ravel_multi_index(pos, ins[j].shape[1:]))
            steps.append({"layer": name, "factor": 1.0, "at": list(pos), "why": f"{name}: position {flat}"})
            pos = (flat,)
        elif kind == "pool" and layer["pool"] != "adaptive_avg" and len(pos) == 3:
            hit = _pool_window(layer, pos, caches[j][1], ins[j + 1].shape[2:])
            if hit is None:
                break  # in several windows: the sum below says it
            window, share = hit
            why = (f"{name}: the largest in its window → {_idx(window)}" if layer["pool"] == "max" and share
                   else f"{name}: not the largest in its window, gets 0" if layer["pool"] == "max"
                   else f"{name}: 1/{layer['size'] ** 2} of its window's mean")
            steps.append({"layer": name, "factor": share, "at": list(pos), "why": why})
            pos = window
            if share == 0:
                return steps
        else:
            break
        if steps[-1]["factor"] == 0:
            return steps
    else:
        return steps
    value = back[j]["d_in"][0][pos]
    mixes = {"fc": "Σ_k ∂L/∂z[k]·W[k,·]", "conv": "Σ over the windows that read it", "softmax": "p − y",
             "batchnorm": "through the batch statistics"}.get(layers[j]["kind"], "sum over its windows")
    steps.append({"layer": layers[j]["name"], "value": float(value), "at": list(pos),
                  "why": f"∂L/∂{layers[j]['name']}.in{_idx(pos)} = {mixes} = {num(value)}"})
    return steps


def _pool_window(layer, pos, arg, out_hw) -> tuple[tuple[int, ...], float] | None:
    """The one window holding `pos` and this position's share of its gradient; None if in several."""
    c, r, q = pos
    k, s, p = layer["size"], layer["stride"], layer["padding"]
    found = [(i, j) for i in range(out_hw[0]) for j in range(out_hw[1])
             if 0 <= r + p - i * s < k and 0 <= q + p - j * s < k]
    if len(found) != 1:
        return None
    i, j = found[0]
    if layer["pool"] == "avg":
        return (c, i, j), 1.0 / (k * k)
    a, b = r + p - i * s, q + p - j * s
    return (c, i, j), 1.0 if arg[0][c, i, j] == a * k + b else 0.0


def chain(layers, i: int, ins, caches, back) -> dict[str, Any]:
    """Layer i's weight with the largest gradient, its terms, the formula and the largest term's path."""
    layer = layers[i]
    grad = back[i]["grads"]["weight"]
    w_index = pick(grad)
    d_out = back[i + 1]["d_in"][0]
    ts = terms(layer, ins[i][0], d_out, w_index)
    positions = int(np.prod(d_out.shape[1:])) if layer["kind"] == "conv" else 1
    value = float(grad[w_index])
    top = max(ts, key=lambda t: abs(t["delta"] * t["x"]), default=None)
    route = path(layers, i, tuple(top["out"]), ins, caches, back) if top else []
    return {"layer": layer["name"], "index": list(w_index), "value": value, "terms": ts[:SHOWN_TERMS * 4],
            "nonzero": len(ts), "positions": positions, "formula": formula(layer["name"], layer, w_index, ts, value, positions),
            "top": top, "path": route}
