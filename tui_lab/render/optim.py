"""Optimizer frames: every path on the surface, the legend, this step's rule, the loss per step.

Colours belong to the optimizer's kind (Okabe–Ito, safe for colour-blind eyes), the same
on the map, in the rules and in the plot, in every scenario: Adam is always orange. Two
racers of one kind share the colour; the second draws a dotted line. Everything reads
without colour too: each optimizer's letter marks where it is now (capital), a few places
it has been (lower case) and the end of its loss curve; `o` is the start, `*` a known
minimum or saddle, an arrow at the edge an optimizer outside the view. Where letters meet,
they stand side by side, never one over another, and never over a `*`.
"""

from __future__ import annotations

import functools
import math
import re
from typing import Any

import numpy as np
from rich.cells import cell_len
from rich.console import Group, RenderableType
from rich.segment import Segment
from rich.style import Style
from rich.text import Text

from engine.core.fmt import count, num
from engine.core.frame import Frame
from engine.optim import surfaces
from engine.optim.config import DIVERGED

from . import ViewKey
from .canvas import Beside, Canvas, Ground, Picture
from .common import CellGrid, check_line

PLOT_VIEWS = ("ylog",)  # the plot keys (y, b) this lab's plots honour

# Okabe & Ito (2008), without black: one per kind, on the map, the rules and the plot alike.
KIND_COLOURS = {"sgd": "#D55E00", "momentum": "#56B4E9", "nesterov": "#009E73", "adagrad": "#CC79A7",
                "rmsprop": "#F0E442", "adam": "#E69F00"}
GHOST = Style(color="#8a8a8a")
# Grey bands, darker where f is lower: the coloured paths stand out on every one of them.
BANDS = 8
BAND_STYLES = tuple(Style(bgcolor="#%02x%02x%02x" % ((18 + 7 * i,) * 3)) for i in range(BANDS))
LEVEL = Style(color="#6c6c6c")
CONTOUR_STYLES = tuple(s for band in (Style(bgcolor="black"), *BAND_STYLES) for s in (band, band + LEVEL))
SAMPLE = Style(color="#d0d0d0", bold=True)
PLAIN = Style()
# Basins (swarm mode): Okabe–Ito hues at a third of their brightness, dark enough that every path shows on them;
# their digits say which basin without colour.
BASIN_COLOURS = ("#303030",) + tuple("#%02x%02x%02x" % tuple(int(c * 0.38) for c in bytes.fromhex(h[1:])) for h in (
    "#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#F0E442")) + ("#4a4a4a",)
BASIN_STYLES = tuple(Style(color="#9a9a9a", bgcolor=c) for c in BASIN_COLOURS) + (Style(color="white", bgcolor="#101010"),)
PLOT_LIMIT = 1e300  # the loss plot leaves off values beyond ±this
ARROWS = {(-1, 0): "←", (1, 0): "→", (0, 1): "↑", (0, -1): "↓", (-1, 1): "↖", (1, 1): "↗", (-1, -1): "↙", (1, -1): "↘"}
TRAIL_GAP = 8  # cells between the lower-case letters along a path
LEGEND = 26  # the narrowest legend beside the map


# --- view-only keys: zoom, pan and which optimizer is selected never recompute a frame --------


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


def _next_optimizer(view: dict) -> None:
    view["selected"] = view.get("selected", 0) + 1


def follow_knob(view: dict, key: str) -> bool:
    """Choosing one optimizer's knob (`optimizers[i].lr`) selects that optimizer: its rule is
    shown first and the legend marks it, so the knob and what it turns are seen together."""
    found = re.match(r"optimizers\[(\d+)\]", key)
    if found is None or view.get("selected", 0) == int(found[1]):
        return False
    view["selected"] = int(found[1])
    return True


VIEW_KEYS = (
    ViewKey("z", "zoom_in", "zoom in", _zoom(1.5)),
    ViewKey("x", "zoom_out", "zoom out", _zoom(1 / 1.5)),
    ViewKey("h", "pan_left", "pan left", _pan(-1, 0)),
    ViewKey("l", "pan_right", "pan right", _pan(1, 0)),
    ViewKey("k", "pan_up", "pan up", _pan(0, 1)),
    ViewKey("j", "pan_down", "pan down", _pan(0, -1)),
    ViewKey("0", "view_reset", "reset zoom and pan", _reset),
    ViewKey("o", "optimizer", "select the next optimizer: its rule first, its swarm basins", _next_optimizer),
)


