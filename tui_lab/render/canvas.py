"""A braille canvas: lines at 2 × 4 dots per character cell, each cell coloured by the series
that drew in it last, with letters laid over it that never hide one another.

Used by the optimizer map and its loss plot; any renderer may use it. Nothing here knows
about optimizers: a series is an index into the styles the caller passes to `lines()`.

    canvas = Canvas(cols, rows)
    canvas.polyline(points_in_dots, series=0)         # float (x, y) dots, y down
    canvas.mark(r, c, "A", style)                     # a letter over the dots
    canvas.place(r, c, "AN", style_per_char)          # a run that moves aside to a free cell
    lines = canvas.lines(styles, background)          # rows of Segments
"""

from __future__ import annotations

import math
from typing import Callable, Sequence

import numpy as np
from rich.console import Console, ConsoleOptions, RenderResult
from rich.measure import Measurement
from rich.segment import Segment
from rich.style import Style

# Bit of the dot at (column 0..1, row 0..3) inside a braille cell (U+2800 + bits).
_BIT = np.array([[0x01, 0x08], [0x02, 0x10], [0x04, 0x20], [0x40, 0x80]], dtype=np.uint8)
BRAILLE = 0x2800


def clip(x0: float, y0: float, x1: float, y1: float, w: float, h: float) -> tuple[float, float, float, float] | None:
    """The part of a segment inside [0, w) × [0, h) (Liang–Barsky), or None."""
    if not all(map(math.isfinite, (x0, y0, x1, y1))):
        return None
    top_x, top_y = math.nextafter(w, 0), math.nextafter(h, 0)
    t0, t1 = 0.0, 1.0
    dx, dy = x1 - x0, y1 - y0
    for p, q in ((-dx, x0), (dx, top_x - x0), (-dy, y0), (dy, top_y - y0)):
        if p == 0:
            if q < 0:
                return None
            continue
        r = q / p
        if p < 0:
            t0 = max(t0, r)
        else:
            t1 = min(t1, r)
        if t0 > t1:
            return None
    return x0 + t0 * dx, y0 + t0 * dy, x0 + t1 * dx, y0 + t1 * dy


