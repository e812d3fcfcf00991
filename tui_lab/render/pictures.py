"""Small pictures every lab can use: half-block images of arrays, and bars in eighths.

An image is drawn with ▀ half-blocks (top pixel in the foreground colour, bottom in the
background), two pixel rows per line; without colour it falls back to an ASCII ramp.
"""

from __future__ import annotations

import functools
import math

import numpy as np
from rich.console import Console, ConsoleOptions, RenderResult
from rich.segment import Segment
from rich.style import Style

RAMP = " .:-=+*#%@"
EIGHTHS = " ▏▎▍▌▋▊▉█"


class Picture:
    """Grey levels 0..255 (NaN = not computed yet) as ▀ half-blocks, or an ASCII ramp without colour."""

    def __init__(self, grey: np.ndarray, title: str, width: int) -> None:
        step = max(1, math.ceil(grey.shape[1] / max(8, width)))
        self.grey = grey[::step, ::step]
        self.title = title

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        g = self.grey
        yield Segment(self.title[: g.shape[1] + 8], Style(bold=True))
        yield Segment.line()
        if g.shape[0] % 2:
            g = np.vstack([g, np.full((1, g.shape[1]), np.nan)])
        plain = console.no_color or console.color_system is None
        if plain:
            for top, bottom in zip(g[0::2], g[1::2]):
                for a, b in zip(top, bottom):
                    vals = [v for v in (a, b) if math.isfinite(v)]
                    yield Segment(RAMP[min(9, int(np.mean(vals) / 25.6))] if vals else "·")
                yield Segment.line()
            return
        # A frame repaints a few thousand pixels: one Style per distinct pair of greys, and one
        # Segment per run of equal pixels (what the screen merges them into anyway).
        levels = _levels(g)
        for top, bottom in zip(levels[0::2].tolist(), levels[1::2].tolist()):
            start = 0
            for i in range(1, len(top) + 1):
                if i == len(top) or top[i] != top[start] or bottom[i] != bottom[start]:
                    yield Segment("▀" * (i - start), _pixel(top[start], bottom[start]))
                    start = i
            yield Segment.line()


def _levels(g: np.ndarray) -> np.ndarray:
    """The grey level each pixel is drawn in (as _grey writes it), −1 where not computed yet."""
    finite = np.isfinite(g)
    return np.where(finite, np.clip(np.where(finite, g, 0), 0, 255).astype(int), -1)


@functools.lru_cache(maxsize=4096)
def _pixel(top: int, bottom: int) -> Style:
    return Style(color=_grey(top if top >= 0 else math.nan), bgcolor=_grey(bottom if bottom >= 0 else math.nan))


def _grey(v: float) -> str:
    if not math.isfinite(v):
        return "rgb(20,30,70)"  # not computed yet: a dark blue, unlike any grey
    g = int(max(0, min(255, v)))
    return f"rgb({g},{g},{g})"


def grey_levels(values, lo: float | None = None, hi: float | None = None) -> np.ndarray:
    """Any array as grey levels 0..255, from `lo` (black) to `hi` (white); by default its own
    range. NaN stays NaN (drawn as 'not computed yet')."""
    arr = np.asarray(values, dtype=float)
    finite = arr[np.isfinite(arr)]
    lo = float(finite.min()) if lo is None and finite.size else (lo or 0.0)
    hi = float(finite.max()) if hi is None and finite.size else (hi if hi is not None else 1.0)
    span = hi - lo if hi > lo else 1.0
    with np.errstate(invalid="ignore"):
        return np.clip((arr - lo) / span, 0.0, 1.0) * 255.0


def image(values, title: str = "", width: int = 16, lo: float | None = None, hi: float | None = None) -> "Picture":
    """A 2-D array as a half-block picture (see `grey_levels` for the scale)."""
    return Picture(grey_levels(values, lo, hi), title, width)


def bar(fraction: float, width: int) -> str:
    """A horizontal bar in eighths of a cell, at least a sliver for anything above zero."""
    cells = max(0.0, min(1.0, fraction)) * width
    full = int(cells)
    part = int(round((cells - full) * 8))
    if part == 8:
        full, part = full + 1, 0
    text = "█" * full + (EIGHTHS[part] if part else "")
    return text or ("▏" if fraction > 0 else "")
