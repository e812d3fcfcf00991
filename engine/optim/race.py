"""Optimizers stepping over a surface: each one a `Runner` over N start points, batched.

On the CPU a runner runs its rule in numpy, where an operation costs a microsecond or two
rather than torch's five to ten (the same IEEE arithmetic, so the same numbers), and its
gradient comes from the formula's own derivative (derivative.py: autograd's products in
autograd's order, microseconds rather than autograd's 0.2 ms): in Python floats for a single
start (a track), over arrays for a swarm. On another device a swarm runs in torch there, its
gradients from torch autograd on the surface formula, in float64. A start that turns NaN/inf or leaves the
divergence bound is frozen where it was and marked "diverged at step k"; the others go on.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from .config import Hyper
from .rules import lib, rule
from .surfaces import Surface


def loss_and_grad(surface: Surface, x: Any) -> tuple[Any, Any]:
    """f and ∇f at each row of x (N, 2). A numpy x gets numpy answers from the formula's own
    derivative (derivative.py): in Python floats for one row (a track), over arrays for many (a
    swarm on the CPU: ~30 µs for a thousand starts where autograd takes ~250); a tensor (a swarm
    on a GPU) gets autograd's, where f rows are independent, so ∇Σf = per-row ∇f."""
    if isinstance(x, np.ndarray):
        if len(x) > 1:
            f, gx, gy = surface.values_and_grads(x[:, 0], x[:, 1])
            return f, np.stack([gx, gy], 1)
        rows = [surface.value_and_grad(a, b) for a, b in x.tolist()]
        return np.array([r[0] for r in rows]), np.array([r[1:] for r in rows]).reshape(len(rows), 2)
    import torch

    with torch.enable_grad():
        xg = x.detach().requires_grad_(True)
        f = surface.torch(xg)  # (N,)
        (g,) = torch.autograd.grad(f.sum(), xg)
    return f.detach(), g.detach()


def noise_stream(h: Hyper, device: str, seed: int, index: int) -> Any:
    """One generator per optimizer, so adding a racer changes no other path (None without noise)."""
    if h.noise <= 0:
        return None
    import torch

    gen = torch.Generator(device=device)
    gen.manual_seed(seed * 1009 + index)
    return gen


