"""torch.optim, one update from the lab's own state: each frame's check.

The frame at step t is checked on its own: from the runner's position and state before
update t (and its step count t), torch autograd gives the gradient there (independent of the
track's own derivative, derivative.py), the noise the runner drew at update t is added, and
one step of torch.optim's own function for the rule moves the parameter. The check compares
the new position and the new state (momentum buffer, sums) with the runner's. If every update
and its state agree, the paths agree (by induction from the start), so this promises what a
whole torch.optim path beside the runner promised, at the cost of one torch step per frame
shown instead of one per update computed. tests/test_optim.py still runs whole torch.optim
paths (the classes) against the runner's: the end-to-end check.

Two forms need a word:
- the slide's Adam has no bias correction, which torch.optim.Adam always applies; with
  α_t = α·(1 − β1ᵗ)/√(1 − β2ᵗ) and ε_t = ε/√(1 − β2ᵗ) torch's update is exactly the slide's,
  α·m/(√v + ε), so those are set on the param group before each step;
- Sutskever's conventions keep v = −α·(torch's momentum buffer), and Nesterov's x̃ is torch's
  x; so with α fixed, the buffer handed to torch is −v/α, and its new buffer is compared as
  −α·buffer. After an α change they leave torch's path on purpose (`lr_change`): those
  optimizers are not checked, and the frame says why.
With ε = 0, torch divides 0 by 0 where the lab steps 0 (see rules.py): not checked either.

The update is torch.optim's own function for the rule (torch.optim.sgd.sgd, adagrad.adagrad,
rmsprop.rmsprop, adam.adam: what each class's `step()` calls, with the class's defaults),
with the state the class keeps, under the class's names (`momentum_buffer`, `sum`,
`square_avg`, `exp_avg`, `exp_avg_sq`, `step`): constructing the class itself imports
torch._dynamo, seconds on first use, and the functions compute the same numbers
(tests/test_optim.py runs them against the classes, path for path).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from ..core.check import max_diff
from .config import Hyper
from .rules import rule
from .surfaces import Surface

TOLERANCE = 1e-9  # relative to the larger of 1 and the largest |coordinate|: both sides are float64


def unchecked_reason(h: Hyper) -> str:
    """Why this optimizer has no torch.optim reference here ("" when it has one)."""
    if h.variant == "sutskever" and h.lr_change:
        return "Sutskever's form keeps α inside v, so it leaves torch.optim's path when α changes"
    if h.kind in ("adagrad", "rmsprop", "adam") and h.eps == 0:
        return "with ε = 0 torch.optim divides 0 by 0 where this lab steps 0"
    if h.kind == "adam" and max(h.beta1, h.beta2) >= 1:
        return "torch.optim.Adam takes β below 1 only"
    return ""


def reference_name(h: Hyper) -> str:
    return f"torch.optim.{rule(h).torch}"


TorchState = dict[str, Any]  # torch.optim's state for the parameter, under the class's own names


def torch_state(h: Hyper, state: dict[str, Any], t: int, device: str) -> TorchState:
    """The lab's state before update t (the rule's names, lists or arrays of 2) as torch.optim keeps it."""
    import torch

    def tensor(v: Any) -> Any:
        return torch.tensor([list(v)], dtype=torch.float64, device=device)

    step = torch.tensor(float(t - 1), dtype=torch.float64)
    if h.kind == "sgd":
        return {}
    if h.kind in ("momentum", "nesterov"):  # no buffer before the first update: torch makes it from ∇f
        if t == 1:
            return {"momentum_buffer": None}
        v = tensor(state["v"])
        return {"momentum_buffer": -v / h.lr_at(t) if h.variant == "sutskever" else v}
    if h.kind == "adagrad":
        return {"sum": tensor(state["cache"]), "step": step}
    if h.kind == "rmsprop":
        return {"square_avg": tensor(state["cache"]), "step": step}
    return {"exp_avg": tensor(state["m"]), "exp_avg_sq": tensor(state["v"]), "step": step}


def lab_state(h: Hyper, theirs: TorchState, t: int) -> dict[str, list[float]]:
    """torch.optim's state after update t, in the rule's names and convention (what the runner's state holds)."""
    if h.kind == "sgd":
        return {}
    if h.kind in ("momentum", "nesterov"):
        buf = theirs["momentum_buffer"]
        return {"v": (-h.lr_at(t) * buf if h.variant == "sutskever" else buf)[0].tolist()}
    if h.kind in ("adagrad", "rmsprop"):
        return {"cache": theirs["sum" if h.kind == "adagrad" else "square_avg"][0].tolist()}
    return {"m": theirs["exp_avg"][0].tolist(), "v": theirs["exp_avg_sq"][0].tolist()}


def gradient(surface: Surface, x: Any) -> Any:
    """∇f at x (1, 2) by torch autograd on the formula."""
    import torch

    with torch.enable_grad():
        p = x.detach().requires_grad_(True)
        (g,) = torch.autograd.grad(surface.torch(p).sum(), p)
    return g


def step(surface: Surface, h: Hyper, t: int, x: Any, state: TorchState, noise: Any = None) -> tuple[Any, TorchState]:
    """Update t of torch.optim from position x (a (1, 2) float64 tensor) and its state: the new
    position and state (new objects; the arguments are not changed). `noise`: the draws the
    runner added to ∇f at this update (None without noise)."""
    from torch.optim import adagrad, adam, rmsprop, sgd

    p, state = x.detach().clone(), {k: v.clone() if v is not None else None for k, v in state.items()}
    g = gradient(surface, p)
    if noise is not None:
        g = g + h.noise * noise
    lr = h.lr_at(t)
    params, grads = [p], [g]
    if h.kind in ("sgd", "momentum", "nesterov"):
        rho = 0.0 if h.kind == "sgd" else h.rho
        buffers = [state.get("momentum_buffer")]
        sgd.sgd(params, grads, buffers, foreach=False, weight_decay=0.0, momentum=rho, lr=lr, dampening=0.0,
                nesterov=h.kind == "nesterov", maximize=False)
        if h.kind != "sgd":
            state["momentum_buffer"] = buffers[0]
    elif h.kind == "adagrad":
        adagrad.adagrad(params, grads, [state["sum"]], [state["step"]], foreach=False, lr=lr, weight_decay=0.0,
                        lr_decay=0.0, eps=h.eps, maximize=False)
    elif h.kind == "rmsprop":
        rmsprop.rmsprop(params, grads, [state["square_avg"]], [], [], [state["step"]], foreach=False, lr=lr,
                        alpha=h.decay, eps=h.eps, weight_decay=0.0, momentum=0.0, centered=False)
    else:
        eps = h.eps
        if h.variant == "slide":
            c1, c2 = 1 - h.beta1 ** t, math.sqrt(1 - h.beta2 ** t)
            lr, eps = lr * c1 / c2, eps / c2
        adam.adam(params, grads, [state["exp_avg"]], [state["exp_avg_sq"]], [], [state["step"]], foreach=False,
                  amsgrad=False, beta1=h.beta1, beta2=h.beta2, lr=lr, weight_decay=0.0, eps=eps, maximize=False)
    return p, state


@dataclass(frozen=True)
class Check:
    """Update t of one optimizer against one torch.optim step from the runner's state before it."""

    ref_x: tuple[float, float]  # torch.optim's position after that one step
    ref_state: dict[str, list[float]]  # and its state, in the rule's names
    diff: float  # the largest difference, the state's rescaled to the position's scale (see `check`)


def check(surface: Surface, h: Hyper, t: int, before: Any, after: Any, noise: Any, device: str) -> Check:
    """Update t of the runner (`before`, `after`: its x and state around it, as frames hold them)
    against one torch.optim step from `before`. The position is judged at TOLERANCE × max(1, |x|),
    the state at TOLERANCE × max(1, |state|); `diff` counts the state's difference in the
    position's scale, so diff ≤ TOLERANCE × max(1, |x|) exactly when both agree."""
    import torch

    (x0, s0), (x1, s1) = before, after
    x = torch.tensor([list(x0)], dtype=torch.float64, device=device)
    z = None if noise is None else torch.tensor([list(noise)], dtype=torch.float64, device=device)
    p, theirs = step(surface, h, t, x, torch_state(h, s0, t, device), z)
    ref_x, ref_state = tuple(p[0].tolist()), lab_state(h, theirs, t)
    diff = max_diff(x1, ref_x)
    if ref_state:
        ours = [c for k in ref_state for c in s1[k]]
        ref = [c for k in ref_state for c in ref_state[k]]
        scale = max(1.0, *map(abs, x1)) / max(1.0, *map(abs, ref))
        diff = max(diff, max_diff(ours, ref) * scale)
    return Check(ref_x, ref_state, diff)
