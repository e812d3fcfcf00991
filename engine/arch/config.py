"""The architecture lab's parameters, and the one typed config built from them.

`plan(params)` applies every cross-field rule from shapes alone (the layers' output sizes,
the tensors torch could hold, a model's form without importing it) and returns a frozen
`ArchConfig`; `tui-lab check`, the lab and a knob turn all go through it once.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping

from ..core.fmt import count
from ..core.params import Param, ParamError
from . import own
from .layers import LAYER_FIELDS, MAX_TENSOR, Layer, LayerPlan, numel, plan_network, too_big

DTYPES = {"float32": 4, "float16": 2, "bfloat16": 2, "float64": 8}
# Values of optimizer state kept per weight: SGD none, momentum one velocity, Adam two moments.
OPT_STATE = {"sgd": 0, "momentum": 1, "adam": 2}
OPT_WORDS = {"sgd": "plain SGD keeps no state", "momentum": "momentum keeps 1 velocity per weight",
             "adam": "Adam keeps 2 moments per weight"}
MODES = ("network", "why_conv", "memory")

PARAMS = (
    Param("mode", "choice", "network", "network: step through layers; why_conv: the parameter-count slides; "
          "memory: the memory calculator", choices=MODES),
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


@dataclass(frozen=True)
class ArchConfig:
    """Everything the lab knows before it computes a frame."""

    mode: str  # network | why_conv | memory | model (a model from code, stepped like a network)
    input: tuple[int, ...]
    batch: int
    dtype: str
    bytes: int  # per value
    optimizer: str
    opt_state: int  # optimizer values kept per weight
    bias_flops: bool
    layers: tuple[Layer, ...] = ()
    plans: tuple[LayerPlan, ...] = ()
    image: int = 0  # why_conv
    filter: int = 0
    maps: int = 0
    weights: int = 0  # memory
    activations: int = 0
    model: str = ""  # a model from code
    kwargs: Mapping[str, Any] | None = None
    tokens: bool = False

    @property
    def input_bytes(self) -> int:
        """One batch of inputs; token ids are int64 whatever the dtype."""
        return numel(self.input) * self.batch * (8 if self.tokens else self.bytes)

    def flops(self, plan: LayerPlan) -> int:
        return 2 * plan.macs + (plan.bias_adds if self.bias_flops else 0)


def plan(p: dict[str, Any]) -> ArchConfig:
    """All the cross-field rules, in one place; ParamError names the key. Allocates nothing."""
    base = dict(input=tuple(p["input"]), batch=p["batch"], dtype=p["dtype"], bytes=DTYPES[p["dtype"]],
                optimizer=p["optimizer"], opt_state=OPT_STATE[p["optimizer"]], bias_flops=p["bias_flops"])
    if p["model"]:
        own.check(p, MAX_TENSOR)
        return ArchConfig("model", **base, model=p["model"], kwargs=p["kwargs"], tokens=p["tokens"])
    if p["mode"] == "network":
        if len(p["input"]) != 3:
            raise ParamError("params.input", f"expected a list of 3 integers, got {len(p['input'])} items "
                             "([C, H, W] for [[params.layers]]; a model from code takes any shape)")
        if not p["layers"]:
            raise ParamError("params.layers", "missing; network mode needs at least one [[params.layers]] table")
        layers = tuple(Layer.of(x) for x in p["layers"])
        return ArchConfig("network", **base, layers=layers, plans=tuple(plan_network(p["input"], layers, p["batch"])))
    if p["mode"] == "why_conv":
        n, k, maps = p["image"], p["filter"], p["maps"]
        if k > n:
            raise ParamError("params.filter", f"a {k}×{k} filter does not fit a {n}×{n} image; expected at most {n}")
        pixels = n * n
        # The fully connected variant is built as nn.Linear(pixels, maps · pixels) on the meta device.
        if pixels * maps * pixels > MAX_TENSOR:
            key = "params.image" if pixels * pixels > MAX_TENSOR else "params.maps"
            formula = f"{count(pixels)} · {count(maps * pixels)}"
            raise ParamError(key, too_big("the fully connected weights would be", pixels * maps * pixels, formula))
        return ArchConfig("why_conv", **base, image=n, filter=k, maps=maps)
    return ArchConfig("memory", **base, weights=p["weights"], activations=p["activations"])
