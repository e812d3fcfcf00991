"""The convolution arithmetic as pure functions on numpy arrays.

Everything is 2-D: a 1-D signal is a picture one row high. Arrays are (C, H, W) inputs
and (F, C, kh, kw) kernels; `idx` are flat output cells in (f, r, c) order. The
output is computed a whole filter at a time (`filter_output`), and every frame reads it, so a
frame shows the same numbers whether it was stepped to or jumped to.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from ..core.fmt import num


@dataclass(frozen=True)
class Axis:
    """Geometry along one axis (rows or columns)."""

    n: int  # input size
    k: int  # kernel / window size
    s: int = 1
    p: int = 0
    d: int = 1
    op: int = 0  # output_padding (transposed)

    @property
    def span(self) -> int:
        """The dilated kernel: F becomes D·(F − 1) + 1."""
        return self.d * (self.k - 1) + 1

    def out(self, transposed: bool = False) -> int:
        if transposed:
            return (self.n - 1) * self.s - 2 * self.p + self.d * (self.k - 1) + self.op + 1
        return (self.n - self.span + 2 * self.p) // self.s + 1

    def formula(self, label: str, transposed: bool = False) -> str:
        if transposed:
            return (f"{label}_out = ({self.n} − 1)·{self.s} − 2·{self.p} + {self.d}·({self.k} − 1) + {self.op} + 1"
                    f" = {self.out(True)}")
        exact = (self.n - self.span + 2 * self.p) / self.s + 1
        floor = "" if exact == self.out() else f" → floor {self.out()}"
        return f"{label}_out = ({self.n} − {self.span} + 2·{self.p})/{self.s} + 1 = {num(exact)}{floor}"

    def uncovered(self) -> list[int]:
        """Input positions (unpadded) that no window ever reads: lost to the floor or between dilated taps."""
        touched = {o * self.s + self.d * a for o in range(self.out()) for a in range(self.k)}
        return [i for i in range(self.n) if i + self.p not in touched]


def window_index(idx: np.ndarray, out: tuple[int, int, int], rows: Axis, cols: Axis):
    """For output cells `idx` (flat in `out` = (F, H, W)): the filter, and the padded rows
    (N, kh) and columns (N, kw) each window reads."""
    f, r, c = np.unravel_index(idx, out)
    rr = r[:, None] * rows.s + rows.d * np.arange(rows.k)  # (N, kh)
    cc = c[:, None] * cols.s + cols.d * np.arange(cols.k)  # (N, kw)
    return f, rr, cc


def window_view(padded: np.ndarray, rows: Axis, cols: Axis) -> np.ndarray:
    """Every window of the padded input as one view, no copy: (C, H_out, W_out, kh, kw)."""
    view = sliding_window_view(padded, (rows.span, cols.span), axis=(1, 2))
    return view[:, ::rows.s, ::cols.s, ::rows.d, ::cols.d]


def windows(padded: np.ndarray, idx: np.ndarray, out: tuple[int, int, int], rows: Axis, cols: Axis,
            pool: bool) -> np.ndarray:
    """The padded input under each window: (N, C, kh, kw), contiguous; pooling reads only its own channel."""
    f, r, c = np.unravel_index(idx, out)
    # Two index arrays gather the cells' windows from the view in one pass.
    view = window_view(padded, rows, cols).transpose(1, 2, 0, 3, 4)
    return view[r, c, f][:, None] if pool else view[r, c]


def terms(padded: np.ndarray, k_used: np.ndarray | None, idx: np.ndarray, out: tuple[int, int, int],
          rows: Axis, cols: Axis) -> np.ndarray:
    """What is summed (or compared) for each cell, flattened and contiguous: (N, C·kh·kw)."""
    win = windows(padded, idx, out, rows, cols, pool=k_used is None)
    if k_used is not None:
        # Cells come in (f, r, c) order: each filter's cells are one run, multiplied in place.
        f = np.unravel_index(idx, out)[0]
        starts = np.flatnonzero(np.diff(f)) + 1
        for a, b in zip([0, *starts], [*starts, len(idx)]):
            win[a:b] *= k_used[f[a]]
    return np.ascontiguousarray(win.reshape(len(idx), -1))


def filter_output(padded: np.ndarray, k_used: np.ndarray | None, bias: np.ndarray, rows: Axis, cols: Axis,
                  f: int, pool: str) -> np.ndarray:
    """One filter's whole output grid (H_out, W_out) in one pass over the window view: what
    F.conv2d (or the pool) computes for filter (channel) f. No window is copied: einsum walks
    the strided view, so memory stays one output grid however large the window."""
    view = window_view(padded, rows, cols)
    if pool == "max":
        return view[f].max(axis=(2, 3))
    if pool == "avg":
        return view[f].sum(axis=(2, 3)) / (rows.k * cols.k)
    return np.einsum("chwab,cab->hw", view, k_used[f]) + bias[f]


def scatter(x: np.ndarray, k_used: np.ndarray, bias: np.ndarray, rows: Axis, cols: Axis, t: int,
            out_hw: tuple[int, int]) -> tuple[np.ndarray, np.ndarray]:
    """Transposed convolution: output and hit counts after scattering the first `t` input
    cells (in (c, i, j) order), cropped by the padding to `out_hw`."""
    C, H, W = x.shape
    F = k_used.shape[0]
    mask = (np.arange(x.size) < t).reshape(C, H, W)
    xm = np.where(mask, x, 0.0)
    full_h, full_w = (H - 1) * rows.s + rows.span + rows.op, (W - 1) * cols.s + cols.span + cols.op
    full = np.zeros((F, full_h, full_w))
    hits = np.zeros((full_h, full_w), dtype=np.int64)
    seen = mask.any(axis=0)
    for a in range(rows.k):
        for b in range(cols.k):
            rs = slice(a * rows.d, a * rows.d + (H - 1) * rows.s + 1, rows.s)
            cs = slice(b * cols.d, b * cols.d + (W - 1) * cols.s + 1, cols.s)
            full[:, rs, cs] += np.einsum("fc,chw->fhw", k_used[:, :, a, b], xm)
            hits[rs, cs] += seen
    crop = (slice(None), slice(rows.p, rows.p + out_hw[0]), slice(cols.p, cols.p + out_hw[1]))
    return full[crop] + bias[:, None, None], hits[crop[1:]]


def reference(x: np.ndarray, k_used: np.ndarray | None, bias: np.ndarray, rows: Axis, cols: Axis,
              kind: str, pool: str) -> tuple[str, np.ndarray]:
    """torch on the same numbers, (F, H, W), and the name of what was called: F.conv2d /
    conv_transpose2d (kernel pre-flipped in convolution mode) or max_pool2d / avg_pool2d."""
    import torch
    import torch.nn.functional as F

    t = torch.from_numpy(x[None].copy())
    stride, padding, dilation = (rows.s, cols.s), (rows.p, cols.p), (rows.d, cols.d)
    if kind == "pool":
        if pool == "max":
            return "F.max_pool2d", F.max_pool2d(t, (rows.k, cols.k), stride, padding, dilation)[0].numpy()
        return "F.avg_pool2d", F.avg_pool2d(t, (rows.k, cols.k), stride, padding)[0].numpy()
    k = torch.from_numpy(np.ascontiguousarray(k_used))
    b = torch.from_numpy(bias.copy())  # torch wants a writable array; the lab's are shared, read-only
    if kind == "transposed":
        out = F.conv_transpose2d(t, k.transpose(0, 1), b, stride, padding, (rows.op, cols.op), 1, dilation)
        return "F.conv_transpose2d", out[0].numpy()
    return "F.conv2d", F.conv2d(t, k, b, stride=stride, padding=padding, dilation=dilation)[0].numpy()
