"""The frames of each mode, built from the typed config alone.

network: frame 0 is the input, frame i applies layer i (its plan, its torch module's check,
a running table and the totals). why_conv: the three ways to connect an image to hidden
units. memory: the slide's calculator, one part at a time.
"""

from __future__ import annotations

from functools import partial
from typing import Any, Iterator

from ..core.check import record
from ..core.fmt import count, power
from ..core.frame import Frame
from . import captions
from .config import ArchConfig
from .layers import LayerPlan, numel
from ..core.lazy import LazyFrame
from .memory import network_totals
from .torch_check import WHY_CONV_REFERENCE, layer_check, network_check, trace, why_conv_modules


# --- network --------------------------------------------------------------------------


def common(cfg: ArchConfig) -> dict[str, Any]:
    return {"mode": "network", "input": cfg.input, "batch": cfg.batch, "dtype": cfg.dtype,
            "bytes_per_value": cfg.bytes, "optimizer": cfg.optimizer, "convention": captions.convention(cfg)}


def row(cfg: ArchConfig, plan: LayerPlan) -> dict[str, Any]:
    """A row of the running table: what the lab knows about one layer."""
    return {"name": plan.name, "kind": plan.kind, "out_shape": plan.out_shape, "params": plan.params,
            "activations": plan.activations, "macs": plan.macs, "flops": cfg.flops(plan),
            "weight_bytes": plan.params * cfg.bytes, "activation_bytes": plan.activations * cfg.batch * cfg.bytes,
            "floored": bool(plan.warning)}


def input_frame(cfg: ArchConfig) -> Frame:
    c = cfg.input
    layer = {"name": "INPUT", "kind": "input", "out_shape": c, "params": 0, "activations": numel(c), "macs": 0,
             "flops": 0, "weight_bytes": 0, "activation_bytes": numel(c) * cfg.batch * cfg.bytes, "floored": False,
             "in_shape": None, "describe": f"{c[0]} channels of {c[1]}×{c[2]}", "size_formula": "",
             "params_formula": "0", "why": "the image itself: no parameters", "warning": ""}
    return Frame(0, captions.network_input(cfg),
                 {**common(cfg), "layer": layer, "layers": [], "totals": network_totals(cfg, []), "warnings": []})


def layer_frame(cfg: ArchConfig, plan: LayerPlan) -> Frame:
    """Layer `plan.index` applied: its facts, its torch module's check, the table and totals so far."""
    done = cfg.plans[: plan.index + 1]
    ref = trace(plan.layer, plan.in_shape)
    check = layer_check(plan, ref)
    layer = {**row(cfg, plan), "in_shape": plan.in_shape, "describe": plan.describe, "size_formula": plan.size_formula,
             "params_formula": plan.params_formula, "weights": plan.weights, "biases": plan.biases,
             "bias_adds": plan.bias_adds, "why": plan.why, "warning": plan.warning,
             "torch": {**ref.json(), "matches": check["ok"]}}
    values = {**common(cfg), "layer": layer, "layers": [row(cfg, q) for q in done],
              "totals": network_totals(cfg, done), "warnings": [q.warning for q in done if q.warning], "check": check}
    last = len(done) == len(cfg.plans)
    if last:
        traced = [trace(q.layer, q.in_shape) for q in cfg.plans]
        values["check"] = network_check(cfg.plans, traced)
        values["total_params"] = values["totals"]["params"]
        values["torch_total_params"] = sum(t.params for t in traced)  # the JSON keys of earlier releases
        values["matches_torch"] = values["check"]["ok"]
    return Frame(plan.index + 1, captions.layer(plan, values["totals"]["params"] if last else None), values,
                 {"layer": plan.index, "warning": bool(plan.warning)})


def network_frames(cfg: ArchConfig) -> Iterator[Frame]:
    """One frame per layer, each built when first read (the one on screen, or each in a replay)."""
    yield input_frame(cfg)
    for plan in cfg.plans:
        yield LazyFrame(plan.index + 1, partial(layer_frame, cfg, plan))


# --- why convolution ----------------------------------------------------------------------


