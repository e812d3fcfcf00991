"""The training lab's parameters, their cross-field rules, and the typed config built once from them.

`layers` is the architecture lab's layer format (engine/arch/lab.py), so one list works in
both labs; the input is a digit, 1×8×8. Every rule here raises ParamError naming the key.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..arch.layers import LAYER_FIELDS, LayerPlan, normalize_layers, numel, plan_network
from ..core.fmt import count
from ..core.fmt import shape as shape_text
from ..core.params import Param, ParamError
from ..data import digits
from .init import RULES

INPUT = (1, digits.SIDE, digits.SIDE)
CLASSES = len(digits.CLASSES)
MODES = ("steps", "train", "dilution", "search")
OPTIMIZERS = ("sgd", "momentum", "adam")
ACTIVATIONS = ("listed", "relu", "sigmoid")
MAX_PARAMS = 5_000_000  # a typo (100000 units) would otherwise fill memory before the first frame
MAX_ACTIVATIONS = 50_000_000  # values in one batch's largest layer output

SMALL_CNN = [
    {"kind": "conv", "filters": 8, "size": 3, "padding": 1},
    {"kind": "relu"},
    {"kind": "pool", "size": 2},
    {"kind": "fc", "units": 10},
    {"kind": "softmax"},
]

VARIANT_FIELDS = (
    Param("activation", "choice", "relu", "every activation layer becomes this", choices=("relu", "sigmoid")),
    Param("init", "choice", "he", "the initialisation rule", choices=RULES),
    Param("batchnorm", "bool", False, "a batch norm before every activation"),
    Param("label", "str", "", "the name on screen (default: activation + rule)"),
)
DEFAULT_VARIANTS = [
    {"activation": "sigmoid", "init": "normal", "batchnorm": False, "label": ""},
    {"activation": "relu", "init": "torch", "batchnorm": False, "label": ""},
    {"activation": "relu", "init": "he", "batchnorm": False, "label": ""},
    {"activation": "relu", "init": "he", "batchnorm": True, "label": ""},
]

PARAMS = (
    Param("mode", "choice", "train", "steps: the five steps on one image; train: minibatch training; "
          "dilution: per-layer gradient norms of a deep net; search: grid against random search", choices=MODES),
    Param("layers", "tables", SMALL_CNN, "the network, in the arch lab's layer format; it ends with a softmax "
          "over the 10 digits", fields=LAYER_FIELDS),
    Param("activation", "choice", "listed", "listed: as the layers say; relu or sigmoid: every activation layer "
          "becomes this", choices=ACTIVATIONS),
    Param("init", "choice", "he", "he: N(0, 2/fan_in); xavier: U(±√(6/(fan_in + fan_out))); normal: N(0, init_std²); "
          "torch: U(±1/√fan_in)", choices=RULES),
    Param("init_std", "float", 0.1, "σ of the plain normal rule", min=1e-6, max=10),
    Param("optimizer", "choice", "momentum", "sgd; momentum (0.9); adam", choices=OPTIMIZERS),
    Param("lr", "float", 0.05, "learning rate", min=1e-7, max=1e4),
    Param("batch", "int", 32, "images per minibatch (dilution: per gradient)", min=1, max=100_000),
    Param("epochs", "int", 20, "passes over the training images (steps: after the five steps; search: per run)",
          min=0, max=100_000),
    Param("train_images", "int", 0, "train on this many of the training images (a seeded subset); 0 = all",
          min=0, max=100_000),
    Param("image", "int", 0, "steps: which training image goes through the network", min=0, max=100_000),
    Param("variants", "tables", DEFAULT_VARIANTS, "dilution: the set-ups compared", fields=VARIANT_FIELDS),
    Param("lr_range", "floats", [0.001, 1.0], "search: learning rates from … to (log scale)", min=1e-7, max=1e4,
          length=2),
    Param("batch_range", "ints", [16, 128], "search: batch sizes from … to (log scale)", min=1,
          max=100_000, length=2),
    Param("dropout_range", "floats", [0.0, 0.5], "search: dropout probability from … to", min=0, max=0.95, length=2),
    Param("optimizers", "str", "momentum, adam", "search: the optimizers tried, separated by commas"),
    Param("levels", "int", 2, "search: grid points per hyperparameter (the budget is levels³ · optimizers runs "
          "per method)", min=1, max=6),
    Param("seeds", "int", 10, "search: how many times the whole comparison is repeated", min=1, max=1000),
)


@dataclass(frozen=True)
class TrainConfig:
    """The validated params, typed, built once (`TrainConfig.of(params)`)."""

    mode: str
    layers: tuple[dict[str, Any], ...]  # normalised: every kind's defaults filled, named CONV1, RELU1, …
    plans: tuple[LayerPlan, ...]  # shapes and parameter counts, from the arch lab's formulas
    init: str
    init_std: float
    optimizer: str
    lr: float
    batch: int
    epochs: int
    train_images: int  # resolved: the number actually used
    image: int
    variants: tuple[dict[str, Any], ...]
    lr_range: tuple[float, float]
    batch_range: tuple[int, int]
    dropout_range: tuple[float, float]
    optimizers: tuple[str, ...]
    levels: int
    seeds: int

    @property
    def shapes(self) -> list[tuple[int, ...]]:
        """The input shape of every layer, then the output's."""
        return [INPUT] + [q.out_shape for q in self.plans]

    @property
    def parameters(self) -> int:
        return sum(q.params for q in self.plans)

    @classmethod
    def of(cls, p: dict[str, Any]) -> "TrainConfig":
        layers = tuple(p["layers"])
        return cls(p["mode"], layers, tuple(plan(list(layers))), p["init"], p["init_std"], p["optimizer"], p["lr"],
                   p["batch"], p["epochs"], p["train_images"] or TRAIN_IMAGES, p["image"], tuple(p["variants"]),
                   tuple(p["lr_range"]), tuple(p["batch_range"]), tuple(p["dropout_range"]),
                   parse_optimizers(p["optimizers"]), p["levels"], p["seeds"])


