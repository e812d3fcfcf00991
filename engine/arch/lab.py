"""Architectures layer by layer: output sizes, parameters, activations, MACs and memory.

Three modes of one lab:
  network   the lecture's AlexNet case study: one frame per layer, the output-size
            formula (W − F + 2P)/S + 1 and the parameter formula with the numbers in,
            a running table with totals, and the same network built as a real torch
            module on the meta device so every shape and count is cross-checked.
  why_conv  the "why convolution" slides: a 1000×1000 image into 1M hidden units,
            fully connected (10^12), locally connected (10^8), convolution (shared).
  memory    the "challenges" slide: weights and activations at 4 bytes a value,
            26 M weights + 16 M activations → 168 MB, then what training adds.

Shapes are [C, H, W] as PyTorch writes them (the lecture writes 55x55x96).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Iterator

from ..core.fmt import count, num
from ..core.frame import Frame
from ..core.lab import Lab
from ..core.params import REQUIRED, Param, ParamError, validate
from . import own

KINDS = ("conv", "pool", "relu", "sigmoid", "norm", "batchnorm", "dropout", "flatten", "fc", "softmax")
POOLS = ("max", "avg", "adaptive_avg")
DTYPES = {"float32": 4, "float16": 2, "bfloat16": 2, "float64": 8}
# Values of optimizer state kept per weight: SGD none, momentum one velocity, Adam two moments.
OPT_STATE = {"sgd": 0, "momentum": 1, "adam": 2}
OPT_WORDS = {"sgd": "plain SGD keeps no state", "momentum": "momentum keeps 1 velocity per weight",
             "adam": "Adam keeps 2 moments per weight"}
MB = 10**6  # the slide's 168MB is decimal: 42 M values · 4 bytes
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

PARAMS = (
    Param("mode", "choice", "network", "network: step through layers; why_conv: the parameter-count slides; "
          "memory: the memory calculator", choices=("network", "why_conv", "memory")),
    Param("input", "ints", [3, 227, 227], "network: the input volume [C, H, W] (a model: one example's shape, "
          "e.g. [3, 224, 224] or [T, F])", min=1, max=100_000),
    Param("layers", "tables", [], "network: the layers in order ([[params.layers]])", fields=LAYER_FIELDS),
    Param("batch", "int", 1, "images per forward pass (activations scale with it)", min=1, max=100_000),
    Param("dtype", "choice", "float32", "bytes per value: float32 = 4", choices=tuple(DTYPES)),
    Param("optimizer", "choice", "momentum", "training memory: optimizer state per weight", choices=tuple(OPT_STATE)),
    Param("bias_flops", "bool", False, "count one add per biased output in FLOPs (tools disagree)"),
    Param("image", "int", 1000, "why_conv: the image is image×image pixels", min=1, max=100_000),
    Param("filter", "int", 10, "why_conv: local window / conv filter is filter×filter", min=1, max=1000),
    Param("maps", "int", 1, "why_conv: feature maps (one hidden unit per pixel per map)", min=1, max=10_000),
    # A model from code instead of [[params.layers]]: own.py, walk.py and model.py.
    Param("model", "path", "", "network: a model from code, FILE.py:NAME or package.module:NAME "
          "(an nn.Module class or a function returning one); opening it runs its code"),
    Param("kwargs", "any", {}, "model: keyword arguments for NAME, e.g. {num_classes = 10}"),
    Param("tokens", "bool", False, "model: the input is token ids (int64, 8 bytes each), for a model that "
          "starts with nn.Embedding"),
    Param("weights", "int", 26_000_000, "memory: weight parameters", min=0, max=10**15),
    Param("activations", "int", 16_000_000, "memory: activations in one forward pass", min=0, max=10**15),
)


# --- arithmetic -------------------------------------------------------------------


def out_size(n: int, k: int, s: int, p: int) -> tuple[float, int, int]:
    """(n − k + 2p)/s + 1: the exact value, the floor PyTorch uses, and rows left over."""
    span = n - k + 2 * p
    return span / s + 1, span // s + 1, span % s


def size_formula(n: int, k: int, s: int, p: int) -> str:
    """The lecture's hint, e.g. (227 − 11)/4 + 1 = 55, with padding only where there is some."""
    exact, floored, _ = out_size(n, k, s, p)
    pad = f" + 2·{p}" if p else ""
    inner = f"{n} − {k}{pad}"
    core = f"({inner})/{s} + 1"
    text = f"{core} = {num(exact)}"
    return text if exact == floored else f"{text}, floored to {num(floored)}"


