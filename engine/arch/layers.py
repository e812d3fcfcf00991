"""The layer format ([[params.layers]]) and each layer kind's arithmetic, as pure functions.

A layer applied to an input shape gives a `LayerPlan`: the output shape, the weights and
biases, the multiply-adds, and the lecture's formulas with the numbers in. Everything comes
from the formulas; torch only checks it (torch_check.py). The training lab builds its
networks from the same format.

Shapes are [C, H, W] as PyTorch writes them (the lecture writes 55x55x96); a flattened
vector is [N].
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Mapping, Sequence

from ..core.fmt import count, num, power, rounded
from ..core.fmt import shape as shape_text
from ..core.params import REQUIRED, Param, ParamError

KINDS = ("conv", "pool", "relu", "sigmoid", "norm", "batchnorm", "dropout", "flatten", "fc", "softmax")
POOLS = ("max", "avg", "adaptive_avg")
# The most values one torch tensor can hold: its size in bytes must fit an int64, at up to 8 bytes a value
# (float64). A weight matrix or an activation volume above this cannot be built, even on the meta device.
MAX_TENSOR = (2**63 - 1) // 8

LAYER_FIELDS = (
    Param("kind", "choice", doc="what the layer does", choices=KINDS),
    Param("name", "str", None, "shown in the table, e.g. CONV1 (default: kind + number)"),
    Param("filters", "int", None, "conv: number of filters (output channels)", min=1, max=1_000_000),
    Param("size", "int", None, "conv/pool: window is size×size; norm: channels summed over", min=1, max=100_000),
    Param("stride", "int", None, "conv/pool: step between windows", min=1, max=100_000),
    Param("padding", "int", None, "conv/pool: zeros added on every side", min=0, max=100_000),
    Param("groups", "int", None, "conv: split channels into groups (AlexNet's two GPUs: 2)", min=1, max=1_000_000),
    Param("bias", "bool", None, "conv/fc: one bias per filter or unit"),
    Param("pool", "choice", None, "pool: max, avg, or adaptive_avg (to a fixed output)", choices=POOLS),
    Param("output", "ints", None, "adaptive_avg pool: the [H, W] it produces", min=1, max=100_000, length=2),
    Param("units", "int", None, "fc: number of output units", min=1, max=100_000_000),
    Param("p", "float", None, "dropout: probability of zeroing a value", min=0, max=1),
)

# Which fields each kind takes, with its default (REQUIRED: must be given).
KIND_FIELDS: dict[str, dict[str, Any]] = {
    "conv": {"filters": REQUIRED, "size": REQUIRED, "stride": 1, "padding": 0, "groups": 1, "bias": True},
    "pool": {"pool": "max", "size": REQUIRED, "stride": None, "padding": 0, "output": REQUIRED},
    "relu": {},
    "sigmoid": {},
    "norm": {"size": 5},
    "batchnorm": {},
    "dropout": {"p": 0.5},
    "flatten": {},
    "fc": {"units": REQUIRED, "bias": True},
    "softmax": {},
}
PREFIX = {"conv": "CONV", "pool": "POOL", "relu": "RELU", "sigmoid": "SIGMOID", "norm": "NORM", "batchnorm": "BN",
          "dropout": "DROP", "flatten": "FLAT", "fc": "FC", "softmax": "SOFTMAX"}
SAME_SHAPE = ("relu", "sigmoid", "softmax", "norm", "batchnorm", "dropout")


@dataclass(frozen=True)
class Layer:
    """One normalized [[params.layers]] table, typed (fields a kind does not take keep their zero)."""

    kind: str
    name: str
    filters: int = 0
    size: int = 0  # conv/pool: the window's side; norm: the channels summed over
    stride: int = 1
    padding: int = 0
    groups: int = 1
    bias: bool = False
    pool: str = ""
    output: tuple[int, ...] = ()
    units: int = 0
    p: float = 0.0

    @classmethod
    def of(cls, layer: "Layer | Mapping[str, Any]") -> "Layer":
        if isinstance(layer, Layer):
            return layer
        fields = {k: (tuple(v) if k == "output" else v) for k, v in layer.items() if v is not None}
        return cls(**fields)

    @property
    def adaptive(self) -> bool:
        return self.pool == "adaptive_avg"


@dataclass(frozen=True)
class LayerPlan:
    """One layer's arithmetic, all of it from the formulas (torch only checks it)."""

    index: int
    name: str
    kind: str
    in_shape: tuple[int, ...]
    out_shape: tuple[int, ...]
    weights: int
    biases: int
    macs: int
    bias_adds: int
    describe: str  # e.g. "96 filters 11×11 at stride 4"
    size_formula: str
    params_formula: str
    why: str  # the note: why there are (no) parameters, what the layer does
    warning: str
    layer: Layer | None = None

    @property
    def params(self) -> int:
        return self.weights + self.biases

    @property
    def activations(self) -> int:
        return numel(self.out_shape)