def window(base: list[float], view: dict) -> tuple[float, float, float, float]:
    """The base [xmin, xmax, ymin, ymax] after the view's zoom and pan."""
    xmin, xmax, ymin, ymax = base
    z = view.get("zoom", 1.0)
    px, py = view.get("pan", (0.0, 0.0))
    w, h = xmax - xmin, ymax - ymin
    cx, cy = (xmin + xmax) / 2 + px * w, (ymin + ymax) / 2 + py * h
    return (cx - w / 2 / z, cx + w / 2 / z, cy - h / 2 / z, cy + h / 2 / z)


# --- who is drawn how ----------------------------------------------------------------------


def colour(o: Any) -> str:
    return KIND_COLOURS[o["kind"]]


def series_styles(opts: Any) -> list[Style]:
    return [Style(color=colour(o), bold=True) for o in opts]


def dotted(opts: Any) -> list[int]:
    """1 for the first racer of its kind (a solid line), 2, 3, … for the next ones (dotted)."""
    seen: dict[str, int] = {}
    out = []
    for o in opts:
        seen[o["kind"]] = seen.get(o["kind"], 0) + 1
        out.append(seen[o["kind"]])
    return out


def selected(v: Any, view: dict) -> int:
    return view.get("selected", 0) % len(v["optimizers"])


# --- the map ------------------------------------------------------------------------------------


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


@functools.lru_cache(maxsize=16)
def _contours(formula: str, win: tuple[float, float, float, float], cols: int, rows: int) -> Ground:
    """The surface as grey bands with `·` on level lines (the same every step: kept, read-only)."""
    B = bands(surfaces.grid(formula, win, cols, rows))
    # A level line is drawn on the higher side of a band boundary only, so it stays one cell thin.
    edge = np.zeros(B.shape, dtype=bool)
    edge[:, 1:] |= B[:, :-1] < B[:, 1:]
    edge[:, :-1] |= B[:, 1:] < B[:, :-1]
    edge[1:, :] |= B[:-1, :] < B[1:, :]
    edge[:-1, :] |= B[1:, :] < B[:-1, :]
    chars = np.where(edge, "·", " ").astype(object)
    ids = (B + 1) * 2 + edge  # CONTOUR_STYLES: band −1 (not finite) first, each band plain then with its line
    for array in (chars, ids):
        array.setflags(write=False)
    return Ground(chars, ids, CONTOUR_STYLES)


def _dots(xy: np.ndarray, win, cols: int, rows: int) -> np.ndarray:
    """World (x, y) -> float dot positions (x right, y down) on a cols × rows braille canvas."""
    xmin, xmax, ymin, ymax = win
    with np.errstate(all="ignore"):
        return np.stack([(xy[:, 0] - xmin) / (xmax - xmin) * 2 * cols, (ymax - xy[:, 1]) / (ymax - ymin) * 4 * rows], 1)


