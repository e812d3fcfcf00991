"""Convolution arithmetic, one output cell per step (pooling too; transposed convolution as a scatter).

The lecture's worked example is a true convolution: the kernel is flipped before it
slides, so y[m, n] = Σ x[i, j]·h[m − i, n − j]. Deep-learning libraries compute the
cross-correlation (no flip); with mode = "convolution" this lab flips the kernel and
then does exactly what F.conv2d does, so the two can be compared number for number.

Frames are lazy (`CellFrame`): frame t needs output cells 0..t−1 of a write-once buffer,
and they are written only when a frame is shown or serialized, a whole filter's grid at a
time in one pass over the window view (math.filter_output, no per-cell work). So moving
straight to step 6,000 of a 4×55×55 output computes the two filters it shows, once; and a
frame reads the same numbers whether it was stepped to or jumped to.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from typing import Any, Iterator

import numpy as np

from ..core.check import compare
from ..core.frame import Frame
from ..core.knobs import Knob, knob_of
from ..core.lab import Lab
from . import frames
from . import image as conv_image
from . import math as cm
from .config import PARAMS, ConvConfig, arrays, numbers_key, padded, plan

TOLERANCE = 1e-9  # relative to the output's largest magnitude: both sides sum float64 products


class CellFrame(Frame):
    """A frame drawn on demand from its lab's write-once state; reads like any Frame.

    Its caption, values and highlight are built (and frozen) when first read, from cells
    that never change once written, so the same frame always shows the same numbers.
    """

    def __init__(self, index: int, lab: "ConvLab") -> None:  # noqa: D107 - no dataclass fields stored
        object.__setattr__(self, "index", index)
        object.__setattr__(self, "_lab", lab)

    def _built(self) -> Frame:
        return self._lab.materialize(self.index)

    caption = property(lambda self: self._built().caption)  # type: ignore[assignment]
    values = property(lambda self: self._built().values)  # type: ignore[assignment]
    highlight = property(lambda self: self._built().highlight)  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"CellFrame(index={self.index}, lab={self._lab.name})"


class ConvLab(Lab):
    name = "conv"
    title = "Convolution arithmetic"
    uses_torch = False  # numpy throughout; torch only checks the last frame (imported then)
    PARAMS = PARAMS

    @classmethod
    def check(cls, params: dict[str, Any]) -> None:
        plan(params)  # shapes and budgets only: nothing is allocated

    def __init__(self, params: dict[str, Any], *, seed: int = 0, device: str = "cpu") -> None:
        super().__init__(params, seed=seed, device=device)
        self.cfg: ConvConfig = plan(params)
        cfg = self.cfg
        key = numbers_key(cfg, params, seed)
        self.x, self.k, self.bias = arrays(cfg, params, seed, key)
        self.k_used = None if self.k is None else (self.k[:, :, ::-1, ::-1] if cfg.flip else self.k).copy()
        with np.errstate(over="ignore", invalid="ignore"):  # a sum that overflows (∞ or NaN) is not 1
            averaging = self.k is None or abs(self.k.sum() - 1) < 1e-9
        self.display = conv_image.DISPLAY.get(params["filter"], "clip" if averaging else "abs")
        self.padded = padded(cfg, key, self.x)
        # The write-once buffer (conv, pool): cells in (f, r, c) order, `written` of them so far
        # (always whole filters).
        self.buffer = np.full(cfg.out_shape, np.nan)
        self.written = 0
        self._cache: OrderedDict[int, Frame] = OrderedDict()
        self._lock = threading.RLock()
        self._check: dict[str, Any] | None = None

    # --- stepping -------------------------------------------------------------
    def length(self) -> int:
        return 1 + self.cfg.steps

    def frames(self) -> Iterator[Frame]:
        # Nothing is computed here: a frame's cells are written when it is first shown
        # (`materialize`), so moving to step 3,000 (a knob turn mid-scenario) costs one
        # vectorized fill, not 3,000 one-cell ones.
        for t in range(self.length()):
            yield CellFrame(t, self)

    lazy = True  # a jump to step 6,000 is a count, not 6,000 objects (core.lab.FrameRange)

    def frame_at(self, index: int) -> Frame:
        return CellFrame(index, self)

    def finish(self) -> None:
        self.fill_to(self.cfg.steps)

    def fill_to(self, stop: int) -> None:
        """Make the output cells before `stop` (in (f, r, c) order) readable: the filters they
        belong to are computed whole, each once, so every frame reads the same numbers."""
        if self.cfg.kind == "transposed":
            return
        with self._lock:
            if stop > self.written:
                cfg = self.cfg
                per_filter = cfg.out_hw[0] * cfg.out_hw[1]
                done = self.written // per_filter
                with np.errstate(all="ignore"):  # overflow to ±∞ is shown as ∞, as torch computes it
                    for f in range(done, -(-stop // per_filter)):
                        self.buffer[f] = cm.filter_output(self.padded, self.k_used, self.bias, cfg.rows, cfg.cols,
                                                          f, cfg.pool)
                self.written = (f + 1) * per_filter

    def materialize(self, index: int) -> Frame:
        with self._lock, np.errstate(all="ignore"):  # 1e308 + 1e308 is ∞, as torch says too
            frame = self._cache.get(index)
            if frame is None:
                self.fill_to(index)
                build = frames.scatter_frame if self.cfg.kind == "transposed" else frames.cell_frame
                frame = self._cache[index] = build(self, index)
                if len(self._cache) > 32:
                    self._cache.popitem(last=False)
            else:
                self._cache.move_to_end(index)
            return frame

    # --- the cross-check ------------------------------------------------------------
    def check_record(self) -> dict[str, Any]:
        """The finished output against torch's own function on the same numbers."""
        with self._lock:
            if self._check is None:
                cfg = self.cfg
                self.fill_to(cfg.steps)
                final = cm.scatter(self.x, self.k_used, self.bias, cfg.rows, cfg.cols, cfg.steps, cfg.out_hw)[0] \
                    if cfg.kind == "transposed" else self.buffer
                name, ref = cm.reference(self.x, self.k_used, self.bias, cfg.rows, cfg.cols, cfg.kind, cfg.pool)
                finite = np.abs(ref[np.isfinite(ref)])
                scale = max(1.0, float(finite.max()) if finite.size else 1.0)
                self._check = compare(name, final, ref, TOLERANCE * scale)
            return self._check

    # --- knobs -----------------------------------------------------------------------
    def knobs(self) -> list[Knob]:
        cfg, p = self.cfg, self.params
        out = [knob_of(PARAMS, "stride")]
        if cfg.kind != "pool" or p["padding"]:  # a pooling window rarely pads: offered only where it does
            out.append(knob_of(PARAMS, "padding"))
        if cfg.pool in ("none", "max"):
            out.append(knob_of(PARAMS, "dilation"))
        if cfg.kind == "pool":
            out.append(knob_of(PARAMS, "size", "window size"))
        else:
            out.append(Knob("mode", "mode", choices=("convolution", "cross-correlation")))
        return out

    def change_note(self, before: Lab) -> str:
        """What a knob turn did to the output's size: "output 55×55 → 37×37"."""
        def size(lab: ConvLab) -> str:
            h, w = lab.cfg.out_hw
            return f"{w}" if lab.cfg.dims == 1 else f"{h}×{w}"

        old, new = size(before), size(self)  # type: ignore[arg-type]
        return f"output {old} → {new}" if old != new else f"output still {new}"


LAB = ConvLab
