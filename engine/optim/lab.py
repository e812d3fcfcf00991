"""Optimizer paths on 2-D loss surfaces: SGD to Adam, one update of each per step.

The package: config.py (params, the frozen plan), rules.py (each update rule once: code,
text, worked line), formula.py and surfaces.py (f(x, y)), race.py (the batched math),
derivative.py (a track's ∇f), track.py (one optimizer's path, shared between knob turns),
reference.py (one torch.optim step from the lab's state: each frame's check), distill.py,
swarm.py, captions.py, frames.py, help.md.
"""

from __future__ import annotations

import math
import threading
from collections import OrderedDict
from functools import partial
from typing import Any, Iterator

from ..core.frame import Frame
from ..core.knobs import Knob
from ..core.lab import Lab
from ..core.lazy import LazyFrame
from . import captions, frames, rules
from .config import PARAMS, OptimConfig, fill, plan
from . import swarm
from .track import track

RULES_HERE = "<!-- the update rules: generated from engine/optim/rules.py -->"
BETA2_CHOICES = (0.9, 0.99, 0.999, 0.9999)  # 1 − β2 by powers of ten: how long v remembers
DECAY_CHOICES = (0.5, 0.9, 0.99, 0.999)
DEFAULT_EMPTY = ("start", "view", "points")