def shape_text(shape: list[int] | tuple[int, ...]) -> str:
    """96×55×55 for a volume, 9,216 for a flattened vector."""
    return count(shape[0]) if len(shape) == 1 else "×".join(str(d) for d in shape)


def numel(shape: list[int] | tuple[int, ...]) -> int:
    n = 1
    for d in shape:
        n *= d
    return n


def power(n: int) -> str:
    """10^12 for exact powers of ten (as the slides write them), else 1,234."""
    s = str(n)
    if n >= 1000 and s.strip("0") == "1":
        return "10^" + str(len(s) - 1)
    return count(n)


def mb(nbytes: int) -> str:
    return f"{num(nbytes / MB, 5)} MB"


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

    @property
    def params(self) -> int:
        return self.weights + self.biases

    @property
    def activations(self) -> int:
        return numel(self.out_shape)


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


def window(i: int, layer: dict[str, Any], shape: tuple[int, ...]) -> tuple[int, int, str, str]:
    """A conv or pool window slid over [C, H, W]: (H_out, W_out, the size formula, a floor warning)."""
    name, key = layer["name"], f"params.layers[{i}]"
    _, h, w = shape
    k, s, p = layer["size"], layer["stride"], layer["padding"]
    if layer["kind"] == "pool" and 2 * p > k:
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


def where(layer: dict[str, Any]) -> str:
    """'11×11 at stride 4, padding 2' (stride 1 and padding 0 go unsaid)."""
    k, s, p = layer["size"], layer["stride"], layer["padding"]
    return f"{k}×{k}" + (f" at stride {s}" if s > 1 else "") + (f", padding {p}" if p else "")


def conv_plan(i: int, layer: dict[str, Any], shape: tuple[int, ...]) -> LayerPlan:
    name, f, g, k = layer["name"], layer["filters"], layer["groups"], layer["size"]
    c = shape[0]
    if c % g or f % g:
        which, have = ("input channels", c) if c % g else ("filters", f)
        raise ParamError(f"params.layers[{i}].groups", f"{name}: {have} {which} do not split into groups = {g}; "
                         f"both the {c} input channels and the {f} filters must be divisible by {g}")
    oh, ow, sizef, warning = window(i, layer, shape)
    per = c // g  # channels each filter sees
    out = (f, oh, ow)
    weights, biases = k * k * per * f, (f if layer["bias"] else 0)
    paramsf = f"({k}·{k}·{per})·{f}" + (f" + {f}" if biases else "") + f" = {count(weights + biases)}"
    if g > 1:
        why = f"{g} groups: each filter sees {c}/{g} = {per} of the {c} input channels, as on AlexNet's two GPUs"
    elif biases:
        why = (f"the weights alone are ({k}·{k}·{c})·{f} = {count(weights)} (≈ {num(weights / 1000, 2)}K, as the "
               f"lecture's slide counts them); the {f} biases make {count(weights + biases)}")
    else:
        why = "no biases: only the weights count"
    describe = f"{f} filters {where(layer)}" + (f", {g} groups" if g > 1 else "")
    return LayerPlan(i, name, "conv", shape, out, weights, biases, macs=oh * ow * f * (k * k * per),
                     bias_adds=numel(out) if biases else 0, describe=describe, size_formula=sizef,
                     params_formula=paramsf, why=why, warning=warning)


