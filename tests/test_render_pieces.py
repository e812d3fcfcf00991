"""The fast drawing pieces draw exactly what the plain Rich constructs they replace draw.

Beside (number grids side by side) against Rich's own Columns; Picture (half-block images)
against the one-Segment-per-pixel drawing it replaced; the cached diverging colours
against a Style built afresh. Compared as the screen sees them: segments of no style read
as the null style, and neighbours in one style merged (what FrameView does).
"""

from __future__ import annotations

import math

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from rich.columns import Columns
from rich.console import Console
from rich.segment import Segment
from rich.style import Style

from tui_lab.render.common import MID, NEG, POS, Beside, CellGrid, diverging
from tui_lab.render.pictures import Picture

NO_STYLE = Style()
STYLES = [None, Style(bold=True), Style(bgcolor="rgb(59,130,246)", color="white"), Style(dim=True)]


def screen(renderable, width: int, colour: bool = True) -> list[list[tuple[str, Style]]]:
    console = Console(width=width + 10, color_system="truecolor" if colour else None, no_color=not colour,
                      file=open("/dev/null", "w"))
    lines = console.render_lines(renderable, console.options.update(width=width, height=None), pad=False)
    return [[(s.text, s.style) for s in Segment.simplify([Segment(s.text, s.style or NO_STYLE) for s in line])]
            for line in lines]


cell = st.tuples(st.text(alphabet="-0123456789.{}[]() ", min_size=1, max_size=9), st.sampled_from(STYLES))
grid = st.tuples(st.lists(st.lists(cell, min_size=1, max_size=7), min_size=1, max_size=5),
                 st.sampled_from(["", "t", "padded input ch 2", "a title longer than its numbers are"]))


@settings(max_examples=300, deadline=None)
@given(st.lists(grid, min_size=1, max_size=6), st.sampled_from([1, 3, 4]), st.integers(4, 160))
def test_beside_draws_what_rich_columns_draws(grids, gap, width):
    blocks = [CellGrid(rows, title) for rows, title in grids]
    assert screen(Beside(blocks, gap), width) == screen(Columns(blocks, padding=(0, gap)), width)


def per_pixel(grey: np.ndarray, title: str, width: int) -> list:
    """The drawing Picture replaced: one ▀ per pixel, each with a Style built for it."""
    def colour(v: float) -> str:
        if not math.isfinite(v):
            return "rgb(20,30,70)"
        g = int(max(0, min(255, v)))
        return f"rgb({g},{g},{g})"

    step = max(1, math.ceil(grey.shape[1] / max(8, width)))
    g = grey[::step, ::step]
    out = [Segment(title[: g.shape[1] + 8], Style(bold=True)), Segment.line()]
    if g.shape[0] % 2:
        g = np.vstack([g, np.full((1, g.shape[1]), np.nan)])
    for top, bottom in zip(g[0::2], g[1::2]):
        out += [Segment("▀", Style(color=colour(a), bgcolor=colour(b))) for a, b in zip(top, bottom)]
        out.append(Segment.line())
    return out


class Segments:
    def __init__(self, segments):
        self.segments = segments

    def __rich_console__(self, console, options):
        yield from self.segments


@settings(max_examples=100, deadline=None)
@given(st.integers(1, 40), st.integers(1, 70), st.integers(8, 80), st.integers(0, 2**32 - 1))
def test_picture_draws_each_pixel_in_its_own_grey(rows, cols, width, seed):
    rng = np.random.default_rng(seed)
    grey = rng.uniform(-40, 300, size=(rows, cols))
    grey[rng.random((rows, cols)) < 0.2] = np.nan  # not computed yet
    grey[rng.random((rows, cols)) < 0.05] = np.inf
    grey[:, : cols // 3] = np.round(grey[:, : cols // 3] / 64) * 64  # runs of equal pixels
    pic = Picture(grey, "after", width)
    assert screen(pic, 200) == screen(Segments(per_pixel(grey, "after", width)), 200)


@given(st.floats(-1e6, 1e6, allow_nan=False), st.floats(1e-6, 1e6))
def test_diverging_colours_are_the_scale_s(value, scale):
    t = max(-1.0, min(1.0, value / scale))
    end = POS if t > 0 else NEG
    rgb = [int(MID[i] + (end[i] - MID[i]) * abs(t)) for i in range(3)]
    assert diverging(value, scale) == Style(bgcolor=f"rgb({rgb[0]},{rgb[1]},{rgb[2]})", color="white")