class OptimLab(Lab):
    name = "optim"
    title = "Optimizer paths on 2-D loss surfaces"
    PARAMS = PARAMS

    @classmethod
    def validate(cls, raw: dict[str, Any]) -> dict[str, Any]:
        # Validated params hold defaults that mean "not given" ([] for start, view and points: the
        # surface's own; None for a hyperparameter that does not apply), and a knob turn validates
        # them again: as given, they would not pass (their Params want numbers, 2 or 4 of them).
        raw = {k: v for k, v in raw.items() if not (k in DEFAULT_EMPTY and v == [])}
        if isinstance(raw.get("optimizers"), list):
            raw["optimizers"] = [{k: v for k, v in o.items() if v is not None} if isinstance(o, dict) else o
                                 for o in raw["optimizers"]]
        return fill(super().validate(raw))

    @classmethod
    def check(cls, params: dict[str, Any]) -> None:
        plan(params)  # f at the start point is all it computes

    @classmethod
    def draws_random(cls, params: dict[str, Any]) -> bool:
        return False  # noise comes from each optimizer's own seeded generator (race.noise_stream)

    @classmethod
    def torch_from(cls, params: dict[str, Any]) -> int | None:
        """Frame 1: frame 0 is the start, f and ∇f from the formula's own derivative, with no
        update to check. A swarm (in torch off the CPU) and noise (torch's generator) need torch
        from the start."""
        # From the validated params (asked at every step): plan() would parse the surface again.
        return 0 if params["swarm"] or any(o["noise"] for o in params["optimizers"]) else 1

    @classmethod
    def help_text(cls) -> str:
        return super().help_text().replace(RULES_HERE, rules.markdown())

    def __init__(self, params: dict[str, Any], *, seed: int = 0, device: str = "cpu") -> None:
        super().__init__(params, seed=seed, device=device)
        self.cfg: OptimConfig = plan(params)
        cfg = self.cfg
        self.tracks = [track(cfg.surface, h, cfg.start, cfg.bound, device, seed, i) for i, h in enumerate(cfg.hypers)]
        # Each optimizer's swarm, shared between knob turns like the tracks (none without a swarm).
        self.flocks = [swarm.flock(cfg, h, device, seed, i) for i, h in enumerate(cfg.hypers)] if cfg.side else []
        self._shared = frames.base(cfg)
        self._built: OrderedDict[int, Frame] = OrderedDict()
        self._lock = threading.Lock()
        self.produced = 0  # frames yielded so far

    def length(self) -> int:
        return 1 + self.cfg.steps

    def frames(self) -> Iterator[Frame]:
        for k in range(self.cfg.steps + 1):
            for t in [*self.tracks, *self.flocks]:  # the arithmetic now, in the stepper's worker; the frame's text when shown
                t.ensure(k)
            self.produced = k + 1
            yield LazyFrame(k, partial(self.materialize, k), keep=False)  # materialize keeps the last 32

    def materialize(self, k: int) -> Frame:
        with self._lock:
            built = self._built.get(k)
            if built is None:
                sw = swarm.values(self.cfg, self.flocks, k) if self.flocks else None
                built = self._built[k] = frames.frame(self.cfg, k, self.tracks, sw, self._shared)
                if len(self._built) > 32:
                    self._built.popitem(last=False)
            self._built.move_to_end(k)
            return built


    # --- knobs -------------------------------------------------------------------------------
    def knobs(self) -> list[Knob]:
        cfg, p = self.cfg, self.params
        out: list[Knob] = []
        for i, h in enumerate(cfg.hypers):
            key = f"optimizers[{i}]"
            out.append(Knob(f"{h.name} α", f"{key}.lr", step=1.1, big=2, low=1e-6, high=1000, integer=False, log=True))
            if h.kind in ("momentum", "nesterov"):
                out.append(Knob(f"{h.name} ρ", f"{key}.rho", step=0.05, big=0.2, low=0, high=1, integer=False))
            if h.kind == "rmsprop":
                out.append(Knob(f"{h.name} δ", f"{key}.decay", choices=_with(DECAY_CHOICES, h.decay), integer=False))
            if h.kind == "adam":
                out.append(Knob(f"{h.name} β1", f"{key}.beta1", step=0.05, big=0.2, low=0, high=0.99, integer=False))
                out.append(Knob(f"{h.name} β2", f"{key}.beta2", choices=_with(BETA2_CHOICES, h.beta2), integer=False))
        if p["start"]:  # the surface's own start has no number in the params to turn
            xmin, xmax, ymin, ymax = cfg.view
            for axis, j, lo, hi in (("x", 0, xmin, xmax), ("y", 1, ymin, ymax)):
                step = _nice((hi - lo) / 40)
                out.append(Knob(f"start {axis}", f"start[{j}]", step=step, big=5 * step, low=min(lo, cfg.start[j]),
                                high=max(hi, cfg.start[j]), integer=False))
        if cfg.surface.eigenvalues is not None:
            out.append(Knob("bowl λ2", "eigenvalues[1]", step=1, big=5, low=0.001, high=1000, integer=False))
        return out

    def change_note(self, before: Lab) -> str:
        """What the turn did where the person is: the changed optimizers' f at this step, before → after."""
        assert isinstance(before, OptimLab)
        old, new = before.cfg, self.cfg
        if (old.surface, old.start, old.bound) != (new.surface, new.start, new.bound) or len(old.hypers) != len(new.hypers):
            names = [h.name for h in new.hypers]
        else:
            names = [b.name for a, b in zip(old.hypers, new.hypers) if a != b]
        k = min(self.produced, before.produced) - 1  # the step on show: this lab was computed up to it
        if k < 0 or not names:
            return ""
        note = captions.change(k, frames.standings(old, before.tracks, k), frames.standings(new, self.tracks, k), names)
        if self.flocks and before.flocks and len(old.hypers) == len(new.hypers):
            note += captions.swarm_change(new, swarm.values(old, before.flocks, k), swarm.values(new, self.flocks, k),
                                          names)
        return note


def _with(choices: tuple[float, ...], value: float) -> tuple[float, ...]:
    """The choices, with the current value among them, in order."""
    return tuple(sorted(set(choices) | {value}))


def _nice(x: float) -> float:
    """1, 2 or 5 times a power of ten, the nearest at or below x."""
    p = 10 ** math.floor(math.log10(x))
    return next(m * p for m in (5, 2, 1) if m * p <= x)


LAB = OptimLab
