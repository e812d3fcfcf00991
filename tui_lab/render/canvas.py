"""A braille canvas: lines at 2 × 4 dots per character cell, each cell coloured by the series
that drew in it last, with letters laid over it that never hide one another.

Used by the optimizer map and its loss plot; any renderer may use it. Nothing here knows
about optimizers: a series is an index into the styles the caller passes to `lines()`.

    canvas = Canvas(cols, rows)
    canvas.polyline(points_in_dots, series=0)         # float (x, y) dots, y down
    canvas.mark(r, c, "A", style)                     # a letter over the dots
    canvas.place(r, c, "AN", style_per_char)          # a run that moves aside to a free cell
    lines = canvas.lines(styles, Ground.blank(cols, rows, Style()))  # rows of Segments over a ground
"""

from __future__ import annotations

import math
from typing import Sequence

import numpy as np
from rich.console import Console, ConsoleOptions, RenderResult
from rich.segment import Segment
from rich.style import Style

from .common import Lines

# Bit of the dot at (column 0..1, row 0..3) inside a braille cell (U+2800 + bits).
_BIT = np.array([[0x01, 0x08], [0x02, 0x10], [0x04, 0x20], [0x40, 0x80]], dtype=np.uint8)
BRAILLE = 0x2800


def clip(seg: np.ndarray, w: float, h: float) -> tuple[np.ndarray, np.ndarray]:
    """The parts of segments (n, 4: x0, y0, x1, y1) inside [0, w) × [0, h) (Liang–Barsky, all at once):
    the clipped segments and which of the n had a part inside."""
    seg = np.asarray(seg, dtype=float).reshape(-1, 4)
    with np.errstate(all="ignore"):
        ok = np.isfinite(seg).all(1)
        x0, y0, x1, y1 = np.where(ok[:, None], seg, 0.0).T
        dx, dy = x1 - x0, y1 - y0
        top_x, top_y = math.nextafter(w, 0), math.nextafter(h, 0)
        t0, t1 = np.zeros(len(seg)), np.ones(len(seg))
        for p, q in ((-dx, x0), (dx, top_x - x0), (-dy, y0), (dy, top_y - y0)):
            ok &= (p != 0) | (q >= 0)  # parallel to this edge and outside it
            r = np.where(p != 0, q / np.where(p != 0, p, 1.0), 0.0)
            t0 = np.where(p < 0, np.maximum(t0, r), t0)
            t1 = np.where(p > 0, np.minimum(t1, r), t1)
        ok &= t0 <= t1
        out = np.stack([x0 + t0 * dx, y0 + t0 * dy, x0 + t1 * dx, y0 + t1 * dy], 1)
    return out[ok], ok


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

    def dots(self, xs: np.ndarray, ys: np.ndarray, series: np.ndarray) -> None:
        """Set the dots at integer-valued positions (already inside the canvas), each in its series
        (one per dot); where several fall in one cell, the last one's series owns it."""
        xs, ys = xs.astype(np.int64), ys.astype(np.int64)
        r, c = ys // 4, xs // 2
        np.bitwise_or.at(self.bits, (r, c), _BIT[ys % 4, xs % 2])
        cell = r * self.cols + c
        found, back = np.unique(cell[::-1], return_index=True)  # each cell's last dot
        self.owner.flat[found] = np.asarray(series)[len(cell) - 1 - back]

    def polyline(self, points: np.ndarray, series: int, every: int = 1) -> None:
        """Joined segments through float dot positions (n, 2); `every` > 1 draws a dotted line."""
        self.polylines([(points, series, every)])

    def polylines(self, lines: Sequence[tuple[np.ndarray, int, int]]) -> None:
        """Each (points, series, every) as `polyline` draws it, in order, all in one numpy pass
        (a frame draws a dozen paths: one pass costs what one path did).

        Each segment is sampled at most one dot apart along its longer axis, so the dots it
        sets touch (no gaps); the parts outside the canvas are clipped away first.
        """
        w, h = self.size
        ends, owner = [], []
        for j, (points, _series, _every) in enumerate(lines):
            pts = np.asarray(points, dtype=float).reshape(-1, 2)
            if len(pts):
                ends.append(np.concatenate([pts[:-1], pts[1:]], 1) if len(pts) > 1 else np.concatenate([pts, pts], 1))
                owner.append(np.full(len(ends[-1]), j))
        if not ends:
            return
        seg, inside = clip(np.concatenate(ends), w, h)
        if not len(seg):
            return
        line = np.concatenate(owner)[inside]  # which line each segment belongs to, in order
        n = np.ceil(np.abs(seg[:, 2:] - seg[:, :2]).max(1)).astype(np.int64) + 1  # samples per segment
        which = np.repeat(np.arange(len(seg)), n)
        k = np.arange(n.sum()) - np.repeat(np.cumsum(n) - n, n)
        t = k / np.maximum(1, n - 1)[which]
        # (clipped ends may round a hair past an edge: they stay on it)
        x = np.clip(np.floor(seg[which, 0] + (seg[which, 2] - seg[which, 0]) * t), 0, w - 1)
        y = np.clip(np.floor(seg[which, 1] + (seg[which, 3] - seg[which, 1]) * t), 0, h - 1)
        line = line[which]
        keep = np.ones(len(x), dtype=bool)
        keep[1:] = (x[1:] != x[:-1]) | (y[1:] != y[:-1]) | (line[1:] != line[:-1])  # a dot once, so a dotted line's gaps are even
        x, y, line = x[keep], y[keep], line[keep]
        every = np.array([e for _, _, e in lines], dtype=np.int64)[line]
        if (every > 1).any():  # each line's dots counted from its own first
            nth = np.arange(len(line)) - np.searchsorted(line, line)
            x, y, line = (a[nth % every == 0] for a in (x, y, line))
        self.dots(x, y, np.array([s for _, s, _ in lines], dtype=np.int64)[line])

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

    def lines(self, styles: Sequence[Style], ground: "Ground") -> list[list[Segment]]:
        """Each row as Segments: a mark, else the braille dots in their series' style (over the
        ground's colour), else the ground's own character; neighbours alike share a Segment."""
        bits = self.bits
        drawn = bits > 0
        chars = np.where(drawn, _BRAILLE_CHARS[bits], ground.chars)
        # What lies over the ground in each cell: 0 nothing, 1 + i series i, then the marks' styles.
        top = np.where(drawn, self.owner.astype(np.int64) + 1, 0)
        over_styles: list[Style] = list(styles)
        seen: dict[int, int] = {}
        for (r, c), (text, style) in self.marks.items():
            chars[r, c] = text
            j = seen.get(id(style))
            if j is None:
                j = seen[id(style)] = len(over_styles)
                over_styles.append(style)
            top[r, c] = j + 1
        n = len(over_styles) + 1
        key = ground.ids.astype(np.int64) * n + top  # one number per (ground style, what is over it)
        made: dict[int, Style] = {}

        def style_of(k: int) -> Style:
            found = made.get(k)
            if found is None:
                g, t = divmod(k, n)
                found = made[k] = ground.styles[g] if t == 0 else ground.styles[g] + over_styles[t - 1]
            return found

        out = []
        for r in range(self.rows):
            row = key[r]
            cuts = [0, *(np.flatnonzero(row[1:] != row[:-1]) + 1).tolist(), self.cols]
            text, ks = chars[r].tolist(), row.tolist()
            out.append([Segment("".join(text[a:b]), style_of(ks[a])) for a, b in zip(cuts, cuts[1:])])
        return out


_BRAILLE_CHARS = np.array([chr(BRAILLE + i) for i in range(256)], dtype=object)


class Ground:
    """What lies under a canvas: a character and a style per cell (`ids` index `styles`)."""

    def __init__(self, chars: np.ndarray, ids: np.ndarray, styles: Sequence[Style]) -> None:
        self.chars, self.ids, self.styles = chars, ids, tuple(styles)

    @classmethod
    def blank(cls, cols: int, rows: int, style: Style) -> "Ground":
        return cls(np.full((rows, cols), " ", dtype=object), np.zeros((rows, cols), dtype=np.int64), (style,))


class Picture(Lines):
    """A canvas's rows of Segments as a renderable (`rows`: the same list as `lines`)."""

    @property
    def rows(self) -> list[list[Segment]]:
        return self.lines


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
