"""Optimizer paths on 2-D loss surfaces: SGD to Adam, one update of each per step.

The update rules are the lecture's code ("Alternative optimization methods"), in
float64 torch tensors, batched over start points: every tensor is (N, 2), so a swarm
of 10,000 starts is the same code as one start, one tensor op per line of the rule.
Gradients come from torch autograd on the surface formula (engine.surfaces).

    SGD          x ← x − α∇f
    momentum     v ← ρv + ∇f;  x ← x − αv               (PyTorch's convention)
                 v ← ρv − α∇f; x ← x + v                (Sutskever's; same path until α changes)
    Nesterov     v_old = v; v ← ρv − α∇f(x̃); x̃ ← x̃ − ρ·v_old + (1 + ρ)v   (the lecture's change of variables)
    AdaGrad      cache ← cache + ∇f²;                 x ← x − α∇f/(√cache + ε)
    RMSProp      cache ← δ·cache + (1 − δ)∇f²;        x ← x − α∇f/(√cache + ε)
    Adam         m ← β1·m + (1 − β1)∇f; v ← β2·v + (1 − β2)∇f²; x ← x − α·m/(√v + ε)
                 (bias_correction: m/(1 − β1ᵗ) and v/(1 − β2ᵗ) in place of m and v)

A start that turns NaN/inf or leaves the divergence bound is frozen where it was and
marked "diverged at step k"; the others go on.

With ε = 0 (allowed), a zero gradient over a zero denominator (AdaGrad or RMSProp at a
minimum, Adam before its first nonzero gradient) is a step of 0, not 0/0 = NaN: no gradient,
no move. A nonzero gradient over a zero denominator is still inf, and diverges.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Iterator

import numpy as np

from . import surfaces
from ..core.fmt import count, factor, num
from ..core.frame import Frame
from ..core.lab import Lab
from ..core.params import Param, ParamError, validate, tensor_shape

KINDS = ("sgd", "momentum", "nesterov", "adagrad", "rmsprop", "adam")
LETTERS = {"sgd": "S", "momentum": "M", "nesterov": "N", "adagrad": "G", "rmsprop": "R", "adam": "A"}
# Defaults that race sensibly on the default bowl (λ = 1, 10: SGD is stable for α < 2/10).
DEFAULT_LR = {"sgd": 0.05, "momentum": 0.02, "nesterov": 0.02, "adagrad": 0.5, "rmsprop": 0.05, "adam": 0.1}
# The lecture's constants: 1e-7 in AdaGrad/RMSProp's code; 1e-8 is Adam's usual epsilon.
DEFAULT_EPS = {"adagrad": 1e-7, "rmsprop": 1e-7, "adam": 1e-8}
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
MAX_SWARM_SIDE = 200
MAX_POINTS = 64  # basin points: labels 1..64 on the map, far from the diverged label
DIVERGED = 255  # the basin label of a diverged swarm start
SWARM_SAMPLE = 144  # current positions of this many swarm starts go into each frame

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


# --- hyperparameters -------------------------------------------------------------


@dataclass(frozen=True)
class Hyper:
    """One optimizer's settings with the lecture's defaults filled in."""

    name: str
    kind: str
    letter: str
    lr: float
    rho: float = 0.9
    decay: float = 0.99
    beta1: float = 0.9
    beta2: float = 0.999
    eps: float = 1e-7
    bias_correction: bool = False
    convention: str = "pytorch"  # momentum and nesterov only: pytorch | sutskever
    noise: float = 0.0
    lr_change: tuple[float, float] | None = None

    def lr_at(self, t: int) -> float:
        """α for update t (1-based)."""
        if self.lr_change and t >= self.lr_change[0]:
            return self.lr_change[1]
        return self.lr


def default_name(o: dict[str, Any]) -> str:
    if o["name"]:
        return o["name"]
    if o["kind"] == "adam" and o["bias_correction"]:
        return "adam-bc"
    return o["kind"]


def hypers(optimizers: list[dict[str, Any]]) -> list[Hyper]:
    out, used = [], set()
    for o in optimizers:
        kind = o["kind"]
        # A letter per optimizer, so markers read without colour: the kind's, else the name's, else any free one.
        name = default_name(o)
        letter = next(c for c in [LETTERS[kind], *name.upper(), *"BCDEFHIJKLOPQTUVWXYZ"] if c.isalpha() and c not in used)
        used.add(letter)
        convention = o["convention"] or "lecture"
        if convention == "lecture":
            convention = "sutskever" if kind == "nesterov" else "pytorch"
        out.append(Hyper(
            name=name, kind=kind, letter=letter,
            lr=DEFAULT_LR[kind] if o["lr"] is None else o["lr"],
            rho=0.9 if o["rho"] is None else o["rho"],
            decay=0.99 if o["decay"] is None else o["decay"],
            beta1=0.9 if o["beta1"] is None else o["beta1"],
            beta2=0.999 if o["beta2"] is None else o["beta2"],
            eps=DEFAULT_EPS.get(kind, 1e-7) if o["eps"] is None else o["eps"],
            bias_correction=bool(o["bias_correction"]),
            convention=convention,
            noise=o["noise"],
            lr_change=(float(o["lr_change"][0]), float(o["lr_change"][1])) if o["lr_change"] else None,
        ))
    return out


# --- the update rules, batched over starts: x, g and every state tensor are (N, 2) ----------


def init_state(h: Hyper, x: Any) -> dict[str, Any]:
    import torch

    zero = torch.zeros_like(x)
    return {"sgd": {}, "momentum": {"v": zero}, "nesterov": {"v": zero}, "adagrad": {"cache": zero},
            "rmsprop": {"cache": zero}, "adam": {"m": zero, "v": zero.clone()}}[h.kind]


def update(h: Hyper, x: Any, g: Any, s: dict[str, Any], t: int, lr: float) -> tuple[Any, dict[str, Any]]:
    """One step of the rule: (x, state) → (new x, new state). Pure: nothing is updated in place."""
    if h.kind == "sgd":
        return x - lr * g, s
    if h.kind == "momentum":
        if h.convention == "sutskever":
            v = h.rho * s["v"] - lr * g
            return x + v, {"v": v}
        v = h.rho * s["v"] + g
        return x - lr * v, {"v": v}
    if h.kind == "nesterov":
        if h.convention == "sutskever":  # the lecture's code, in x̃ = x + ρv
            old_v = s["v"]
            v = h.rho * old_v - lr * g
            return x - h.rho * old_v + (1 + h.rho) * v, {"v": v}
        v = h.rho * s["v"] + g
        return x - lr * (g + h.rho * v), {"v": v}
    if h.kind == "adagrad":
        cache = s["cache"] + g * g
        return x - _ratio(lr * g, cache.sqrt() + h.eps), {"cache": cache}
    if h.kind == "rmsprop":
        cache = h.decay * s["cache"] + (1 - h.decay) * g * g
        return x - _ratio(lr * g, cache.sqrt() + h.eps), {"cache": cache}
    m = h.beta1 * s["m"] + (1 - h.beta1) * g
    v = h.beta2 * s["v"] + (1 - h.beta2) * g * g
    m_hat, v_hat = (m / (1 - h.beta1 ** t), v / (1 - h.beta2 ** t)) if h.bias_correction else (m, v)
    return x - _ratio(lr * m_hat, v_hat.sqrt() + h.eps), {"m": m, "v": v}


def _ratio(top: Any, bottom: Any) -> Any:
    """top / bottom (top = α·gradient), with 0/0 = 0 (only possible with ε = 0): no gradient is no step, not NaN."""
    import torch

    return torch.where((top == 0) & (bottom == 0), torch.zeros_like(top), top / bottom)


def loss_and_grad(surface: surfaces.Surface, x: Any) -> tuple[Any, Any]:
    """f and ∇f at each row of x (N, 2), by autograd; f rows are independent, so ∇Σf = per-row ∇f."""
    import torch

    with torch.enable_grad():
        xg = x.detach().requires_grad_(True)
        f = surface.torch(xg)  # (N,)
        (g,) = torch.autograd.grad(f.sum(), xg)
    return f.detach(), g.detach()


@dataclass
class Runner:
    """One optimizer over N starts: position, state, and which starts are still alive."""

    h: Hyper
    x: Any  # (N, 2)
    state: dict[str, Any]
    loss: Any  # (N,) f at x
    grad: Any  # (N, 2) ∇f at x
    alive: Any  # (N,) bool
    diverged_at: Any  # (N,) int64, −1 while alive
    generator: Any = None
    last: dict[str, Any] = field(default_factory=dict)  # the latest step's numbers, for start 0


class Race:
    """Every optimizer from the same starts, one update each per `step()`."""

    def __init__(self, surface: surfaces.Surface, hs: list[Hyper], starts: np.ndarray, bound: float,
                 device: str = "cpu", seed: int = 0) -> None:
        import torch

        self.surface, self.bound, self.t = surface, bound, 0
        x0 = torch.tensor(np.asarray(starts, dtype=np.float64), dtype=torch.float64, device=device)  # (N, 2)
        f0, g0 = loss_and_grad(surface, x0)
        self.runners = []
        for i, h in enumerate(hs):
            gen = None
            if h.noise > 0:
                gen = torch.Generator(device=device)
                gen.manual_seed(seed * 1009 + i)  # one stream per optimizer, so adding a racer changes no other path
            n = x0.shape[0]
            self.runners.append(Runner(h, x0.clone(), init_state(h, x0), f0.clone(), g0.clone(),
                                       torch.isfinite(f0), torch.full((n,), -1, dtype=torch.int64, device=device), gen))
            r = self.runners[-1]
            r.diverged_at[~r.alive] = 0

    def step(self) -> None:
        import torch

        self.t += 1
        t = self.t
        for r in self.runners:
            h, lr = r.h, r.h.lr_at(t)
            g = r.grad
            if r.generator is not None:
                g = g + h.noise * torch.randn(g.shape, generator=r.generator, dtype=g.dtype, device=g.device)
            x_new, s_new = update(h, r.x, g, r.state, t, lr)
            f_new, g_new = loss_and_grad(self.surface, x_new)
            finite = torch.isfinite(x_new).all(1)
            bad = ~finite | (x_new.abs() > self.bound).any(1) | ~torch.isfinite(f_new)
            move = r.alive[:, None]
            # A start that diverges keeps its last finite position, so it can still be drawn (at the edge).
            keep_new = r.alive & finite
            r.last = {"t": t, "lr": lr, "g": g[0].tolist(), "x_old": r.x[0].tolist(), "x_new": x_new[0].tolist(),
                      "before": {k: v[0].tolist() for k, v in r.state.items()},
                      "after": {k: v[0].tolist() for k, v in s_new.items()}, "alive_before": bool(r.alive[0])}
            r.last["moved"] = bool(keep_new[0])
            r.x = torch.where(keep_new[:, None], x_new, r.x)
            r.state = {k: torch.where(move, s_new[k], r.state[k]) for k in r.state}
            r.loss = torch.where(keep_new, f_new, r.loss)
            r.grad = torch.where(keep_new[:, None], g_new, r.grad)
            newly = r.alive & bad
            r.diverged_at = torch.where(newly, torch.full_like(r.diverged_at, t), r.diverged_at)
            r.alive = r.alive & ~bad


# --- text for the side panel ----------------------------------------------------------


def vec(v: Any) -> str:
    return "(" + ", ".join(num(float(a)) for a in v) + ")"


def rule_lines(h: Hyper, last: dict[str, Any]) -> list[str]:
    """The update rule with this step's numbers filled in (start 0)."""
    if not last:
        return [RULES[(h.kind, h.convention if h.kind in ("momentum", "nesterov") else "")]]
    g, x0, x1 = last["g"], last["x_old"], last["x_new"]
    b, a = last["before"], last["after"]
    α = factor(last["lr"])
    lines = [f"∇f = {vec(g)}" + (f" (with noise σ = {num(h.noise)})" if h.noise else "")]
    if h.kind == "sgd":
        lines.append(f"x ← x − α∇f = {vec(x0)} − {α}·{vec(g)} = {vec(x1)}")
    elif h.kind == "momentum" and h.convention == "pytorch":
        lines.append(f"v ← ρv + ∇f = {factor(h.rho)}·{vec(b['v'])} + {vec(g)} = {vec(a['v'])}")
        lines.append(f"x ← x − αv = {vec(x0)} − {α}·{vec(a['v'])} = {vec(x1)}")
    elif h.kind == "momentum":
        lines.append(f"v ← ρv − α∇f = {factor(h.rho)}·{vec(b['v'])} − {α}·{vec(g)} = {vec(a['v'])}")
        lines.append(f"x ← x + v = {vec(x0)} + {vec(a['v'])} = {vec(x1)}")
    elif h.kind == "nesterov" and h.convention == "sutskever":
        lines.append(f"v ← ρv − α∇f(x̃) = {factor(h.rho)}·{vec(b['v'])} − {α}·{vec(g)} = {vec(a['v'])}")
        lines.append(f"x̃ ← x̃ − ρ·v_old + (1 + ρ)v = {vec(x0)} − {factor(h.rho)}·{vec(b['v'])} + "
                     f"{num(1 + h.rho)}·{vec(a['v'])} = {vec(x1)}")
    elif h.kind == "nesterov":
        lines.append(f"v ← ρv + ∇f = {factor(h.rho)}·{vec(b['v'])} + {vec(g)} = {vec(a['v'])}")
        lines.append(f"x ← x − α(∇f + ρv) = {vec(x0)} − {α}·({vec(g)} + {factor(h.rho)}·{vec(a['v'])}) = {vec(x1)}")
    elif h.kind in ("adagrad", "rmsprop"):
        if h.kind == "adagrad":
            lines.append(f"cache ← cache + ∇f² = {vec(b['cache'])} + {vec([q * q for q in g])} = {vec(a['cache'])}")
        else:
            lines.append(f"cache ← δ·cache + (1 − δ)∇f² = {factor(h.decay)}·{vec(b['cache'])} + "
                         f"{factor(1 - h.decay)}·{vec([q * q for q in g])} = {vec(a['cache'])}")
        lines.append(f"x ← x − α∇f/(√cache + ε) = {vec(x0)} − {α}·{vec(g)}/({vec([math.sqrt(c) for c in a['cache']])} + "
                     f"{num(h.eps)}) = {vec(x1)}")
    else:
        lines.append(f"m ← β1·m + (1 − β1)∇f = {factor(h.beta1)}·{vec(b['m'])} + {factor(1 - h.beta1)}·{vec(g)} = {vec(a['m'])}")
        lines.append(f"v ← β2·v + (1 − β2)∇f² = {factor(h.beta2)}·{vec(b['v'])} + {factor(1 - h.beta2)}·"
                     f"{vec([q * q for q in g])} = {vec(a['v'])}")
        m, v = a["m"], a["v"]
        if h.bias_correction:
            c1, c2 = 1 - h.beta1 ** last["t"], 1 - h.beta2 ** last["t"]
            m, v = [q / c1 for q in m], [q / c2 for q in v]
            lines.append(f"m̂ = m/(1 − β1^{last['t']}) = {vec(m)}; v̂ = v/(1 − β2^{last['t']}) = {vec(v)}")
            lines.append(f"x ← x − α·m̂/(√v̂ + ε) = {vec(x0)} − {α}·{vec(m)}/({vec([math.sqrt(q) for q in v])} + "
                         f"{num(h.eps)}) = {vec(x1)}")
        else:
            lines.append(f"x ← x − α·m/(√v + ε) = {vec(x0)} − {α}·{vec(m)}/({vec([math.sqrt(q) for q in v])} + "
                         f"{num(h.eps)}) = {vec(x1)}")
    step = [q1 - q0 for q0, q1 in zip(x0, x1)]
    lines.append(f"Δx = {vec(step)}, |Δx| = {num(math.hypot(*step))}" if all(map(math.isfinite, step)) else "Δx is not finite")
    return lines


