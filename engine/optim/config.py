"""The optimizer lab's parameters, and the one plan built from them.

`fill(params)` gives every hyperparameter that applies to an optimizer's kind its value
(the lecture's defaults where the scenario gives none), so the params say what runs and a
knob can turn any of them. `plan(params)` applies every cross-field rule, cheaply (it
evaluates f at the start point, nothing more), and returns the frozen `OptimConfig` that
the lab's math reads: `cfg.start`, `h.beta1`, never `p["start"]`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..core.fmt import num
from ..core.params import Param, ParamError, tensor_shape, validate
from . import surfaces

KINDS = ("sgd", "momentum", "nesterov", "adagrad", "rmsprop", "adam")
LETTERS = {"sgd": "S", "momentum": "M", "nesterov": "N", "adagrad": "G", "rmsprop": "R", "adam": "A"}
# Defaults that race sensibly on the default bowl (λ = 1, 10: SGD is stable for α < 2/10).
DEFAULT_LR = {"sgd": 0.05, "momentum": 0.02, "nesterov": 0.02, "adagrad": 0.5, "rmsprop": 0.05, "adam": 0.1}
# The lecture's constants: 1e-7 in AdaGrad/RMSProp's code; 1e-8 is Adam's usual epsilon.
DEFAULT_EPS = {"adagrad": 1e-7, "rmsprop": 1e-7, "adam": 1e-8}
DEFAULTS = {"rho": 0.9, "decay": 0.99, "beta1": 0.9, "beta2": 0.999}
# Which hyperparameters mean something for which kind; any other use is an error.
APPLIES = {
    "rho": ("momentum", "nesterov"),
    "convention": ("momentum", "nesterov"),
    "decay": ("rmsprop",),
    "beta1": ("adam",),
    "beta2": ("adam",),
    "bias_correction": ("adam",),
    "eps": ("adagrad", "rmsprop", "adam"),
}
MAX_OPTIMIZERS = 8
MAX_SWARM_SIDE = 200
MAX_POINTS = 64  # basin points: labels 1..64 on the map, far from the diverged label
MAX_POINT_UPDATES = 10_000 * 6 * 1000
DIVERGED = 255  # the basin label of a diverged swarm start

OPT_FIELDS = (
    Param("kind", "choice", doc="the update rule", choices=KINDS),
    Param("name", "str", "", "label in the legend and the JSON (default: the kind)"),
    Param("lr", "float", None, "learning rate α", min=0, max=1000),
    Param("rho", "float", None, "momentum ρ (momentum, nesterov; default 0.9)", min=0, max=1),
    Param("decay", "float", None, "RMSProp decay rate δ (default 0.99)", min=0, max=1),
    Param("beta1", "float", None, "Adam β1 (default 0.9)", min=0, max=1),
    Param("beta2", "float", None, "Adam β2 (default 0.999)", min=0, max=1),
    Param("eps", "float", None, "ε in the denominator (default 1e-7; Adam 1e-8; with 0, a zero gradient "
          "steps 0)", min=0, max=1),
    Param("bias_correction", "bool", None, "Adam: divide m, v by 1 − βᵗ (default false, as on the slide)"),
    Param("convention", "choice", None, "momentum form: lecture (momentum: pytorch; nesterov: sutskever), pytorch or sutskever",
          choices=("lecture", "pytorch", "sutskever")),
    Param("noise", "float", 0.0, "std of Gaussian noise added to each gradient (seeded)", min=0, max=1000),
    Param("lr_change", "floats", [], "[step, new lr]: from that step on, α is the new value"),
)

DEFAULT_OPTIMIZERS = [validate(OPT_FIELDS, {"kind": k}, "params.optimizers[]") for k in KINDS]

PARAMS = (
    Param("surface", "choice", "bowl", "the loss surface (ignored when formula is given)", choices=surfaces.SURFACES),
    Param("formula", "str", "", "your own f(x, y): numbers, x, y, + − * / **, (), sin cos exp log sqrt tanh abs"),
    Param("eigenvalues", "floats", [1.0, 10.0], "the bowl's curvatures λ1, λ2: f = (λ1·x² + λ2·y²)/2", length=2,
          min=0.001, max=1000),
    Param("start", "floats", [], "[x, y] start point (default: the surface's own)", length=2, min=-1e6, max=1e6),
    Param("steps", "int", 100, "how many updates", min=1, max=2000),
    Param("view", "floats", [], "[xmin, xmax, ymin, ymax] window drawn (default: the surface's own)", length=4,
          min=-1e6, max=1e6),
    Param("bound", "float", 1000.0, "a start whose |x| or |y| passes this has diverged", min=0.001, max=1e12),
    Param("swarm", "int", 0, "swarm mode: a side × side grid of starts over the view (0 = off)", min=0,
          max=MAX_SWARM_SIDE),
    Param("points", "tensor", [], f"[[x, y], ...] points that colour swarm basins, at most {MAX_POINTS} "
          "(default: the surface's minima)", ndims=(2,), shapes={2: "[[x, y], ...]"}),
    Param("optimizers", "tables", DEFAULT_OPTIMIZERS, "the racers, one [[params.optimizers]] table each", min=1,
          fields=OPT_FIELDS),
)


@dataclass(frozen=True)
class Hyper:
    """One optimizer's settings, every default filled in."""

    name: str
    kind: str
    variant: str  # the rule's form: see rules.RULES
    letter: str  # its marker on the map, read without colour
    lr: float
    rho: float = 0.9
    decay: float = 0.99
    beta1: float = 0.9
    beta2: float = 0.999
    eps: float = 1e-7
    noise: float = 0.0
    lr_change: tuple[float, float] | None = None

    def lr_at(self, t: int) -> float:
        """α for update t (1-based)."""
        if self.lr_change and t >= self.lr_change[0]:
            return self.lr_change[1]
        return self.lr

    def settings(self) -> str:
        """The hyperparameters, as the legend shows them."""
        parts = [f"α {num(self.lr)}"]
        if self.kind in ("momentum", "nesterov"):
            parts += [f"ρ {num(self.rho)}", self.variant]
        if self.kind == "rmsprop":
            parts.append(f"δ {num(self.decay)}")
        if self.kind == "adam":
            parts += [f"β1 {num(self.beta1)}", f"β2 {num(self.beta2)}",
                      "bias-corrected" if self.variant == "bias-corrected" else "no bias correction"]
        if self.kind in APPLIES["eps"]:
            parts.append(f"ε {num(self.eps)}")
        if self.lr_change:
            parts.append(f"α → {num(self.lr_change[1])} from step {int(self.lr_change[0])}")
        if self.noise:
            parts.append(f"noise σ {num(self.noise)}")
        return ", ".join(parts)


