"""The lecture's five steps on one image, one frame each (steps 2 and 4 one frame per layer).

1 initialise the weights; 2 forward the first image, layer by layer, to the class
probabilities; 3 the error at the output (cross-entropy); 4 backpropagation, layer by layer
from the output down, one weight's gradient written out as the chain rule; 5 update that
weight (plain SGD: w ← w − η·∂L/∂w). Every gradient is ours (backward.py) and checked
against autograd (reference.py); the update against torch.optim.SGD.
"""

from __future__ import annotations

import math
from typing import Any, Iterator

import numpy as np

from ..core.check import max_diff, record
from ..core.fmt import factor, num
from ..core.fmt import shape as shape_text
from . import backward as bw
from . import forward as fw
from . import init as rules
from .chain import chain
from .reference import autograd, check

PICTURES = 8  # filters or units shown as pictures


def pictures(layers, weights) -> dict[str, Any]:
    """The first weight layer's filters as pictures: conv filters' first channel (k×k); for an fc on the
    image, each unit's 64 weights as an 8×8 picture."""
    for layer in layers:
        w = weights.get(layer["name"], {}).get("weight")
        if w is None or layer["kind"] == "batchnorm":
            continue
        if layer["kind"] == "conv":
            return {"layer": layer["name"], "maps": w[:PICTURES, 0]}
        if w.shape[1] == 64:
            return {"layer": layer["name"], "maps": w[:PICTURES].reshape(-1, 8, 8)}
        return {"layer": layer["name"], "maps": w[:PICTURES, None, :]}
    return {"layer": "", "maps": np.zeros((0, 1, 1))}


def init_rows(cfg, layers, shapes, weights) -> list[dict[str, Any]]:
    rows = []
    for layer, shape in zip(layers, shapes):
        ws = weights.get(layer["name"])
        if not ws:
            continue
        w = ws["weight"]
        rule = "γ = 1, β = 0 (batch norm starts as the identity on normalised values)"
        if layer["kind"] != "batchnorm":
            fan_in, fan_out = rules.fans(layer, shape)
            rule = rules.describe(cfg.init, fan_in, fan_out, cfg.init_std)
        rows.append({"name": layer["name"], "shape": list(w.shape), "rule": rule, "std": float(w.std()),
                     "min": float(w.min()), "max": float(w.max())})
    return rows


FORWARD_WORDS = {
    "conv": "each map is Σ w·x + b over every window",
    "pool": "each window becomes its {pool}",
    "relu": "negatives become 0",
    "sigmoid": "every value squashed into (0, 1)",
    "batchnorm": "each channel normalised, then γ·x̂ + β",
    "dropout": "training: some values zeroed, the rest scaled by 1/(1 − p)",
    "flatten": "the maps in one row",
    "fc": "every unit: Σ w·x + b over all inputs",
    "softmax": "p = e^z / Σ e^z",
}


