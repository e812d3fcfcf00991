"""Drawing pieces every lab uses: number grids with highlights, value bars, colour scales."""

from __future__ import annotations

import math
from typing import Iterable, Sequence

import numpy as np
from rich.console import Group, RenderableType
from rich.style import Style
from rich.table import Table
from rich.text import Text

from engine.fmt import num

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
    rgb = tuple(int(MID[i] + (end[i] - MID[i]) * a) for i in range(3))
    return Style(bgcolor=f"rgb({rgb[0]},{rgb[1]},{rgb[2]})", color="white")


def grid(
    values: np.ndarray,
    title: str = "",
    marked: Iterable[tuple[int, int]] = (),
    current: tuple[int, int] | None = None,
    colour: bool = True,
    row_labels: Sequence[str] | None = None,
    col_labels: Sequence[str] | None = None,
    digits: int = 3,
) -> Table:
    """A 2-D array as a table of numbers; NaN shows as '·' (not computed yet).

    `marked` cells get a reverse-video frame (the window), `current` is bold underlined
    (the cell just written).
    """
    arr = np.asarray(values, dtype=float)
    marked = set(map(tuple, marked))
    finite = arr[np.isfinite(arr)]
    scale = float(np.max(np.abs(finite))) if finite.size else 0.0
    table = Table(title=title or None, show_header=col_labels is not None, show_edge=True, box=None, padding=(0, 1), pad_edge=False, title_style="bold")
    if row_labels is not None:
        table.add_column("", style="dim", justify="right")
    for j in range(arr.shape[1]):
        table.add_column(col_labels[j] if col_labels else "", justify="right", no_wrap=True)
    for i in range(arr.shape[0]):
        cells: list[RenderableType] = [] if row_labels is None else [row_labels[i]]
        for j in range(arr.shape[1]):
            v = arr[i, j]
            text = Text("·" if math.isnan(v) else num(v, digits))
            style = diverging(v, scale) if colour and not math.isnan(v) else Style()
            if (i, j) in marked:
                style += Style(bold=True, reverse=not colour, underline=colour, bgcolor="yellow" if colour else None, color="black" if colour else None)
            if current == (i, j):
                style += Style(bold=True, underline=True)
            text.stylize(style)
            cells.append(text)
        table.add_row(*cells)
    return table


def labelled(label: str, body: RenderableType) -> Group:
    return Group(Text(label, style="bold"), body)


def plot(
    series: Sequence[tuple[str, Sequence[float], Sequence[float]]],
    width: int,
    height: int,
    title: str = "",
    xlabel: str = "",
    ylabel: str = "",
    hlines: Sequence[tuple[float, str]] = (),
    ylog: bool = False,
) -> Text:
    """A line plot drawn by plotext, as a Rich Text, so the app and replay draw it alike.

    series: (label, xs, ys); non-finite points are dropped. hlines: (y, label) reference lines.
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
    for label, xs, ys in series:
        pts = [(float(x), float(y)) for x, y in zip(xs, ys) if math.isfinite(float(y)) and (not ylog or float(y) > 0)]
        if pts:
            any_points = True
            plt.plot([p[0] for p in pts], [p[1] for p in pts], label=label or None, marker="braille")
    for y, label in hlines:
        plt.hline(y)
        if label:
            plt.text(label, x=0, y=y)
    if not any_points:
        plt.plot([0], [0])
    out = plt.build()
    plt.clf()
    return Text.from_ansi(out)
