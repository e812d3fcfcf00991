"""Convolution frames: the padded input with the window, the kernel in use, the products, the output.

Marks read without colour too (plain replay text): `[v]` a cell under the window (or,
transposed, a cell being scattered into), `{v}` the cell just computed, `(v)` the
winner of a max pool. Large arrays are cropped around the window; images are drawn
with half-block pixels (▀: top pixel in the foreground, bottom in the background).
"""

from __future__ import annotations

import functools
import math
from typing import Any, Iterable

import numpy as np
from rich.console import Console, ConsoleOptions, Group, RenderableType, RenderResult
from rich.segment import Segment
from rich.style import Style
from rich.table import Table
from rich.text import Text

from engine.core.fmt import num
from engine.core.frame import Frame

from .common import Beside, CellGrid, check_line, in_one_row, marked_cell
from .pictures import Picture
from . import ViewKey



def _next_channel(view: dict[str, Any]) -> None:
    view["channel"] = view.get("channel", 0) + 1


def _toggle_numbers(view: dict[str, Any]) -> None:
    view["pictures_only"] = not view.get("pictures_only", False)


VIEW_KEYS = (
    ViewKey("c", "channel", "show the next input channel (when they do not all fit)", _next_channel),
    ViewKey("v", "numbers", "image filters: pictures only / pictures and numbers", _toggle_numbers),
)


# --- number grids ------------------------------------------------------------------