TRAIN_IMAGES = len(digits.split(0).train)  # 1,078: the stratified split's sizes do not depend on the seed


def with_activation(raw_layers: list[dict[str, Any]], activation: str) -> list[dict[str, Any]]:
    """Every relu or sigmoid layer becomes `activation` (unnamed ones are named after it)."""
    if activation == "listed":
        return raw_layers
    return [{**layer, "kind": activation} if layer.get("kind") in ("relu", "sigmoid") else layer for layer in raw_layers]


def plan(layers: list[dict[str, Any]]) -> list[LayerPlan]:
    """The arch lab's shape rules on a digit (ParamError where shapes do not chain), plus this lab's own."""
    for i, layer in enumerate(layers):
        if layer["kind"] == "norm":
            raise ParamError(f"params.layers[{i}].kind", f"{layer['name']}: local response normalization is not in the "
                             "training lab (it has no backward formula here); use batchnorm")
    plans = plan_network(list(INPUT), layers)
    last = plans[-1]
    if last.kind != "softmax":
        raise ParamError(f"params.layers[{len(layers) - 1}].kind", f"{last.name}: the network must end with a softmax "
                         "over the 10 digits (the cross-entropy reads its probabilities); add a layer kind = \"softmax\"")
    if last.in_shape != (CLASSES,):
        before = f"layers[{len(layers) - 2}]" if len(layers) > 1 else "the input"
        raise ParamError(f"params.layers[{len(layers) - 1}].kind", f"{last.name}: the softmax needs 10 values, one per "
                         f"digit, but {before} gives [{shape_text(last.in_shape)}]; end with an fc layer of units = 10")
    total = sum(q.params for q in plans)
    if total > MAX_PARAMS:
        worst = max(plans, key=lambda q: q.params)
        key = {"conv": "filters", "fc": "units"}.get(worst.kind, "kind")
        raise ParamError(f"params.layers[{worst.index}].{key}", f"{count(total)} parameters ({worst.name}: "
                         f"{count(worst.params)}); the training lab holds at most {count(MAX_PARAMS)}")
    return plans


def parse_optimizers(text: str) -> tuple[str, ...]:
    names = tuple(n.strip() for n in text.split(",") if n.strip())
    for n in names:
        if n not in OPTIMIZERS:
            raise ParamError("params.optimizers", f"unknown optimizer {n!r}; use names from "
                             + ", ".join(OPTIMIZERS) + ", separated by commas")
    if not names or len(set(names)) != len(names):
        raise ParamError("params.optimizers", "expected one or more different names from " + ", ".join(OPTIMIZERS))
    return names


def normalise(params: dict[str, Any]) -> dict[str, Any]:
    """The layers with the activation applied and every kind's defaults filled in."""
    return {**params, "layers": normalize_layers(with_activation(params["layers"], params["activation"]))}


def check(p: dict[str, Any]) -> None:
    """The cross-field rules; ParamError names the key."""
    if not p["layers"]:
        raise ParamError("params.layers", "missing; expected at least one [[params.layers]] table, ending with "
                         "kind = \"softmax\"")
    plans = plan(p["layers"])
    n = p["train_images"] or TRAIN_IMAGES
    if p["train_images"] > TRAIN_IMAGES:
        raise ParamError("params.train_images", f"the split has {count(TRAIN_IMAGES)} training images; "
                         f"expected at most {count(TRAIN_IMAGES)} (0 = all)")
    if p["batch"] > n:
        raise ParamError("params.batch", f"a batch of {count(p['batch'])} is larger than the {count(n)} training images; "
                         f"expected at most {count(n)}")
    widest = max(numel(q.out_shape) for q in plans)
    if widest * p["batch"] > MAX_ACTIVATIONS:
        raise ParamError("params.batch", f"{count(p['batch'])} images · {count(widest)} values in the widest layer "
                         f"output is more than {count(MAX_ACTIVATIONS)}; use a smaller batch")
    if p["mode"] == "steps":
        if p["image"] >= n:
            raise ParamError("params.image", f"expected a training image from 0 to {n - 1}, got {p['image']}")
        for q in plans:
            if q.kind == "batchnorm" and len(q.in_shape) == 1:
                raise ParamError(f"params.layers[{q.index}].kind", f"{q.name}: the five steps use one image, and batch "
                                 "normalisation over units needs a batch of several; use mode = \"train\"")
    if p["mode"] == "dilution" and not p["variants"]:
        raise ParamError("params.variants", "missing; dilution compares at least one set-up")
    if p["mode"] == "search":
        check_search(p, plans, n)


def check_search(p: dict[str, Any], plans: list[LayerPlan], n: int) -> None:
    parse_optimizers(p["optimizers"])
    if not any(q.kind == "dropout" for q in plans):
        raise ParamError("params.layers", "the search varies dropout, but no layer is kind = \"dropout\"; add one "
                         "(e.g. before the last fc)")
    for key in ("lr_range", "batch_range", "dropout_range"):
        lo, hi = p[key]
        if lo > hi:
            raise ParamError(f"params.{key}", f"expected [low, high] with low ≤ high, got [{lo}, {hi}]")
    if p["batch_range"][1] > n:
        raise ParamError("params.batch_range", f"the largest batch {count(p['batch_range'][1])} is more than the "
                         f"{count(n)} training images; expected at most {count(n)}")
    if p["epochs"] < 1:
        raise ParamError("params.epochs", "each search run trains for `epochs`; expected at least 1")
