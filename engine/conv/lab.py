"""Convolution arithmetic, one output cell per step (pooling too; transposed convolution as a scatter).

The lecture's worked example is a true convolution: the kernel is flipped before it
slides, so y[m, n] = Σ x[i, j]·h[m − i, n − j]. Deep-learning libraries compute the
cross-correlation (no flip); with mode = "convolution" this lab flips the kernel and
then does exactly what F.conv2d does, so the two can be compared number for number.

Everything is computed as 2-D: a 1-D signal is a picture one row high, so one code
path serves both. Frames are lazy (`CellFrame`): a step writes one cell into a
write-once output buffer, and a frame is drawn from that buffer (masked to the cells
written before it) only when it is shown or serialized. So stepping a 96×55×55 output
costs O(one window) per step, not O(output), and `finish()` fills the rest of the
buffer with one vectorized computation that adds in the same order as a step does.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any, Iterator

import numpy as np

from . import image as conv_image
from ..core.check import max_diff
from ..core.fmt import factor, num
from ..core.frame import Frame
from ..core.lab import Lab
from ..core.params import Param, ParamError

PARAMS = (
    Param("input", "tensor", [[1, 2, 3], [4, 5, 6], [7, 8, 9]],
          "the input: [H][W] or [C][H][W]; with dims = 1, [L] or [C][L]",
          ndims=(1, 2, 3), shapes={1: "[L]", 2: "[H][W] or [C][L]", 3: "[C][H][W]"}),
    Param("kernel", "tensor", [[-1, -2, -1], [0, 0, 0], [1, 2, 1]],
          "the kernel: [kh][kw] or [F][C][kh][kw]; with dims = 1, [k] or [F][C][k]",
          ndims=(1, 2, 3, 4), shapes={1: "[k]", 2: "[kh][kw]", 3: "[F][C][k]", 4: "[F][C][kh][kw]"}),
    Param("bias", "floats", [], "one bias per filter, [F]; empty = no bias"),
    Param("stride", "int", 1, "step between windows", min=1, max=64),
    Param("padding", "int", 0, "zeros added on every side", min=0, max=64),
    Param("dilation", "int", 1, "spacing between kernel taps", min=1, max=16),
    Param("mode", "choice", "convolution", "flip the kernel (convolution) or not (cross-correlation)",
          choices=("convolution", "cross-correlation")),
    Param("dims", "int", 2, "2 = images (rows and columns), 1 = sequences", min=1, max=2),
    Param("transposed", "bool", False, "transposed convolution: each input cell is scattered into the output"),
    Param("output_padding", "int", 0, "transposed only: extra rows/columns at the far end", min=0, max=63),
    Param("pool", "choice", "none", "pooling instead of a kernel: max or average over each window",
          choices=("none", "max", "avg")),
    Param("size", "int", 2, "pooling window size", min=1, max=64),
    Param("image", "path", "", "an image as the input: " + ", ".join(conv_image.BUILTIN) + ", or a PNG/JPEG path"),
    Param("image_width", "int", 32, "pixels across the image (resized to fit)", min=4, max=160),
    Param("filter", "choice", "none", "a named kernel from the lecture, used instead of `kernel`",
          choices=("none",) + tuple(conv_image.filters())),
    Param("random_input", "ints", [], "shape of a seeded random input of digits 0..9, [C, H, W] (1-D: [C, L])",
          min=1, max=1024),
    Param("random_kernel", "ints", [], "shape of a seeded random kernel of −1, 0, 1, [F, C, kh, kw] (1-D: [F, C, k])",
          min=1, max=256),
    Param("note", "str", "", "a sentence added to frame 0's caption (e.g. why a scenario shows only some filters)"),
)

# Frames carry the whole input/kernel only while they stay small; beyond that a frame
# carries the window's neighbourhood and the current filter (the JSON stays readable).
SMALL = 4096
CROP_MARGIN = 3
MAX_CELLS = 4_000_000
CAPTION_TERMS = 32


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


@dataclass(frozen=True)
class Setup:
    """Validated params turned into arrays: everything 2-D, (C, H, W) and (F, C, kh, kw)."""

    x: np.ndarray
    k: np.ndarray | None  # None when pooling
    rows: Axis
    cols: Axis
    kind: str  # conv | transposed | pool
    display: str = "clip"


def _depth_error(key: str, dims: int, shape: tuple[int, ...], forms: str) -> ParamError:
    return ParamError(key, f"expected a list shaped {forms} with dims = {dims}, got shape {list(shape)}")


def _input(p: dict[str, Any], rng: np.random.Generator) -> np.ndarray:
    """The input as (C, H, W); a 1-D signal becomes (C, 1, L)."""
    dims = p["dims"]
    if p["image"]:
        if dims != 2:
            raise ParamError("params.image", "an image needs dims = 2")
        return conv_image.picture(p["image"], p["image_width"])[None]
    if p["random_input"]:
        shape = tuple(p["random_input"])
        if len(shape) not in ((2, 3) if dims == 2 else (1, 2)):
            raise _depth_error("params.random_input", dims, shape, "[H, W] or [C, H, W]" if dims == 2 else "[L] or [C, L]")
        if int(np.prod(shape)) > 4_000_000:
            raise ParamError("params.random_input", f"{int(np.prod(shape)):,} values is too many; at most 4,000,000")
        x = rng.integers(0, 10, size=shape).astype(np.float64)
    else:
        x = np.asarray(p["input"], dtype=np.float64)
    if dims == 2:
        if x.ndim not in (2, 3):
            raise _depth_error("params.input", 2, x.shape, "[H][W] or [C][H][W]")
        return x[None] if x.ndim == 2 else x
    if x.ndim not in (1, 2):
        raise _depth_error("params.input", 1, x.shape, "[L] or [C][L]")
    x = x[None] if x.ndim == 1 else x
    return x[:, None, :]


def _kernel(p: dict[str, Any], rng: np.random.Generator) -> np.ndarray:
    """The kernel as (F, C, kh, kw); a 1-D kernel becomes (F, C, 1, k)."""
    dims = p["dims"]
    if p["filter"] != "none":
        if dims != 2:
            raise ParamError("params.filter", "the named filters are 2-D; use dims = 2")
        return conv_image.filters()[p["filter"]][None, None]
    if p["random_kernel"]:
        shape = tuple(p["random_kernel"])
        if len(shape) != (4 if dims == 2 else 3):
            raise _depth_error("params.random_kernel", dims, shape, "[F, C, kh, kw]" if dims == 2 else "[F, C, k]")
        k = rng.integers(-1, 2, size=shape).astype(np.float64)
    else:
        k = np.asarray(p["kernel"], dtype=np.float64)
    if dims == 2:
        if k.ndim not in (2, 4):
            raise _depth_error("params.kernel", 2, k.shape, "[kh][kw] or [F][C][kh][kw]")
        return k[None, None] if k.ndim == 2 else k
    if k.ndim not in (1, 3):
        raise _depth_error("params.kernel", 1, k.shape, "[k] or [F][C][k]")
    k = k[None, None] if k.ndim == 1 else k
    return k[:, :, None, :]


def setup(p: dict[str, Any], seed: int = 0) -> Setup:
    """All the cross-field rules, in one place; ParamError names the key."""
    rng = np.random.default_rng(seed)
    x = _input(p, rng)
    dims = p["dims"]
    pooling = p["pool"] != "none"
    if pooling and p["transposed"]:
        raise ParamError("params.transposed", 'pooling has no transposed form here; use pool = "none" or transposed = false')
    if p["output_padding"] and not p["transposed"]:
        raise ParamError("params.output_padding", "only a transposed convolution has an output padding; set transposed = true")
    if pooling:
        if p["bias"]:
            raise ParamError("params.bias", "pooling has no bias: it has 0 parameters (it only compares or averages)")
        if p["pool"] == "avg" and p["dilation"] != 1:
            raise ParamError("params.dilation", "average pooling has no dilation (as in torch's avg_pool2d); use 1")
        kh, kw = (1 if dims == 1 else p["size"]), p["size"]
        k = None
    else:
        k = _kernel(p, rng)
        if k.shape[1] != x.shape[0]:
            raise ParamError("params.kernel", f"kernel has {k.shape[1]} input channel(s) but the input has {x.shape[0]}; "
                             "shape the kernel [F][C][kh][kw] with C = the input's channels")
        if p["bias"] and len(p["bias"]) != k.shape[0]:
            raise ParamError("params.bias", f"expected {k.shape[0]} value(s), one per filter, got {len(p['bias'])}")
        kh, kw = k.shape[2:]
    row_geo = (1, 0, 1, 0) if dims == 1 else (p["stride"], p["padding"], p["dilation"], p["output_padding"])
    rows = Axis(x.shape[1], kh, *row_geo)
    cols = Axis(x.shape[2], kw, p["stride"], p["padding"], p["dilation"], p["output_padding"])
    labels = (("length", cols),) if dims == 1 else (("height", rows), ("width", cols))
    kind = "pool" if pooling else "transposed" if p["transposed"] else "conv"
    for label, ax in labels:
        if kind == "transposed":
            if ax.op >= max(ax.s, ax.d):
                raise ParamError("params.output_padding", f"output_padding {ax.op} must be smaller than the stride "
                                 f"({ax.s}) or the dilation ({ax.d})")
            if ax.out(True) < 1:
                raise ParamError("params.padding", f"padding {ax.p} leaves no output {label}: "
                                 f"{ax.formula(label[0].upper(), True)}")
            continue
        if pooling and 2 * ax.p > ax.k:
            raise ParamError("params.padding", f"padding {ax.p} is more than half the pooling window {ax.k}; "
                             f"at most {ax.k // 2}")
        if ax.span > ax.n + 2 * ax.p:
            key = "params.size" if pooling else "params.kernel"
            what = "pooling window" if pooling else "kernel"
            raise ParamError(key, f"{what} {label} {ax.span} (dilated) is larger than the padded input {label} "
                             f"{ax.n} + 2·{ax.p} = {ax.n + 2 * ax.p}")
    if kind == "transposed":
        # Each step scatters one input cell, but every frame holds the whole output: bound both,
        # and the uncropped scatter buffer (the output plus the padding cropped off each side).
        F = k.shape[0]
        h_out, w_out = rows.out(True), cols.out(True)
        full = F * (h_out + 2 * rows.p) * (w_out + 2 * cols.p)
        if x.size > MAX_CELLS:
            raise ParamError("params.input", f"{x.size:,} steps is too many for one lab; at most {MAX_CELLS:,}")
        if F * h_out * w_out > MAX_CELLS or full > MAX_CELLS:
            shape = f"{w_out}" if dims == 1 else f"{h_out}×{w_out}"
            raise ParamError("params.stride" if max(rows.s, cols.s) > 1 else "params.input",
                             f"the transposed output {F}×{shape} (before cropping the padding: {full:,} cells) is "
                             f"too large for one lab; at most {MAX_CELLS:,} cells: use a smaller stride, kernel or input")
    else:
        cells = (x.shape[0] if pooling else k.shape[0]) * rows.out() * cols.out()
        if cells > MAX_CELLS:
            raise ParamError("params.input", f"{cells:,} steps is too many for one lab; at most {MAX_CELLS:,}")
    display = conv_image.DISPLAY.get(p["filter"], "clip" if k is None or abs(k.sum() - 1) < 1e-9 else "abs")
    return Setup(x, k, rows, cols, kind, display)


class CellFrame(Frame):
    """A frame drawn on demand from its lab's write-once state; reads like any Frame.

    Its caption, values and highlight are built (and frozen) when first read, from cells
    that never change once written, so the same frame always shows the same numbers.
    """

    def __init__(self, index: int, lab: "ConvLab") -> None:  # noqa: D107 - no dataclass fields stored
        object.__setattr__(self, "index", index)
        object.__setattr__(self, "_lab", lab)

    def _built(self) -> Frame:
        return self._lab.materialize(self.index)

    caption = property(lambda self: self._built().caption)  # type: ignore[assignment]
    values = property(lambda self: self._built().values)  # type: ignore[assignment]
    highlight = property(lambda self: self._built().highlight)  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"CellFrame(index={self.index}, lab={self._lab.name})"


class ConvLab(Lab):
    name = "conv"
    title = "Convolution arithmetic"
    help = """\