@dataclass(frozen=True)
class OptimConfig:
    """Everything the lab needs to know before it computes a number."""

    surface: surfaces.Surface
    view: tuple[float, float, float, float]
    start: tuple[float, float]
    steps: int
    bound: float
    side: int  # swarm: side × side starts (0 = off)
    points: tuple[tuple[str, float, float], ...]  # (label, x, y) that colour basins and judge the race
    hypers: tuple[Hyper, ...] = field(default=())

    @property
    def reach(self) -> float:
        """Within this distance of a point counts as there: 2% of the view's diagonal."""
        xmin, xmax, ymin, ymax = self.view
        return 0.02 * math.hypot(xmax - xmin, ymax - ymin)


def default_name(o: dict[str, Any]) -> str:
    if o["name"]:
        return o["name"]
    if o["kind"] == "adam" and o["bias_correction"]:
        return "adam-bc"
    return o["kind"]


def fill(params: dict[str, Any]) -> dict[str, Any]:
    """The params with every numeric hyperparameter that applies to each optimizer's kind given."""
    out = []
    for o in params["optimizers"]:
        kind = o["kind"]
        given = dict(o)
        defaults = {"lr": DEFAULT_LR[kind], "eps": DEFAULT_EPS.get(kind), **DEFAULTS}
        for key, value in defaults.items():
            if given[key] is None and (key == "lr" or kind in APPLIES[key]):
                given[key] = value
        out.append(given)
    return {**params, "optimizers": out}


def hypers(optimizers: list[dict[str, Any]]) -> tuple[Hyper, ...]:
    out, used = [], set()
    for o in fill({"optimizers": optimizers})["optimizers"]:
        kind = o["kind"]
        # A letter per optimizer, so markers read without colour: the kind's, else the name's, else any free one.
        name = default_name(o)
        letter = next(c for c in [LETTERS[kind], *name.upper(), *"BCDEFHIJKLOPQTUVWXYZ"] if c.isalpha() and c not in used)
        used.add(letter)
        variant = ""
        if kind in APPLIES["convention"]:
            variant = o["convention"] or "lecture"
            if variant == "lecture":
                variant = "sutskever" if kind == "nesterov" else "pytorch"
        elif kind == "adam":
            variant = "bias-corrected" if o["bias_correction"] else "slide"
        numbers = {k: o[k] for k in ("rho", "decay", "beta1", "beta2", "eps") if o[k] is not None}
        out.append(Hyper(name=name, kind=kind, variant=variant, letter=letter, lr=o["lr"], noise=o["noise"],
                         lr_change=(float(o["lr_change"][0]), float(o["lr_change"][1])) if o["lr_change"] else None,
                         **numbers))
    return tuple(out)


