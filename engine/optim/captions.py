"""What each optimizer frame says: the set-up, each step's losses, and the race's result in numbers.

The standings are the numbers a scenario's lesson is judged by: each optimizer's f, how far
it is from the nearest known point (a minimum or saddle) and since which step it has stayed
within reach of it, or the step it diverged at; with two racers, how long their paths agree.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ..core.fmt import count, num
from .config import OptimConfig
from .track import Step

SAME = 1e-12  # two paths closer than this (relative to their size) are the same path


def standing(cfg: OptimConfig, step: Step, path: np.ndarray) -> dict[str, Any]:
    """One optimizer's place in the race after this step."""
    out: dict[str, Any] = {"f": step.loss, "grad_norm": math.hypot(*step.grad), "diverged_at": step.diverged_at,
                           "point": None, "distance": None, "since": None}
    if not cfg.points or not len(path):
        return out
    pts = np.array([[q[1], q[2]] for q in cfg.points])  # (P, 2)
    with np.errstate(all="ignore"):
        d = np.hypot(path[:, None, 0] - pts[None, :, 0], path[:, None, 1] - pts[None, :, 1])  # (T, P)
    i = int(np.nanargmin(d[-1])) if np.isfinite(d[-1]).any() else 0
    out["point"], out["distance"] = i, float(d[-1, i])
    inside = d[:, i] <= cfg.reach
    if inside[-1]:
        outside = np.flatnonzero(~inside)
        out["since"] = int(outside[-1] + 1) if outside.size else 0
    return out


def agreement(a: np.ndarray, b: np.ndarray) -> dict[str, Any]:
    """Two paths from the same start: the last step at which they are still the same, and their gap now."""
    n = min(len(a), len(b))
    scale = np.maximum(1.0, np.maximum(np.abs(a[:n]).max(1), np.abs(b[:n]).max(1)))
    apart = np.flatnonzero(np.abs(a[:n] - b[:n]).max(1) > SAME * scale)
    return {"same_until": int(apart[0] - 1) if apart.size else n - 1,
            "gap": float(np.hypot(*(a[n - 1] - b[n - 1]))) if n else 0.0}


def intro(cfg: OptimConfig, f0: float) -> str:
    text = (f"f(x, y) = {cfg.surface.formula}; start ({num(cfg.start[0])}, {num(cfg.start[1])}), f = {num(f0)}; "
            f"{len(cfg.hypers)} optimizers, {cfg.steps} steps")
    return text + (f"; swarm of {count(cfg.side ** 2)} starts" if cfg.side else "")


def step(k: int, cfg: OptimConfig, standings: dict[str, dict]) -> str:
    parts = []
    for h in cfg.hypers:
        s = standings[h.name]
        parts.append(f"{h.name} f = {num(s['f'])}" if s["diverged_at"] is None else f"{h.name} diverged at step {s['diverged_at']}")
    return f"step {k}: " + " · ".join(parts)


def _where(cfg: OptimConfig, s: dict[str, Any]) -> str:
    if s["diverged_at"] is not None:
        return f"diverged at step {s['diverged_at']}"
    text = f"f = {num(s['f'])}"
    if s["point"] is not None:
        label, px, py = cfg.points[s["point"]]
        at = f"{label} ({num(px)}, {num(py)})"
        text += (f", within {num(cfg.reach, 2)} of {at} since step {s['since']}" if s["since"] is not None
                 else f", {num(s['distance'], 3)} from {at}")
    return text


def result(cfg: OptimConfig, standings: dict[str, dict], distill: dict | None, pair: dict | None,
           swarm: dict | None = None) -> str:
    """The last frame's caption: every optimizer's end, best f first, in numbers."""
    def order(h):
        s = standings[h.name]
        return (s["diverged_at"] is not None, s["f"] if math.isfinite(s["f"]) else math.inf)

    parts = []
    for h in sorted(cfg.hypers, key=order):
        text = f"{h.name}: {_where(cfg, standings[h.name])}"
        rate = distill["rates"][h.name] if distill else None
        if rate and rate["measured"] is not None and standings[h.name]["diverged_at"] is None:
            text += f", rate {num(rate['measured'], 3)}/step" + (
                f" (Distill: {num(rate['predicted'], 3)})" if rate["predicted"] is not None else "")
        parts.append(text)
    text = f"after {cfg.steps} steps: " + " · ".join(parts)
    if pair and pair["same_until"] >= 1:  # two paths that start alike: how long they stay alike
        a, b = (h.name for h in cfg.hypers)
        text += (f" · {a} and {b}: the same path to step {pair['same_until']}, {num(pair['gap'], 3)} apart "
                 f"at step {cfg.steps}")
    if swarm:
        first, others = cfg.hypers[0].name, [h.name for h in cfg.hypers[1:]]
        text += " · swarm: " + "; ".join(f"under {n}, {count(swarm['differ'][n])} of {count(swarm['starts'])} starts "
                                         f"end in another basin than under {first}" for n in others)
    return text


def change(k: int, before: dict[str, dict], after: dict[str, dict], names: list[str]) -> str:
    """What a knob turn did at this step, for the optimizers it changed: "at step 40: adam f 0.012 → 0.0031"."""
    def state(s: dict[str, Any]) -> str:
        return f"diverged at {s['diverged_at']}" if s["diverged_at"] is not None else num(s["f"])

    shown = [n for n in names if n in before and n in after]
    if len(shown) > 2:  # every path changed (the start moved): the best one says enough
        best = min(shown, key=lambda n: after[n]["f"] if after[n]["diverged_at"] is None else math.inf)
        was = min(shown, key=lambda n: before[n]["f"] if before[n]["diverged_at"] is None else math.inf)
        return f"at step {k}: lowest f {was} {state(before[was])} → {best} {state(after[best])}"
    return f"at step {k}: " + ", ".join(f"{n} f {state(before[n])} → {state(after[n])}" for n in shown)


def swarm_change(cfg: OptimConfig, before: dict[str, Any], after: dict[str, Any], names: list[str]) -> str:
    """The swarm's headline, before → after, where the turn changed it: for the optimizers it
    turned (all of them when it turned the first, whose basins the others are counted against)."""
    first, others = cfg.hypers[0].name, [h.name for h in cfg.hypers[1:]]
    shown = [n for n in (others if first in names else [n for n in others if n in names])
             if before["differ"][n] != after["differ"][n]]  # at step 0 nothing has moved yet
    if not shown:
        return ""
    return "; swarm: " + ", ".join(f"{n} {count(before['differ'][n])} → {count(after['differ'][n])}" for n in shown) + (
        f" of {count(after['starts'])} starts end in another basin than under {first}")