def pool_plan(i: int, layer: dict[str, Any], shape: tuple[int, ...]) -> LayerPlan:
    name, c = layer["name"], shape[0]
    if layer["pool"] == "adaptive_avg":
        oh, ow = layer["output"]
        why = "0 parameters: it averages windows chosen to give a fixed output; nothing to learn"
        if (shape[1], shape[2]) == (oh, ow):
            why += f" (here the input is already {oh}×{ow}, so it changes nothing)"
        return LayerPlan(i, name, "pool", shape, (c, oh, ow), 0, 0, 0, 0, f"adaptive average to {oh}×{ow}",
                         f"{shape_text(shape[1:])} → {oh}×{ow} whatever the input size", "0", why, "")
    oh, ow, sizef, warning = window(i, layer, shape)
    k = layer["size"]
    what = "max" if layer["pool"] == "max" else "mean"
    why = f"0 parameters: pooling takes the {what} of each {k}×{k} window, channel by channel; nothing to learn"
    return LayerPlan(i, name, "pool", shape, (c, oh, ow), 0, 0, 0, 0, f"{layer['pool']} {where(layer)}",
                     sizef, "0", why, warning)


def fc_plan(i: int, layer: dict[str, Any], shape: tuple[int, ...]) -> LayerPlan:
    n_in, u = numel(shape), layer["units"]
    weights, biases = n_in * u, (u if layer["bias"] else 0)
    sizef = f"{count(u)} units"
    if len(shape) > 1:
        sizef = f"{shape_text(shape)} flattened to {count(n_in)}, then {count(u)} units"
    paramsf = f"{count(n_in)}·{count(u)}" + (f" + {count(u)}" if biases else "") + f" = {count(weights + biases)}"
    why = f"every one of the {count(u)} units has a weight for each of the {count(n_in)} inputs" + \
          (" and a bias" if biases else "")
    return LayerPlan(i, layer["name"], "fc", shape, (u,), weights, biases, macs=n_in * u, bias_adds=biases,
                     describe=f"{count(u)} units", size_formula=sizef, params_formula=paramsf, why=why, warning="")


def batchnorm_plan(i: int, layer: dict[str, Any], shape: tuple[int, ...]) -> LayerPlan:
    """Batch normalisation: a learned scale γ and shift β per channel (the running mean and
    variance are buffers, not parameters); no multiply-adds by this lab's convention."""
    c = shape[0]
    per = "channel" if len(shape) == 3 else "unit"
    why = (f"2·{count(c)} parameters: each {per} is normalised over the batch, then scaled by its own γ and "
           "shifted by its own β; the running mean and variance used at test time are kept, not learned")
    return LayerPlan(i, layer["name"], "batchnorm", shape, shape, c, c, 0, 0, f"batch normalisation over {count(c)} {per}s",
                     f"{shape_text(shape)} unchanged", f"2·{count(c)} = {count(2 * c)}", why, "")


def shape_only_plan(i: int, layer: dict[str, Any], shape: tuple[int, ...]) -> LayerPlan:
    """ReLU, sigmoid, softmax, LRN, dropout, flatten: no parameters, and no multiply-adds by this lab's convention."""
    kind = layer["kind"]
    if kind == "flatten":
        out: tuple[int, ...] = (numel(shape),)
        return LayerPlan(i, layer["name"], kind, shape, out, 0, 0, 0, 0, "one long vector",
                         f"{shape_text(shape)} = {count(out[0])}", "0",
                         "0 parameters: the same numbers in one row, ready for a fully connected layer", "")
    describe, why = {
        "relu": ("max(0, x)", "0 parameters: max(0, x) value by value; the shape stays"),
        "sigmoid": ("1/(1 + e^−x)", "0 parameters: 1/(1 + e^−x) value by value; the shape stays"),
        "softmax": ("e^x / Σ e^x", "0 parameters: e^x / Σ e^x across the channels (the classes), so they sum to 1"),
        "norm": (f"local response normalization over {layer.get('size')} channels",
                 f"0 learned parameters: each value is divided by (k + α/n·Σ x²)^β over {layer.get('size')} "
                 "neighbouring channels; k, α, β are fixed"),
        "dropout": (f"p = {num(layer.get('p', 0))}",
                    f"0 parameters: while training each value is zeroed with probability {num(layer.get('p', 0))}; "
                    "at test time it does nothing"),
    }[kind]
    return LayerPlan(i, layer["name"], kind, shape, shape, 0, 0, 0, 0, describe, f"{shape_text(shape)} unchanged", "0", why, "")


