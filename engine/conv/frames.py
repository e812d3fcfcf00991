"""A convolution frame's values, built from the lab's write-once state when it is shown.

A frame holds the whole input and kernel only while they stay small; beyond that it holds
the window's neighbourhood and the current filter, so the JSON stays readable.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from ..core.frame import Frame
from . import captions
from . import math as cm

if TYPE_CHECKING:
    from .lab import ConvLab

SMALL = 4096
CROP_MARGIN = 3


def cell_frame(lab: ConvLab, index: int) -> Frame:
    """Conv and pooling: output cell `index − 1` has just been written."""
    cfg = lab.cfg
    output = lab.buffer.copy().reshape(-1)
    output[index:] = np.nan
    values: dict[str, Any] = {**static(lab), "output": shaped(lab, output.reshape(cfg.out_shape))}
    if index == 0:
        values.update({"cell": None, "products": [], "sum": None, "window": None, **crop(lab, None)})
        return Frame(0, captions.intro(cfg, lab.params["note"]), values, {})
    t = np.array([index - 1])
    f, rows, cols = (a[0] for a in cm.window_index(t, cfg.out_shape, cfg.rows, cfg.cols))
    r, c = np.unravel_index(index - 1, cfg.out_shape)[1:]
    terms = cm.terms(lab.padded, lab.k_used, t, cfg.out_shape, cfg.rows, cfg.cols)[0]
    total = float(lab.buffer.reshape(-1)[index - 1])
    cell = [int(f), int(c)] if cfg.dims == 1 else [int(f), int(r), int(c)]
    window = cm.windows(lab.padded, t, cfg.out_shape, cfg.rows, cfg.cols, cfg.kind == "pool")[0]
    kernel = None if lab.k_used is None else lab.k_used[f]
    values.update({"cell": cell, "products": terms, "sum": total, "window": shaped_window(lab, window),
                   **crop(lab, (rows, cols)), "kernel_cell": None if kernel is None else shaped_window(lab, kernel)})
    name = "y[" + ",".join(map(str, cell if cfg.filters > 1 else cell[1:])) + "]"
    caption = captions.cell(cfg, name, window.reshape(-1), kernel, terms, total, float(lab.bias[f]))
    if cfg.pool == "max":
        values["winner"] = int(np.argmax(terms))
    if index == cfg.steps:
        caption += finished(lab, values)
    return Frame(index, caption, values, {"rows": rows, "cols": cols, "cell": cell})


def scatter_frame(lab: ConvLab, index: int) -> Frame:
    """Transposed convolution: input cell `index − 1` has just been scattered."""
    cfg = lab.cfg
    H, W = cfg.out_hw
    output, hits = cm.scatter(lab.x, lab.k_used, lab.bias, cfg.rows, cfg.cols, index, cfg.out_hw)
    # Cells no scatter has reached yet are not computed; at the end every cell is (bias only, if never hit).
    shown = output if index == cfg.steps else np.where(hits > 0, output, np.nan)
    values: dict[str, Any] = {**static(lab), "output": shaped(lab, shown), "hits": hits[0] if cfg.dims == 1 else hits}
    if index == 0:
        values.update({"cell": None, "products": [], "sum": None})
        return Frame(0, captions.intro(cfg, lab.params["note"]), values, {})
    ch, i, j = (int(v) for v in np.unravel_index(index - 1, lab.x.shape))
    v = float(lab.x[ch, i, j])
    prods = v * lab.k_used[:, ch]  # (F, kh, kw): what lands in each output cell
    r0, c0 = i * cfg.rows.s - cfg.rows.p, j * cfg.cols.s - cfg.cols.p
    inside_r = [r for r in (r0 + cfg.rows.d * a for a in range(cfg.rows.k)) if 0 <= r < H]
    inside_c = [c for c in (c0 + cfg.cols.d * b for b in range(cfg.cols.k)) if 0 <= c < W]
    cell = [ch, j] if cfg.dims == 1 else [ch, i, j]
    caption = captions.scattered(cfg, cell, v, inside_r, inside_c, int(hits.max()), lab.x.shape[0])
    values.update({"cell": cell, "products": prods.reshape(-1), "sum": None,
                   "kernel_cell": shaped_window(lab, lab.k_used[:, ch])})
    if index == cfg.steps:
        caption += finished(lab, values)
    return Frame(index, caption, values, {"rows": inside_r, "cols": inside_c, "cell": cell})


def finished(lab: ConvLab, values: dict[str, Any]) -> str:
    """The last frame carries the cross-check against torch."""
    check = lab.check_record()
    values["check"] = check
    values["torch_max_diff"] = check["max_diff"]  # the JSON key of earlier releases, kept one more
    return captions.complete(check["max_diff"], check.get("nan_cells", 0))


def shaped(lab: ConvLab, out: np.ndarray) -> np.ndarray:
    """(F, H, W) → the contract's shape: [F, H, W], or [F, L] in 1-D."""
    return out[:, 0, :] if lab.cfg.dims == 1 else out


def shaped_window(lab: ConvLab, w: np.ndarray) -> np.ndarray:
    """(…, kh, kw) → the same, or (…, k) in 1-D."""
    return w[..., 0, :] if lab.cfg.dims == 1 else w


def static(lab: ConvLab) -> dict[str, Any]:
    """What every frame needs to draw itself, small enough to repeat per frame."""
    cfg, p = lab.cfg, lab.params
    values: dict[str, Any] = {
        "kind": cfg.kind, "dims": cfg.dims, "mode": p["mode"], "pool": p["pool"],
        "input_shape": list(shaped_window(lab, lab.x).shape),
        "out_shape": [cfg.filters, cfg.out_hw[1]] if cfg.dims == 1 else list(cfg.out_shape),
        "stride": p["stride"], "padding": p["padding"], "dilation": p["dilation"],
    }
    if lab.x.size <= SMALL:
        values["input"] = shaped_window(lab, lab.x)
    if lab.k is not None:
        values["kernel_shape"] = list(shaped_window(lab, lab.k[0]).shape)
        values["bias"] = lab.bias if cfg.has_bias else None
        if lab.k.size <= SMALL:
            values["kernel"] = shaped_window(lab, lab.k)
            values["kernel_used"] = shaped_window(lab, lab.k_used)
    if p["image"]:
        values["image"] = lab.x[0]
        values["display"] = lab.display
    return values


def crop(lab: ConvLab, window: tuple[np.ndarray, np.ndarray] | None) -> dict[str, Any]:
    """The padded input around the window (all of it while small), with its origin."""
    cfg, padded = lab.cfg, lab.padded
    C, Hp, Wp = padded.shape
    if padded.size <= SMALL:
        r0, r1, c0, c1 = 0, Hp, 0, Wp
    else:
        rows, cols = window if window is not None else (np.arange(cfg.rows.k) * cfg.rows.d,
                                                        np.arange(cfg.cols.k) * cfg.cols.d)
        r0, r1 = max(0, int(rows[0]) - CROP_MARGIN), min(Hp, int(rows[-1]) + CROP_MARGIN + 1)
        c0, c1 = max(0, int(cols[0]) - CROP_MARGIN), min(Wp, int(cols[-1]) + CROP_MARGIN + 1)
    part = padded[:, r0:r1, c0:c1]
    return {"padded": part[:, 0, :] if cfg.dims == 1 else part,
            "padded_origin": [c0] if cfg.dims == 1 else [r0, c0],
            "padded_shape": [C, Wp] if cfg.dims == 1 else [C, Hp, Wp]}