def _cells(dots: np.ndarray, cols: int, rows: int) -> list[tuple[int, int] | None]:
    """The cell of each dot position, None where it is outside the canvas (or not finite)."""
    px, py = dots[:, 0], dots[:, 1]
    with np.errstate(invalid="ignore"):
        inside = np.isfinite(px) & np.isfinite(py) & (px >= 0) & (px < 2 * cols) & (py >= 0) & (py < 4 * rows)
    r, c = np.where(inside, py // 4, 0).astype(int), np.where(inside, px // 2, 0).astype(int)
    return [(a, b) if ok else None for a, b, ok in zip(r.tolist(), c.tolist(), inside.tolist())]


def _cell(x: float, y: float, win, cols: int, rows: int) -> tuple[int, int] | None:
    return _cells(_dots(np.array([[x, y]], dtype=float), win, cols, rows), cols, rows)[0]


def _edge(x: float, y: float, win, cols: int, rows: int) -> tuple[int, int, str]:
    """Where an outside point is drawn: the edge cell towards it, and the arrow pointing at it."""
    xmin, xmax, ymin, ymax = win
    dx = -1 if x < xmin else 1 if x > xmax else 0
    dy = -1 if y < ymin else 1 if y > ymax else 0
    px, py = _dots(np.array([[x, y]]), win, cols, rows)[0]
    c = 0 if dx < 0 else cols - 1 if dx > 0 else min(cols - 1, max(0, int(px // 2)))
    r = rows - 1 if dy < 0 else 0 if dy > 0 else min(rows - 1, max(0, int(py // 4)))
    return r, c, ARROWS.get((dx, dy), "?")


def surface_map(v: Any, cols: int, rows: int, view: dict) -> Picture:
    win = window(list(v["view"]), view)
    ground = _contours(v["surface"]["formula"], tuple(win), cols, rows)
    opts = v["optimizers"]
    styles = series_styles(opts) + [GHOST]
    canvas = Canvas(cols, rows)
    if "swarm" in v:
        ground = _swarm_ground(v, view, win, ground)
    lines = []
    ghost = view.get("ghost")
    if ghost is not None and getattr(ghost, "values", {}).get("surface") == v["surface"]:
        for path in ghost.values["paths"].values():  # the paths before the last knob turn, in grey, beneath
            lines.append((_dots(np.asarray(path, float).reshape(-1, 2), win, cols, rows), len(opts), 2))
    paths = [np.asarray(v["paths"][o["name"]], dtype=float).reshape(-1, 2) for o in opts]
    dots = [_dots(p, win, cols, rows) for p in paths]
    order = sorted(range(len(opts)), key=lambda i: i == selected(v, view))  # the selected one on top
    lines += [(dots[i], i, dotted(opts)[i]) for i in order]
    canvas.polylines(lines)
    if "swarm" in v:
        o = opts[selected(v, view)]
        sample = np.asarray(v["swarm"]["sample"][o["name"]], dtype=float).reshape(-1, 2)
        for at in _cells(_dots(sample, win, cols, rows), cols, rows):
            if at:
                canvas.mark(*at, "•", SAMPLE)
    white = Style(color="white", bold=True)
    for _label, px, py in v["points"]:
        at = _cell(px, py, win, cols, rows)
        if at:
            canvas.mark(*at, "*", white)
    _current(v, paths, win, canvas, styles)
    start = paths[0][0]
    at = _cell(start[0], start[1], win, cols, rows)
    if at and at not in canvas.marks:
        canvas.mark(*at, "o", white)
    _trails(opts, dots, canvas, styles)
    return Picture(canvas.lines(styles, ground), cols)


def _current(v: Any, paths: list[np.ndarray], win, canvas: Canvas, styles: list[Style]) -> None:
    """Each optimizer's letter where it is now; letters at one place stand side by side."""
    cols, rows = canvas.cols, canvas.rows
    groups: dict[tuple[int, int], list[tuple[str, Style]]] = {}
    for i, o in enumerate(v["optimizers"]):
        x, y = paths[i][-1]
        diverged = v["state"][o["name"]]["diverged_at"] is not None
        style = styles[i] + Style(reverse=diverged)
        at = _cell(x, y, win, cols, rows)
        if at:
            groups.setdefault(at, []).append((o["letter"], style))
        else:
            r, c, arrow = _edge(x, y, win, cols, rows)
            groups.setdefault((r, c), []).append((arrow, style))
            groups[(r, c)].append((o["letter"], style))
    for (r, c), run in groups.items():
        if canvas.place(r, c, run) is None:  # no room for every letter: how many are here
            canvas.mark(r, c, str(len(run)) if len(run) < 10 else "+", Style(color="white", bold=True))


def _trails(opts: Any, dots: list[np.ndarray], canvas: Canvas, styles: list[Style]) -> None:
    """A lower-case letter every few cells along each path, so paths read apart without colour."""
    for i, o in enumerate(opts):
        last = None
        for at in _cells(dots[i][1:-1], canvas.cols, canvas.rows):
            if at is None or at in canvas.marks:
                continue
            if last is None or abs(at[0] - last[0]) * 2 + abs(at[1] - last[1]) >= TRAIL_GAP:
                canvas.mark(*at, o["letter"].lower(), styles[i])
                last = at


def _swarm_ground(v: Any, view: dict, win, ground: Ground) -> Ground:
    """Each cell coloured by where the swarm start at that place is now (the selected optimizer's)."""
    sw, opts = v["swarm"], v["optimizers"]
    basin = np.asarray(sw["basin"][opts[selected(v, view)]["name"]])
    n = sw["side"]
    rows, cols = ground.ids.shape
    xmin, xmax, ymin, ymax = v["view"]
    wx0, wx1, wy0, wy1 = win
    r, c = np.arange(rows, dtype=float), np.arange(cols, dtype=float)
    with np.errstate(all="ignore"):
        gi = np.floor((ymax - (wy1 - (r + 0.5) * (wy1 - wy0) / rows)) / (ymax - ymin) * n)  # the grid row under each cell
        gj = np.floor((wx0 + (c + 0.5) * (wx1 - wx0) / cols - xmin) / (xmax - xmin) * n)
    inside = ((gi >= 0) & (gi < n))[:, None] & ((gj >= 0) & (gj < n))[None, :]
    at = (np.where(np.isfinite(g), np.clip(g, 0, n - 1), 0).astype(int) for g in (gi, gj))
    label = basin[np.ix_(*at)].astype(int)
    diverged = label == DIVERGED
    chars = np.where(diverged, "×", np.where((label > 0) & (label < 10), label.astype(str), " ")).astype(object)
    ids = len(ground.styles) + np.where(diverged, len(BASIN_STYLES) - 1, label % len(BASIN_COLOURS))
    return Ground(np.where(inside, chars, ground.chars), np.where(inside, ids, ground.ids),
                  ground.styles + BASIN_STYLES)


# --- beside the map: the legend --------------------------------------------------------------


def legend(v: Any, view: dict, roomy: bool) -> Text:
    """Letter, line and f of each optimizer; the selected one's settings (its rule is below the map)."""
    text = Text()
    opts = v["optimizers"]
    styles, patterns = series_styles(opts), dotted(opts)
    pick = selected(v, view)
    for i, o in enumerate(opts):
        st = v["state"][o["name"]]
        text.append("▸" if i == pick else " ")
        text.append(o["letter"], styles[i] + Style(reverse=True))
        text.append(" ━ " if patterns[i] == 1 else " ┅ ", styles[i])
        text.append(o["name"], styles[i])
        if st["diverged_at"] is not None:
            text.append(f"  ✗ diverged at {st['diverged_at']}", Style(color="red", bold=True))
        else:
            text.append(f"  f {num(st['loss'])}")
        text.append("\n")
    text.append(f"{opts[pick]['letter']}: {opts[pick]['settings']}", "dim")
    xmin, xmax, ymin, ymax = window(list(v["view"]), view)
    z = view.get("zoom", 1.0)
    if roomy or z != 1 or view.get("pan"):
        text.append(f"\nx {num(xmin)} … {num(xmax)}, y {num(ymin)} … {num(ymax)}" + (f", ×{num(z, 3)}" if z != 1 else ""),
                    "dim")
    if roomy and v["points"]:
        text.append("\n* " + ", ".join(f"{p[0]} ({num(p[1])}, {num(p[2])})" for p in v["points"][:3]), "dim")
    if view.get("ghost") is not None:
        text.append("\n┅ grey: the paths before the turn", GHOST)
    return text


# --- the rules -------------------------------------------------------------------------------------


def rule_block(v: Any, i: int, settings: bool = True) -> list[Text]:
    """An optimizer's rule with this step's numbers: its name and ∇f, the rule's lines, Δx."""
    o = v["optimizers"][i]
    st = v["state"][o["name"]]
    style = series_styles(v["optimizers"])[i]
    head = Text(f"{o['letter']} {o['name']}", style)
    if settings:
        head.append(f"  {o['settings']}", "dim")
    lines = list(st["rule"])
    if lines == [o["rule"]]:  # no step taken yet (or frozen): the bare rule
        head.append(f"  {o['rule']}")
        lines = []
    elif lines and lines[0].startswith("∇f"):  # ∇f on the heading line: one row less
        head.append(f"  {lines.pop(0)}")
    out = [head] + [Text("  " + line) for line in lines]
    if st["diverged_at"] is not None:
        out.append(Text(f"  ✗ diverged at step {st['diverged_at']}: frozen", Style(color="red", bold=True)))
    elif st.get("unchecked"):
        out.append(Text(f"  not checked against torch.optim: {st['unchecked']}", "dim"))
    return out


def distill_panel(v: Any) -> Group:
    d = v["distill"]
    lines = [
        Text(f"Why Momentum Really Works (Distill 2017) on this bowl: λ = {num(d['lambda_min'])}, {num(d['lambda_max'])}, "
             f"κ = {num(d['kappa'])}", style="bold"),
        Text(f"  gradient descent: α* = 2/(λ1 + λn) = {num(d['gd_step'])}, rate (κ − 1)/(κ + 1) = {num(d['gd_rate'])}"),
        Text(f"  momentum: α* = (2/(√λ1 + √λn))² = {num(d['momentum_step'])}, ρ* = ((√κ − 1)/(√κ + 1))² = "
             f"{num(d['momentum_rho'])}, rate (√κ − 1)/(√κ + 1) = {num(d['momentum_rate'])}"),
    ]
    names = [f"{o['letter']} {o['name']}" for o in v["optimizers"]]
    wide = max(cell_len(n) for n in names + ["optimizer"])
    rows = []
    for o, name, style in zip(v["optimizers"], names, series_styles(v["optimizers"])):
        r = d["rates"][o["name"]]
        rows.append([(name + " " * (wide - cell_len(name)), style),  # left-aligned: the grid right-aligns
                     ("—" if r["predicted"] is None else num(r["predicted"]), None),
                     ("—" if r["measured"] is None else num(r["measured"]), None)])
    header = ["optimizer" + " " * (wide - 9), "predicted rate", "measured ‖xₖ‖/‖x₀‖ per step"]
    return Group(*lines, CellGrid(rows, header=header, gap=2))


def swarm_panel(v: Any, view: dict) -> Text:
    sw, opts = v["swarm"], v["optimizers"]
    shown = opts[selected(v, view)]["name"]
    labels = ["elsewhere"] + [f"{i + 1} {p[0]} ({num(p[1])}, {num(p[2])})" for i, p in enumerate(v["points"])] + ["× diverged"]
    text = Text(f"swarm: {count(sw['starts'])} starts on a {sw['side']}×{sw['side']} grid; the map shows ", style="bold")
    text.append(shown)
    text.append(" (o: next)\n")
    for o in opts:
        c = sw["counts"][o["name"]]
        text.append(f"  {o['name']}: " + ", ".join(f"{labels[i]}: {count(n)}" for i, n in enumerate(c) if n) + "\n")
    text.rstrip()
    return text


# --- the loss per step ------------------------------------------------------------------------------


def loss_plot(v: Any, width: int, view: dict) -> Group:
    """f per step for every optimizer, on a braille canvas in the map's colours; `y`: log scale."""
    opts = v["optimizers"]
    curves = [np.asarray(v["loss"][o["name"]], dtype=float) for o in opts]
    drawn = [np.where(np.abs(c) <= PLOT_LIMIT, c, np.nan) for c in curves]
    finite = np.concatenate([c[np.isfinite(c)] for c in drawn] or [np.zeros(0)])
    ylog = bool(view.get("ylog"))
    note = ""
    if ylog and finite.size and (finite <= 0).any():
        positive = finite[finite > 0]
        note = " (f ≤ 0 left off)" if positive.size else " (no f > 0 to draw: linear)"
        ylog, finite = bool(positive.size), (positive if positive.size else finite)
    if any(np.isfinite(c).any() and (np.abs(c[np.isfinite(c)]) > PLOT_LIMIT).any() for c in curves):
        note += f" (|f| > {num(PLOT_LIMIT)} left off)"
    title = Text.assemble(("f per step", "bold"), (" · log scale" if ylog else " · linear", "bold"),
                          (note + "   (y: " + ("linear)" if ylog else "log scale)"), "dim"))
    if not finite.size:
        return Group(title, Text("  (no finite f to draw)", "dim"))
    lo, hi = float(finite.min()), float(finite.max())
    fy = np.log10 if ylog else (lambda a: a)
    with np.errstate(all="ignore"):
        ylo, yhi = float(fy(lo)), float(fy(hi))
    if yhi - ylo < 1e-12 * max(1.0, abs(yhi)):
        ylo, yhi = ylo - 0.5, yhi + 0.5
    labels = [num(10 ** yhi if ylog else yhi, 3), num(10 ** ((ylo + yhi) / 2) if ylog else (ylo + yhi) / 2, 3),
              num(10 ** ylo if ylog else ylo, 3)]
    pad = max(len(s) for s in labels)
    rows = 8 if width < 90 else 10
    cols = max(10, width - pad - 2)
    steps = max(1, int(v.get("steps", max(len(c) for c in curves) - 1)))
    canvas = Canvas(cols, rows)
    styles = series_styles(opts)
    points = []
    for i, c in enumerate(drawn):
        with np.errstate(all="ignore"):
            y = fy(np.where(c > 0, c, np.nan)) if ylog else c
        xs = np.arange(len(c)) / steps * (2 * cols - 1)
        ys = (yhi - y) / (yhi - ylo) * (4 * rows - 1)
        ok = np.isfinite(ys)
        points.append(np.stack([xs[ok] + 0.5, ys[ok] + 0.5], 1))
    canvas.polylines([(pts, i, every) for i, (pts, every) in enumerate(zip(points, dotted(opts)))])
    for i, pts in enumerate(points):  # each curve's letter at its end (read without colour)
        if len(pts):
            canvas.place(int(pts[-1][1] // 4), int(pts[-1][0] // 2) + 1, [(opts[i]["letter"], styles[i])])
    for i, pts in enumerate(points):  # and at a place along it, a different one for each curve
        if len(pts) > 4:
            x, y = pts[int(len(pts) * (i + 1) / (len(points) + 1))]
            if (int(y // 4), int(x // 2)) not in canvas.marks:
                canvas.mark(int(y // 4), int(x // 2), opts[i]["letter"].lower(), styles[i])
    lines = canvas.lines(styles, Ground.blank(cols, rows, PLAIN))
    out = [title]
    at = {0: labels[0], rows // 2: labels[1], rows - 1: labels[2]}
    picture_rows = []
    for r, segs in enumerate(lines):
        label = at.get(r, "")
        picture_rows.append([Segment(label.rjust(pad) + (" ┤" if label else " │"), Style(dim=True))] + segs)
    axis = "0".ljust(cols // 2) + num(steps // 2).ljust(cols - cols // 2 - len(num(steps))) + num(steps)
    picture_rows.append([Segment(" " * pad + " └" + "─" * cols, Style(dim=True))])
    picture_rows.append([Segment(" " * (pad + 2) + axis + "  step", Style(dim=True))])
    out.append(Picture(picture_rows, pad + 2 + cols))
    return Group(*out)


# --- the frame --------------------------------------------------------------------------------------


def map_size(width: int, win: tuple[float, float, float, float], below: int) -> tuple[int, int]:
    """(cols, rows) of the map: as wide as the legend leaves and as tall as the surface's shape
    asks, but short enough that the `below` rows of the selected rule still fit on the screen
    (at 80×24: the map, the legend and this step's rule without scrolling)."""
    xmin, xmax, ymin, ymax = win
    cols = max(16, width - LEGEND - 2)
    screen = 17 if width < 90 else 22 if width < 120 else 30  # rows a frame gets at 80×24, 100×30, wider
    cap = max(6, min(10 if width < 90 else 16 if width < 120 else 20, screen - below))
    # A terminal cell is about twice as tall as wide: rows ≈ cols · (y-span / x-span) / 2.
    rows = int(round(cols * (ymax - ymin) / (xmax - xmin) / 2))
    if rows > cap:  # at most half as wide again as the true shape: a little stretch, more room beside it
        rows = cap
        cols = max(16, min(cols, int(round(1.5 * rows * 2 * (xmax - xmin) / (ymax - ymin)))))
    return cols, max(6, rows)


def _rows(texts: list[Text], width: int) -> int:
    """How many screen rows these lines take at this width (each wraps on its own)."""
    return sum(max(1, math.ceil(cell_len(line) / max(1, width))) for t in texts for line in t.plain.split("\n"))


def render(frame: Frame, width: int, view: dict) -> RenderableType:
    v = frame.values
    pick = selected(v, view)
    first = rule_block(v, pick, settings=False)  # its settings are in the legend
    side = legend(v, view, roomy=width >= 90)
    cols, rows = map_size(width, window(list(v["view"]), view), _rows(first, width))
    tall = _rows([side], width - cols - 2)
    if tall > rows:  # a legend taller than the map: a taller map, rather than blank rows beneath it
        cols, rows = map_size(width, window(list(v["view"]), view), _rows(first, width) - (tall - rows))
    parts: list[RenderableType] = [Beside(surface_map(v, cols, rows, view), side), *first]
    if "check" in v:
        parts.append(check_line(v["check"]))
    for i in range(len(v["optimizers"])):
        if i != pick:
            parts += rule_block(v, i)
    if "swarm" in v:
        parts.append(swarm_panel(v, view))
    if "distill" in v:
        parts.append(distill_panel(v))
    parts.append(loss_plot(v, width - 1, view))
    return Group(*parts)
