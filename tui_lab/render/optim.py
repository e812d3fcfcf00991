"""Optimizer frames: the surface as contour bands with every path on it, the state panel, the loss plot.

Markers read without colour: lower-case letter = where an optimizer has been, capital =
where it is, o = the start, * = a known minimum or saddle, an arrow at the edge = that
optimizer is outside the view. Contour bands are equal-area bands of f over the view;
'·' marks a band's edge, so the level sets show even in plain text.
"""

from __future__ import annotations

import functools
import math
from typing import Any

import numpy as np
from rich.console import Group, RenderableType
from rich.style import Style
from rich.table import Table
from rich.text import Text

from engine.optim import surfaces
from engine.core.fmt import count, num
from engine.core.frame import Frame

from . import ViewKey
from .common import plot

COLOURS = ("#ff5555", "#50fa7b", "#f1fa8c", "#8be9fd", "#ff79c6", "#ffb86c", "#bd93f9", "#ffffff")
BASIN_COLOURS = ("#3b3b3b", "#2e86de", "#e67e22", "#27ae60", "#c0392b", "#8e44ad", "#16a085", "#d35400", "#7f8c8d")
# Dark sequential bands (viridis anchors at half brightness), so the coloured letters stand out on them.
_ANCHORS = np.array([(68, 1, 84), (59, 82, 139), (33, 145, 140), (94, 201, 98), (253, 231, 37)], float) * 0.5
BANDS = 8
PLOT_LIMIT = 1e300  # the loss plot leaves off values beyond ±this (plotext overflows near 1.8e308)
ARROWS = {(-1, 0): "←", (1, 0): "→", (0, 1): "↑", (0, -1): "↓", (-1, 1): "↖", (1, 1): "↗", (-1, -1): "↙", (1, -1): "↘"}


def _band_colour(i: int) -> str:
    t = i / (BANDS - 1) * (len(_ANCHORS) - 1)
    lo = int(math.floor(t))
    hi = min(lo + 1, len(_ANCHORS) - 1)
    rgb = _ANCHORS[lo] + (_ANCHORS[hi] - _ANCHORS[lo]) * (t - lo)
    return "#%02x%02x%02x" % tuple(int(c) for c in rgb)


BAND_COLOURS = tuple(_band_colour(i) for i in range(BANDS))


# --- view-only keys: zoom and pan never recompute a frame ------------------------------------


def _zoom(factor: float):
    def fn(view: dict) -> None:
        view["zoom"] = min(64.0, max(1 / 16, view.get("zoom", 1.0) * factor))
    return fn


def _pan(dx: float, dy: float):
    def fn(view: dict) -> None:
        # Pan in fractions of the base view, a fifth of what is shown per press.
        z = view.get("zoom", 1.0)
        px, py = view.get("pan", (0.0, 0.0))
        view["pan"] = (px + dx * 0.2 / z, py + dy * 0.2 / z)
    return fn


def _reset(view: dict) -> None:
    view.pop("zoom", None)
    view.pop("pan", None)


def _next_swarm(view: dict) -> None:
    view["swarm_index"] = view.get("swarm_index", 0) + 1


VIEW_KEYS = (
    ViewKey("z", "zoom_in", "zoom in", _zoom(1.5)),
    ViewKey("x", "zoom_out", "zoom out", _zoom(1 / 1.5)),
    ViewKey("h", "pan_left", "pan left", _pan(-1, 0)),
    ViewKey("l", "pan_right", "pan right", _pan(1, 0)),
    ViewKey("k", "pan_up", "pan up", _pan(0, 1)),
    ViewKey("j", "pan_down", "pan down", _pan(0, -1)),
    ViewKey("0", "view_reset", "reset zoom and pan", _reset),
    ViewKey("o", "swarm", "swarm: show the next optimizer's basins", _next_swarm),
)


def window(base: list[float], view: dict) -> tuple[float, float, float, float]:
    """The base [xmin, xmax, ymin, ymax] after the view's zoom and pan."""
    xmin, xmax, ymin, ymax = base
    z = view.get("zoom", 1.0)
    px, py = view.get("pan", (0.0, 0.0))
    w, h = xmax - xmin, ymax - ymin
    cx, cy = (xmin + xmax) / 2 + px * w, (ymin + ymax) / 2 + py * h
    return (cx - w / 2 / z, cx + w / 2 / z, cy - h / 2 / z, cy + h / 2 / z)


# --- the map ----------------------------------------------------------------------------------


