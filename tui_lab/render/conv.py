"""Convolution frames: padded input with the window, the kernel in use, the products, the output."""

from __future__ import annotations

import numpy as np
from rich.columns import Columns
from rich.console import Group, RenderableType
from rich.text import Text

from engine.fmt import num
from engine.frame import Frame

from .common import grid


def render(frame: Frame, width: int, view: dict) -> RenderableType:
    v = frame.values
    padded = np.asarray(v["padded"])
    kernel_used = np.asarray(v["kernel_used"])
    output = np.asarray(v["output"])
    cell = v["cell"]
    f = cell[0] if cell is not None else 0
    marked: list[tuple[int, int]] = []
    if cell is not None and "rows" in frame.highlight:
        marked = [(int(r), int(c)) for r in frame.highlight["rows"] for c in frame.highlight["cols"]]
    panels: list[RenderableType] = []
    for ch in range(padded.shape[0]):
        title = "padded input" + (f" ch {ch}" if padded.shape[0] > 1 else "")
        panels.append(grid(padded[ch], title, marked))
    kname = "kernel (flipped)" if v["mode"] == "convolution" else "kernel"
    for ch in range(kernel_used.shape[1]):
        title = kname + (f" f{f} ch {ch}" if kernel_used.shape[1] > 1 or kernel_used.shape[0] > 1 else "")
        panels.append(grid(kernel_used[f, ch], title))
    if cell is not None:
        prods = np.asarray(v["products"]).reshape(kernel_used.shape[1:])
        for ch in range(prods.shape[0]):
            panels.append(grid(prods[ch], "products" + (f" ch {ch}" if prods.shape[0] > 1 else "")))
    for fi in range(output.shape[0]):
        title = "output" + (f" f{fi}" if output.shape[0] > 1 else "")
        current = (int(cell[1]), int(cell[2])) if cell is not None and fi == f else None
        panels.append(grid(output[fi], title, current=current))
    parts: list[RenderableType] = [Columns(panels, padding=(1, 3))]
    if cell is not None:
        parts.append(Text(f"sum = {num(v['sum'])}", style="bold"))
    if "torch_max_diff" in v:
        ok = v["torch_max_diff"] <= 1e-9
        parts.append(Text(("✓ matches" if ok else "✗ differs from") + f" torch F.conv2d (largest difference {num(v['torch_max_diff'])})",
                          style="green" if ok else "red"))
    return Group(*parts)