def numel(shape: Sequence[int]) -> int:
    return math.prod(shape)


def normalize_layers(layers: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Fill in each kind's defaults, name unnamed layers, reject fields the kind does not take."""
    seen: dict[str, int] = {}
    out = []
    for i, layer in enumerate(layers):
        key = f"params.layers[{i}]"
        kind = layer["kind"]
        fields = dict(KIND_FIELDS[kind])
        if kind == "pool":
            adaptive = layer.get("pool") == "adaptive_avg"
            for drop in (("size", "stride", "padding") if adaptive else ("output",)):
                fields.pop(drop)
        given = {k: v for k, v in layer.items() if v is not None and k not in ("kind", "name")}
        for k in given:
            if k not in fields:
                takes = ", ".join(fields) or "no other keys"
                raise ParamError(f"{key}.{k}", f"a {kind} layer has no {k}; it takes {takes}")
        seen[kind] = seen.get(kind, 0) + 1
        clean: dict[str, Any] = {"kind": kind, "name": layer.get("name") or f"{PREFIX[kind]}{seen[kind]}"}
        for k, default in fields.items():
            if k in given:
                clean[k] = given[k]
            elif default is REQUIRED:
                allowed = next(p for p in LAYER_FIELDS if p.name == k).allowed()
                raise ParamError(f"{key}.{k}", f"missing; a {kind} layer needs {k}, {allowed}")
            elif default is not None:
                clean[k] = default
        if kind == "pool" and "stride" not in clean and "size" in clean:
            clean["stride"] = clean["size"]  # PyTorch's default: windows do not overlap
        out.append(clean)
    return out


# --- output sizes ---------------------------------------------------------------------


def out_size(n: int, k: int, s: int, p: int) -> tuple[float, int, int]:
    """(n − k + 2p)/s + 1: the exact value, the floor PyTorch uses, and rows left over."""
    span = n - k + 2 * p
    return span / s + 1, span // s + 1, span % s


def size_formula(n: int, k: int, s: int, p: int) -> str:
    """The lecture's hint, e.g. (227 − 11)/4 + 1 = 55, with padding only where there is some."""
    exact, floored, _ = out_size(n, k, s, p)
    pad = f" + 2·{p}" if p else ""
    text = f"({n} − {k}{pad})/{s} + 1 = {num(exact)}"
    return text if exact == floored else f"{text}, floored to {num(floored)}"


def window(i: int, layer: Layer, shape: tuple[int, ...]) -> tuple[int, int, str, str]:
    """A conv or pool window slid over [C, H, W]: (H_out, W_out, the size formula, a floor warning)."""
    name, key = layer.name, f"params.layers[{i}]"
    _, h, w = shape
    k, s, p = layer.size, layer.stride, layer.padding
    if layer.kind == "pool" and 2 * p > k:
        raise ParamError(f"{key}.padding", f"{name}: padding {p} is more than half the {k}×{k} window; "
                         f"PyTorch allows at most {k // 2}")
    dims = []
    for label, n in (("height", h), ("width", w)):
        exact, floored, left = out_size(n, k, s, p)
        if floored <= 0:
            raise ParamError(f"{key}.size", f"{name}: output {label} {size_formula(n, k, s, p)} ≤ 0; "
                             f"the {k}×{k} window is larger than the padded input ({n} + 2·{p} = {n + 2 * p})")
        dims.append((exact, floored, left))
    formula = size_formula(h, k, s, p) if h == w else f"H: {size_formula(h, k, s, p)}; W: {size_formula(w, k, s, p)}"
    padded = "padded " if p else ""
    lost = [f"{left} {padded}input {label}{'s' if left > 1 else ''}"
            for (_, _, left), label in zip(dims, ("row", "column")) if left]
    warning = ""
    if lost:
        exacts = " and ".join(sorted({num(d[0]) for d in dims if d[2]}))
        warning = (f"{name}: {exacts} is not a whole number; floored as PyTorch does, so the last "
                   f"{' and '.join(lost)} are never covered by a window")
    return dims[0][1], dims[1][1], formula, warning


def where(layer: Layer) -> str:
    """'11×11 at stride 4, padding 2' (stride 1 and padding 0 go unsaid)."""
    k, s, p = layer.size, layer.stride, layer.padding
    return f"{k}×{k}" + (f" at stride {s}" if s > 1 else "") + (f", padding {p}" if p else "")


# --- one function per kind ------------------------------------------------------------


def conv_plan(i: int, layer: Layer, shape: tuple[int, ...]) -> LayerPlan:
    name, f, g, k = layer.name, layer.filters, layer.groups, layer.size
    c = shape[0]
    if c % g or f % g:
        which, have = ("input channels", c) if c % g else ("filters", f)
        raise ParamError(f"params.layers[{i}].groups", f"{name}: {have} {which} do not split into groups = {g}; "
                         f"both the {c} input channels and the {f} filters must be divisible by {g}")
    oh, ow, sizef, warning = window(i, layer, shape)
    per = c // g  # channels each filter sees
    out = (f, oh, ow)
    weights, biases = k * k * per * f, (f if layer.bias else 0)
    paramsf = f"({k}·{k}·{per})·{f}" + (f" + {f}" if biases else "") + f" = {count(weights + biases)}"
    if g > 1:
        why = f"{g} groups: each filter sees {c}/{g} = {per} of the {c} input channels, as on AlexNet's two GPUs"
    elif biases:
        cited = " as the lecture counts AlexNet's CONV1" if (k, c, f) == (11, 3, 96) else ""  # its (11·11·3)·96 = 35K
        why = (f"the weights alone are ({k}·{k}·{c})·{f} = {count(weights)} (≈ {rounded(weights)}{cited}); "
               f"the {f} biases make {count(weights + biases)}")
    else:
        why = "no biases: only the weights count"
    describe = f"{f} filters {where(layer)}" + (f", {g} groups" if g > 1 else "")
    return LayerPlan(i, name, "conv", shape, out, weights, biases, macs=oh * ow * f * (k * k * per),
                     bias_adds=numel(out) if biases else 0, describe=describe, size_formula=sizef,
                     params_formula=paramsf, why=why, warning=warning, layer=layer)


def pool_plan(i: int, layer: Layer, shape: tuple[int, ...]) -> LayerPlan:
    name, c = layer.name, shape[0]
    if layer.adaptive:
        oh, ow = layer.output
        why = "0 parameters: it averages windows chosen to give a fixed output; nothing to learn"
        if (shape[1], shape[2]) == (oh, ow):
            why += f" (here the input is already {oh}×{ow}, so it changes nothing)"
        return LayerPlan(i, name, "pool", shape, (c, oh, ow), 0, 0, 0, 0, f"adaptive average to {oh}×{ow}",
                         f"{shape_text(shape[1:])} → {oh}×{ow} whatever the input size", "0", why, "", layer)
    oh, ow, sizef, warning = window(i, layer, shape)
    what = "max" if layer.pool == "max" else "mean"
    why = (f"0 parameters: pooling takes the {what} of each {layer.size}×{layer.size} window, channel by channel; "
           "nothing to learn")
    return LayerPlan(i, name, "pool", shape, (c, oh, ow), 0, 0, 0, 0, f"{layer.pool} {where(layer)}",
                     sizef, "0", why, warning, layer)


def fc_plan(i: int, layer: Layer, shape: tuple[int, ...]) -> LayerPlan:
    n_in, u = numel(shape), layer.units
    weights, biases = n_in * u, (u if layer.bias else 0)
    sizef = f"{count(u)} units"
    if len(shape) > 1:
        sizef = f"{shape_text(shape)} flattened to {count(n_in)}, then {count(u)} units"
    paramsf = f"{count(n_in)}·{count(u)}" + (f" + {count(u)}" if biases else "") + f" = {count(weights + biases)}"
    why = f"every one of the {count(u)} units has a weight for each of the {count(n_in)} inputs" + \
          (" and a bias" if biases else "")
    return LayerPlan(i, layer.name, "fc", shape, (u,), weights, biases, macs=n_in * u, bias_adds=biases,
                     describe=f"{count(u)} units", size_formula=sizef, params_formula=paramsf, why=why, warning="",
                     layer=layer)


def batchnorm_plan(i: int, layer: Layer, shape: tuple[int, ...]) -> LayerPlan:
    """Batch normalisation: a learned scale γ and shift β per channel (the running mean and
    variance are buffers, not parameters); no multiply-adds by this lab's convention."""
    c = shape[0]
    per = "channel" if len(shape) == 3 else "unit"
    why = (f"2·{count(c)} parameters: each {per} is normalised over the batch, then scaled by its own γ and "
           "shifted by its own β; the running mean and variance used at test time are kept, not learned")
    return LayerPlan(i, layer.name, "batchnorm", shape, shape, c, c, 0, 0, f"batch normalisation over {count(c)} {per}s",
                     f"{shape_text(shape)} unchanged", f"2·{count(c)} = {count(2 * c)}", why, "", layer)


def shape_only_plan(i: int, layer: Layer, shape: tuple[int, ...]) -> LayerPlan:
    """ReLU, sigmoid, softmax, LRN, dropout, flatten: no parameters, and no multiply-adds by this lab's convention."""
    kind = layer.kind
    if kind == "flatten":
        out: tuple[int, ...] = (numel(shape),)
        return LayerPlan(i, layer.name, kind, shape, out, 0, 0, 0, 0, "one long vector",
                         f"{shape_text(shape)} = {count(out[0])}", "0",
                         "0 parameters: the same numbers in one row, ready for a fully connected layer", "", layer)
    describe, why = {
        "relu": ("max(0, x)", "0 parameters: max(0, x) value by value; the shape stays"),
        "sigmoid": ("1/(1 + e^−x)", "0 parameters: 1/(1 + e^−x) value by value; the shape stays"),
        "softmax": ("e^x / Σ e^x", "0 parameters: e^x / Σ e^x across the channels (the classes), so they sum to 1"),
        "norm": (f"local response normalization over {layer.size} channels",
                 f"0 learned parameters: each value is divided by (k + α/n·Σ x²)^β over {layer.size} "
                 "neighbouring channels; k, α, β are fixed"),
        "dropout": (f"p = {num(layer.p)}",
                    f"0 parameters: while training each value is zeroed with probability {num(layer.p)}; "
                    "at test time it does nothing"),
    }[kind]
    return LayerPlan(i, layer.name, kind, shape, shape, 0, 0, 0, 0, describe, f"{shape_text(shape)} unchanged", "0",
                     why, "", layer)


PLANS = {"conv": conv_plan, "pool": pool_plan, "fc": fc_plan, "batchnorm": batchnorm_plan}


def plan_layer(i: int, layer: Layer | Mapping[str, Any], shape: Sequence[int]) -> LayerPlan:
    """Apply one layer to an input of `shape`; ParamError where it cannot apply."""
    layer = Layer.of(layer)
    if layer.kind in ("conv", "pool", "norm") and len(shape) != 3:
        raise ParamError(f"params.layers[{i}].kind", f"{layer.name} ({layer.kind}) needs a [C, H, W] volume, but its "
                         f"input is [{shape_text(shape)}] (flattened); put it before the flatten or the first fc layer")
    return PLANS.get(layer.kind, shape_only_plan)(i, layer, tuple(shape))


# --- sizes torch can hold ---------------------------------------------------------------


def too_big(what: str, n: int, formula: str = "") -> str:
    """The message for a tensor torch cannot hold."""
    shown = f"{formula} = {power(n)}" if formula else power(n)
    return (f"{what} {shown} values in one tensor; torch holds at most {count(MAX_TENSOR)} "
            "(2^63 bytes at 8 bytes a value)")


def check_sizes(plan: LayerPlan, batch: int) -> None:
    """ParamError where this layer's weights or its batch of outputs are more values than one torch tensor holds."""
    key = f"params.layers[{plan.index}]"
    grows = {"conv": "filters", "fc": "units"}.get(plan.kind)
    if plan.weights > MAX_TENSOR:
        raise ParamError(f"{key}.{grows}", too_big(f"{plan.name}: the weights would be", plan.weights,
                                                  plan.params_formula.rsplit(" = ", 1)[0].split(" + ")[0]))
    if plan.activations > MAX_TENSOR:
        raise ParamError(f"{key}.{grows or 'kind'}",
                         too_big(f"{plan.name}: the output {shape_text(plan.out_shape)} would be", plan.activations))
    if plan.activations * batch > MAX_TENSOR:
        raise ParamError("params.batch", too_big(f"{plan.name}: a batch of {count(batch)} outputs would be",
                                                 plan.activations * batch,
                                                 f"{count(batch)} · {count(plan.activations)}"))


def plan_network(input_shape: Sequence[int], layers: Sequence[Layer | Mapping[str, Any]],
                 batch: int = 1) -> list[LayerPlan]:
    """Every layer's plan in order, each applied to the one before's output."""
    shape: tuple[int, ...] = tuple(input_shape)
    values = numel(shape)
    if values * batch > MAX_TENSOR:
        key = "params.input" if values > MAX_TENSOR else "params.batch"
        raise ParamError(key, too_big("the input batch would be", values * batch,
                                      f"{count(batch)} · {shape_text(shape)}"))
    plans = []
    for i, layer in enumerate(layers):
        plans.append(plan_layer(i, layer, shape))
        check_sizes(plans[-1], batch)
        shape = plans[-1].out_shape
    return plans
