"""One optimizer's path from the start point, with torch.optim beside it: what every frame reads.

A `Track` is a pure function of (surface, hyperparameters, start, bound, device, seed and
its noise stream), so it is kept in a small cache and shared: turning one optimizer's knob
recomputes that optimizer alone, and the others' paths come back as they were, number for
number. Tracks grow under a lock, because the app may step one session in a worker while
another is opened with a knob turned.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

import numpy as np

from .config import Hyper
from .race import Runner
from .reference import Reference, unchecked_reason
from .surfaces import Surface


@dataclass(frozen=True)
class Step:
    """Start 0 after update t (t = 0: the start itself)."""

    x: tuple[float, float]
    loss: float
    grad: tuple[float, float]
    state: dict[str, list[float]]
    last: dict[str, Any]  # the update's numbers for the worked rule ({} at t = 0 and once frozen)
    lr: float
    alive: bool
    diverged_at: int | None
    moved: bool  # this update moved start 0 (it was alive and the new position is finite)
    ref_x: tuple[float, float] | None  # torch.optim's position, while it is compared
    diff: float | None  # the largest |ours − torch.optim| over the two coordinates


class Track:
    def __init__(self, surface: Surface, h: Hyper, start: tuple[float, float], bound: float, device: str,
                 seed: int, index: int) -> None:
        self.h = h
        # numpy on the CPU; on another device torch there, as the reference beside it runs (autograd
        # on a GPU is not the CPU's to the last bit, and the check compares the two).
        self.runner = Runner(surface, h, np.array([start]), bound, device, seed, index, numpy=device == "cpu")
        self.unchecked = unchecked_reason(h)
        self.reference = None if self.unchecked else Reference(surface, h, start, device, seed, index)
        self._xyf = np.empty((64, 3))  # start 0's drawn positions (x, y, f), in order; grown by doubling
        self._drawn: list[int] = []  # how many of them step t draws
        self.steps: list[Step] = []
        self.lock = threading.Lock()
        self._record(moved=True, diff=0.0 if self.reference else None)

    def _record(self, moved: bool, diff: float | None) -> None:
        r = self.runner
        alive = bool(r.alive[0])
        d = int(r.diverged_at[0])
        self.steps.append(Step(
            x=tuple(r.x[0].tolist()), loss=float(r.loss[0]), grad=tuple(r.grad[0].tolist()),
            state={k: v[0].tolist() for k, v in r.state.items()},
            last=r.last if r.last.get("alive_before") else {}, lr=self.h.lr_at(max(r.t, 1)), alive=alive,
            diverged_at=None if d < 0 else d, moved=moved,
            ref_x=tuple(self.reference.x) if self.reference is not None and diff is not None else None, diff=diff))
        n = self._drawn[-1] if self._drawn else 0
        if moved:
            if n == len(self._xyf):
                self._xyf = np.concatenate([self._xyf, np.empty_like(self._xyf)])
            self._xyf[n] = (*self.steps[-1].x, self.steps[-1].loss)
            n += 1
        self._drawn.append(n)

    def ensure(self, t: int) -> Step:
        """Start 0 after update t, computing the updates up to it."""
        if t < len(self.steps):  # computed already: no lock, so the app's thread never waits on a worker here
            return self.steps[t]
        with self.lock:
            while len(self.steps) <= t:
                r = self.runner
                was_alive = bool(r.alive[0])
                # Where torch.optim stands exactly where the runner stood, autograd would give it the
                # runner's own gradient (the same function of the same numbers): it takes that.
                same = self.reference is not None and self.reference.x == r.x[0].tolist()
                known = r.grad if same else None  # r.step() puts a new array in its place
                r.step()
                moved = r.last["moved"]
                diff = None
                if self.reference is not None and was_alive and moved:
                    theirs = self.reference.step(known)
                    diff = max(abs(a - b) for a, b in zip(r.x[0].tolist(), theirs))
                elif self.reference is not None:
                    self.reference = None  # frozen here: nothing further to compare
                self._record(moved, diff)
                # Give up the GIL now and then: numpy on two numbers holds it throughout (torch let go
                # at every op), and the app's thread paints while a worker computes ahead. Not at
                # every update: on a busy machine each sleep(0) waits for the scheduler (~0.2 ms).
                if len(self.steps) % 8 == 0:
                    time.sleep(0)
            return self.steps[t]

    def drawn(self, t: int) -> np.ndarray:
        """The positions drawn at step t: the start and every move (a diverging move stays, at the edge)."""
        return self._xyf[: self._drawn[t], :2]  # a view: the frame that holds it makes its own copy

    def losses(self, t: int) -> np.ndarray:
        """f at each drawn position."""
        return self._xyf[: self._drawn[t], 2]


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
