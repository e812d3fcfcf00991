"""The optimizer map's shortcuts draw what the long way draws, cell for cell.

A frame draws a dozen paths (the map, the ghost of the last turn, the loss plot) in one numpy
pass (Canvas.polylines), and the surface's ground is kept between frames (optim._contours):
each is checked here against the plain way, and the kept ground against one worked out anew
whenever the view, the size or the surface changes.
"""

from __future__ import annotations

import numpy as np
import pytest

from engine.optim.lab import OptimLab
from tui_lab.render import optim as r
from tui_lab.render.canvas import Canvas


def one_at_a_time(cols: int, rows: int, lines) -> Canvas:
    """Each line drawn alone, as Canvas.polyline drew before lines were batched: its own clip,
    its own samples, its dots thinned for a dotted line, and the last line in a cell owns it."""
    from tui_lab.render.canvas import clip

    canvas = Canvas(cols, rows)
    w, h = canvas.size
    for points, series, every in lines:
        pts = np.asarray(points, dtype=float).reshape(-1, 2)
        if not len(pts):
            continue
        ends = np.concatenate([pts[:-1], pts[1:]], 1) if len(pts) > 1 else np.concatenate([pts, pts], 1)
        seg, _ = clip(ends, w, h)
        dots = []
        for x0, y0, x1, y1 in seg:
            n = int(np.ceil(max(abs(x1 - x0), abs(y1 - y0)))) + 1
            for k in range(n):
                t = k / max(1, n - 1)
                dot = (min(max(np.floor(x0 + (x1 - x0) * t), 0), w - 1), min(max(np.floor(y0 + (y1 - y0) * t), 0), h - 1))
                if not dots or dots[-1] != dot:
                    dots.append(dot)
        for x, y in dots[::every]:
            x, y = int(x), int(y)
            canvas.bits[y // 4, x // 2] |= 1 << ((0, 3), (1, 4), (2, 5), (6, 7))[y % 4][x % 2]
            canvas.owner[y // 4, x // 2] = series
    return canvas


@pytest.mark.parametrize("seed", range(40))
def test_lines_drawn_in_one_pass_equal_lines_drawn_one_at_a_time(seed):
    rng = np.random.default_rng(seed)
    cols, rows = int(rng.integers(3, 30)), int(rng.integers(2, 10))
    lines = []
    for _ in range(int(rng.integers(1, 7))):
        n = int(rng.integers(0, 25))
        pts = rng.normal(0, 1, (n, 2)) * [cols, 2 * rows] + [cols, 2 * rows]  # some outside, some crossing
        if n and rng.random() < 0.3:
            pts[rng.integers(n)] = np.nan
        lines.append((pts, int(rng.integers(0, 4)), int(rng.integers(1, 4))))
    batched = Canvas(cols, rows)
    batched.polylines(lines)
    alone = one_at_a_time(cols, rows, lines)
    assert np.array_equal(batched.bits, alone.bits)
    assert np.array_equal(batched.owner, alone.owner)


def contours_anew(formula: str, win, cols: int, rows: int):
    return r._contours.__wrapped__(formula, tuple(win), cols, rows)


def same_ground(a, b) -> bool:
    return (a.chars.shape == b.chars.shape and np.array_equal(a.chars, b.chars)
            and [a.styles[i] for i in a.ids.ravel()] == [b.styles[i] for i in b.ids.ravel()])


def test_the_kept_ground_is_the_ground_worked_out_anew_and_follows_view_size_and_surface():
    v = next(iter(OptimLab(OptimLab.validate({"surface": "rosenbrock", "steps": 1})).frames())).values
    formula, base = v["surface"]["formula"], list(v["view"])
    r._contours.cache_clear()
    seen = []
    for view, cols, rows, f in [({}, 60, 16, formula), ({}, 60, 16, formula),  # the second from the cache
                                ({"zoom": 1.5}, 60, 16, formula), ({"pan": (0.2, 0)}, 60, 16, formula),
                                ({}, 70, 16, formula), ({}, 60, 12, formula), ({}, 60, 16, "x**2 + y**2")]:
        win = r.window(base, view)
        kept = r._contours(f, tuple(win), cols, rows)
        assert same_ground(kept, contours_anew(f, win, cols, rows))
        seen.append(kept)
    assert seen[1] is seen[0]  # kept
    assert all(not same_ground(seen[0], other) for other in seen[2:])  # each change draws another ground
    assert r._contours.cache_info().hits == 1