def why_conv_frames(cfg: ArchConfig) -> Iterator[Frame]:
    n, k, maps = cfg.image, cfg.filter, cfg.maps
    pixels, hidden = n * n, maps * n * n  # one hidden unit per pixel per feature map
    base = {"mode": "why_conv", "image": n, "filter": k, "maps": maps, "hidden": hidden,
            "note": "weights only, as the slides count them; biases would add one per hidden unit (or per map)"}
    layer0 = {"name": "INPUT", "kind": "input", "out_shape": [1, n, n], "params": 0, "activations": pixels}
    yield Frame(0, captions.why_conv_question(cfg), {**base, "layer": layer0, "variants": []})
    ref = why_conv_modules(n, k, maps)  # torch from frame 1 on (ArchLab.torch_from)
    variants = [
        {"name": "FULLY CONNECTED", "kind": "fc", "out_shape": [hidden], "params": pixels * hidden,
         "activations": hidden, "formula": f"{count(pixels)} · {count(hidden)} = {power(pixels * hidden)}",
         "why": "every hidden unit has its own weight for every pixel",
         "torch": {"module": ref["fc"], "params": ref["fc_params"]}},
        {"name": "LOCALLY CONNECTED", "kind": "local", "out_shape": [maps, n, n], "params": hidden * k * k,
         "activations": hidden, "formula": f"{count(hidden)} · {k}·{k} = {power(hidden * k * k)}",
         "why": f"spatial correlation is local: each hidden unit sees only a {k}×{k} patch, with its own weights",
         # torch has no locally connected layer: one conv-sized filter per output position.
         "torch": {"module": f"{count(ref['positions'])} positions of a 'same' Conv2d × {maps} map(s) × {k}·{k} "
                             "own weights", "params": ref["positions"] * maps * k * k}},
        {"name": "CONVOLUTION", "kind": "conv", "out_shape": [maps, n, n], "params": maps * k * k,
         "activations": hidden, "formula": f"{maps} · {k}·{k} = {count(maps * k * k)}",
         "why": "stationarity: statistics are similar at different locations, so every position shares the same filter",
         "torch": {"module": ref["conv"], "params": ref["conv_params"]}},
    ]
    for v in variants:
        v["torch"]["matches"] = v["torch"]["params"] == v["params"]
    for i, v in enumerate(variants, 1):
        shown = variants[:i]
        diff = max(abs(x["torch"]["params"] - x["params"]) for x in shown)
        values = {**base, "layer": {key: v[key] for key in ("name", "kind", "out_shape", "params", "activations")},
                  "variants": shown, "check": record(WHY_CONV_REFERENCE, diff, 0)}
        fewer = variants[0]["params"] // v["params"] if i == 3 else None
        if i == 3:
            values["total_params"] = v["params"]
        yield Frame(i, captions.why_conv_variant(v, fewer), values, {"variant": i - 1})


# --- memory calculator ---------------------------------------------------------------------


def memory_frames(cfg: ArchConfig) -> Iterator[Frame]:
    w, a, k = cfg.weights, cfg.activations, cfg.opt_state
    parts = captions.memory_parts(cfg)
    base = {"mode": "memory", "weights": w, "activations": a, "batch": cfg.batch, "dtype": cfg.dtype,
            "bytes_per_value": cfg.bytes, "optimizer": cfg.optimizer, "optimizer_values_per_weight": k}
    layer = {"name": "MODEL", "kind": "memory", "out_shape": [], "params": w, "activations": a * cfg.batch}
    yield Frame(0, captions.memory_intro(cfg), {**base, "layer": layer, "parts": [], "total_bytes": 0})
    total = 0
    for i, (name, nbytes, text) in enumerate(parts, 1):
        total += nbytes
        values = {**base, "layer": layer, "parts": [{"name": n, "bytes": x, "formula": t} for n, x, t in parts[:i]],
                  "total_bytes": total, "inference_bytes": (w + a * cfg.batch) * cfg.bytes}
        if i == 4:
            values["total_params"] = w
        yield Frame(i, captions.memory_step(i, text, total), values, {"part": i - 1})
