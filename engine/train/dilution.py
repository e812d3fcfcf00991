"""Gradient dilution and its cures: ‖∂L/∂W‖ layer by layer in a deep net, one layer per frame.

The lecture: "gradient is progressively getting more dilute; weight correction is minimal
after moving back a couple of layers". Each set-up (a variant) is the scenario's layer list
with its activation, initialisation and, optionally, a batch norm before every activation.
The norms come from our numpy backward pass on one batch (checked against autograd); frames
go from the last layer down, as backpropagation does.
"""

from __future__ import annotations

import math
from typing import Any, Iterator

import numpy as np

from ..arch.layers import normalize_layers
from ..core.fmt import num
from . import backward as bw
from . import forward as fw
from . import init as rules
from .config import INPUT, plan
from .reference import autograd, check

RULE_NAMES = {"he": "He", "xavier": "Xavier", "torch": "torch's default"}


def variant_layers(layers, v: dict[str, Any]) -> list[dict[str, Any]]:
    """The layer list with every activation replaced, and a batch norm before each if asked; names regenerated."""
    out = []
    for layer in layers:
        bare = {k: val for k, val in layer.items() if k != "name"}
        if layer["kind"] in ("relu", "sigmoid"):
            if v["batchnorm"]:
                out.append({"kind": "batchnorm"})
            bare["kind"] = v["activation"]
        out.append(bare)
    return normalize_layers(out)


def label(v: dict[str, Any], std: float) -> str:
    if v["label"]:
        return v["label"]
    rule = RULE_NAMES.get(v["init"], f"N(0, {num(std)}²)")
    return f"{v['activation']} + {rule}" + (" + batch norm" if v["batchnorm"] else "")


def weight_layers(layers) -> list[int]:
    return [i for i, layer in enumerate(layers) if layer["kind"] in ("conv", "fc")]


def length(cfg) -> int:
    per = sum(len(weight_layers(variant_layers(cfg.layers, v))) for v in cfg.variants)
    return 2 + per


def norms(layers, x: np.ndarray, y: np.ndarray, init: str, std: float, seed: int) -> tuple[list[float], dict[str, Any]]:
    """‖∂L/∂W‖ of each weight layer (first to last) on the batch, and the check against autograd."""
    shapes = [INPUT] + [q.out_shape for q in plan(layers)]
    weights = rules.initialise(layers, shapes, init, std, np.random.default_rng(seed))
    ins, caches = fw.forward(layers, weights, x, fw.Context(train=True, rng=np.random.default_rng(seed)))
    back = bw.backward(layers, caches, ins[-1], y)
    ref = autograd(layers, weights, x, y, caches)
    return [float(np.linalg.norm(back[i]["grads"]["weight"])) for i in weight_layers(layers)], check(back, ref)


def pages(lab) -> Iterator[tuple[str, dict[str, Any]]]:
    cfg = lab.cfg
    rng = np.random.default_rng(lab.seed)
    rows = np.sort(rng.choice(len(lab.data.y_train), cfg.batch, replace=False))
    x, y = lab.data.x_train[rows], lab.data.y_train[rows]
    shown: list[dict[str, Any]] = []
    for v in cfg.variants:
        layers = variant_layers(cfg.layers, v)
        names = [layers[i]["name"] for i in weight_layers(layers)]
        shown.append({"label": label(v, cfg.init_std), "activation": v["activation"], "init": v["init"],
                      "batchnorm": v["batchnorm"], "layers": names, "norms": [None] * len(names), "ratio": None,
                      "depth": len(names)})
    base = {"mode": "dilution", "batch": cfg.batch}
    depth = max(s["depth"] for s in shown)
    yield (f"Gradient dilution: ‖∂L/∂W‖ for each of the {depth} weight layers, {len(shown)} set-ups, one batch of "
           f"{cfg.batch} digits; backpropagation goes from the last layer down"), \
        {**base, "phase": "setup", "variants": shown, "current": None}

    for k, v in enumerate(cfg.variants):
        layers = variant_layers(cfg.layers, v)
        got, record = norms(layers, x, y, v["init"], cfg.init_std, lab.seed)
        s = shown[k]
        s["check"] = record
        last = len(got) - 1
        for j in range(last, -1, -1):
            s["norms"][j] = got[j]
            caption = f"{s['label']} · {s['layers'][j]}: ‖∂L/∂W‖ = {num(got[j])}"
            if j < last:
                caption += f", {ratio_words(got[j] / got[last] if got[last] else math.inf)} of {s['layers'][last]}'s"
            if j == 0:
                s["ratio"] = got[0] / got[last] if got[last] else None
                caption += f"; first/last = {num(s['ratio']) if s['ratio'] is not None else '∞'}"
            yield caption, {**base, "phase": "layer", "variants": _copy(shown), "current": {"variant": k, "layer": j},
                            "check": record}

    yield summary(shown), {**base, "phase": "summary", "variants": _copy(shown), "current": None,
                           "check": worst(shown)}


def ratio_words(r: float) -> str:
    return f"{num(r, 3)}×"


def _copy(shown: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{**s, "norms": list(s["norms"])} for s in shown]


def worst(shown: list[dict[str, Any]]) -> dict[str, Any]:
    """The set-up whose check differs most: the one record for the summary frame."""
    return max((s["check"] for s in shown), key=lambda c: (not c["ok"], c["max_diff"]))


def summary(shown: list[dict[str, Any]]) -> str:
    ratios = " · ".join(f"{s['label']} {num(s['ratio'], 2) if s['ratio'] is not None else '∞'}" for s in shown)
    tops = " · ".join(num(max(s["norms"]), 2) for s in shown)
    return f"first/last: {ratios}; the largest norms: {tops}. A ratio near 1 with tiny norms still learns slowly: read both"