def bands(Z: np.ndarray) -> np.ndarray:
    """Contour bands 0..BANDS−1 of f over the view (−1 where f is not finite).

    Levels are even in √(f − min f): on a quadratic bowl that is even in distance, so the
    bands are evenly spaced ellipses; the top 2% of values share the last band.
    """
    finite = np.isfinite(Z)
    if not finite.any():
        return np.full(Z.shape, -1)
    low = Z[finite].min()
    # Non-finite cells sit at the minimum here (they come out as −1 below), so sqrt sees no negative;
    # a difference too large for a float (1e308 − (−1e308)) is inf and lands in the top band.
    with np.errstate(over="ignore", invalid="ignore"):
        s = np.sqrt(np.where(finite, Z, low) - low)
        top = float(np.quantile(s[finite], 0.98))
    if not math.isfinite(top):  # over 2% of the values overflowed: scale by the largest finite one
        big = s[finite & np.isfinite(s)]
        top = float(big.max()) if big.size else 1.0
    top = top or 1.0
    with np.errstate(over="ignore", invalid="ignore"):
        level = np.floor(s / top * (BANDS - 1))
    level = np.where(np.isnan(level), BANDS - 1, np.minimum(BANDS - 1, level))  # NaN only from inf/inf
    return np.where(finite, level, -1).astype(int)


def _index(at: float, lo: float, hi: float, n: int) -> int:
    """floor((at − lo)/(hi − lo)·n), clamped to −1..n so far-off or overflowing points stay outside."""
    f = (at - lo) / (hi - lo) * n
    if math.isnan(f):
        return -1
    return int(math.floor(min(float(n), max(-1.0, f))))


def _cell(x: float, y: float, win: tuple[float, float, float, float], cols: int, rows: int) -> tuple[int, int] | None:
    xmin, xmax, ymin, ymax = win
    if not (math.isfinite(x) and math.isfinite(y)):
        return None
    c = _index(x, xmin, xmax, cols)
    r = _index(-y, -ymax, -ymin, rows)
    return (r, c) if 0 <= r < rows and 0 <= c < cols else None


def _edge(x: float, y: float, win, cols: int, rows: int) -> tuple[int, int, str]:
    """Where an outside point is drawn: the edge cell towards it, and the arrow pointing at it."""
    xmin, xmax, ymin, ymax = win
    dx = -1 if x < xmin else 1 if x > xmax else 0
    dy = -1 if y < ymin else 1 if y > ymax else 0
    cx = min(cols - 1, max(0, _index(x, xmin, xmax, cols))) if math.isfinite(x) else (0 if dx < 0 else cols - 1)
    ry = min(rows - 1, max(0, _index(-y, -ymax, -ymin, rows))) if math.isfinite(y) else (rows - 1 if dy < 0 else 0)
    return ry, cx, ARROWS.get((dx, dy), "?")


@functools.lru_cache(maxsize=16)
def _contours(formula: str, win: tuple[float, float, float, float], cols: int, rows: int) -> tuple[tuple, tuple]:
    """The surface as contour bands with level lines: the same for every step of a run, so drawn once."""
    Z = surfaces.grid(formula, win, cols, rows)
    B = bands(Z)
    chars = [[" "] * cols for _ in range(rows)]
    styles: list[list[Style]] = [[Style(bgcolor=BAND_COLOURS[b] if b >= 0 else "black") for b in row] for row in B]
    for r in range(rows):
        for c in range(cols):
            # A level line is drawn on the higher side of a band boundary only, so it stays one cell thin.
            edge = any(0 <= rr < rows and 0 <= cc < cols and B[rr, cc] < B[r, c]
                       for rr, cc in ((r, c - 1), (r, c + 1), (r - 1, c), (r + 1, c)))
            if edge:
                chars[r][c] = "·"
                styles[r][c] += Style(color="#8a8a8a")
    return tuple(map(tuple, chars)), tuple(map(tuple, styles))


