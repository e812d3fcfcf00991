"""One optimizer's path from the start point, and each shown step's check: what every frame reads.

A `Track` is a pure function of (surface, hyperparameters, start, bound, device, seed and
its noise stream), so it is kept in a small cache and shared: turning one optimizer's knob
recomputes that optimizer alone, and the others' paths come back as they were, number for
number. Tracks grow under a lock, because the app may step one session in a worker while
another is opened with a knob turned.

`ensure` computes the runner's updates only. The check of update t (reference.py: one
torch.optim step from the runner's position and state before it, compared with the
runner's after it) is computed when a frame at step t is built (`check`), and kept: a knob
turn that recomputes a path to step 75 pays for 75 updates and one check.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from functools import cached_property
from typing import Any

import numpy as np

from .config import Hyper
from .race import Runner, start0
from .reference import Check, check, unchecked_reason
from .surfaces import Surface


class Step:
    """Start 0 after update t (t = 0: the start itself), as Python numbers when read.

    It keeps the runner's arrays as they were after the update (an update makes new ones and
    changes none in place) and converts start 0's numbers when a frame reads them: a knob turn
    computes many updates and shows one."""

    def __init__(self, runner: Runner, lr: float, moved: bool) -> None:
        self._x, self._loss, self._grad, self._state = runner.x, runner.loss, runner.grad, runner.state
        last = runner.last
        self._last = last if last and bool(last["alive_before"][0]) else None
        self.lr = lr
        self.alive = bool(runner.alive[0])
        d = int(runner.diverged_at[0])
        self.diverged_at = None if d < 0 else d
        self.moved = moved  # this update moved start 0 (it was alive and the new position is finite)

    @property
    def x(self) -> tuple[float, float]:
        return tuple(self._x[0].tolist())

    @property
    def loss(self) -> float:
        return float(self._loss[0])

    @property
    def grad(self) -> tuple[float, float]:
        return tuple(self._grad[0].tolist())

    @property
    def state(self) -> dict[str, list[float]]:
        return {k: v[0].tolist() for k, v in self._state.items()}

    @cached_property
    def last(self) -> dict[str, Any]:
        """The update's numbers for the worked rule and the check ({} at t = 0 and once frozen)."""
        return start0(self._last) if self._last is not None else {}


class Track:
    def __init__(self, surface: Surface, h: Hyper, start: tuple[float, float], bound: float, device: str,
                 seed: int, index: int) -> None:
        self.surface, self.h, self.device = surface, h, device
        # numpy on the CPU; on another device torch there, as the check's torch.optim step runs (autograd
        # on a GPU is not the CPU's to the last bit, and the check compares the two).
        self.runner = Runner(surface, h, np.array([start]), bound, device, seed, index, numpy=device == "cpu")
        self.unchecked = unchecked_reason(h)
        self._checks: dict[int, Check | None] = {}
        self._xyf = np.empty((64, 3))  # start 0's drawn positions (x, y, f), in order; grown by doubling
        self._drawn: list[int] = []  # how many of them step t draws
        self.steps: list[Step] = []
        self.lock = threading.Lock()
        self._record(moved=True)

    def _record(self, moved: bool) -> None:
        r = self.runner
        step = Step(r, self.h.lr_at(max(r.t, 1)), moved)
        self.steps.append(step)
        n = self._drawn[-1] if self._drawn else 0
        if moved:
            if n == len(self._xyf):
                self._xyf = np.concatenate([self._xyf, np.empty_like(self._xyf)])
            self._xyf[n] = (*step.x, step.loss)
            n += 1
        self._drawn.append(n)

    def ensure(self, t: int) -> Step:
        """Start 0 after update t, computing the updates up to it."""
        if t < len(self.steps):  # computed already: no lock, so the app's thread never waits on a worker here
            return self.steps[t]
        with self.lock:
            since = time.perf_counter()
            while len(self.steps) <= t:
                self.runner.step()
                self._record(bool(self.runner.last["moved"][0]))
                # Give up the GIL now and then: numpy on two numbers holds it throughout (torch let go
                # at every op), and the app's thread paints while a worker computes ahead. Not at
                # every update: on a busy machine each sleep(0) waits for the scheduler (0.5-1 ms).
                if time.perf_counter() - since > YIELD_EVERY:
                    time.sleep(0)
                    since = time.perf_counter()
            return self.steps[t]

    def check(self, t: int) -> Check | None:
        """Update t against one torch.optim step from the runner's state before it (None where
        nothing is compared: no torch.optim form, or start 0 frozen before or at this update).
        At t = 0 both stand at the start."""
        if self.unchecked:
            return None
        if t not in self._checks:
            now = self.ensure(t)
            if t == 0:
                found = Check(now.x, {}, 0.0)
            elif now.last and now.moved:
                was = self.steps[t - 1]
                found = check(self.surface, self.h, t, (was.x, was.state), (now.x, now.state), now.last.get("noise"),
                              self.device)
            else:
                found = None
            self._checks[t] = found  # one dict write: safe without the lock, and the same value either way
        return self._checks[t]

    def drawn(self, t: int) -> np.ndarray:
        """The positions drawn at step t: the start and every move (a diverging move stays, at the edge)."""
        return self._xyf[: self._drawn[t], :2]  # a view: the frame that holds it makes its own copy

    def losses(self, t: int) -> np.ndarray:
        """f at each drawn position."""
        return self._xyf[: self._drawn[t], 2]


# Seconds of updates between two chances for the app's thread to take the GIL: about the GIL's own
# switch interval (5 ms), so the app's thread waits no longer than that, and a knob turn pays a few
# sleeps rather than dozens.
YIELD_EVERY = 0.005
_CACHE: OrderedDict[tuple, Track] = OrderedDict()
_CACHE_LOCK = threading.Lock()
CACHE_SIZE = 48


def track(surface: Surface, h: Hyper, start: tuple[float, float], bound: float, device: str, seed: int,
          index: int) -> Track:
    """The shared track for these settings (a new one the first time)."""
    stream = (seed, index) if h.noise else None  # without noise, neither changes a number
    key = (surface, h, start, bound, device, stream)
    with _CACHE_LOCK:
        found = _CACHE.get(key)
        if found is None:
            found = _CACHE[key] = Track(surface, h, start, bound, device, seed, index)
            while len(_CACHE) > CACHE_SIZE:
                _CACHE.popitem(last=False)
        _CACHE.move_to_end(key)
        return found
