"""Drawing pieces every lab uses: number grids with highlights, value bars, colour scales."""

from __future__ import annotations

import functools
import math
from typing import Iterable, NamedTuple, Sequence

import numpy as np
from rich.cells import cell_len
from rich.console import Console, ConsoleOptions, Group, RenderableType, RenderResult
from rich.measure import Measurement
from rich.segment import Segment
from rich.style import Style
from rich.text import Text

from engine.core.fmt import count, num

# A diverging scale: negatives blue, positives red, zero neutral. Chosen to read on dark and light themes.
NEG = (59, 130, 246)
POS = (239, 68, 68)
MID = (64, 64, 64)


def diverging(value: float, scale: float) -> Style:
    """Background colour for `value` on a symmetric scale of ±`scale`."""
    if not math.isfinite(value) or scale <= 0:
        return Style()
    t = max(-1.0, min(1.0, value / scale))
    end = POS if t > 0 else NEG
    a = abs(t)
    return _on(*(int(MID[i] + (end[i] - MID[i]) * a) for i in range(3)))


@functools.lru_cache(maxsize=4096)
def _on(r: int, g: int, b: int) -> Style:
    """White on rgb(r, g, b); one Style per colour (a frame of numbers has a few hundred cells,
    and parsing each cell's colour afresh was a good part of drawing it)."""
    return Style(bgcolor=f"rgb({r},{g},{b})", color="white")


class Lines:
    """Rows of Segments laid out once, of a fixed width: measuring and drawing cost only the copy."""

    def __init__(self, lines: list[list[Segment]], width: int) -> None:
        self.lines, self.width = lines, width

    def __rich_measure__(self, console: Console, options: ConsoleOptions) -> Measurement:
        return Measurement(self.width, self.width)

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        for line in self.lines:
            yield from line
            yield Segment.line()


class CellGrid(Lines):
    """Rows of short strings laid out once, in right-justified columns.

    Rich's Table measures and renders every cell several times per draw; a frame with a
    few hundred numbers then costs tens of milliseconds. This lays the text out once and
    reports its width, so measuring and drawing cost only the copy.
    """

    def __init__(self, rows: Sequence[Sequence[tuple[str, Style | None]]], title: str = "",
                 header: Sequence[str] | None = None, gap: int = 1, label_style: Style | None = None) -> None:
        ncols = max((len(r) for r in rows), default=0)
        widths = [0] * ncols
        for r in list(rows) + ([[(h, None) for h in header]] if header else []):
            for j, (text, _) in enumerate(r):
                widths[j] = max(widths[j], cell_len(text))
        self.lines: list[list[Segment]] = []
        if title:
            self.lines.append([Segment(title, Style(bold=True))])
        if header:
            self.lines.append(self._line([(h, Style(bold=True, dim=True)) for h in header], widths, gap))
        for r in rows:
            self.lines.append(self._line(r, widths, gap))
        self.width = max([sum(widths) + gap * max(0, ncols - 1)] + [cell_len(title)] if title else [sum(widths) + gap * max(0, ncols - 1)])

    @staticmethod
    def _line(cells: Sequence[tuple[str, Style | None]], widths: Sequence[int], gap: int) -> list[Segment]:
        segs: list[Segment] = []
        for j, (text, style) in enumerate(cells):
            pad = widths[j] - cell_len(text) + (gap if j else 0)
            if pad:
                segs.append(Segment(" " * pad))
            segs.append(Segment(text, style))
        return segs