class Runner:
    """One optimizer over N starts: position, state, and which starts are still alive."""

    def __init__(self, surface: Surface, h: Hyper, starts: np.ndarray, bound: float, device: str = "cpu",
                 seed: int = 0, index: int = 0, numpy: bool = False) -> None:
        """`numpy`: run in numpy on the CPU (one start: a track), else in torch on `device`."""
        self.surface, self.h, self.bound, self.t = surface, h, bound, 0
        x = np.array(starts, dtype=np.float64)  # (N, 2)
        if not numpy:
            import torch

            x = torch.tensor(x, dtype=torch.float64, device=device)
        xp = self.xp = lib(x)
        self.x = x
        self.loss, self.grad = loss_and_grad(surface, self.x)
        self.state = {name: xp.zeros_like(self.x) for name in rule(h).state}
        self.alive = xp.isfinite(self.loss)
        self.diverged_at = xp.where(self.alive, -1, 0)  # −1 while alive
        self.diverged_at = self.diverged_at.astype(np.int64) if numpy else self.diverged_at.to(xp.int64)
        self.generator = noise_stream(h, device, seed, index)
        self.last: dict[str, Any] = {}  # the latest update's arrays, all starts (start0() reads start 0's)

    def noise(self, shape: tuple[int, ...]) -> Any:
        """The next draws of this optimizer's noise stream (torch's generator: the reference draws the same)."""
        import torch

        z = torch.randn(shape, generator=self.generator, dtype=torch.float64, device=self.generator.device)
        return z.cpu().numpy() if self.xp is np else z.to(self.x.device)

    def step(self) -> None:
        if self.xp is np and len(self.x) == 1 and self.generator is None and bool(self.alive[0]):
            try:
                if self._step_in_floats():
                    return
            except (ZeroDivisionError, OverflowError, ValueError):
                pass  # x/0, an overflowing power, √ of a negative: the arrays give inf/NaN as torch does
        self._step_in_arrays()

    def _step_in_floats(self) -> bool:
        """One update of a track (one start, no noise, on its way) in Python floats, a coordinate
        at a time: the same IEEE operations in the same order as over arrays, ~3× faster on
        two numbers (a start turn at step 75 of optim-rosenbrock reruns 450 updates). False,
        changing nothing, where the update leaves the finite, bounded region: the array path
        then records the divergence."""
        h, t = self.h, self.t + 1
        lr = h.lr_at(t)
        update = rule(h).update
        (x0, x1), (g0, g1) = self.x[0].tolist(), self.grad[0].tolist()
        before = {k: v[0].tolist() for k, v in self.state.items()}
        nx0, s0 = update(h, x0, g0, {k: v[0] for k, v in before.items()}, t, lr)
        nx1, s1 = update(h, x1, g1, {k: v[1] for k, v in before.items()}, t, lr)
        if not (math.isfinite(nx0) and math.isfinite(nx1)) or abs(nx0) > self.bound or abs(nx1) > self.bound:
            return False
        f, ng0, ng1 = self.surface.value_and_grad(nx0, nx1)
        if not math.isfinite(f):
            return False
        x_new, s_new = np.array([[nx0, nx1]]), {k: np.array([[s0[k], s1[k]]]) for k in before}
        self.t = t
        self.last = {"t": t, "lr": lr, "g": self.grad, "x_old": self.x, "x_new": x_new, "before": self.state,
                     "after": s_new, "alive_before": self.alive, "moved": self.alive, "noise": None}
        self.x, self.state, self.loss, self.grad = x_new, s_new, np.array([f]), np.array([[ng0, ng1]])
        return True

    def _step_in_arrays(self) -> None:
        xp = self.xp
        self.t += 1
        h, t, lr = self.h, self.t, self.h.lr_at(self.t)
        g, z = self.grad, None
        if self.generator is not None:
            z = self.noise(tuple(g.shape))
            g = g + h.noise * z
        with np.errstate(all="ignore"):
            x_new, s_new = rule(h).update(h, self.x, g, self.state, t, lr)
        f_new, g_new = loss_and_grad(self.surface, x_new)
        finite = xp.isfinite(x_new).all(1)
        bad = ~finite | (xp.abs(x_new) > self.bound).any(1) | ~xp.isfinite(f_new)
        # A start that diverges keeps its last finite position, so it can still be drawn (at the edge).
        keep_new = self.alive & finite
        # The arrays themselves: an update makes new ones and changes none in place, and a frame reads
        # few of the many updates computed (converting each one's numbers cost more than its math).
        self.last = {"t": t, "lr": lr, "g": g, "x_old": self.x, "x_new": x_new, "before": self.state, "after": s_new,
                     "alive_before": self.alive, "moved": keep_new, "noise": z}
        if xp is np and self.alive.all() and not bad.any():  # a track on its way: nothing to hold back
            self.x, self.state, self.loss, self.grad = x_new, s_new, f_new, g_new
            return
        move = self.alive[:, None]
        self.x = xp.where(keep_new[:, None], x_new, self.x)
        self.state = {k: xp.where(move, s_new[k], self.state[k]) for k in self.state}
        self.loss = xp.where(keep_new, f_new, self.loss)
        self.grad = xp.where(keep_new[:, None], g_new, self.grad)
        self.diverged_at = xp.where(self.alive & bad, t, self.diverged_at)
        self.alive = self.alive & ~bad


def start0(last: dict[str, Any]) -> dict[str, Any]:
    """A runner's `last` update as start 0's Python numbers: what the worked rule and the check read."""
    def row(a: Any) -> list[float]:
        return a[0].tolist()

    return {"t": last["t"], "lr": last["lr"], "g": row(last["g"]), "x_old": row(last["x_old"]),
            "x_new": row(last["x_new"]), "before": {k: row(v) for k, v in last["before"].items()},
            "after": {k: row(v) for k, v in last["after"].items()}, "alive_before": bool(last["alive_before"][0]),
            "moved": bool(last["moved"][0]), "noise": None if last["noise"] is None else row(last["noise"])}


class Race:
    """Every optimizer from the same starts, one update each per `step()`."""

    def __init__(self, surface: Surface, hs: tuple[Hyper, ...] | list[Hyper], starts: np.ndarray, bound: float,
                 device: str = "cpu", seed: int = 0) -> None:
        self.runners = [Runner(surface, h, starts, bound, device, seed, i) for i, h in enumerate(hs)]
        self.t = 0

    def step(self) -> None:
        self.t += 1
        for r in self.runners:
            r.step()