def plan_layer(i: int, layer: dict[str, Any], shape: tuple[int, ...]) -> LayerPlan:
    """Apply one layer to an input of `shape`; ParamError where it cannot apply."""
    kind = layer["kind"]
    if kind in ("conv", "pool", "norm") and len(shape) != 3:
        raise ParamError(f"params.layers[{i}].kind", f"{layer['name']} ({kind}) needs a [C, H, W] volume, but its input "
                         f"is [{shape_text(shape)}] (flattened); put it before the flatten or the first fc layer")
    plan = {"conv": conv_plan, "pool": pool_plan, "fc": fc_plan, "batchnorm": batchnorm_plan}.get(kind, shape_only_plan)
    return plan(i, layer, tuple(shape))


def too_big(what: str, n: int, formula: str = "") -> str:
    """The message for a tensor torch cannot hold."""
    shown = f"{formula} = {power(n)}" if formula else power(n)
    return (f"{what} {shown} values in one tensor; torch holds at most {count(MAX_TENSOR)} "
            "(2^63 bytes at 8 bytes a value)")


def check_sizes(plan: LayerPlan, layer: dict[str, Any], batch: int) -> None:
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


def plan_network(input_shape: list[int], layers: list[dict[str, Any]], batch: int = 1) -> list[LayerPlan]:
    shape: tuple[int, ...] = tuple(input_shape)
    values = numel(shape)
    if values * batch > MAX_TENSOR:
        key = "params.input" if values > MAX_TENSOR else "params.batch"
        raise ParamError(key, too_big("the input batch would be", values * batch,
                                      f"{count(batch)} · {shape_text(shape)}"))
    plans = []
    for i, layer in enumerate(layers):
        plans.append(plan_layer(i, layer, shape))
        check_sizes(plans[-1], layer, batch)
        shape = plans[-1].out_shape
    return plans


# --- the torch reference ------------------------------------------------------------


def torch_layers(input_shape: list[int], layers: list[dict[str, Any]]) -> list[Any]:
    """One torch module per layer (an fc on a volume gets nn.Flatten in front).

    Built on the current default device: under `torch.device("meta")` no memory is touched.
    """
    from torch import nn

    mods: list[Any] = []
    shape: tuple[int, ...] = tuple(input_shape)
    for layer in layers:
        kind = layer["kind"]
        if kind == "conv":
            m = nn.Conv2d(shape[0], layer["filters"], layer["size"], layer["stride"], layer["padding"],
                          groups=layer["groups"], bias=layer["bias"])
        elif kind == "pool" and layer["pool"] == "adaptive_avg":
            m = nn.AdaptiveAvgPool2d(tuple(layer["output"]))
        elif kind == "pool":
            cls = nn.MaxPool2d if layer["pool"] == "max" else nn.AvgPool2d
            m = cls(layer["size"], layer["stride"], layer["padding"])
        elif kind == "relu":
            m = nn.ReLU()
        elif kind == "sigmoid":
            m = nn.Sigmoid()
        elif kind == "softmax":
            m = nn.Softmax(dim=1)
        elif kind == "batchnorm":
            m = (nn.BatchNorm2d if len(shape) == 3 else nn.BatchNorm1d)(shape[0])
        elif kind == "norm":
            m = nn.LocalResponseNorm(layer["size"])
        elif kind == "dropout":
            m = nn.Dropout(layer["p"])
        elif kind == "flatten":
            m = nn.Flatten()
        else:
            m = nn.Linear(numel(shape), layer["units"], bias=layer["bias"])
            if len(shape) > 1:
                m = nn.Sequential(nn.Flatten(), m)
        mods.append(m)
        shape = plan_layer(0, layer, shape).out_shape
    return mods