class Beside:
    """Blocks of a fixed width (Lines) side by side, `gap` columns apart, as many to a row as fit
    and the rest in rows below: what Rich's Columns(blocks, padding=(0, gap)) draws, the same
    characters in the same styles, without the Table it builds (which measures and renders
    every block again, a few milliseconds per frame of number grids)."""

    def __init__(self, blocks: Sequence[Lines], gap: int) -> None:
        self.blocks, self.gap = list(blocks), gap

    def _columns(self, max_width: int) -> int:
        """Columns' own rule: the most blocks to a row whose widest per column fit."""
        n = len(self.blocks)
        count_ = n
        while count_ > 1:
            widths: dict[int, int] = {}
            for i, block in enumerate(self.blocks):
                col = i % count_
                widths[col] = max(widths.get(col, 0), block.width)
                if sum(widths.values()) + self.gap * (len(widths) - 1) > max_width:
                    count_ = len(widths) - 1
                    break
            else:
                break
        return max(1, count_)

    def _widths(self, n: int) -> list[int]:
        return [max(b.width for b in self.blocks[j::n]) for j in range(n)]

    def __rich_measure__(self, console: Console, options: ConsoleOptions) -> Measurement:
        if not self.blocks:
            return Measurement(0, 0)
        n = self._columns(options.max_width)
        widths = self._widths(n)
        width = min(options.max_width, sum(widths) + self.gap * (n - 1))
        return Measurement(width, width)

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        if not self.blocks:
            return
        max_width = options.max_width
        n = self._columns(max_width)
        widths = self._widths(n)
        if sum(widths) + self.gap * (n - 1) > max_width:  # one block wider than the room: cropped
            widths = [max_width]
        gap = Segment(" " * self.gap)
        for start in range(0, len(self.blocks), n):
            row = self.blocks[start:start + n]
            height = max(len(b.lines) for b in row)
            for y in range(height):
                for j, width in enumerate(widths):
                    if j:
                        yield gap
                    line = row[j].lines[y] if j < len(row) and y < len(row[j].lines) else []
                    yield from Segment.adjust_line_length(line, width)
                yield Segment.line()


def in_one_row(blocks: Sequence[Lines], gap: int, below: Sequence[list[Segment]] = ()) -> Lines:
    """Blocks in one row, `gap` apart, with `below`'s lines under them, as one block: so a
    group of grids can stand beside another block."""
    width = sum(b.width for b in blocks) + gap * (len(blocks) - 1)
    lines = []
    for y in range(max(len(b.lines) for b in blocks)):
        line: list[Segment] = []
        for j, b in enumerate(blocks):
            if j:
                line.append(Segment(" " * gap))
            line.extend(Segment.adjust_line_length(b.lines[y] if y < len(b.lines) else [], b.width))
        lines.append(line)
    lines.extend(list(extra) for extra in below)
    return Lines(lines, max([width] + [Segment.get_line_length(extra) for extra in below]))


# How a cell reads without colour: {v} the cell just written, (v) the window's winner (max
# pooling), [v] a cell under the window; unmarked cells keep the same width.
MARKS = {"current": ("{", "}"), "winner": ("(", ")"), "marked": ("[", "]"), None: (" ", " ")}


def marked_cell(text: str, value: float, scale: float, mark: str | None, colour: bool = True) -> tuple[str, Style | None]:
    """One number of a grid: its mark, and its colour on the diverging scale (dim when not
    computed yet); a marked cell is bold and underlined too."""
    left, right = MARKS[mark]
    style = (diverging(value, scale) if colour else None) if math.isfinite(value) else Style(dim=True)
    if mark:
        style = (style or Style()) + Style(bold=True, underline=True)
    return f"{left}{text}{right}", style


def grid(
    values: np.ndarray,
    title: str = "",
    marked: Iterable[tuple[int, int]] = (),
    current: tuple[int, int] | None = None,
    colour: bool = True,
    row_labels: Sequence[str | Text] | None = None,
    col_labels: Sequence[str | Text] | None = None,
    digits: int = 3,
) -> CellGrid:
    """A 2-D array as numbers on a diverging colour scale; NaN shows as '·' (not computed yet).

    Marks read without colour too: `[v]` a marked cell (the window), `{v}` the current one
    (the cell just written).
    """
    arr = np.atleast_2d(np.asarray(values, dtype=float))
    marked = set(map(tuple, marked))
    finite = arr[np.isfinite(arr)]
    scale = float(np.max(np.abs(finite))) if finite.size else 0.0
    any_marks = bool(marked) or current is not None
    rows = []
    for i in range(arr.shape[0]):
        cells: list[tuple[str, Style | None]] = [] if row_labels is None else [(str(row_labels[i]), Style(dim=True))]
        for j in range(arr.shape[1]):
            v = arr[i, j]
            text = "·" if math.isnan(v) else num(v, digits)
            mark = "current" if current == (i, j) else "marked" if (i, j) in marked else None
            cell = marked_cell(text, v, scale, mark, colour)
            cells.append(cell if any_marks else (text, cell[1]))
        rows.append(cells)
    header = None
    if col_labels is not None:
        header = ([""] if row_labels is not None else []) + [str(c) for c in col_labels]
    return CellGrid(rows, title, header)