class Canvas:
    """cols × rows character cells of 2 × 4 braille dots; dot (x, y) counts from the top left."""

    def __init__(self, cols: int, rows: int) -> None:
        self.cols, self.rows = cols, rows
        self.bits = np.zeros((rows, cols), dtype=np.uint8)
        self.owner = np.full((rows, cols), -1, dtype=np.int16)  # the series that drew in a cell last
        self.marks: dict[tuple[int, int], tuple[str, Style]] = {}

    @property
    def size(self) -> tuple[int, int]:
        """(width, height) in dots."""
        return 2 * self.cols, 4 * self.rows

    def dots(self, xs: np.ndarray, ys: np.ndarray, series: int) -> None:
        """Set the dots at integer-valued positions (already inside the canvas)."""
        xs, ys = xs.astype(np.int64), ys.astype(np.int64)
        r, c = ys // 4, xs // 2
        np.bitwise_or.at(self.bits, (r, c), _BIT[ys % 4, xs % 2])
        self.owner[r, c] = series

    def polyline(self, points: np.ndarray, series: int, every: int = 1) -> None:
        """Joined segments through float dot positions (n, 2); `every` > 1 draws a dotted line.

        Each segment is sampled at most one dot apart along its longer axis, so the dots it
        sets touch (no gaps); the parts outside the canvas are clipped away first.
        """
        w, h = self.size
        pts = np.asarray(points, dtype=float).reshape(-1, 2)
        xs: list[np.ndarray] = []
        ys: list[np.ndarray] = []
        pairs = zip(pts[:-1], pts[1:]) if len(pts) > 1 else ((p, p) for p in pts)  # one point: one dot
        for (x0, y0), (x1, y1) in pairs:
            seg = clip(x0, y0, x1, y1, w, h)
            if seg is None:
                continue
            a, b, c, d = seg
            n = int(math.ceil(max(abs(c - a), abs(d - b)))) + 1
            t = np.linspace(0.0, 1.0, n)
            xs.append(np.floor(a + (c - a) * t))
            ys.append(np.floor(b + (d - b) * t))
        if not xs:
            return
        x, y = np.concatenate(xs), np.concatenate(ys)
        keep = np.ones(len(x), dtype=bool)
        keep[1:] = (x[1:] != x[:-1]) | (y[1:] != y[:-1])  # a dot once, so a dotted line's gaps are even
        x, y = x[keep], y[keep]
        if every > 1:
            x, y = x[::every], y[::every]
        self.dots(x, y, series)

    def mark(self, r: int, c: int, text: str, style: Style) -> None:
        """One character over whatever is drawn in cell (r, c)."""
        if 0 <= r < self.rows and 0 <= c < self.cols:
            self.marks[(r, c)] = (text, style)

    def place(self, r: int, c: int, texts: Sequence[tuple[str, Style]]) -> tuple[int, int] | None:
        """A run of marks (e.g. the letters of optimizers at one place) at the first free cells
        from (r, c): there, else shifted right, else left, else on the rows next to it; never over
        another mark. Returns where the run starts, or None if it found no room."""
        n = len(texts)
        for dr in (0, 1, -1, 2, -2):
            rr = r + dr
            if not 0 <= rr < self.rows:
                continue
            for dc in sorted(range(-n - 2, n + 3), key=lambda d: (abs(d) if d <= 0 else d - 0.5)):
                cc = c + dc
                if 0 <= cc and cc + n <= self.cols and all((rr, cc + i) not in self.marks for i in range(n)):
                    for i, (ch, st) in enumerate(texts):
                        self.marks[(rr, cc + i)] = (ch, st)
                    return rr, cc
        return None

    def lines(self, styles: Sequence[Style], background: Callable[[int, int], tuple[str, Style]]) -> list[list[Segment]]:
        """Each row as Segments: a mark, else the braille dots in their series' style (over the
        background's colour), else the background's own character."""
        out = []
        for r in range(self.rows):
            segs: list[Segment] = []
            run, run_style = "", None
            for c in range(self.cols):
                mark = self.marks.get((r, c))
                if mark is not None:
                    ch, st = mark
                    st = background(r, c)[1] + st
                elif self.bits[r, c]:
                    ch = chr(BRAILLE + int(self.bits[r, c]))
                    st = background(r, c)[1] + styles[self.owner[r, c]]
                else:
                    ch, st = background(r, c)
                if st == run_style:
                    run += ch
                else:
                    if run:
                        segs.append(Segment(run, run_style))
                    run, run_style = ch, st
            if run:
                segs.append(Segment(run, run_style))
            out.append(segs)
        return out


class Picture:
    """Rows of Segments as a renderable of a fixed width (laid out once, copied when drawn)."""

    def __init__(self, rows: list[list[Segment]], width: int) -> None:
        self.rows, self.width = rows, width

    def __rich_measure__(self, console: Console, options: ConsoleOptions) -> Measurement:
        return Measurement(self.width, self.width)

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        for row in self.rows:
            yield from row
            yield Segment.line()


class Beside:
    """Two renderables side by side: `left` (a Picture) and `right` laid out in the width left over."""

    def __init__(self, left: Picture, right, gap: int = 2) -> None:
        self.left, self.right, self.gap = left, right, gap

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        width = max(1, options.max_width - self.left.width - self.gap)
        right = console.render_lines(self.right, options.update(width=width, height=None), pad=False)
        pad = Segment(" " * self.gap)
        blank = [Segment(" " * self.left.width)]
        for i in range(max(len(self.left.rows), len(right))):
            yield from self.left.rows[i] if i < len(self.left.rows) else blank
            if i < len(right):
                yield pad
                yield from right[i]
            yield Segment.line()
