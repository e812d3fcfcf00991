"""Swarm mode: a side × side grid of starts over the view, every optimizer batched over all of them.

Each frame says where each start is now, as a basin label per start: i + 1 = within reach
of points[i] (the nearest, within `reach`), 0 = elsewhere, DIVERGED = diverged. There are
at most MAX_POINTS (64) points, so a point's label is never DIVERGED (255).

Each optimizer's swarm (a `Flock`) is a pure function of the surface, the grid, its own
hyperparameters and its noise stream, like a track (track.py): it is kept in a small cache
and shared, so turning one optimizer's knob recomputes that optimizer's swarm alone, and
turning the start point recomputes none.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from typing import Any

import numpy as np

from .config import DIVERGED, Hyper, OptimConfig
from .race import Runner

SAMPLE = 144  # current positions of this many swarm starts go into each frame
CACHE_BYTES = 40_000_000  # what the shared flocks may hold beyond the ones in use
STEP_BYTES = 1_000  # a summary beyond its two arrays: its dict, the counts list, the arrays' headers


def starts(view: tuple[float, float, float, float], side: int) -> np.ndarray:
    """side × side starts at cell centres of the view, row 0 at the top (largest y), row-major: (side², 2)."""
    xmin, xmax, ymin, ymax = view
    xs = xmin + (np.arange(side) + 0.5) * (xmax - xmin) / side
    ys = ymax - (np.arange(side) + 0.5) * (ymax - ymin) / side
    X, Y = np.meshgrid(xs, ys)
    return np.stack([X.ravel(), Y.ravel()], axis=1)


def summary(cfg: OptimConfig, runner: Runner) -> dict[str, Any]:
    """Where one optimizer's starts are now: basin labels (side × side), counts per label, a sample, how many diverged."""
    n = cfg.side
    pts = np.array([[q[1], q[2]] for q in cfg.points] or [[np.inf, np.inf]])  # (P, 2)
    # In numpy: a few thousand distances are below what torch's threads pay off for.
    x, alive = (a if runner.xp is np else a.cpu().numpy() for a in (runner.x, runner.alive))
    with np.errstate(all="ignore"):
        d = np.hypot(x[:, None, 0] - pts[None, :, 0], x[:, None, 1] - pts[None, :, 1])  # (side², P)
    which = np.argmin(np.where(np.isnan(d), np.inf, d), axis=1)
    near = d[np.arange(len(x)), which]
    label = np.where(near <= cfg.reach, which + 1, 0)
    lab = np.where(alive, label, DIVERGED).astype(np.int16).reshape(n, n)
    per_label = np.bincount(lab.ravel(), minlength=DIVERGED + 1).tolist()  # one pass, not one per label
    counts = per_label[: len(cfg.points) + 1] + [per_label[DIVERGED]]
    return {"basin": lab, "counts": counts, "sample": x[:: max(1, (n * n) // SAMPLE)].copy(),
            "diverged": int((~alive).sum())}


class Flock:
    """One optimizer from every start of the grid, and its summary after each update."""

    def __init__(self, cfg: OptimConfig, h: Hyper, device: str, seed: int, index: int) -> None:
        self.cfg = cfg
        # numpy on the CPU (its ops on a thousand numbers cost a microsecond or two, torch's five to
        # ten, and its gradient is the formula's own derivative over arrays); torch on another device.
        self.runner = Runner(cfg.surface, h, starts(cfg.view, cfg.side), cfg.bound, device, seed, index,
                             numpy=device == "cpu")
        self.steps = [summary(cfg, self.runner)]
        self.lock = threading.Lock()

    def ensure(self, t: int) -> dict[str, Any]:
        """The summary after update t, computing the updates up to it."""
        if t < len(self.steps):
            return self.steps[t]
        with self.lock:
            while len(self.steps) <= t:
                self.runner.step()
                self.steps.append(summary(self.cfg, self.runner))
            return self.steps[t]

    @property
    def nbytes(self) -> int:
        """About what this flock holds: its runner's arrays (position, gradient, loss, state,
        alive, diverged-at: 8 bytes a number per start) and every summary kept."""
        first = self.steps[0]
        per_step = first["basin"].nbytes + first["sample"].nbytes + STEP_BYTES
        return self.cfg.side ** 2 * 8 * (6 + 2 * len(self.runner.state)) + per_step * len(self.steps)


def values(cfg: OptimConfig, flocks: list[Flock], k: int) -> dict[str, Any]:
    """Step k of the swarm, every optimizer's summary side by side (what each frame holds)."""
    n = cfg.side
    each = {h.name: f.ensure(k) for h, f in zip(cfg.hypers, flocks)}
    first = each[cfg.hypers[0].name]["basin"]
    return {"side": n, "starts": n * n, "reach": cfg.reach,
            **{part: {name: s[part] for name, s in each.items()} for part in ("basin", "counts", "sample", "diverged")},
            # How many starts end somewhere else than under the first optimizer: the basins are the optimizer's too.
            "differ": {name: int((s["basin"] != first).sum()) for name, s in each.items()}}


_CACHE: OrderedDict[tuple, Flock] = OrderedDict()
_CACHE_LOCK = threading.Lock()


def flock(cfg: OptimConfig, h: Hyper, device: str, seed: int, index: int) -> Flock:
    """The shared flock for this optimizer over this grid (a new one the first time)."""
    stream = (seed, index) if h.noise else None  # without noise, neither changes a number
    key = (cfg.surface, cfg.view, cfg.side, cfg.bound, cfg.points, h, device, stream)
    with _CACHE_LOCK:
        found = _CACHE.get(key)
        if found is None:
            found = _CACHE[key] = Flock(cfg, h, device, seed, index)
        _CACHE.move_to_end(key)
        while len(_CACHE) > 1 and sum(f.nbytes for f in _CACHE.values()) > CACHE_BYTES:
            _CACHE.popitem(last=False)  # the lab that holds it keeps it; only the sharing goes
        return found
