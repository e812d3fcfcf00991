"""The update rules, each written once: its code, its text and its worked line come from one table.

A `Rule` holds the lecture's lines as text ("v ← ρv + ∇f"), beside each the same line with
this step's numbers as a template ("{rho}·{v0} + {g} = {v}"), and the code that runs it.
The help screen, the legend, the rule panel, docs/optim.md and the frames all read RULES;
nothing else spells a rule out.

The code is batched over start points: x, g and every state are (N, 2) float64 arrays
(numpy for one start, torch tensors for a swarm), one op per line of the rule, so a swarm
of 10,000 starts is the same code as one start. Each update is pure: (x, state) -> (new x, new state), nothing in place.

With ε = 0 (allowed), a zero gradient over a zero denominator (AdaGrad or RMSProp at a
minimum, Adam before its first nonzero gradient) is a step of 0, not 0/0 = NaN: no gradient,
no move. A nonzero gradient over a zero denominator is still inf, and diverges.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Callable

from ..core.fmt import factor, num

if TYPE_CHECKING:
    from .config import Hyper

State = dict[str, Any]


@dataclass(frozen=True)
class Line:
    rule: str  # the lecture's line, in symbols
    worked: str  # the same line with this step's numbers: slots filled by `numbers()`


@dataclass(frozen=True)
class Rule:
    kind: str
    variant: str  # "" | pytorch | sutskever (momentum, nesterov) | slide | bias-corrected (adam)
    title: str
    lines: tuple[Line, ...]
    state: tuple[str, ...]  # the state tensors, all zero at the start
    update: Callable[["Hyper", Any, Any, State, int, float], tuple[Any, State]]
    torch: str  # the torch.optim class that computes the same path (tests and each frame's check)
    select: str = ""  # what a scenario writes beside `kind` to get this form (the default form: nothing)

    @property
    def text(self) -> str:
        return ";  ".join(line.rule for line in self.lines)


# --- the code -------------------------------------------------------------------------------


def _ratio(top: Any, bottom: Any) -> Any:
    """top / bottom (top = α·gradient), with 0/0 = 0 (only possible with ε = 0): no gradient is no step.
    For Python floats (a track's coordinate, race.Runner), x/0 raises, and the runner then
    takes the array path, where it is ±inf as torch has it."""
    if type(top) is float:
        return 0.0 if top == 0 and bottom == 0 else top / bottom
    xp = lib(top)
    return xp.where((top == 0) & (bottom == 0), xp.zeros_like(top), top / bottom)


def _sqrt(a: Any) -> Any:
    """torch's square root, for numpy arrays too: it is not always numpy's in the last bit, and
    torch.optim, beside every frame, takes torch's (its vectorised square root is within half an
    ulp, not always the correctly rounded one that math.sqrt gives); so does a Python float."""
    import numpy as np
    import torch

    if type(a) is float:
        return torch.tensor((a,), dtype=torch.float64).sqrt().item()

    return torch.from_numpy(np.ascontiguousarray(a)).sqrt().numpy() if isinstance(a, np.ndarray) else a.sqrt()


def lib(a: Any) -> Any:
    """numpy for a numpy array (a track), else torch (a swarm): both spell what the rules and a runner use alike."""
    import numpy as np

    if isinstance(a, np.ndarray):
        return np
    import torch

    return torch


def _sgd(h, x, g, s, t, lr):
    return x - lr * g, s


def _momentum_pytorch(h, x, g, s, t, lr):
    v = h.rho * s["v"] + g
    return x - lr * v, {"v": v}


def _momentum_sutskever(h, x, g, s, t, lr):
    v = h.rho * s["v"] - lr * g
    return x + v, {"v": v}


def _nesterov_sutskever(h, x, g, s, t, lr):
    # The lecture's code, in x̃ = x + ρv: the gradient is taken at the look-ahead point.
    v = h.rho * s["v"] - lr * g
    return x - h.rho * s["v"] + (1 + h.rho) * v, {"v": v}


def _nesterov_pytorch(h, x, g, s, t, lr):
    v = h.rho * s["v"] + g
    return x - lr * (g + h.rho * v), {"v": v}


def _adagrad(h, x, g, s, t, lr):
    cache = s["cache"] + g * g
    return x - _ratio(lr * g, _sqrt(cache) + h.eps), {"cache": cache}


def _rmsprop(h, x, g, s, t, lr):
    cache = h.decay * s["cache"] + (1 - h.decay) * g * g
    return x - _ratio(lr * g, _sqrt(cache) + h.eps), {"cache": cache}


def _moments(h, g, s):
    return h.beta1 * s["m"] + (1 - h.beta1) * g, h.beta2 * s["v"] + (1 - h.beta2) * g * g


def _adam_slide(h, x, g, s, t, lr):
    m, v = _moments(h, g, s)
    return x - _ratio(lr * m, _sqrt(v) + h.eps), {"m": m, "v": v}


def _adam_bias_corrected(h, x, g, s, t, lr):
    m, v = _moments(h, g, s)
    m_hat, v_hat = m / (1 - h.beta1 ** t), v / (1 - h.beta2 ** t)
    return x - _ratio(lr * m_hat, _sqrt(v_hat) + h.eps), {"m": m, "v": v}


# --- the table ------------------------------------------------------------------------------

_X_CACHE = Line("x ← x − α∇f/(√cache + ε)", "{x0} − {alpha}·{g}/({sqrt_cache} + {eps}) = {x}")
_M = Line("m ← β1·m + (1 − β1)∇f", "{b1}·{m0} + {one_b1}·{g} = {m}")
_V = Line("v ← β2·v + (1 − β2)∇f²", "{b2}·{v0} + {one_b2}·{g2} = {v}")

RULES: dict[tuple[str, str], Rule] = {(r.kind, r.variant): r for r in (
    Rule("sgd", "", "SGD", (Line("x ← x − α∇f", "{x0} − {alpha}·{g} = {x}"),), (), _sgd, "SGD"),
    Rule("momentum", "pytorch", "SGD+Momentum, PyTorch's convention",
         (Line("v ← ρv + ∇f", "{rho}·{v0} + {g} = {v}"), Line("x ← x − αv", "{x0} − {alpha}·{v} = {x}")),
         ("v",), _momentum_pytorch, "SGD"),
    Rule("momentum", "sutskever", "SGD+Momentum, Sutskever's convention (the same path until α changes)",
         (Line("v ← ρv − α∇f", "{rho}·{v0} − {alpha}·{g} = {v}"), Line("x ← x + v", "{x0} + {v} = {x}")),
         ("v",), _momentum_sutskever, "SGD", 'convention = "sutskever"'),
    Rule("nesterov", "sutskever", "Nesterov, the lecture's change of variables x̃ = x + ρv",
         (Line("v ← ρv − α∇f(x̃)", "{rho}·{v0} − {alpha}·{g} = {v}"),
          Line("x̃ ← x̃ − ρ·v_old + (1 + ρ)v", "{x0} − {rho}·{v0} + {one_rho}·{v} = {x}")),
         ("v",), _nesterov_sutskever, "SGD"),
    Rule("nesterov", "pytorch", "Nesterov, PyTorch's form",
         (Line("v ← ρv + ∇f", "{rho}·{v0} + {g} = {v}"),
          Line("x ← x − α(∇f + ρv)", "{x0} − {alpha}·({g} + {rho}·{v}) = {x}")),
         ("v",), _nesterov_pytorch, "SGD", 'convention = "pytorch"'),
    Rule("adagrad", "", "AdaGrad", (Line("cache ← cache + ∇f²", "{cache0} + {g2} = {cache}"), _X_CACHE),
         ("cache",), _adagrad, "Adagrad"),
    Rule("rmsprop", "", "RMSProp",
         (Line("cache ← δ·cache + (1 − δ)∇f²", "{delta}·{cache0} + {one_delta}·{g2} = {cache}"), _X_CACHE),
         ("cache",), _rmsprop, "RMSprop"),
    Rule("adam", "slide", "Adam as on the slide (no bias correction)",
         (_M, _V, Line("x ← x − α·m/(√v + ε)", "{x0} − {alpha}·{m}/({sqrt_v} + {eps}) = {x}")),
         ("m", "v"), _adam_slide, "Adam"),
    Rule("adam", "bias-corrected", "Adam with bias correction (torch.optim.Adam)",
         (_M, _V, Line("m̂ ← m/(1 − β1ᵗ)", "{m}/{bc1} = {m_hat}"), Line("v̂ ← v/(1 − β2ᵗ)", "{v}/{bc2} = {v_hat}"),
          Line("x ← x − α·m̂/(√v̂ + ε)", "{x0} − {alpha}·{m_hat}/({sqrt_v_hat} + {eps}) = {x}")),
         ("m", "v"), _adam_bias_corrected, "Adam", "bias_correction = true"),
)}


def rule(h: "Hyper") -> Rule:
    return RULES[(h.kind, h.variant)]


# --- the worked lines -------------------------------------------------------------------------


def coords(v: Any) -> str:
    """A point or a per-coordinate quantity as the lecture writes it: (−4, 2)."""
    return "(" + ", ".join(num(float(a)) for a in v) + ")"


def numbers(h: "Hyper", last: dict[str, Any]) -> dict[str, str]:
    """Every slot a worked line may use, from one step's numbers (start 0)."""
    g, t = last["g"], last["t"]
    out = {"alpha": factor(last["lr"]), "rho": factor(h.rho), "one_rho": num(1 + h.rho),
           "delta": factor(h.decay), "one_delta": factor(1 - h.decay), "b1": factor(h.beta1),
           "one_b1": factor(1 - h.beta1), "b2": factor(h.beta2), "one_b2": factor(1 - h.beta2), "eps": num(h.eps),
           "g": coords(g), "g2": coords([q * q for q in g]), "x0": coords(last["x_old"]), "x": coords(last["x_new"])}
    for name, value in last["before"].items():
        out[name + "0"] = coords(value)
    for name, value in last["after"].items():
        out[name] = coords(value)
        out["sqrt_" + name] = coords([math.sqrt(q) if q >= 0 else math.nan for q in value])
    if h.variant == "bias-corrected":
        bc1, bc2 = 1 - h.beta1 ** t, 1 - h.beta2 ** t
        v_hat = [q / bc2 for q in last["after"]["v"]]
        out.update(bc1=num(bc1), bc2=num(bc2), m_hat=coords([q / bc1 for q in last["after"]["m"]]),
                   v_hat=coords(v_hat), sqrt_v_hat=coords([math.sqrt(q) for q in v_hat]))
    return out


def worked(h: "Hyper", last: dict[str, Any]) -> list[str]:
    """The rule with this step's numbers filled in (start 0); the bare rule before any step."""
    r = rule(h)
    if not last:
        return [r.text]
    slots = numbers(h, last)
    lines = [f"∇f = {slots['g']}" + (f" (with noise σ = {num(h.noise)})" if h.noise else "")]
    lines += [f"{line.rule} = {line.worked.format_map(slots)}" for line in r.lines]
    step = [b - a for a, b in zip(last["x_old"], last["x_new"])]
    lines.append(f"Δx = {coords(step)}, |Δx| = {num(math.hypot(*step))}" if all(map(math.isfinite, step))
                 else "Δx is not finite")
    return lines


# --- the text for people: help and docs -------------------------------------------------------


def markdown() -> str:
    """The rules as a Markdown list: the help screen and docs/optim.md show exactly this."""
    def select(r: Rule) -> str:
        return f'kind = "{r.kind}"' + (f", {r.select}" if r.select else "")

    return "\n".join(f"- **{r.title}** (`{select(r)}`): " + ";  ".join(f"`{line.rule}`" for line in r.lines)
                     for r in RULES.values())
