"""One optimizer frame's values, from the tracks (start 0 of each optimizer) and the swarm.

The JSON contract is in docs/optim.md; `check` is the one record of how this step's update
compares with one torch.optim step from the same state (reference.py; engine.core.check.record).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..core.check import record
from ..core.frame import Frame
from . import captions, distill, rules
from .config import OptimConfig
from .reference import TOLERANCE, reference_name
from .track import Step, Track


def base(cfg: OptimConfig) -> dict[str, Any]:
    """What every frame of a run shares."""
    return {
        "surface": {"name": cfg.surface.name, "formula": cfg.surface.formula},
        "view": list(cfg.view),
        "bound": cfg.bound,
        "steps": cfg.steps,
        "optimizers": [{"name": h.name, "kind": h.kind, "variant": h.variant, "letter": h.letter,
                        "settings": h.settings(), "rule": rules.rule(h).text} for h in cfg.hypers],
        "points": [list(q) for q in cfg.points],
    }


def optimizer_state(track: Track, k: int, step: Step) -> dict[str, Any]:
    h, d = track.h, step.diverged_at
    last, checked = step.last, track.check(k)
    return {
        "x": list(step.x), "loss": step.loss, "lr": step.lr, "grad": list(last["g"]) if last else None,
        **step.state,
        "step_taken": [b - a for a, b in zip(last["x_old"], last["x_new"])] if last else None,
        "rule": rules.worked(h, last),
        "diverged_at": d,
        "status": "running" if d is None else f"diverged at step {d}",
        "check": (record(reference_name(h), checked.diff, TOLERANCE * max(1.0, *map(abs, step.x)))
                  if checked is not None else None),
        "unchecked": track.unchecked or None,
    }


def check(cfg: OptimConfig, k: int, tracks: list[Track], steps: list[Step]) -> dict[str, Any] | None:
    """This step's update of every optimizer compared at this step, against one torch.optim step
    from its state before it (reference.py): positions, and states in the positions' scale."""
    compared = [(t, s, t.check(k)) for t, s in zip(tracks, steps)]
    compared = [(t, s, c) for t, s, c in compared if c is not None]
    if not compared:
        return None
    names = list(dict.fromkeys(reference_name(t.h) for t, _, _ in compared))
    scale = max(1.0, *(abs(c) for _, s, _ in compared for c in s.x))
    # Each diff is in its own optimizer's scale, max(1, |x|); in the largest scale it is at most this.
    worst = max(c.diff * scale / max(1.0, *map(abs, s.x)) for _, s, c in compared)
    return record(", ".join(names), worst, TOLERANCE * scale)


def standings(cfg: OptimConfig, tracks: list[Track], k: int) -> dict[str, dict]:
    return {t.h.name: captions.standing(cfg, t.ensure(k), t.drawn(k)) for t in tracks}


def values(cfg: OptimConfig, k: int, tracks: list[Track], swarm: dict[str, Any] | None,
           shared: dict[str, Any]) -> dict[str, Any]:
    steps = [t.ensure(k) for t in tracks]
    paths = {t.h.name: t.drawn(k) for t in tracks}
    out = {**shared, "step": k, "paths": paths, "loss": {t.h.name: t.losses(k) for t in tracks},
           "state": {t.h.name: optimizer_state(t, k, s) for t, s in zip(tracks, steps)},
           "standings": standings(cfg, tracks, k)}
    found = check(cfg, k, tracks, steps)
    if found is not None:
        out["check"] = found
    if cfg.surface.eigenvalues is not None:
        out["distill"] = distill.summary(cfg.surface.eigenvalues, cfg.hypers, paths)
    if len(tracks) == 2:
        out["pair"] = captions.agreement(*(np.asarray(p) for p in paths.values()))
    if swarm is not None:
        out["swarm"] = swarm
    return out


def frame(cfg: OptimConfig, k: int, tracks: list[Track], swarm: dict[str, Any] | None, shared: dict[str, Any]) -> Frame:
    v = values(cfg, k, tracks, swarm, shared)
    if k == 0:
        return Frame(0, captions.intro(cfg, tracks[0].ensure(0).loss), v, {})
    if k == cfg.steps:
        caption = captions.result(cfg, v["standings"], v.get("distill"), v.get("pair"), v.get("swarm"))
    else:
        caption = captions.step(k, cfg, v["standings"])
    newly = [t.h.name for t in tracks if v["standings"][t.h.name]["diverged_at"] == k]
    return Frame(k, caption, v, {"diverged": newly})