RULES = {
    ("sgd", ""): "x ← x − α∇f",
    ("momentum", "pytorch"): "v ← ρv + ∇f;  x ← x − αv",
    ("momentum", "sutskever"): "v ← ρv − α∇f;  x ← x + v",
    ("nesterov", "sutskever"): "v ← ρv − α∇f(x̃);  x̃ ← x̃ − ρ·v_old + (1 + ρ)v",
    ("nesterov", "pytorch"): "v ← ρv + ∇f;  x ← x − α(∇f + ρv)",
    ("adagrad", ""): "cache ← cache + ∇f²;  x ← x − α∇f/(√cache + ε)",
    ("rmsprop", ""): "cache ← δ·cache + (1 − δ)∇f²;  x ← x − α∇f/(√cache + ε)",
    ("adam", ""): "m ← β1·m + (1 − β1)∇f;  v ← β2·v + (1 − β2)∇f²;  x ← x − α·m/(√v + ε)",
}


def settings(h: Hyper) -> str:
    """The hyperparameters, as the legend shows them."""
    parts = [f"α {num(h.lr)}"]
    if h.kind in ("momentum", "nesterov"):
        parts += [f"ρ {num(h.rho)}", h.convention]
    if h.kind == "rmsprop":
        parts.append(f"δ {num(h.decay)}")
    if h.kind == "adam":
        parts += [f"β1 {num(h.beta1)}", f"β2 {num(h.beta2)}", "bias-corrected" if h.bias_correction else "no bias correction"]
    if h.kind in ("adagrad", "rmsprop", "adam"):
        parts.append(f"ε {num(h.eps)}")
    if h.lr_change:
        parts.append(f"α → {num(h.lr_change[1])} from step {int(h.lr_change[0])}")
    if h.noise:
        parts.append(f"noise σ {num(h.noise)}")
    return ", ".join(parts)