def walkthrough(lab) -> Iterator[tuple[str, dict[str, Any]]]:
    cfg, layers, shapes = lab.cfg, lab.cfg.layers, lab.cfg.shapes
    x, y = lab.data.x_train[cfg.image:cfg.image + 1], lab.data.y_train[cfg.image:cfg.image + 1]
    label = int(y[0])
    image = x[0, 0]
    base = {"mode": "steps", "image": image, "label": label, "image_index": cfg.image}

    # Step 1
    w0 = lab.weights
    rows = init_rows(cfg, layers, shapes, w0)
    yield (f"Step 1 · initialise: {rows[0]['rule'] if rows else 'no weights'}; every bias 0" if cfg.init != "torch"
           else f"Step 1 · initialise: {rows[0]['rule']}"), \
        {**base, "phase": "init", "step": 1, "init": rows, "pictures": pictures(layers, w0)}

    # Step 2: forward, one layer per frame
    ctx = fw.Context(train=True, rng=np.random.default_rng(lab.seed))
    ins, caches = fw.forward(layers, w0, x, ctx)
    probs = ins[-1][0]
    for i, (layer, plan) in enumerate(zip(layers, cfg.plans)):
        out = ins[i + 1][0]
        words = FORWARD_WORDS[layer["kind"]].format(pool=layer.get("pool"))
        caption = f"Step 2 · forward {layer['name']}: {words} → {shape_text(plan.out_shape)}"
        values = {**base, "phase": "forward", "step": 2, "layer": i, "name": layer["name"], "kind": layer["kind"],
                  "out": out}
        if layer["kind"] == "softmax":
            best = int(np.argmax(probs))
            caption += f"; most likely {best} (p = {num(probs[best], 3)}), the label is {label}"
            values["probs"] = probs
        yield caption, values

    # Step 3: the error
    loss = fw.cross_entropy(ins[-2], y)
    p_y = float(probs[label])
    yield (f"Step 3 · error: L = −ln p[{label}] = −ln {num(p_y)} = {num(loss)} (guessing uniformly: "
           f"ln 10 = {num(math.log(10))})"), \
        {**base, "phase": "error", "step": 3, "probs": probs, "loss": loss, "p_label": p_y}

    # Step 4: backpropagation, from the output down
    back = bw.backward(layers, caches, ins[-1], y)
    ref = autograd(layers, w0, x, y, caches)
    first_chain = None
    for i in range(len(layers) - 1, -1, -1):
        layer = layers[i]
        values = {**base, "phase": "backward", "step": 4, "layer": i, "name": layer["name"], "kind": layer["kind"],
                  "d_in": back[i]["d_in"][0], "grads": dict(back[i]["grads"]), "check": check(back, ref, range(i, i + 1))}
        if layer["kind"] in ("conv", "fc"):
            values["chain"] = first_chain = chain(layers, i, ins, caches, back)
            caption = f"Step 4 · backprop {layer['name']}: {first_chain['formula']}"
        else:
            caption = f"Step 4 · backprop {layer['name']}: " + back_words(layer, back[i]["d_in"][0], probs, label)
        yield caption, values

    # Step 5: the update, plain SGD on this one image
    lr = cfg.lr
    after = {n: {k: v - lr * back[_at(layers, n)]["grads"][k] for k, v in ws.items()} for n, ws in w0.items()}
    ins2, _ = fw.forward(layers, after, x, fw.Context(train=True, rng=np.random.default_rng(lab.seed)))
    loss2 = fw.cross_entropy(ins2[-2], y)
    values = {**base, "phase": "update", "step": 5, "lr": lr, "loss_before": loss, "loss_after": loss2,
              "before": pictures(layers, w0), "after": pictures(layers, after), "check": sgd_check(layers, w0, ref, lr, after)}
    if first_chain:
        n, idx = first_chain["layer"], tuple(first_chain["index"])
        wb, g = float(w0[n]["weight"][idx]), first_chain["value"]
        wa = float(after[n]["weight"][idx])
        values["weight"] = {"layer": n, "index": list(idx), "before": wb, "grad": g, "after": wa}
        caption = (f"Step 5 · update {n}.w[{','.join(map(str, idx))}]: w ← w − η·∂L/∂w = {num(wb)} − {num(lr)}·{factor(g)} = {num(wa)}; "
                   f"loss on this image {num(loss)} → {num(loss2)}")
    else:
        caption = f"Step 5 · update every weight by w ← w − η·∂L/∂w: loss on this image {num(loss)} → {num(loss2)}"
    lab.weights = after
    yield caption, values


def _at(layers, name: str) -> int:
    return next(i for i, layer in enumerate(layers) if layer["name"] == name)


def back_words(layer, d_in: np.ndarray, probs: np.ndarray, label: int) -> str:
    kind, name = layer["kind"], layer["name"]
    if kind == "softmax":
        return (f"∂L/∂z = p − y: p[{label}] − 1 = {num(probs[label] - 1)} for the label, "
                f"p[k] for the others (softmax and cross-entropy together)")
    zero = int(np.sum(d_in == 0))
    share = f"{zero} of {d_in.size} values get 0"
    return {
        "relu": f"∂L/∂x = ∂L/∂y · 1[x > 0]: the gradient passes only where the unit was active ({share})",
        "sigmoid": "∂L/∂x = ∂L/∂y · σ(1 − σ): at most 1/4 of it passes",
        "pool": (f"each window's gradient goes to its largest input ({share})" if layer.get("pool") == "max"
                 else "each window's gradient is shared equally by its inputs"),
        "flatten": "the row of gradients reshaped back into maps",
        "dropout": "the gradient passes only through the kept values, scaled as they were",
        "batchnorm": "∂L/∂x through the normalisation, less its share in the batch mean and variance; "
                     "∂L/∂γ = Σ ∂L/∂y·x̂, ∂L/∂β = Σ ∂L/∂y",
    }.get(kind, f"{name}")


def sgd_check(layers, w0, ref, lr: float, after) -> dict[str, Any]:
    """Our update against torch.optim.SGD taking one step from the same weights with autograd's gradients."""
    import torch

    worst = 0.0
    for name, ws in w0.items():
        i = _at(layers, name)
        params = {k: torch.tensor(v, dtype=torch.float64, requires_grad=True) for k, v in ws.items()}
        for k, p in params.items():
            p.grad = torch.as_tensor(ref[i]["grads"][k])
        torch.optim.SGD(list(params.values()), lr=lr).step()
        worst = max([worst] + [max_diff(after[name][k], p.detach().numpy()) for k, p in params.items()])
    return record("torch.optim.SGD", worst, 1e-12)