def span(n: int, focus: Iterable[int], keep: int) -> tuple[int, int]:
    """A range of at most `keep` indices out of n that contains `focus` (or starts at 0)."""
    focus = list(focus)
    if n <= keep:
        return 0, n
    lo, hi = (min(focus), max(focus) + 1) if focus else (0, 1)
    extra = max(0, keep - (hi - lo))
    a = max(0, min(lo - extra // 2, n - keep))
    return a, min(n, a + max(keep, hi - lo))


@functools.lru_cache(maxsize=16384)
def _finite_text(v: float) -> str:
    return num(v, 3) if math.isfinite(v) else num(v)


def _text(v: float) -> str:
    # Grids repeat their values (digits, a kernel's −1/0/1, integer sums) frame after frame:
    # each is written once. NaN (not computed yet) never equals itself, so it skips the cache.
    return "·" if v != v else _finite_text(float(v))


def _widest(arr: np.ndarray) -> int:
    """The longest _text over the values of `arr` (1 when empty), each distinct value written once."""
    if arr.size == 0:
        return 1
    return max(len(_text(v)) for v in np.unique(arr))


def _texts(arr: np.ndarray, r0: int, r1: int, c0: int, c1: int) -> dict[int, dict[int, str]]:
    """The written numbers of rows r0..r1, columns c0..c1 (only those shown)."""
    return {i: dict(zip(range(c0, c1), map(_text, row))) for i, row in zip(range(r0, r1), arr[r0:r1, c0:c1].tolist())}


def cell_width(arr: np.ndarray, r0: int, r1: int) -> int:
    """Columns one cell takes (number, marks, gap) over rows r0..r1 of a 2-D array."""
    return _widest(np.asarray(arr)[r0:r1]) + 3


def cells(values: Any, title: str, marked: Iterable[tuple[int, int]] = (), current: tuple[int, int] | None = None,
          winner: tuple[int, int] | None = None, origin: tuple[int, int] = (0, 0), width: int = 78,
          max_rows: int = 12, crop: tuple[int, int, int, int] | None = None, pad: int = 0) -> CellGrid:
    """A 2-D array as numbers with marks that survive without colour; cropped to fit `width`.

    `crop` (rows r0..r1, cols c0..c1) imposes the crop instead, for grids that must show
    the same cells side by side (each number right-justified to `pad` characters); the
    caller then says the range once, not in the title.
    """
    arr = np.atleast_2d(np.asarray(values, dtype=float))
    marked = set(marked)
    focus = list(marked) + ([current] if current else []) + ([winner] if winner else [])
    finite = arr[np.isfinite(arr)]
    scale = float(np.max(np.abs(finite))) if finite.size else 0.0
    if crop is not None:
        # Every number padded to the widest of all the grids, so they come out the same size.
        r0, r1, c0, c1 = crop
        texts = _texts(arr, r0, r1, c0, c1)
    else:
        r0, r1 = span(arr.shape[0], [f[0] for f in focus], max_rows)
        # Only the rows on show are measured, and each distinct value is written once (a wide
        # output row would cost thousands of numbers per frame).
        cell_w = _widest(arr[r0:r1]) + 3
        c0, c1 = span(arr.shape[1], [f[1] for f in focus], max(3, width // cell_w))
        texts = _texts(arr, r0, r1, c0, c1)
    cropped = crop is None and (r0, r1, c0, c1) != (0, arr.shape[0], 0, arr.shape[1])
    if cropped:
        title += (f"  rows {origin[0] + r0}–{origin[0] + r1 - 1}, cols {origin[1] + c0}–{origin[1] + c1 - 1}"
                  if arr.shape[0] > 1 else f"  {origin[1] + c0}–{origin[1] + c1 - 1}")
    rows = []
    plain: dict[str, tuple[str, Any]] = {}  # an unmarked cell's look depends on its text and value alone
    for i, values_row in zip(range(r0, r1), arr[r0:r1, c0:c1].tolist()):
        row = []
        for j, value in zip(range(c0, c1), values_row):
            at = (i, j)
            mark = "current" if at == current else "winner" if at == winner else "marked" if at in marked else None
            if mark is None and value == value:
                look = plain.get(texts[i][j])
                if look is None or look[0] != value:
                    text, style = marked_cell(texts[i][j], value, scale, None)
                    look = plain[texts[i][j]] = (value, (text.rjust(pad + 2), style))
                row.append(look[1])
                continue
            text, style = marked_cell(texts[i][j], value, scale, mark)
            row.append((text.rjust(pad + 2), style))
        rows.append(row)
    # The title is its own line, so a long title never squeezes the numbers.
    title_text = title if len(title) <= width else title[: max(1, width - 1)] + "…"
    return CellGrid(rows, title_text)


def _pairs(rows: Iterable[int], cols: Iterable[int], origin: tuple[int, int]) -> set[tuple[int, int]]:
    return {(int(r) - origin[0], int(c) - origin[1]) for r in rows for c in cols}


# --- half-block pictures --------------------------------------------------------------

def _after(output: np.ndarray, display: str) -> np.ndarray:
    """Filter output as grey levels: clipped to 0..255, or the magnitude scaled to 0..255 (edges)."""
    if display == "clip":
        return output
    mag = np.abs(output)
    top = np.nanmax(mag) if np.isfinite(mag).any() else 0.0
    return mag * (255.0 / top) if top > 0 else mag


def pictures(v: Any, width: int) -> Table:
    half = max(12, (width - 4) // 2)
    grid = Table.grid(padding=(0, 4))
    grid.add_row(Picture(np.asarray(v["image"], dtype=float), "before", half),
                 Picture(_after(np.asarray(v["output"], dtype=float)[0], v["display"]), "after", half))
    return grid


# --- the frame ------------------------------------------------------------------------

def render(frame: Frame, width: int, view: dict) -> RenderableType:
    v = frame.values
    parts: list[RenderableType] = []
    if "image" in v:
        parts.append(pictures(v, width))
        if view.get("pictures_only"):
            return Group(*parts)
    result = None
    if v["cell"] is not None and v["sum"] is not None:
        label = {"max": "max", "avg": "mean"}.get(v["pool"], "sum" + (" + bias" if v.get("bias") is not None else ""))
        result = Text(f"{label} = {num(v['sum'])}", style="bold")
    if v["kind"] == "transposed":
        parts.append(_scatter(frame, width, view))
        parts.extend([result] if result is not None else [])
    else:
        parts.append(_window(frame, width, view, result))
    if "check" in v:
        parts.append(check_line(v["check"]))
    ghost = view.get("ghost")
    if ghost is not None and ghost.values.get("out_shape") != v["out_shape"]:
        was = "×".join(map(str, ghost.values["out_shape"][1:]))
        now = "×".join(map(str, v["out_shape"][1:]))
        parts.append(Text(f"output was {was}, now {now} (the last knob turn)", style="dim italic"))
    return Group(*parts)


def _channels(n: int, view: dict, kernel_width: int) -> list[int]:
    """Which input channels to draw: all of a few small ones, else the one `c` points at."""
    if n <= 3 and kernel_width <= 5:
        return list(range(n))
    return [view.get("channel", 0) % n]


def _window(frame: Frame, width: int, view: dict, result: Text | None) -> RenderableType:
    """The input under the window, the kernel, the products and the outputs; `result` (the
    cell's sum) goes under the outputs."""
    v, h = frame.values, frame.highlight
    one_d = v["dims"] == 1
    padded = np.asarray(v["padded"], dtype=float)
    origin = (0, v["padded_origin"][0]) if one_d else tuple(v["padded_origin"])
    cell = v["cell"]
    f = cell[0] if cell is not None else 0
    pool = v["kind"] == "pool"
    kernel = v.get("kernel_cell")
    if kernel is None and "kernel_used" in v:
        kernel = np.asarray(v["kernel_used"])[f]
    kname = "pool window" if pool else "kernel (flipped)" if v["mode"] == "convolution" else "kernel"
    rows = list(h.get("rows", [])) if cell is not None else []
    cols = list(h.get("cols", [])) if cell is not None else []
    out = np.asarray(v["output"], dtype=float)
    body: list[RenderableType] = []
    if one_d:
        # Sequences: one row per channel, the window marks the same columns in every row.
        C = padded.shape[0]
        marked = {(ch, int(c) - origin[1]) for ch in range(C) for c in cols}
        items = [cells(padded, "padded input" + (" (rows = channels)" if C > 1 else ""), marked, origin=origin,
                       width=width // 2)]
        if kernel is not None:
            items.append(cells(kernel, kname))
        if cell is not None:
            prods = np.asarray(v["products"], dtype=float).reshape(-1, len(cols))
            win = ((0, int(np.argmax(prods[0]))) if v["pool"] == "max" else None)
            items.append(cells(prods, "window values" if pool else "products", winner=win))
        body.append(Beside(items, 3))
        body.append(cells(out, "output" + (" (rows = filters)" if out.shape[0] > 1 else ""),
                          current=(cell[0], cell[1]) if cell is not None else None, width=width))
        return Group(*body, *([result] if result is not None else []))
    C = padded.shape[0]
    shown = [f] if pool else _channels(C, view, len(cols) or np.asarray(kernel).shape[-1])
    if pool:
        kname = "window values"
    ftag = f" f{f}" if out.shape[0] > 1 and not pool else ""  # the filter, named as its output grid is
    first: list[CellGrid] = []
    for ch in shown:
        tag = f" ch {ch}" if C > 1 else ""
        marked = _pairs(rows, cols, origin)
        items: list[RenderableType] = [cells(padded[ch], "padded input" + tag, marked, origin=origin, width=width // 2)]
        if cell is not None:
            prods = np.asarray(v["products"], dtype=float).reshape(-1, len(rows), len(cols))
            if pool:
                flat = np.asarray(v["products"], dtype=float)
                win = np.unravel_index(int(v["winner"]), prods.shape[1:]) if "winner" in v else None
                items.append(cells(flat.reshape(len(rows), len(cols)), kname + tag,
                                   winner=tuple(map(int, win)) if win is not None else None))
            else:
                items.append(cells(np.asarray(kernel)[ch], kname + ftag + tag))
                items.append(cells(prods[ch], "products" + ftag + tag))
        elif kernel is not None:
            items.append(cells(np.asarray(kernel)[ch], kname + ftag + tag))
        first = first or items
        body.append(Beside(items, 3))
    if not pool and len(shown) < C:
        body.append(Text(f"(channel {shown[0]} of {C} shown; press c for the next)", style="dim"))
    note, grids = _outputs(out, f, (cell[1], cell[2]) if cell is not None else None, pool, width)
    if len(shown) > 1 and note is None:
        # Several channels stack taller than a screen: the outputs and this cell's sum go
        # beside the first channel, where they are seen without scrolling, when they fit.
        column = in_one_row(grids, 3, [[Segment(result.plain, Style(bold=True))]] if result is not None else [])
        if sum(b.width + 3 for b in first) + column.width <= width:
            body[0] = Beside([*first, column], 3)
            return Group(*body)
    body.extend([note] if note is not None else [])
    body.append(Beside(grids, 3))
    return Group(*body, *([result] if result is not None else []))


def _outputs(out: np.ndarray, f: int, current: tuple[int, int] | None, pool: bool,
             width: int) -> tuple[Text | None, list[CellGrid]]:
    """The output grid of each filter (up to 4; else the current one), all cropped alike,
    and the note that says which part a crop shows."""
    filters = list(range(out.shape[0])) if out.shape[0] <= 4 else [f]
    name = "output" + (" (channel)" if pool and out.shape[0] > 1 else "")
    if len(filters) == 1:
        title = name + (f" f{f}" if out.shape[0] > 1 else "")
        return None, [cells(out[f], title, current=current, width=width)]
    H, W = out.shape[1:]
    r0, r1 = span(H, [current[0]] if current else [], 12)
    cell_w = max(cell_width(out[fi], r0, r1) for fi in filters)
    gap = 3
    # As many grids to a row as leave each at least 3 columns (4, else 2, else 1).
    for per_row in (min(len(filters), 4), 2, 1):
        keep = (width - gap * (per_row - 1)) // per_row // cell_w
        if keep >= 3 or per_row == 1:
            break
    c0, c1 = span(W, [current[1]] if current else [], max(3, keep))
    note = None
    if (r0, r1, c0, c1) != (0, H, 0, W):
        note = Text(f"{name}: rows {r0}–{r1 - 1}, cols {c0}–{c1 - 1} of {H}×{W} shown", style="bold")
    grids = [cells(out[fi], f"f{fi}" if note else f"{name} f{fi}", current=current if fi == f else None,
                   crop=(r0, r1, c0, c1), pad=cell_w - 3) for fi in filters]
    return note, grids


def _scatter(frame: Frame, width: int, view: dict) -> RenderableType:
    """Transposed convolution: the input cell, v·k for each filter, and where it lands."""
    v, h = frame.values, frame.highlight
    one_d = v["dims"] == 1
    cell = v["cell"]
    out = np.asarray(v["output"], dtype=float)
    hits = np.atleast_2d(np.asarray(v["hits"], dtype=float))
    marked = _pairs([0] if one_d else h.get("rows", []), h.get("cols", []), (0, 0)) if cell is not None else set()
    body: list[RenderableType] = []
    items: list[RenderableType] = []
    if "input" in v:
        x = np.asarray(v["input"], dtype=float)
        ch = cell[0] if cell is not None else 0
        cur = None if cell is None else ((0, cell[1]) if one_d else (cell[1], cell[2]))
        items.append(cells(x[ch], "input" + (f" ch {ch}" if x.shape[0] > 1 else ""), current=cur, width=width // 3))
    if cell is not None:
        k = np.asarray(v["kernel_cell"], dtype=float)
        prods = np.asarray(v["products"], dtype=float).reshape(k.shape)
        kname = "kernel (flipped)" if v["mode"] == "convolution" else "kernel"
        for fi in range(min(k.shape[0], 2)):
            tag = f" f{fi}" if k.shape[0] > 1 else ""
            items.append(cells(k[fi], kname + tag))
            items.append(cells(prods[fi], "x·k" + tag))
    body.append(Beside(items, 3))
    f_shown = range(min(out.shape[0], 2))
    row = [cells(out[fi] if not one_d else out[fi][None], "output" + (f" f{fi}" if out.shape[0] > 1 else ""),
                 marked, width=width // 3) for fi in f_shown]
    row.append(cells(hits, "hits (overlaps)", marked, width=width // 3))
    body.append(Beside(row, 3))
    return Group(*body)