# --- "Why Momentum Really Works" (Distill, 2017) on the quadratic bowl ------------------


def closed_forms(eigenvalues: tuple[float, float]) -> dict[str, float]:
    """Optimal step sizes and rates from the Hessian's extreme eigenvalues."""
    lo, hi = min(eigenvalues), max(eigenvalues)
    kappa = hi / lo
    sk = math.sqrt(kappa)
    return {
        "lambda_min": lo, "lambda_max": hi, "kappa": kappa,
        "gd_step": 2 / (lo + hi),                                   # α* = 2/(λ1 + λn)
        "gd_rate": (kappa - 1) / (kappa + 1),                       # (κ − 1)/(κ + 1)
        "momentum_step": (2 / (math.sqrt(lo) + math.sqrt(hi))) ** 2,  # α* = (2/(√λ1 + √λn))²
        "momentum_rho": ((sk - 1) / (sk + 1)) ** 2,                 # β* = ((√κ − 1)/(√κ + 1))²
        "momentum_rate": (sk - 1) / (sk + 1),                       # (√κ − 1)/(√κ + 1)
    }


def predicted_rate(h: Hyper, eigenvalues: tuple[float, float]) -> float | None:
    """The worst per-step contraction of ‖x − x*‖ on the bowl for this optimizer's α (and ρ), or None."""
    if h.lr_change or h.noise:
        return None
    a, b = h.lr, h.rho
    rates = []
    for lam in eigenvalues:
        if h.kind == "sgd":
            rates.append(abs(1 - a * lam))
        elif h.kind == "momentum":  # Distill's R = [[β, λ], [−αβ, 1 − αλ]] on (z, x)
            rates.append(max(abs(np.linalg.eigvals(np.array([[b, lam], [-a * b, 1 - a * lam]])))))
        elif h.kind == "nesterov":  # the same with the look-ahead gradient: z' = βz + λx; x' = x − α(λx + βz')
            rates.append(max(abs(np.linalg.eigvals(np.array([[b, lam], [-a * b * b, 1 - a * lam * (1 + b)]])))))
        else:
            return None
    return float(max(rates))