def surface_map(v: Any, cols: int, rows: int, view: dict) -> Text:
    win = window(list(v["view"]), view)
    base_chars, base_styles = _contours(v["surface"]["formula"], tuple(win), cols, rows)
    chars = [list(row) for row in base_chars]
    styles = [list(row) for row in base_styles]
    if "swarm" in v:
        _draw_swarm(v, view, win, chars, styles, cols, rows)
    for _label, px, py in v["points"]:
        at = _cell(px, py, win, cols, rows)
        if at:
            chars[at[0]][at[1]] = "*"
            styles[at[0]][at[1]] += Style(color="white", bold=True)
    opts = v["optimizers"]
    start = next(iter(v["paths"].values()))[0]
    at = _cell(start[0], start[1], win, cols, rows)
    if at:
        chars[at[0]][at[1]] = "o"
        styles[at[0]][at[1]] += Style(color="white", bold=True)
    for i, o in enumerate(opts):
        colour = Style(color=COLOURS[i % len(COLOURS)], bold=True)
        path = np.asarray(v["paths"][o["name"]], dtype=float).reshape(-1, 2)
        for x, y in path[1:-1]:
            at = _cell(x, y, win, cols, rows)
            if at:
                chars[at[0]][at[1]] = o["letter"].lower()
                styles[at[0]][at[1]] += colour
    for i, o in enumerate(opts):  # current positions last, so they are never hidden by a trail
        colour = Style(color=COLOURS[i % len(COLOURS)], bold=True)
        x, y = np.asarray(v["paths"][o["name"]], dtype=float).reshape(-1, 2)[-1]
        at = _cell(x, y, win, cols, rows)
        if at:
            chars[at[0]][at[1]] = o["letter"]
            styles[at[0]][at[1]] += colour + Style(reverse=v["state"][o["name"]]["diverged_at"] is not None)
        else:
            r, c, arrow = _edge(x, y, win, cols, rows)
            chars[r][c] = arrow
            styles[r][c] += colour
    text = Text(no_wrap=True, overflow="crop")
    for r in range(rows):
        for c in range(cols):
            text.append(chars[r][c], styles[r][c])
        if r < rows - 1:
            text.append("\n")
    return text


def _draw_swarm(v: Any, view: dict, win, chars, styles, cols: int, rows: int) -> None:
    """Colour each cell by where the swarm start at that place is now (the chosen optimizer's)."""
    sw, opts = v["swarm"], v["optimizers"]
    o = opts[view.get("swarm_index", 0) % len(opts)]
    basin = np.asarray(sw["basin"][o["name"]])
    n = sw["side"]
    xmin, xmax, ymin, ymax = v["view"]
    wx0, wx1, wy0, wy1 = win
    for r in range(rows):
        y = wy1 - (r + 0.5) * (wy1 - wy0) / rows
        gi = _index(-y, -ymax, -ymin, n)
        if not 0 <= gi < n:
            continue
        for c in range(cols):
            x = wx0 + (c + 0.5) * (wx1 - wx0) / cols
            gj = _index(x, xmin, xmax, n)
            if not 0 <= gj < n:
                continue
            label = int(basin[gi, gj])
            if label == 255:
                chars[r][c], styles[r][c] = "×", Style(color="white", bgcolor="#101010")
            else:
                chars[r][c] = str(label) if 0 < label < 10 else " "
                styles[r][c] = Style(color="white", bgcolor=BASIN_COLOURS[label % len(BASIN_COLOURS)])
    for x, y in np.asarray(sw["sample"][o["name"]], dtype=float).reshape(-1, 2):
        at = _cell(x, y, win, cols, rows)
        if at:
            chars[at[0]][at[1]] = "•"
            styles[at[0]][at[1]] += Style(color="black", bold=True)


# --- the panels ---------------------------------------------------------------------------------


def legend(v: Any) -> Text:
    text = Text()
    for i, o in enumerate(v["optimizers"]):
        st = v["state"][o["name"]]
        colour = COLOURS[i % len(COLOURS)]
        text.append(f"{o['letter']} ", Style(color=colour, bold=True, reverse=True))
        text.append(f" {o['name']}", Style(color=colour, bold=True))
        text.append(f"  {o['settings']}  ", "dim")
        if st["diverged_at"] is not None:
            text.append(f"✗ diverged at step {st['diverged_at']}", Style(color="red", bold=True))
        else:
            text.append(f"f = {num(st['loss'])} at ({num(st['x'][0])}, {num(st['x'][1])})")
        text.append("\n")
    text.rstrip()
    return text


def state_panel(v: Any) -> Group:
    parts: list[RenderableType] = []
    for i, o in enumerate(v["optimizers"]):
        st = v["state"][o["name"]]
        colour = COLOURS[i % len(COLOURS)]
        head = Text(f"{o['letter']} {o['name']}", Style(color=colour, bold=True))
        lines = list(st["rule"])
        if lines == [o["rule"]]:
            # no step taken yet (or frozen): the bare rule, once, on the heading line
            head.append(f"  {o['rule']}", "dim")
            lines = []
        parts.append(head)
        # after a step the lines are the rule itself with this step's numbers: not repeated above
        for line in lines:
            parts.append(Text("  " + line))
        if st["diverged_at"] is not None:
            parts.append(Text(f"  ✗ diverged at step {st['diverged_at']}: frozen", Style(color="red", bold=True)))
    return Group(*parts)


