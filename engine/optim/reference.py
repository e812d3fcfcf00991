"""torch.optim on the same surface, step for step beside the lab's own rule: each frame's check.

The reference computes its own gradient (autograd on its own position; where that position
is the runner's to the bit, the runner's gradient, which is the same computation) and lets
the torch.optim class named in the rule table move its parameter. Two forms need a word:
- the slide's Adam has no bias correction, which torch.optim.Adam always applies; with
  α_t = α·(1 − β1ᵗ)/√(1 − β2ᵗ) and ε_t = ε/√(1 − β2ᵗ) torch's update is exactly the slide's,
  α·m/(√v + ε), so those are set on the param group before each step;
- Sutskever's conventions keep α inside v, so after an α change they leave torch's path on
  purpose (`lr_change`): those optimizers are not checked, and the frame says why.
With ε = 0, torch divides 0 by 0 where the lab steps 0 (see rules.py): not checked either.

The update is torch.optim's own function for the rule (torch.optim.sgd.sgd, adagrad.adagrad,
rmsprop.rmsprop, adam.adam: what each class's `step()` calls, with the class's defaults),
with the state the class would keep: constructing the class itself imports torch._dynamo,
seconds on first use, and the functions compute the same numbers (tests/test_optim.py
checks them against the classes).
"""

from __future__ import annotations

import math
from typing import Any

from .config import Hyper
from .race import noise_stream
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


class Reference:
    """torch.optim moving one start, one `step()` per update of the lab's own runner."""

    def __init__(self, surface: Surface, h: Hyper, start: tuple[float, float], device: str, seed: int,
                 index: int) -> None:
        import torch

        self.surface, self.h, self.t = surface, h, 0
        self.p = torch.tensor([list(start)], dtype=torch.float64, device=device)  # (1, 2)
        zero = torch.zeros_like(self.p)
        # The state each class keeps: SGD's momentum buffer (made from the first gradient), the
        # others' running sums and their step counter.
        self.buffers: list[Any] = [None]
        self.sums = [zero.clone() for _ in range(2)]
        self.count = [torch.tensor(0.0, dtype=torch.float64)]
        self.generator = noise_stream(h, device, seed, index)

    @property
    def x(self) -> list[float]:
        return self.p[0].tolist()

    def gradient(self, known: Any = None) -> Any:
        """∇f at this position (plus this step's noise). `known`: ∇f already computed by autograd
        at exactly this position (the lab's own runner, when the two agree to the bit), the
        same numbers this would compute."""
        import torch

        if known is not None:
            g = torch.as_tensor(known, device=self.p.device)
        else:
            with torch.enable_grad():
                p = self.p.detach().requires_grad_(True)
                (g,) = torch.autograd.grad(self.surface.torch(p).sum(), p)
        if self.generator is not None:  # the same noise the lab's runner draws for its start 0
            g = g + self.h.noise * torch.randn(g.shape, generator=self.generator, dtype=g.dtype, device=g.device)
        return g

    def step(self, known: Any = None) -> list[float]:
        from torch.optim import adagrad, adam, rmsprop, sgd

        self.t += 1
        h, t, g = self.h, self.t, self.gradient(known)
        lr = h.lr_at(t)
        params, grads = [self.p], [g]
        if h.kind in ("sgd", "momentum", "nesterov"):
            rho = 0.0 if h.kind == "sgd" else h.rho
            sgd.sgd(params, grads, self.buffers, foreach=False, weight_decay=0.0, momentum=rho, lr=lr, dampening=0.0,
                    nesterov=h.kind == "nesterov", maximize=False)
        elif h.kind == "adagrad":
            adagrad.adagrad(params, grads, self.sums[:1], self.count, foreach=False, lr=lr, weight_decay=0.0,
                            lr_decay=0.0, eps=h.eps, maximize=False)
        elif h.kind == "rmsprop":
            rmsprop.rmsprop(params, grads, self.sums[:1], [], [], self.count, foreach=False, lr=lr, alpha=h.decay,
                            eps=h.eps, weight_decay=0.0, momentum=0.0, centered=False)
        else:
            eps = h.eps
            if h.variant == "slide":
                c1, c2 = 1 - h.beta1 ** t, math.sqrt(1 - h.beta2 ** t)
                lr, eps = lr * c1 / c2, eps / c2
            adam.adam(params, grads, self.sums[:1], self.sums[1:], [], self.count, foreach=False, amsgrad=False,
                      beta1=h.beta1, beta2=h.beta2, lr=lr, weight_decay=0.0, eps=eps, maximize=False)
        return self.x