def measured_rate(path: np.ndarray, target: tuple[float, float]) -> float | None:
    """(‖x_k − x*‖/‖x_0 − x*‖)^(1/k): the mean contraction per step along the path."""
    k = len(path) - 1
    d0 = float(np.hypot(*(path[0] - target)))
    dk = float(np.hypot(*(path[-1] - target)))
    if k < 1 or d0 == 0 or not math.isfinite(dk):
        return None
    if dk == 0:
        return 0.0
    return (dk / d0) ** (1 / k)


# --- the lab ------------------------------------------------------------------------------


class OptimLab(Lab):
    name = "optim"
    title = "Optimizer paths on 2-D loss surfaces"
    help = (
        "Each step is one update of every optimizer, written as the lecture's code:\n\n"
        "- **SGD**: x ← x − α∇f\n"
        "- **SGD+Momentum**: v ← ρv + ∇f; x ← x − αv (PyTorch's convention), or v ← ρv − α∇f; x ← x + v "
        "(Sutskever's); the two paths are the same until α changes (`lr_change`).\n"
        "- **Nesterov**, in the lecture's change of variables x̃ = x + ρv: v_old = v; v ← ρv − α∇f(x̃); "
        "x̃ ← x̃ − ρ·v_old + (1 + ρ)v.\n"
        "- **AdaGrad**: cache ← cache + ∇f²; x ← x − α∇f/(√cache + ε)\n"
        "- **RMSProp**: cache ← δ·cache + (1 − δ)∇f²; x ← x − α∇f/(√cache + ε)\n"
        "- **Adam** as on the slide: m ← β1·m + (1 − β1)∇f; v ← β2·v + (1 − β2)∇f²; x ← x − α·m/(√v + ε); "
        "with `bias_correction = true`, m/(1 − β1ᵗ) and v/(1 − β2ᵗ) replace m and v.\n\n"
        "(The slides' code writes `x += learning_rate * dx`; the formulas beside it, x ← x − α∇f, are what runs here.)\n\n"
        "The map: the surface as contour bands, each optimizer's path in its own colour and letter (lower case "
        "= where it has been, capital = where it is, o = the start, * = a minimum); an arrow at the edge = that "
        "optimizer is outside the view. A path that turns NaN/inf or passes the bound is marked diverged and stops.\n\n"
        "On the bowl: the closed forms of *Why Momentum Really Works* (Distill, 2017): α* = 2/(λ1 + λn) and rate "
        "(κ − 1)/(κ + 1) for gradient descent; α* = (2/(√λ1 + √λn))², ρ* = ((√κ − 1)/(√κ + 1))² and rate "
        "(√κ − 1)/(√κ + 1) for momentum; beside them each path's measured rate.\n\n"
        "Swarm mode (`swarm = side`): a grid of side × side starts over the view, all batched; the map colours each "
        "start by where it is now (which minimum it reached, or diverged)."
    )
    PARAMS = PARAMS

    @classmethod
    def check(cls, p: dict[str, Any]) -> None:
        names: dict[str, int] = {}
        for i, o in enumerate(p["optimizers"]):
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
        if len(p["optimizers"]) > 8:
            raise ParamError("params.optimizers", f"at most 8 optimizers race at once, got {len(p['optimizers'])}")
        surf = surfaces.surface(p["surface"], p["formula"], tuple(p["eigenvalues"]))
        view = p["view"] or surf.view
        if p["view"] and not (view[0] < view[1] and view[2] < view[3]):
            raise ParamError("params.view", f"expected [xmin, xmax, ymin, ymax] with xmin < xmax and ymin < ymax, got {p['view']}")
        if p["view"]:
            for axis, lo, hi in (("x", view[0], view[1]), ("y", view[2], view[3])):
                if hi - lo < 1e-6 * max(1.0, abs(lo), abs(hi)):
                    raise ParamError("params.view", f"the {axis} range [{num(lo)}, {num(hi)}] is too narrow to draw; "
                                     "make it at least a millionth of its largest value (and at least 1e−6)")
        start = p["start"] or surf.start
        f0 = float(surf.numpy(np.array(start[0]), np.array(start[1])))
        if not math.isfinite(f0) and p["formula"] and not np.isfinite(surfaces.grid(p["formula"], tuple(view), 16, 16)).any():
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
        if p["swarm"] * p["swarm"] * p["steps"] * len(p["optimizers"]) > 10_000 * 6 * 1000:
            raise ParamError("params.swarm", "swarm² × steps × optimizers is above 60 million point-updates; "
                             "use fewer starts or steps")

    def __init__(self, params: dict[str, Any], *, seed: int = 0, device: str = "cpu") -> None:
        super().__init__(params, seed=seed, device=device)
        p = params
        self.surface = surfaces.surface(p["surface"], p["formula"], tuple(p["eigenvalues"]))
        self.view = tuple(float(v) for v in (p["view"] or self.surface.view))
        self.start = tuple(float(v) for v in (p["start"] or self.surface.start))
        self.hypers = hypers(p["optimizers"])
        self.side = p["swarm"]
        self.points = ([(f"p{i + 1}", float(a), float(b)) for i, (a, b) in enumerate(p["points"])]
                       if p["points"] else list(self.surface.points))

    def length(self) -> int:
        return 1 + self.params["steps"]

    def swarm_starts(self) -> np.ndarray:
        """side × side starts at cell centres of the view, row 0 at the top (largest y), row-major: (side², 2)."""
        xmin, xmax, ymin, ymax = self.view
        n = self.side
        xs = xmin + (np.arange(n) + 0.5) * (xmax - xmin) / n
        ys = ymax - (np.arange(n) + 0.5) * (ymax - ymin) / n
        X, Y = np.meshgrid(xs, ys)
        return np.stack([X.ravel(), Y.ravel()], axis=1)

    def frames(self) -> Iterator[Frame]:
        starts = np.array([self.start])
        if self.side:
            starts = np.concatenate([starts, self.swarm_starts()])  # start 0 is the path the panel follows
        race = Race(self.surface, self.hypers, starts, self.params["bound"], self.device, self.seed)
        paths = {h.name: [list(self.start)] for h in self.hypers}
        losses = {h.name: [float(r.loss[0])] for h, r in zip(self.hypers, race.runners)}
        base = {
            "surface": {"name": self.surface.name, "formula": self.surface.formula},
            "view": list(self.view),
            "bound": self.params["bound"],
            "optimizers": [{"name": h.name, "kind": h.kind, "letter": h.letter, "settings": settings(h),
                            "rule": RULES[(h.kind, h.convention if h.kind in ("momentum", "nesterov") else "")]}
                           for h in self.hypers],
            "points": [list(q) for q in self.points],
        }
        f0 = losses[self.hypers[0].name][0]
        caption = (f"f(x, y) = {self.surface.formula}; start ({num(self.start[0])}, {num(self.start[1])}), "
                   f"f = {num(f0)}; {len(self.hypers)} optimizers, {self.params['steps']} steps")
        if self.side:
            caption += f"; swarm of {count(self.side ** 2)} starts"
        yield Frame(0, caption, self.values(base, race, paths, losses))
        for k in range(1, self.params["steps"] + 1):
            race.step()
            newly = []
            for h, r in zip(self.hypers, race.runners):
                if r.last["alive_before"]:
                    if r.last["moved"]:  # a diverging step is kept when its position is finite (drawn at the edge)
                        paths[h.name].append(r.x[0].tolist())
                        losses[h.name].append(float(r.loss[0]))
                    if not bool(r.alive[0]):
                        newly.append(h.name)
            parts = []
            for h, r in zip(self.hypers, race.runners):
                d = int(r.diverged_at[0])
                parts.append(f"{h.name} f = {num(losses[h.name][-1])}" if d < 0 else f"{h.name} diverged at step {d}")
            caption = f"step {k}: " + " · ".join(parts)
            yield Frame(k, caption, self.values(base, race, paths, losses), {"diverged": newly})

    def values(self, base: dict[str, Any], race: Race, paths: dict, losses: dict) -> dict[str, Any]:
        state = {}
        for h, r in zip(self.hypers, race.runners):
            d = int(r.diverged_at[0])
            state[h.name] = {
                "x": r.x[0].tolist(),
                "loss": float(r.loss[0]),
                "lr": h.lr_at(max(race.t, 1)),
                "grad": r.last.get("g"),
                **{k: v[0].tolist() for k, v in r.state.items()},
                "step_taken": ([b - a for a, b in zip(r.last["x_old"], r.last["x_new"])]
                               if r.last and r.last["alive_before"] else None),
                "rule": rule_lines(h, r.last if r.last.get("alive_before") else {}),
                "diverged_at": d if d >= 0 else None,
                "status": "running" if d < 0 else f"diverged at step {d}",
            }
        out = {**base, "step": race.t,
               "paths": {k: np.array(v, dtype=np.float64).reshape(-1, 2) for k, v in paths.items()},
               "loss": {k: np.array(v, dtype=np.float64) for k, v in losses.items()},
               "state": state}
        if self.surface.eigenvalues is not None:
            out["distill"] = self.distill(paths)
        if self.side:
            out["swarm"] = self.swarm(race)
        return out

    def distill(self, paths: dict) -> dict[str, Any]:
        eig = self.surface.eigenvalues
        forms = closed_forms(eig)
        rates = {}
        for h in self.hypers:
            path = np.array(paths[h.name])
            rates[h.name] = {"predicted": predicted_rate(h, eig), "measured": measured_rate(path, (0.0, 0.0))}
        return {**forms, "rates": rates}

    def swarm(self, race: Race) -> dict[str, Any]:
        """Where each grid start is now, as a basin label per start; plus a few current positions.

        Labels (int16, shape (side, side), row 0 at the top): i + 1 = within reach of points[i]
        (the nearest, within 2% of the view's diagonal), 0 = elsewhere, DIVERGED (255) = diverged;
        there are at most MAX_POINTS (64) points, so a point's label is never 255.
        """
        import torch

        n = self.side
        xmin, xmax, ymin, ymax = self.view
        reach = 0.02 * math.hypot(xmax - xmin, ymax - ymin)
        pts = torch.tensor([[q[1], q[2]] for q in self.points] or [[math.inf, math.inf]],
                           dtype=torch.float64, device=race.runners[0].x.device)  # (P, 2)
        stride = max(1, (n * n) // SWARM_SAMPLE)
        basin, counts, sample, diverged = {}, {}, {}, {}
        for h, r in zip(self.hypers, race.runners):
            x = r.x[1:]  # (side², 2)
            d = torch.cdist(x, pts)  # (side², P)
            near, which = d.min(1)
            label = torch.where(near <= reach, which + 1, torch.zeros_like(which))
            label = torch.where(r.alive[1:], label, torch.full_like(label, DIVERGED))
            lab = label.to(torch.int16).cpu().numpy().reshape(n, n)
            basin[h.name] = lab
            counts[h.name] = [int((lab == i).sum()) for i in range(len(self.points) + 1)] + [int((lab == DIVERGED).sum())]
            sample[h.name] = x[::stride].cpu().numpy()
            diverged[h.name] = int((~r.alive[1:]).sum())
        return {"side": n, "starts": n * n, "reach": reach, "basin": basin, "counts": counts,
                "sample": sample, "diverged": diverged}


LAB = OptimLab
