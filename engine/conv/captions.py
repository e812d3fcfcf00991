"""What each convolution frame says, in the lecture's own terms."""

from __future__ import annotations

import numpy as np

from ..core.fmt import factor, num
from .config import ConvConfig

CAPTION_TERMS = 32  # past this many products a caption shows the first few and the sum


def intro(cfg: ConvConfig, note: str) -> str:
    """Frame 0: the output-size formula with the numbers substituted, and what the mode does."""
    transposed = cfg.kind == "transposed"
    axes = (("L", cfg.cols),) if cfg.dims == 1 else (("H", cfg.rows), ("W", cfg.cols))
    parts = [ax.formula(label, transposed) for label, ax in axes]
    if not transposed:
        for label, ax in axes:
            lost = ax.uncovered()
            if lost:
                noun = {"H": "rows", "W": "columns", "L": "positions"}[label]
                parts.append(f"input {noun} {listed(lost)} never covered")
    if cfg.kind == "pool":
        what = "max" if cfg.pool == "max" else "average"
        parts.append(f"{what} pooling {cfg.rows.k}×{cfg.cols.k}: 0 parameters (nothing is learned; "
                     f"it only {'compares' if what == 'max' else 'averages'} the values in each window)")
    elif cfg.flip:
        parts.append("kernel flipped (true convolution; F.conv2d does not flip, so the flip makes them agree)")
    else:
        parts.append("kernel used as is (cross-correlation, what F.conv2d computes)")
    text = "; ".join(parts)
    note = note.strip()
    return f"{text}. {note}" if note else text


def cell(cfg: ConvConfig, name: str, window: np.ndarray, kernel: np.ndarray | None, terms: np.ndarray,
         total: float, bias: float) -> str:
    """One output cell: the products and their sum (or the max / the mean of the window)."""
    if cfg.pool == "max":
        return f"{name} = max({', '.join(num(v) for v in window)}) = {num(total)}"
    if cfg.pool == "avg":
        return f"{name} = ({' + '.join(num(v) for v in window)})/{len(window)} = {num(total)}"
    n = len(window)
    shown = 6 if n > CAPTION_TERMS else n  # only the products the caption writes are formatted
    body = " + ".join(f"{factor(a)}·{factor(b)}" for a, b in zip(window[:shown], kernel.reshape(-1)[:shown]))
    if n > CAPTION_TERMS:
        body += f" + … ({n} products, Σ = {num(terms.sum())})"
    if cfg.has_bias:
        body += f" + {factor(bias)}"
    return f"{name} = {body} = {num(total)}"


def scattered(cfg: ConvConfig, cell: list[int], value: float, rows: list[int], cols: list[int], most: int,
              channels: int) -> str:
    """One transposed-convolution step: an input cell times the kernel, added into the output."""
    if not rows or not cols:
        where = "nowhere inside the output (all cropped by the padding)"
    else:
        where = f"y[{span(cols)}]" if cfg.dims == 1 else f"y[{span(rows)}, {span(cols)}]"
    at = ", ".join(map(str, cell[1:] if channels == 1 else cell))
    return (f"x[{at}] = {num(value)} scattered into {where}: each cell += {factor(value)}·k; "
            f"the most-hit output cell has {most} contribution(s) so far")


def complete(diff: float, nan_cells: int = 0) -> str:
    unknown = f"; NaN on both sides in {nan_cells} cells (∞ − ∞ after an overflow), not compared" if nan_cells else ""
    return f"  (output complete; largest difference from torch: {num(diff)}{unknown})"


def span(xs: list[int]) -> str:
    return str(xs[0]) if len(xs) == 1 else f"{xs[0]}..{xs[-1]}"


def listed(xs: list[int]) -> str:
    if len(xs) > 6:
        return ", ".join(map(str, xs[:5])) + f", … ({len(xs)} in all)"
    return ", ".join(map(str, xs))