## Convolution, one output cell per step

Each step computes **one output cell**: the window on the zero-padded input (marked
`[ ]`), the kernel in use, every elementwise product, their sum plus the bias, and the
value written into the output (marked `{ }`).

**Convolution vs cross-correlation.** The lecture's worked example is a true
convolution, y[m,n] = Σ x[i,j]·h[m−i, n−j]: the kernel is **flipped** (rows and
columns reversed) before it slides. Deep-learning libraries (F.conv2d) compute the
cross-correlation, with no flip. For a symmetric kernel they agree; for Sobel they
differ in sign, because flipping it turns it upside down.

**Output size:** (W − F + 2P)/S + 1, where F becomes D·(F − 1) + 1 with dilation D.
When it is not a whole number the lab takes the floor and names the input rows or
columns no window ever reads.

**Transposed convolution** steps the other way round: each *input* cell is scattered,
multiplied by the whole kernel, into the output, and overlapping scatters add up.
When the kernel size is not a multiple of the stride, some output cells receive more
contributions than their neighbours: the checkerboard (the `hits` grid).
Output size: (i − 1)·s − 2p + d·(k − 1) + output_padding + 1.

**Pooling** slides a window the same way but has **0 parameters**: max pooling keeps
the largest value (marked `( )`), average pooling the mean.