def plan(p: dict[str, Any]) -> OptimConfig:
    """Every cross-field rule in one place; ParamError names the key."""
    _check_optimizers(p["optimizers"])
    surf = surfaces.surface(p["surface"], p["formula"], tuple(p["eigenvalues"]))
    view = tuple(float(v) for v in (p["view"] or surf.view))
    if p["view"]:
        if not (view[0] < view[1] and view[2] < view[3]):
            raise ParamError("params.view", f"expected [xmin, xmax, ymin, ymax] with xmin < xmax and ymin < ymax, got {p['view']}")
        for axis, lo, hi in (("x", view[0], view[1]), ("y", view[2], view[3])):
            if hi - lo < 1e-6 * max(1.0, abs(lo), abs(hi)):
                raise ParamError("params.view", f"the {axis} range [{num(lo)}, {num(hi)}] is too narrow to draw; "
                                 "make it at least a millionth of its largest value (and at least 1e−6)")
    start = tuple(float(v) for v in (p["start"] or surf.start))
    f0 = float(surf.numpy(np.array(start[0]), np.array(start[1])))
    if not math.isfinite(f0) and p["formula"] and not np.isfinite(surfaces.grid(p["formula"], view, 16, 16)).any():
        raise ParamError("params.formula", "f is not a finite number anywhere in the view (NaN or inf); note that a "
                         "negative number to a fractional power, such as (-8)**(1/3), is NaN, as in numpy")
    if not math.isfinite(f0):
        raise ParamError("params.start" if p["start"] else "params.formula",
                         f"f is not finite at the start ({num(start[0])}, {num(start[1])}); choose another start")
    if max(abs(start[0]), abs(start[1])) > p["bound"]:
        raise ParamError("params.start", f"the start is beyond the divergence bound {num(p['bound'])}")
    if p["points"]:
        shape = tensor_shape("params.points", p["points"], (2,))
        if shape[1] != 2:
            raise ParamError("params.points", f"expected [[x, y], ...] pairs, got rows of {shape[1]}")
        if shape[0] > MAX_POINTS:
            raise ParamError("params.points", f"at most {MAX_POINTS} points colour the basins, got {shape[0]}")
    if p["swarm"] * p["swarm"] * p["steps"] * len(p["optimizers"]) > MAX_POINT_UPDATES:
        raise ParamError("params.swarm", f"swarm² × steps × optimizers is above {MAX_POINT_UPDATES // 1_000_000} "
                         "million point-updates; use fewer starts or steps")
    points = (tuple((f"p{i + 1}", float(a), float(b)) for i, (a, b) in enumerate(p["points"]))
              if p["points"] else surf.points)
    return OptimConfig(surf, view, start, p["steps"], float(p["bound"]), p["swarm"], points, hypers(p["optimizers"]))


def _check_optimizers(optimizers: list[dict[str, Any]]) -> None:
    names: dict[str, int] = {}
    for i, o in enumerate(optimizers):
        key = f"params.optimizers[{i}]"
        for hp, kinds in APPLIES.items():
            if o[hp] is not None and o["kind"] not in kinds:
                raise ParamError(f"{key}.{hp}", f"does not apply to {o['kind']}; it is for " + ", ".join(kinds))
        if o["kind"] == "adam" and o["bias_correction"]:
            for beta in ("beta1", "beta2"):
                if o[beta] is not None and o[beta] >= 1:
                    raise ParamError(f"{key}.{beta}", "must be below 1 with bias_correction (1 − βᵗ would be 0)")
        if o["lr_change"]:
            if len(o["lr_change"]) != 2:
                raise ParamError(f"{key}.lr_change", f"expected [step, new lr], got {len(o['lr_change'])} numbers")
            step, lr = o["lr_change"]
            if step < 1 or step != int(step) or lr < 0:
                raise ParamError(f"{key}.lr_change", "expected [step, new lr] with a whole step ≥ 1 and lr ≥ 0")
        name = default_name(o)
        if name in names:
            raise ParamError(f"{key}.name", f"{name!r} is already the name of optimizers[{names[name]}]; "
                             "give each a distinct `name`")
        names[name] = i
    if len(optimizers) > MAX_OPTIMIZERS:
        raise ParamError("params.optimizers", f"at most {MAX_OPTIMIZERS} optimizers race at once, got {len(optimizers)}")
