"""Step 1: initialise the weights, by a named rule (numpy, seeded; the same numbers on any device).

fan_in is what one output unit sums over: C/groups·k·k for a conv filter, the input size for
an fc unit; fan_out is F·k·k (conv) or the units (fc), as torch counts them.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ..core.fmt import num

RULES = ("he", "xavier", "normal", "torch")


def fans(layer: dict[str, Any], in_shape: tuple[int, ...]) -> tuple[int, int]:
    if layer["kind"] == "conv":
        k2 = layer["size"] ** 2
        return in_shape[0] // layer["groups"] * k2, layer["filters"] * k2
    return int(np.prod(in_shape)), layer["units"]


def spread(rule: str, fan_in: int, fan_out: int, std: float) -> tuple[str, float]:
    """('normal' or 'uniform', σ or bound) for a rule."""
    if rule == "he":
        return "normal", math.sqrt(2.0 / fan_in)  # Var = 2/fan_in keeps ReLU activations' scale layer to layer
    if rule == "xavier":
        return "uniform", math.sqrt(6.0 / (fan_in + fan_out))  # Glorot & Bengio 2010, Var = 2/(fan_in + fan_out)
    if rule == "normal":
        return "normal", std
    return "uniform", 1.0 / math.sqrt(fan_in)  # torch's default for Linear and Conv2d (kaiming_uniform, a = √5)


def describe(rule: str, fan_in: int, fan_out: int, std: float) -> str:
    """The rule with the numbers in, e.g. 'He: w ~ N(0, 2/fan_in), fan_in = 9, σ = √(2/9) = 0.4714'."""
    _, s = spread(rule, fan_in, fan_out, std)
    return {
        "he": f"He: w ~ N(0, 2/fan_in), fan_in = {fan_in}, σ = √(2/{fan_in}) = {num(s)}",
        "xavier": f"Xavier (Glorot): w ~ U(±√(6/(fan_in + fan_out))), fan_in + fan_out = {fan_in} + {fan_out}, "
                  f"bound {num(s)}",
        "normal": f"plain random: w ~ N(0, σ²), σ = {num(s)} whatever the layer's size",
        "torch": f"torch's default: w, b ~ U(±1/√fan_in), fan_in = {fan_in}, bound 1/√{fan_in} = {num(s)}",
    }[rule]


def tensor_shapes(layer: dict[str, Any], in_shape: tuple[int, ...]) -> dict[str, tuple[int, ...]]:
    """The shapes of a layer's parameter tensors, as torch's module holds them (none for a layer without):
    conv F×(C/groups)×k×k, fc units×fan_in, batch norm's γ and β one per channel; a bias one per output."""
    kind = layer["kind"]
    if kind == "batchnorm":
        return {"weight": (in_shape[0],), "bias": (in_shape[0],)}
    if kind not in ("conv", "fc"):
        return {}
    if kind == "conv":
        out: dict[str, tuple[int, ...]] = {"weight": (layer["filters"], in_shape[0] // layer["groups"], layer["size"],
                                                      layer["size"])}
    else:
        out = {"weight": (layer["units"], fans(layer, in_shape)[0])}
    if layer["bias"]:
        out["bias"] = (out["weight"][0],)
    return out


def initialise(layers, shapes, rule: str, std: float, rng: np.random.Generator) -> dict[str, dict[str, np.ndarray]]:
    """Every layer's parameters: weights by the rule, biases 0 (torch's rule: U(±1/√fan_in) as its layers do),
    batch norm's γ = 1 and β = 0."""
    weights: dict[str, dict[str, np.ndarray]] = {}
    for layer, shape in zip(layers, shapes):
        tensors = tensor_shapes(layer, shape)
        if layer["kind"] == "batchnorm":
            weights[layer["name"]] = {"weight": np.ones(tensors["weight"]), "bias": np.zeros(tensors["bias"])}
            continue
        if not tensors:  # a layer without parameters (tensor_shapes says which)
            continue
        form, s = spread(rule, *fans(layer, shape), std)
        ws = {"weight": rng.normal(0.0, s, tensors["weight"]) if form == "normal" else rng.uniform(-s, s, tensors["weight"])}
        if "bias" in tensors:
            ws["bias"] = rng.uniform(-s, s, tensors["bias"]) if rule == "torch" else np.zeros(tensors["bias"])
        weights[layer["name"]] = ws
    return weights


def running_stats(layers, shapes) -> dict[str, dict[str, np.ndarray]]:
    """Batch norm's running mean 0 and variance 1 before any training, as torch starts them."""
    return {layer["name"]: {"mean": np.zeros(shape[0]), "var": np.ones(shape[0])}
            for layer, shape in zip(layers, shapes) if layer["kind"] == "batchnorm"}