def labelled(label: str, body: RenderableType) -> Group:
    return Group(Text(label, style="bold"), body)


# Okabe & Ito's colour-blind-safe palette (2008), by name, so a series keeps its colour everywhere.
OKABE_ITO = {"orange": (230, 159, 0), "sky blue": (86, 180, 233), "bluish green": (0, 158, 115),
             "yellow": (240, 228, 66), "blue": (0, 114, 178), "vermillion": (213, 94, 0),
             "reddish purple": (204, 121, 167), "grey": (153, 153, 153)}


class Series(NamedTuple):
    """One curve of a plot. `colour` (r, g, b) and `marker` are optional: a curve with a marker is
    drawn with that character (at character resolution, and so is its legend mark) instead of
    braille dots, so it reads without colour too and no two curves look alike."""

    label: str
    xs: Sequence[float]
    ys: Sequence[float]
    colour: tuple[int, int, int] | None = None
    marker: str = ""


def plot(
    series: Sequence[tuple],
    width: int,
    height: int,
    title: str = "",
    xlabel: str = "",
    ylabel: str = "",
    hlines: Sequence[tuple[float, str]] = (),
    ylog: bool = False,
) -> Text:
    """A line plot drawn by plotext, as a Rich Text, so the app and replay draw it alike.

    series: Series, or plain (label, xs, ys); non-finite points are dropped. hlines: (y, label)
    reference lines.
    """
    import plotext as plt

    plt.clf()
    plt.plotsize(max(20, width), max(6, height))
    plt.theme("pro")
    if title:
        plt.title(title)
    if xlabel:
        plt.xlabel(xlabel)
    if ylabel:
        plt.ylabel(ylabel)
    if ylog:
        plt.yscale("log")
    any_points = False
    x_lo, x_hi = math.inf, -math.inf
    for s in (Series(*s) for s in series):
        pts = [(float(x), float(y)) for x, y in zip(s.xs, s.ys) if math.isfinite(float(y)) and (not ylog or float(y) > 0)]
        if pts:
            any_points = True
            x_lo, x_hi = min(x_lo, pts[0][0], *(p[0] for p in pts)), max(x_hi, *(p[0] for p in pts))
            xs, ys = [p[0] for p in pts], [p[1] for p in pts]
            plt.plot(xs, ys, label=s.label or None, marker=s.marker or "braille", color=s.colour)
    if any_points:
        # Reference lines as flat series, so their labels sit in the legend, not on the data.
        for y, label in hlines:
            plt.plot([x_lo, x_hi], [y, y], label=label or None, marker="braille")
    else:
        plt.plot([0], [1] if ylog else [0])  # an empty frame; log scales cannot take 0
    out = plt.build()
    plt.clf()
    return Text.from_ansi(out)


def check_line(check) -> Text:
    """The engine's check record ({reference, max_diff, tolerance, ok}) as one line, drawn the
    same way in every lab: ✓ or ✗ readable without colour, the numbers behind the verdict."""
    if not check:
        return Text("")
    ok = bool(check.get("ok"))
    ref, diff, tol = check.get("reference", "?"), check.get("max_diff", math.nan), check.get("tolerance", math.nan)
    nan_cells, cells = check.get("nan_cells", 0), check.get("cells", 0)
    some = "all" if nan_cells == cells else f"{count(nan_cells)} of"
    nan = f"NaN on both sides in {some} {count(cells)} cells (∞ − ∞ after an overflow)" if nan_cells else ""
    if ok:
        head, style = f"✓ matches {ref}", "bold green"
    elif nan and diff <= tol:  # the rest agree, but NaN agrees on no number: neither ✓ nor ✗
        rest = f", not compared; the other {count(cells - nan_cells)} match {ref}" if cells > nan_cells else \
            f": nothing to compare with {ref}"
        head, style = f"? {nan}{rest}", "bold yellow"
    else:
        head, style = f"✗ differs from {ref}" + (f"; {nan}" if nan else ""), "bold red"
    return Text.assemble((head, style), f"  largest difference {num(diff)} (tolerance {num(tol)})")