def distill_panel(v: Any) -> Group:
    d = v["distill"]
    lines = [
        Text(f"Why Momentum Really Works (Distill 2017) on this bowl: λ = {num(d['lambda_min'])}, {num(d['lambda_max'])}, "
             f"κ = {num(d['kappa'])}", style="bold"),
        Text(f"  gradient descent: α* = 2/(λ1 + λn) = {num(d['gd_step'])}, rate (κ − 1)/(κ + 1) = {num(d['gd_rate'])}"),
        Text(f"  momentum: α* = (2/(√λ1 + √λn))² = {num(d['momentum_step'])}, ρ* = ((√κ − 1)/(√κ + 1))² = "
             f"{num(d['momentum_rho'])}, rate (√κ − 1)/(√κ + 1) = {num(d['momentum_rate'])}"),
    ]
    table = Table(box=None, padding=(0, 1), show_edge=False, pad_edge=False)
    table.add_column("optimizer")
    table.add_column("predicted rate", justify="right")
    table.add_column("measured ‖xₖ‖/‖x₀‖ per step", justify="right")
    for o in v["optimizers"]:
        r = d["rates"][o["name"]]
        table.add_row(Text(o["name"]), "—" if r["predicted"] is None else num(r["predicted"]),
                      "—" if r["measured"] is None else num(r["measured"]))
    return Group(*lines, table)


def swarm_panel(v: Any, view: dict) -> Text:
    sw, opts = v["swarm"], v["optimizers"]
    shown = opts[view.get("swarm_index", 0) % len(opts)]["name"]
    labels = ["elsewhere"] + [f"{i + 1} {p[0]} ({num(p[1])}, {num(p[2])})" for i, p in enumerate(v["points"])] + ["× diverged"]
    text = Text(f"swarm: {count(sw['starts'])} starts on a {sw['side']}×{sw['side']} grid; map shows {shown} (o: next)\n",
                style="bold")
    for o in opts:
        c = sw["counts"][o["name"]]
        text.append(f"  {o['name']}: " + ", ".join(f"{labels[i]}: {count(n)}" for i, n in enumerate(c) if n) + "\n")
    text.rstrip()
    return text


def loss_plot(v: Any, width: int) -> Text:
    series = []
    allv = []
    huge = False
    for o in v["optimizers"]:
        ys = [float(y) for y in v["loss"][o["name"]]]
        # plotext's scaling overflows near the float limit: values past ±PLOT_LIMIT are left off, and said so.
        drawn = [y if abs(y) <= PLOT_LIMIT or not math.isfinite(y) else math.nan for y in ys]
        huge = huge or any(math.isfinite(y) and abs(y) > PLOT_LIMIT for y in ys)
        series.append((o["letter"] + " " + o["name"], list(range(len(ys))), drawn))
        allv += [y for y in drawn if math.isfinite(y)]
    ylog = bool(allv) and min(allv) > 0 and max(allv) / min(allv) > 100
    title = "f(x) per step" + (" (log scale)" if ylog else "") + (f" (|f| > {num(PLOT_LIMIT)} not drawn)" if huge else "")
    return plot(series, width, 12, title=title, xlabel="step", ylog=ylog)


def render(frame: Frame, width: int, view: dict) -> RenderableType:
    v = frame.values
    wide = width >= 90
    map_cols = (width // 2 - 2) if wide else max(20, width - 2)
    xmin, xmax, ymin, ymax = window(list(v["view"]), view)
    # A terminal cell is about twice as tall as wide: rows ≈ cols · (y-span / x-span) / 2.
    rows = int(min(20, max(8, round(map_cols * (ymax - ymin) / (xmax - xmin) / 2))))
    z = view.get("zoom", 1.0)
    where = Text(f"x ∈ [{num(xmin)}, {num(xmax)}], y ∈ [{num(ymin)}, {num(ymax)}]" + (f", zoom ×{num(z, 3)}" if z != 1 else "") +
                 "   (z/x zoom, h j k l pan, 0 reset)", style="dim")
    the_map = Group(Text(f"f(x, y) = {v['surface']['formula']}", style="bold"), surface_map(v, map_cols, rows, view), where)
    parts: list[RenderableType] = [legend(v)]
    if wide:
        grid = Table.grid(padding=(0, 2))
        grid.add_column(width=map_cols)
        grid.add_column(width=width - map_cols - 2)
        grid.add_row(the_map, state_panel(v))
        parts.append(grid)
    else:
        parts += [the_map, state_panel(v)]
    if "swarm" in v:
        parts.append(swarm_panel(v, view))
    if "distill" in v:
        parts.append(distill_panel(v))
    parts.append(loss_plot(v, width - 2))
    return Group(*parts)