def torch_trace(input_shape: list[int], layers: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Run the network on the meta device: each layer's output shape, parameter count and repr."""
    import torch

    with torch.device("meta"):
        # Evaluation mode: batch norm in training mode refuses a batch of one.
        mods = [m.eval() for m in torch_layers(input_shape, layers)]
        x = torch.empty(1, *input_shape)
        out = []
        for m in mods:
            x = m(x)
            out.append({"shape": list(x.shape[1:]), "params": sum(p.numel() for p in m.parameters()),
                        "module": repr(m).replace("\n", " ").replace("  ", "")})
    return out


# --- the lab --------------------------------------------------------------------------


class ArchLab(Lab):
    name = "arch"
    title = "Architectures: shapes, parameters, memory"
    help = (
        "**network**: each step applies one layer. Output size: (W − F + 2P)/S + 1, floored as "
        "PyTorch does (a warning says which rows and columns are left over). Conv parameters: "
        "(F·F·C/groups)·K + K biases; fc: inputs·units + units; pooling, ReLU, LRN, dropout and "
        "flatten have none. Shapes are C×H×W as PyTorch writes them (the lecture writes 55x55x96).\n\n"
        "**Convention**: a MAC is one multiply and one add; FLOPs = 2 × MACs; only conv and fc "
        "count, and bias adds count only with `bias_flops = true` (tools disagree on both).\n\n"
        "**Memory** at 4 bytes a value (float32): weights; forward activations (every layer's "
        "output, × batch); training keeps those activations for the backward pass and adds a "
        "gradient per weight and the optimizer's state (momentum 1, Adam 2 values per weight). "
        "MB = 10^6 bytes, as the slide's 168MB.\n\n"
        "Every network is also built as a torch module on the meta device; ✓ means its shapes "
        "and parameter counts agree. With `--device cuda`, **g** runs one real forward pass "
        "and shows its time and peak memory.\n\n"
        "**Your own model** (`model = \"net.py:Net\"`, or `tui-lab open --model net.py:Net --input 3,224,224`): "
        "built on the meta device and walked one forward pass; each step is one leaf-module call (or a join "
        "such as a residual +), with its output shape, parameters (a shared module counted once), activations "
        "and MACs (FlopCounterMode's FLOPs / 2).\n\n"
        "**why_conv**: the slides' 1000×1000 image into 1M hidden units. **memory**: the slides' "
        "26 M weights + 16 M activations → 168 MB."
    )
    PARAMS = PARAMS
    KEYS = (("g", "forward", "run one real forward pass on the GPU: time and peak memory"),)

    @classmethod
    def validate(cls, raw: dict[str, Any]) -> dict[str, Any]:
        params = validate(cls.PARAMS, raw)
        params["layers"] = normalize_layers(params["layers"])
        cls.check(params)
        return params

    @classmethod
    def check(cls, p: dict[str, Any]) -> None:
        if p["model"]:
            own.check(p, MAX_TENSOR)
        elif p["mode"] == "network":
            if len(p["input"]) != 3:
                raise ParamError("params.input", f"expected a list of 3 integers, got {len(p['input'])} items "
                                 "([C, H, W] for [[params.layers]]; a model from code takes any shape)")
            if not p["layers"]:
                raise ParamError("params.layers", "missing; network mode needs at least one [[params.layers]] table")
            plan_network(p["input"], p["layers"], p["batch"])
        elif p["mode"] == "why_conv":
            n, maps = p["image"], p["maps"]
            if p["filter"] > n:
                raise ParamError("params.filter", f"a {p['filter']}×{p['filter']} filter does not fit a "
                                 f"{n}×{n} image; expected at most {n}")
            pixels = n * n
            # The fully connected variant is built as nn.Linear(pixels, maps · pixels) on the meta device.
            if pixels * maps * pixels > MAX_TENSOR:
                key = "params.image" if pixels * pixels > MAX_TENSOR else "params.maps"
                formula = f"{count(pixels)} · {count(maps * pixels)}"
                raise ParamError(key, too_big("the fully connected weights would be", pixels * maps * pixels, formula))

    def __init__(self, params: dict[str, Any], *, seed: int = 0, device: str = "cpu") -> None:
        super().__init__(params, seed=seed, device=device)
        self.bytes = DTYPES[params["dtype"]]
        self.own = own.OwnModel(params, self.bytes, OPT_STATE[params["optimizer"]]) if params["model"] else None
        network = params["mode"] == "network" and self.own is None
        self.plans = plan_network(params["input"], params["layers"]) if network else []

    def length(self) -> int:
        if self.own is not None:
            return self.own.length()
        return {"network": 1 + len(self.plans), "why_conv": 4, "memory": 5}[self.params["mode"]]

    def frames(self) -> Iterator[Frame]:
        mode = self.params["mode"]
        if self.own is not None:
            yield from self.own.frames()
        elif mode == "network":
            yield from self.network_frames()
        elif mode == "why_conv":
            yield from self.why_conv_frames()
        else:
            yield from self.memory_frames()

    # --- network ---------------------------------------------------------------------
    def convention(self) -> str:
        bias = "bias adds counted (one add per biased output)" if self.params["bias_flops"] else "bias adds not counted"
        return f"1 MAC = 1 multiply + 1 add; FLOPs = 2 × MACs; conv and fc only; {bias}"

    def flops(self, plan: LayerPlan) -> int:
        return 2 * plan.macs + (plan.bias_adds if self.params["bias_flops"] else 0)

    def row(self, plan: LayerPlan) -> dict[str, Any]:
        """A row of the running table: what the lab knows about one layer."""
        b, batch = self.bytes, self.params["batch"]
        return {
            "name": plan.name, "kind": plan.kind, "out_shape": list(plan.out_shape),
            "params": plan.params, "activations": plan.activations,
            "macs": plan.macs, "flops": self.flops(plan),
            "weight_bytes": plan.params * b, "activation_bytes": plan.activations * batch * b,
            "floored": bool(plan.warning),
        }

    def totals(self, rows: list[dict[str, Any]]) -> dict[str, Any]:
        p = self.params
        b, batch = self.bytes, p["batch"]
        weights = sum(r["params"] for r in rows)
        acts = sum(r["activations"] for r in rows)
        input_bytes = numel(p["input"]) * batch * b
        weight_bytes = weights * b
        act_bytes = acts * batch * b
        opt_bytes = OPT_STATE[p["optimizer"]] * weight_bytes
        return {
            "params": weights, "activations": acts,
            "macs": sum(r["macs"] for r in rows), "flops": sum(r["flops"] for r in rows),
            "input_bytes": input_bytes, "weight_bytes": weight_bytes, "activation_bytes": act_bytes,
            "forward_bytes": input_bytes + weight_bytes + act_bytes,
            "gradient_bytes": weight_bytes, "optimizer_bytes": opt_bytes,
            "training_bytes": input_bytes + weight_bytes + act_bytes + weight_bytes + opt_bytes,
        }

    def common(self) -> dict[str, Any]:
        p = self.params
        return {"mode": "network", "input": p["input"], "batch": p["batch"], "dtype": p["dtype"],
                "bytes_per_value": self.bytes, "optimizer": p["optimizer"], "convention": self.convention()}

    def network_frames(self) -> Iterator[Frame]:
        p = self.params
        trace = torch_trace(p["input"], p["layers"])
        c_in = list(p["input"])
        first = {"name": "INPUT", "kind": "input", "out_shape": c_in, "params": 0, "activations": numel(c_in),
                 "macs": 0, "flops": 0, "weight_bytes": 0, "activation_bytes": numel(c_in) * p["batch"] * self.bytes,
                 "floored": False}
        layer0 = {**first, "in_shape": None, "describe": f"{c_in[0]} channels of {c_in[1]}×{c_in[2]}",
                  "size_formula": "", "params_formula": "0", "why": "the image itself: no parameters", "warning": ""}
        yield Frame(0, f"Input: {shape_text(c_in)} = {count(numel(c_in))} values; {len(self.plans)} layers to go",
                    {**self.common(), "layer": layer0, "layers": [], "totals": self.totals([]), "warnings": []})
        rows: list[dict[str, Any]] = []
        warnings: list[str] = []
        for plan, ref in zip(self.plans, trace):
            rows.append(self.row(plan))
            if plan.warning:
                warnings.append(plan.warning)
            matches = ref["shape"] == list(plan.out_shape) and ref["params"] == plan.params
            layer = {
                **rows[-1], "in_shape": list(plan.in_shape), "describe": plan.describe,
                "size_formula": plan.size_formula, "params_formula": plan.params_formula,
                "weights": plan.weights, "biases": plan.biases, "bias_adds": plan.bias_adds,
                "why": plan.why, "warning": plan.warning,
                "torch": {"module": ref["module"], "out_shape": ref["shape"], "params": ref["params"], "matches": matches},
            }
            values = {**self.common(), "layer": layer, "layers": rows, "totals": self.totals(rows), "warnings": warnings}
            last = plan.index == len(self.plans) - 1
            if last:
                torch_total = sum(r["params"] for r in trace)
                values["total_params"] = values["totals"]["params"]
                values["torch_total_params"] = torch_total
                values["matches_torch"] = all(r["shape"] == list(q.out_shape) and r["params"] == q.params
                                              for r, q in zip(trace, self.plans))
            yield Frame(plan.index + 1, self.caption(plan, values["totals"], last), values,
                        {"layer": plan.index, "warning": bool(plan.warning)})

    def caption(self, plan: LayerPlan, totals: dict[str, Any], last: bool) -> str:
        head = f"{plan.name}: {plan.describe}"
        if plan.kind in ("conv", "pool") and plan.describe and "adaptive" not in plan.describe:
            text = f"{head}: {plan.size_formula} → {shape_text(plan.out_shape)}, "
        else:
            text = f"{head} → {shape_text(plan.out_shape)}, "
        if plan.params:
            text += f"{plan.params_formula} parameters"
        else:
            text += "0 parameters"
        if plan.warning:
            text += " ⚠ floored"
        if last:
            text += f"; total {count(totals['params'])} parameters"
        return text

    def forward_pass(self) -> str:
        """One real forward pass on the GPU: measured time and peak memory beside the estimate."""
        import torch

        p = self.params
        dev = torch.device(self.device)
        if self.own is not None:
            model, x = self.own.real(dev)
        else:
            model = torch.nn.Sequential(*torch_layers(p["input"], p["layers"])).to(dev).eval()
            x = torch.randn(p["batch"], *p["input"], device=dev)
        with torch.no_grad():
            model(x)  # warm-up: cuDNN chooses its algorithms on the first call
            torch.cuda.synchronize(dev)
            torch.cuda.reset_peak_memory_stats(dev)
            start, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
            start.record()
            model(x)
            end.record()
            torch.cuda.synchronize(dev)
        ms = start.elapsed_time(end)
        peak = torch.cuda.max_memory_allocated(dev)
        del model, x
        torch.cuda.empty_cache()
        t = self.totals([self.row(q) for q in self.plans])
        estimate = self.own.estimate() if self.own is not None else (
            f"{mb(t['forward_bytes'])} (weights {mb(t['weight_bytes'])} + input "
            f"{mb(t['input_bytes'])} + every activation {mb(t['activation_bytes'])}, an upper bound: "
            "without gradients torch frees each activation once used)")
        return (f"forward pass on {torch.cuda.get_device_name(dev)}, batch {p['batch']}: {num(ms, 3)} ms, "
                f"peak {mb(peak)}; estimate {estimate}")

    def adjust(self, name: str) -> str:
        if name != "forward":
            raise KeyError(name)
        if self.params["mode"] != "network":
            return "a forward pass needs a network (mode = \"network\")"
        from ..core.device import is_cuda

        if not is_cuda(self.device):
            return (f"a real forward pass needs a GPU; this session runs on {self.device}. "
                    "Open the scenario with --device cuda on a machine with one")
        try:
            return self.forward_pass()
        except Exception as exc:  # out of memory and the like: a line for the person
            return f"forward pass failed: {type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}"

    # --- why convolution ---------------------------------------------------------------
    def why_conv_frames(self) -> Iterator[Frame]:
        import warnings

        import torch
        from torch import nn

        p = self.params
        n, k, maps = p["image"], p["filter"], p["maps"]
        pixels = n * n
        hidden = maps * pixels  # one hidden unit per pixel per feature map
        with torch.device("meta"):
            fc = nn.Linear(pixels, hidden, bias=False)
            conv = nn.Conv2d(1, maps, k, padding="same", bias=False)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # an even filter pads one side more; fine on meta
                conv_out = conv(torch.empty(1, 1, n, n))
        positions = conv_out.shape[-2] * conv_out.shape[-1]
        variants = [
            {"name": "FULLY CONNECTED", "kind": "fc", "out_shape": [hidden], "params": pixels * hidden,
             "activations": hidden, "formula": f"{count(pixels)} · {count(hidden)} = {power(pixels * hidden)}",
             "why": "every hidden unit has its own weight for every pixel",
             "torch": {"module": repr(fc), "params": fc.weight.numel()}},
            {"name": "LOCALLY CONNECTED", "kind": "local", "out_shape": [maps, n, n], "params": hidden * k * k,
             "activations": hidden, "formula": f"{count(hidden)} · {k}·{k} = {power(hidden * k * k)}",
             "why": f"spatial correlation is local: each hidden unit sees only a {k}×{k} patch, with its own weights",
             # torch has no locally connected layer: one conv-sized filter per output position.
             "torch": {"module": f"{count(positions)} positions of a 'same' Conv2d × {maps} map(s) × {k}·{k} own weights",
                       "params": positions * maps * k * k}},
            {"name": "CONVOLUTION", "kind": "conv", "out_shape": [maps, n, n], "params": maps * k * k,
             "activations": hidden, "formula": f"{maps} · {k}·{k} = {count(maps * k * k)}",
             "why": "stationarity: statistics are similar at different locations, so every position shares the same filter",
             "torch": {"module": repr(conv), "params": conv.weight.numel()}},
        ]
        for v in variants:
            v["torch"]["matches"] = v["torch"]["params"] == v["params"]
        base = {"mode": "why_conv", "image": n, "filter": k, "maps": maps, "hidden": hidden,
                "note": "weights only, as the slides count them; biases would add one per hidden unit (or per map)"}
        layer0 = {"name": "INPUT", "kind": "input", "out_shape": [1, n, n], "params": 0, "activations": pixels}
        units = f"{power(hidden)} hidden units" + (f" ({maps} maps)" if maps > 1 else "")
        yield Frame(0, f"A {n}×{n} image ({power(pixels)} pixels) into {units}: how many parameters?",
                    {**base, "layer": layer0, "variants": []})
        for i, v in enumerate(variants, 1):
            values = {**base, "layer": {k_: v[k_] for k_ in ("name", "kind", "out_shape", "params", "activations")},
                      "variants": variants[:i]}
            caption = f"{v['name'].capitalize()}: {v['formula']} parameters"
            if i == 3:
                values["total_params"] = v["params"]
                caption += f" ({power(variants[0]['params'] // v['params'])} times fewer than fully connected)"
            yield Frame(i, caption, values, {"variant": i - 1})

    # --- memory calculator -------------------------------------------------------------
    def memory_frames(self) -> Iterator[Frame]:
        p = self.params
        b, batch, w, a = self.bytes, p["batch"], p["weights"], p["activations"]
        k = OPT_STATE[p["optimizer"]]
        acts = a * batch
        parts = [
            ("WEIGHTS", w * b, f"{count(w)} weights · {b} bytes = {mb(w * b)}"),
            ("ACTIVATIONS", acts * b, (f"{count(a)} activations · {batch} images" if batch > 1 else f"{count(a)} activations")
             + f" · {b} bytes = {mb(acts * b)}"),
            ("GRADIENTS", w * b, f"Training: one gradient per weight, {count(w)} · {b} bytes = {mb(w * b)}"),
            ("OPTIMIZER", k * w * b, f"{OPT_WORDS[p['optimizer']].capitalize()}: {k} · {count(w)} · {b} bytes = {mb(k * w * b)}"),
        ]
        base = {"mode": "memory", "weights": w, "activations": a, "batch": batch, "dtype": p["dtype"],
                "bytes_per_value": b, "optimizer": p["optimizer"], "optimizer_values_per_weight": k}
        layer = {"name": "MODEL", "kind": "memory", "out_shape": [], "params": w, "activations": acts}
        yield Frame(0, f"{count(w)} weight parameters and {count(a)} activations in the forward pass, "
                       f"at {b} bytes a value ({p['dtype']})", {**base, "layer": layer, "parts": [], "total_bytes": 0})
        total = 0
        for i, (name, nbytes, text) in enumerate(parts, 1):
            total += nbytes
            caption = text
            if i == 2:
                caption += f"; weights + activations = {mb(total)}, kept until the backward pass"
            elif i == 4:
                caption += f"; training needs {mb(total)}"
            values = {**base, "layer": layer, "parts": [{"name": n, "bytes": x, "formula": t} for n, x, t in parts[:i]],
                      "total_bytes": total, "inference_bytes": (w + acts) * b}
            if i == 4:
                values["total_params"] = w
            yield Frame(i, caption, values, {"part": i - 1})


LAB = ArchLab