**Keys here:** `f` finishes the rest in one vectorized computation; `c` shows the next
channel when the input is too wide to show every channel; `v` switches the image
view between pictures and numbers.
"""
    PARAMS = PARAMS

    @classmethod
    def check(cls, params: dict[str, Any]) -> None:
        setup(params)

    def __init__(self, params: dict[str, Any], *, seed: int = 0, device: str = "cpu") -> None:
        super().__init__(params, seed=seed, device=device)
        self.setup = s = setup(params, seed)
        self.kind, self.dims = s.kind, params["dims"]
        self.x, self.rows, self.cols = s.x, s.rows, s.cols
        self.flip = params["mode"] == "convolution" and s.kind != "pool"
        self.k = s.k
        self.k_used = None if s.k is None else (s.k[:, :, ::-1, ::-1] if self.flip else s.k).copy()
        transposed = s.kind == "transposed"
        self.F = s.x.shape[0] if s.kind == "pool" else s.k.shape[0]
        self.H, self.W = s.rows.out(transposed), s.cols.out(transposed)
        self.has_bias = bool(params["bias"])
        self.bias = np.asarray(params["bias"] or [0.0] * self.F, dtype=np.float64)
        pad_value = -np.inf if params["pool"] == "max" else 0.0
        self.padded = np.pad(s.x, ((0, 0), (s.rows.p, s.rows.p), (s.cols.p, s.cols.p)), constant_values=pad_value)
        if transposed:
            self.padded = s.x  # nothing is padded: the padding crops the scattered output instead
        # The write-once buffer (conv, pool): cells in (f, r, c) order, `count` of them written.
        self.buffer = np.full((self.F, self.H, self.W), np.nan)
        self.count = 0
        self.steps = s.x.size if transposed else self.buffer.size
        self._cache: OrderedDict[int, Frame] = OrderedDict()
        self._lock = threading.RLock()
        self._torch_diff: float | None = None

    # --- stepping -------------------------------------------------------------
    def length(self) -> int:
        return 1 + self.steps

    def frames(self) -> Iterator[Frame]:
        yield CellFrame(0, self)
        for t in range(self.steps):
            if self.kind != "transposed" and t >= self.count:
                self._fill(t, t + 1)
            yield CellFrame(t + 1, self)

    def finish(self) -> list[Frame]:
        if self.kind != "transposed":
            self._fill(self.count, self.steps)
        return [CellFrame(i, self) for i in range(self.length())]

    def _fill(self, start: int, stop: int) -> None:
        """Write cells start..stop−1 (in (f, r, c) order), a chunk at a time to bound memory."""
        n = int(np.prod(self.window_shape()))
        chunk = max(1, (1 << 21) // n)
        flat = self.buffer.reshape(-1)
        with np.errstate(all="ignore"):  # overflow to ±∞ is shown as ∞, as torch computes it
            self._fill_chunks(flat, start, stop, chunk)
        with self._lock:
            self.count = max(self.count, stop)

    def _fill_chunks(self, flat: np.ndarray, start: int, stop: int, chunk: int) -> None:
        for a in range(start, stop, chunk):
            idx = np.arange(a, min(stop, a + chunk))
            flat[idx] = self.cell_values(idx)

    def window_shape(self) -> tuple[int, ...]:
        """(C, kh, kw) for a convolution, (1, size, size) for pooling (one channel at a time)."""
        if self.kind == "pool":
            return (1, self.rows.k, self.cols.k)
        return self.k.shape[1:]

    def window_index(self, idx: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """For output cells `idx` (flat): filter, and the padded rows (N, kh) and columns (N, kw) read."""
        f, r, c = np.unravel_index(idx, (self.F, self.H, self.W))
        rows = r[:, None] * self.rows.s + self.rows.d * np.arange(self.rows.k)  # (N, kh)
        cols = c[:, None] * self.cols.s + self.cols.d * np.arange(self.cols.k)  # (N, kw)
        return f, rows, cols

    def windows(self, idx: np.ndarray) -> np.ndarray:
        """The padded input under each window: (N, C, kh, kw), C-contiguous."""
        f, rows, cols = self.window_index(idx)
        if self.kind == "pool":
            chans = f[:, None, None, None]  # pooling reads only its own channel
        else:
            chans = np.arange(self.padded.shape[0])[None, :, None, None]
        return self.padded[chans, rows[:, None, :, None], cols[:, None, None, :]]

    def terms(self, idx: np.ndarray) -> np.ndarray:
        """What is summed (or compared) for each cell, flattened: (N, C·kh·kw)."""
        win = self.windows(idx)
        if self.kind == "pool":
            return np.ascontiguousarray(win.reshape(len(idx), -1))
        f = np.unravel_index(idx, (self.F, self.H, self.W))[0]
        return np.ascontiguousarray((win * self.k_used[f]).reshape(len(idx), -1))

    def cell_values(self, idx: np.ndarray) -> np.ndarray:
        """One reduction along the last, contiguous axis: the same additions in the same
        order whether a step asks for one cell or `finish` for thousands."""
        terms = self.terms(idx)
        if self.params["pool"] == "max":
            return terms.max(axis=1)
        if self.params["pool"] == "avg":
            return terms.sum(axis=1) / terms.shape[1]
        f = np.unravel_index(idx, (self.F, self.H, self.W))[0]
        return terms.sum(axis=1) + self.bias[f]

    # --- transposed: the scatter ---------------------------------------------
    def scatter_upto(self, t: int) -> tuple[np.ndarray, np.ndarray]:
        """Output and hit counts after scattering the first `t` input cells (in (c, i, j) order)."""
        C, H, W = self.x.shape
        mask = (np.arange(self.x.size) < t).reshape(C, H, W)
        xm = np.where(mask, self.x, 0.0)
        r, c = self.rows, self.cols
        full_h, full_w = (H - 1) * r.s + r.span + r.op, (W - 1) * c.s + c.span + c.op
        full = np.zeros((self.F, full_h, full_w))
        hits = np.zeros((full_h, full_w), dtype=np.int64)
        seen = mask.any(axis=0)
        for a in range(r.k):
            for b in range(c.k):
                rs = slice(a * r.d, a * r.d + (H - 1) * r.s + 1, r.s)
                cs = slice(b * c.d, b * c.d + (W - 1) * c.s + 1, c.s)
                full[:, rs, cs] += np.einsum("fc,chw->fhw", self.k_used[:, :, a, b], xm)
                hits[rs, cs] += seen
        crop = (slice(None), slice(r.p, r.p + self.H), slice(c.p, c.p + self.W))
        return full[crop] + self.bias[:, None, None], hits[crop[1:]]

    # --- frames on demand -------------------------------------------------------
    def materialize(self, index: int) -> Frame:
        with self._lock, np.errstate(all="ignore"):  # 1e308 + 1e308 is ∞, as torch says too
            frame = self._cache.get(index)
            if frame is None:
                frame = self._build(index)
                self._cache[index] = frame
                if len(self._cache) > 32:
                    self._cache.popitem(last=False)
            else:
                self._cache.move_to_end(index)
            return frame

    def _build(self, index: int) -> Frame:
        if self.kind == "transposed":
            return self._build_scatter(index)
        output = self.buffer.copy().reshape(-1)
        output[index:] = np.nan
        output = output.reshape(self.F, self.H, self.W)
        values: dict[str, Any] = {**self.static(), "output": self.shaped(output)}
        if index == 0:
            caption = self.intro()
            values.update({"cell": None, "products": [], "sum": None, "window": None, **self.crop(None)})
            return Frame(0, caption, values, {})
        t = np.array([index - 1])
        f, rows, cols = (a[0] for a in self.window_index(t))
        r, c = np.unravel_index(index - 1, (self.F, self.H, self.W))[1:]
        terms = self.terms(t)[0]
        total = float(self.buffer.reshape(-1)[index - 1])
        cell = [int(f), int(c)] if self.dims == 1 else [int(f), int(r), int(c)]
        window = self.windows(t)[0]
        values.update({"cell": cell, "products": terms, "sum": total, "window": self.shaped_window(window),
                       **self.crop((rows, cols)),
                       "kernel_cell": None if self.k_used is None else self.shaped_window(self.k_used[f])})
        caption = self.cell_caption(cell, window.reshape(-1), terms, total, int(f))
        if self.kind == "pool" and self.params["pool"] == "max":
            values["winner"] = int(np.argmax(terms))
        if index == self.steps:
            values["torch_max_diff"] = self.torch_diff()
            caption += f"  (output complete; largest difference from torch: {num(values['torch_max_diff'])})"
        highlight = {"rows": rows, "cols": cols, "cell": cell}
        return Frame(index, caption, values, highlight)

    def _build_scatter(self, index: int) -> Frame:
        output, hits = self.scatter_upto(index)
        # Cells no scatter has reached yet are not computed; at the end every cell is (bias only, if never hit).
        shown = output if index == self.steps else np.where(hits > 0, output, np.nan)
        values: dict[str, Any] = {**self.static(), "output": self.shaped(shown), "hits": self.shaped_map(hits)}
        if index == 0:
            values.update({"cell": None, "products": [], "sum": None})
            return Frame(0, self.intro(), values, {})
        ch, i, j = (int(v) for v in np.unravel_index(index - 1, self.x.shape))
        v = float(self.x[ch, i, j])
        prods = v * self.k_used[:, ch]  # (F, kh, kw): what lands in each output cell
        r0, c0 = i * self.rows.s - self.rows.p, j * self.cols.s - self.cols.p
        rows = [r0 + self.rows.d * a for a in range(self.rows.k)]
        cols = [c0 + self.cols.d * b for b in range(self.cols.k)]
        inside_r = [r for r in rows if 0 <= r < self.H]
        inside_c = [c for c in cols if 0 <= c < self.W]
        cell = [ch, j] if self.dims == 1 else [ch, i, j]
        if not inside_r or not inside_c:
            where = "nowhere inside the output (all cropped by the padding)"
        else:
            where = f"y[{_span(inside_c)}]" if self.dims == 1 else f"y[{_span(inside_r)}, {_span(inside_c)}]"
        most = int(hits.max())
        caption = (f"x[{', '.join(map(str, cell[1:] if self.x.shape[0] == 1 else cell))}] = {num(v)} scattered into "
                   f"{where}: each cell += {factor(v)}·k; the most-hit output cell has {most} contribution(s) so far")
        values.update({"cell": cell, "products": prods.reshape(-1), "sum": None,
                       "kernel_cell": self.shaped_window(self.k_used[:, ch])})
        if index == self.steps:
            values["torch_max_diff"] = self.torch_diff()
            caption += f"  (output complete; largest difference from torch: {num(values['torch_max_diff'])})"
        return Frame(index, caption, values, {"rows": inside_r, "cols": inside_c, "cell": cell})

    # --- pieces of a frame --------------------------------------------------------
    def shaped(self, out: np.ndarray) -> np.ndarray:
        """(F, H, W) → the contract's shape: [F, H, W], or [F, L] in 1-D."""
        return out[:, 0, :] if self.dims == 1 else out

    def shaped_map(self, m: np.ndarray) -> np.ndarray:
        return m[0] if self.dims == 1 else m

    def shaped_window(self, w: np.ndarray) -> np.ndarray:
        """(C, kh, kw) → [C, kh, kw], or [C, k] in 1-D."""
        return w[:, 0, :] if self.dims == 1 else w

    def shaped_input(self, x: np.ndarray) -> np.ndarray:
        return x[:, 0, :] if self.dims == 1 else x

    def static(self) -> dict[str, Any]:
        """What every frame needs to draw itself, small enough to repeat per frame."""
        p = self.params
        values: dict[str, Any] = {
            "kind": self.kind, "dims": self.dims, "mode": p["mode"], "pool": p["pool"],
            "input_shape": list(self.shaped_input(self.x).shape),
            "out_shape": [self.F, self.W] if self.dims == 1 else [self.F, self.H, self.W],
            "stride": p["stride"], "padding": p["padding"], "dilation": p["dilation"],
        }
        if self.x.size <= SMALL:
            values["input"] = self.shaped_input(self.x)
        if self.k is not None:
            values["kernel_shape"] = list(self.shaped_window(self.k[0]).shape)
            values["bias"] = self.bias if self.has_bias else None
            if self.k.size <= SMALL:
                values["kernel"] = self.shaped_k(self.k)
                values["kernel_used"] = self.shaped_k(self.k_used)
        if p["image"]:
            values["image"] = self.x[0]
            values["display"] = self.setup.display
        return values

    def shaped_k(self, k: np.ndarray) -> np.ndarray:
        return k[:, :, 0, :] if self.dims == 1 else k

    def crop(self, window: tuple[np.ndarray, np.ndarray] | None) -> dict[str, Any]:
        """The padded input around the window (all of it while small), with its origin."""
        C, Hp, Wp = self.padded.shape
        if self.padded.size <= SMALL:
            r0, r1, c0, c1 = 0, Hp, 0, Wp
        else:
            rows, cols = window if window is not None else (np.arange(self.rows.k) * self.rows.d,
                                                            np.arange(self.cols.k) * self.cols.d)
            r0, r1 = max(0, int(rows[0]) - CROP_MARGIN), min(Hp, int(rows[-1]) + CROP_MARGIN + 1)
            c0, c1 = max(0, int(cols[0]) - CROP_MARGIN), min(Wp, int(cols[-1]) + CROP_MARGIN + 1)
        part = self.padded[:, r0:r1, c0:c1]
        return {"padded": part[:, 0, :] if self.dims == 1 else part,
                "padded_origin": [c0] if self.dims == 1 else [r0, c0],
                "padded_shape": [C, Wp] if self.dims == 1 else [C, Hp, Wp]}

    def intro(self) -> str:
        """Frame 0: the output-size formula with the numbers substituted, and what the mode does."""
        transposed = self.kind == "transposed"
        axes = (("L", self.cols),) if self.dims == 1 else (("H", self.rows), ("W", self.cols))
        parts = [ax.formula(label, transposed) for label, ax in axes]
        if not transposed:
            for label, ax in axes:
                lost = ax.uncovered()
                if lost:
                    noun = {"H": "rows", "W": "columns", "L": "positions"}[label]
                    parts.append(f"input {noun} {_list(lost)} never covered")
        if self.kind == "pool":
            what = "max" if self.params["pool"] == "max" else "average"
            parts.append(f"{what} pooling {self.rows.k}×{self.cols.k}: 0 parameters (nothing is learned; "
                         f"it only {'compares' if what == 'max' else 'averages'} the values in each window)")
        elif self.flip:
            parts.append("kernel flipped (true convolution; F.conv2d does not flip, so the flip makes them agree)")
        else:
            parts.append("kernel used as is (cross-correlation, what F.conv2d computes)")
        text = "; ".join(parts)
        note = self.params.get("note", "").strip()
        return f"{text}. {note}" if note else text

    def cell_caption(self, cell: list[int], window: np.ndarray, terms: np.ndarray, total: float, f: int) -> str:
        name = "y[" + ",".join(map(str, cell if self.F > 1 else cell[1:])) + "]"
        if self.params["pool"] == "max":
            return f"{name} = max({', '.join(num(v) for v in window)}) = {num(total)}"
        if self.params["pool"] == "avg":
            return f"{name} = ({' + '.join(num(v) for v in window)})/{len(window)} = {num(total)}"
        pairs = [f"{factor(a)}·{factor(b)}" for a, b in zip(window, self.k_used[f].reshape(-1))]
        if len(pairs) > CAPTION_TERMS:
            body = " + ".join(pairs[:6]) + f" + … ({len(pairs)} products, Σ = {num(terms.sum())})"
        else:
            body = " + ".join(pairs)
        if self.has_bias:
            body += f" + {factor(self.bias[f])}"
        return f"{name} = {body} = {num(total)}"

    # --- the cross-check ------------------------------------------------------------
    def torch_diff(self) -> float:
        with self._lock:
            if self._torch_diff is None:
                final = self.scatter_upto(self.steps)[0] if self.kind == "transposed" else self.buffer
                self._torch_diff = max_diff(final, self.reference())
            return self._torch_diff

    def reference(self) -> np.ndarray:
        """torch on the same numbers, (F, H, W): F.conv2d / conv_transpose2d (kernel pre-flipped
        in convolution mode) or max_pool2d / avg_pool2d. A 1-D case is the same with one row."""
        import torch
        import torch.nn.functional as F

        p = self.params
        x = torch.from_numpy(self.x[None].copy())
        r, c = self.rows, self.cols
        stride, padding, dilation = (r.s, c.s), (r.p, c.p), (r.d, c.d)
        if self.kind == "pool":
            if p["pool"] == "max":
                out = F.max_pool2d(x, (r.k, c.k), stride, padding, dilation)
            else:
                out = F.avg_pool2d(x, (r.k, c.k), stride, padding)
            return out[0].numpy()
        k = torch.from_numpy(np.ascontiguousarray(self.k_used))
        b = torch.from_numpy(self.bias)
        if self.kind == "transposed":
            out = F.conv_transpose2d(x, k.transpose(0, 1), b, stride, padding, (r.op, c.op), 1, dilation)
        else:
            out = F.conv2d(x, k, b, stride=stride, padding=padding, dilation=dilation)
        return out[0].numpy()


def _span(xs: list[int]) -> str:
    return str(xs[0]) if len(xs) == 1 else f"{xs[0]}..{xs[-1]}"


def _list(xs: list[int]) -> str:
    if len(xs) > 6:
        return ", ".join(map(str, xs[:5])) + f", … ({len(xs)} in all)"
    return ", ".join(map(str, xs))


LAB = ConvLab
