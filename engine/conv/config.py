"""The convolution lab's parameters, and the one plan built from them.

`plan(params)` applies every cross-field rule and the size budgets from shapes alone,
allocating nothing, so `tui-lab check` is cheap and the same everywhere; `arrays(cfg)`
then builds the numbers once, when the lab opens (and a knob turn reuses them).
"""

from __future__ import annotations

import os
import threading
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any, Callable

import numpy as np

from ..core import budget
from ..core.params import Param, ParamError, tensor_shape
from . import image as conv_image
from .math import Axis

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
    Param("image", "path", "", "an image as the input: " + ", ".join(conv_image.BUILTIN) + ", or a PNG/JPEG path",
          choices=conv_image.BUILTIN),
    Param("image_width", "int", 32, "pixels across the image (resized to fit)", min=4, max=160),
    Param("filter", "choice", "none", "a named kernel from the lecture, used instead of `kernel`",
          choices=("none",) + tuple(conv_image.filters())),
    Param("random_input", "ints", [], "shape of a seeded random input of digits 0..9, [C, H, W] (1-D: [C, L])",
          min=1, max=1024),
    Param("random_kernel", "ints", [], "shape of a seeded random kernel of −1, 0, 1, [F, C, kh, kw] (1-D: [F, C, k])",
          min=1, max=256),
    Param("note", "str", "", "a sentence added to frame 0's caption (e.g. why a scenario shows only some filters)"),
)


@dataclass(frozen=True)
class ConvConfig:
    """Everything the lab needs to know before it holds a number."""

    dims: int  # 2 images, 1 sequences (drawn as one row)
    kind: str  # conv | transposed | pool
    pool: str  # none | max | avg
    mode: str
    flip: bool  # true convolution: the kernel is reversed before it slides
    in_shape: tuple[int, int, int]  # (C, H, W)
    k_shape: tuple[int, int, int, int] | None  # (F, C, kh, kw); None when pooling
    rows: Axis
    cols: Axis
    has_bias: bool

    @property
    def filters(self) -> int:
        return self.in_shape[0] if self.kind == "pool" else self.k_shape[0]

    @property
    def out_hw(self) -> tuple[int, int]:
        transposed = self.kind == "transposed"
        return self.rows.out(transposed), self.cols.out(transposed)

    @property
    def out_shape(self) -> tuple[int, int, int]:
        return (self.filters, *self.out_hw)

    @property
    def steps(self) -> int:
        """One per output cell; a transposed convolution steps through its input cells."""
        return int(np.prod(self.in_shape)) if self.kind == "transposed" else int(np.prod(self.out_shape))


def _depth_error(key: str, dims: int, shape: tuple[int, ...], forms: str) -> ParamError:
    return ParamError(key, f"expected a list shaped {forms} with dims = {dims}, got shape {list(shape)}")


def _input_shape(p: dict[str, Any]) -> tuple[int, int, int]:
    """(C, H, W); a 1-D signal is (C, 1, L)."""
    dims = p["dims"]
    if p["image"]:
        if dims != 2:
            raise ParamError("params.image", "an image needs dims = 2")
        return (1, *conv_image.size(p["image"], p["image_width"]))
    if p["random_input"]:
        shape = tuple(p["random_input"])
        if len(shape) not in ((2, 3) if dims == 2 else (1, 2)):
            raise _depth_error("params.random_input", dims, shape, "[H, W] or [C, H, W]" if dims == 2 else "[L] or [C, L]")
        budget.require("params.random_input", "the random input's size", int(np.prod(shape)), budget.STEPS)
    else:
        shape = tensor_shape("params.input", p["input"], ())
    if dims == 2:
        if len(shape) not in (2, 3):
            raise _depth_error("params.input", 2, shape, "[H][W] or [C][H][W]")
        return (1, *shape) if len(shape) == 2 else shape
    if len(shape) not in (1, 2):
        raise _depth_error("params.input", 1, shape, "[L] or [C][L]")
    c, n = (1, shape[0]) if len(shape) == 1 else shape
    return (c, 1, n)


def _kernel_shape(p: dict[str, Any]) -> tuple[int, int, int, int]:
    """(F, C, kh, kw); a 1-D kernel is (F, C, 1, k)."""
    dims = p["dims"]
    if p["filter"] != "none":
        if dims != 2:
            raise ParamError("params.filter", "the named filters are 2-D; use dims = 2")
        return (1, 1, *conv_image.filters()[p["filter"]].shape)
    if p["random_kernel"]:
        shape = tuple(p["random_kernel"])
        if len(shape) != (4 if dims == 2 else 3):
            raise _depth_error("params.random_kernel", dims, shape, "[F, C, kh, kw]" if dims == 2 else "[F, C, k]")
        key = "params.random_kernel"
    else:
        shape = tensor_shape("params.kernel", p["kernel"], ())
        key = "params.kernel"
    if dims == 2:
        if len(shape) not in (2, 4):
            raise _depth_error(key, 2, shape, "[kh][kw] or [F][C][kh][kw]")
        return (1, 1, *shape) if len(shape) == 2 else shape
    if len(shape) not in (1, 3):
        raise _depth_error(key, 1, shape, "[k] or [F][C][k]")
    f, c, n = (1, 1, shape[0]) if len(shape) == 1 else shape
    return (f, c, 1, n)


def plan(p: dict[str, Any]) -> ConvConfig:
    """All the cross-field rules and size budgets, in one place; ParamError names the key."""
    dims, pooling = p["dims"], p["pool"] != "none"
    in_shape = _input_shape(p)
    if pooling and p["transposed"]:
        raise ParamError("params.transposed", 'pooling has no transposed form here; use pool = "none" or transposed = false')
    if p["output_padding"] and not p["transposed"]:
        raise ParamError("params.output_padding", "only a transposed convolution has an output padding; set transposed = true")
    if pooling:
        if p["bias"]:
            raise ParamError("params.bias", "pooling has no bias: it has 0 parameters (it only compares or averages)")
        if p["pool"] == "avg" and p["dilation"] != 1:
            raise ParamError("params.dilation", "average pooling has no dilation (as in torch's avg_pool2d); use 1")
        k_shape, kh, kw = None, (1 if dims == 1 else p["size"]), p["size"]
    else:
        k_shape = _kernel_shape(p)
        key = "params.random_kernel" if p["random_kernel"] and p["filter"] == "none" else "params.kernel"
        if k_shape[1] != in_shape[0]:
            raise ParamError(key, f"kernel has {k_shape[1]} input channel(s) but the input has {in_shape[0]}; "
                             "shape the kernel [F][C][kh][kw] with C = the input's channels")
        if p["bias"] and len(p["bias"]) != k_shape[0]:
            raise ParamError("params.bias", f"expected {k_shape[0]} value(s), one per filter, got {len(p['bias'])}")
        kh, kw = k_shape[2:]
    row_geo = (1, 0, 1, 0) if dims == 1 else (p["stride"], p["padding"], p["dilation"], p["output_padding"])
    rows = Axis(in_shape[1], kh, *row_geo)
    cols = Axis(in_shape[2], kw, p["stride"], p["padding"], p["dilation"], p["output_padding"])
    kind = "pool" if pooling else "transposed" if p["transposed"] else "conv"
    _check_geometry(kind, dims, rows, cols)
    cfg = ConvConfig(dims, kind, p["pool"], p["mode"], p["mode"] == "convolution" and kind != "pool",
                     in_shape, k_shape, rows, cols, bool(p["bias"]))
    _check_budget(cfg, p)
    return cfg


def _check_geometry(kind: str, dims: int, rows: Axis, cols: Axis) -> None:
    labels = (("length", cols),) if dims == 1 else (("height", rows), ("width", cols))
    for label, ax in labels:
        if kind == "transposed":
            if ax.op >= max(ax.s, ax.d):
                raise ParamError("params.output_padding", f"output_padding {ax.op} must be smaller than the stride "
                                 f"({ax.s}) or the dilation ({ax.d})")
            if ax.out(True) < 1:
                raise ParamError("params.padding", f"padding {ax.p} leaves no output {label}: "
                                 f"{ax.formula(label[0].upper(), True)}")
            continue
        if kind == "pool" and 2 * ax.p > ax.k:
            raise ParamError("params.padding", f"padding {ax.p} is more than half the pooling window {ax.k}; "
                             f"at most {ax.k // 2}")
        if ax.span > ax.n + 2 * ax.p:
            key, what = ("params.size", "pooling window") if kind == "pool" else ("params.kernel", "kernel")
            raise ParamError(key, f"{what} {label} {ax.span} (dilated) is larger than the padded input {label} "
                             f"{ax.n} + 2·{ax.p} = {ax.n + 2 * ax.p}")


def _check_budget(cfg: ConvConfig, p: dict[str, Any]) -> None:
    """Sizes against engine/core/budget.py, before anything is allocated."""
    C, H, W = cfg.in_shape
    kernel = int(np.prod(cfg.k_shape)) if cfg.k_shape else 0
    k_key = "params.random_kernel" if p["random_kernel"] else "params.kernel"
    padded = C * (H + 2 * cfg.rows.p) * (W + 2 * cfg.cols.p)
    out_h, out_w = cfg.out_hw
    if cfg.kind == "transposed":
        # Every frame holds the whole output; bound it and the uncropped scatter buffer (the
        # output plus the padding cropped off each side).
        full = cfg.filters * (out_h + 2 * cfg.rows.p) * (out_w + 2 * cfg.cols.p)
        if max(full, int(np.prod(cfg.out_shape))) > budget.SHOWN:
            shape = f"{out_w}" if cfg.dims == 1 else f"{out_h}×{out_w}"
            raise ParamError("params.stride" if max(cfg.rows.s, cfg.cols.s) > 1 else "params.input",
                             f"the transposed output {cfg.filters}×{shape} (before cropping the padding: {full:,} "
                             f"cells) is too large for one lab; at most {budget.SHOWN:,} cells: use a smaller stride, "
                             "kernel or input")
    else:
        budget.require("params.input", "the output grid every frame shows (cells)", int(np.prod(cfg.out_shape)),
                       budget.SHOWN)
    window = C * cfg.rows.k * cfg.cols.k if cfg.kind != "pool" else cfg.rows.k * cfg.cols.k
    budget.require(k_key, f"one window ({C}×{cfg.rows.k}×{cfg.cols.k} numbers)", window, budget.WINDOW,
                   "use fewer channels or a smaller kernel")
    budget.require("params.input", "the number of steps (output cells)" if cfg.kind != "transposed"
                   else "the number of steps (input cells)", cfg.steps, budget.STEPS)
    held = C * H * W + padded + kernel + int(np.prod(cfg.out_shape))
    budget.require(k_key if kernel > C * H * W else "params.input", "the numbers held (input, padded input, kernel "
                   "and output)", held, budget.VALUES)
    macs = (cfg.steps * kernel // max(1, cfg.filters)) if cfg.kind == "transposed" else cfg.steps * window
    budget.require(k_key, "the multiply-adds in all", macs, budget.MACS)


# What the numbers depend on: a knob (stride, padding, dilation, mode) changes none of them, so
# a turn reuses the arrays its lab was built from instead of drawing or decoding them again.
NUMBERS = ("input", "kernel", "bias", "image", "image_width", "filter", "random_input", "random_kernel", "dims")
_MEMO: OrderedDict[tuple, Any] = OrderedDict()
_MEMO_LOCK = threading.Lock()
MEMO_SIZE = 3  # this lab's arrays and padded input, and the padded input one padding knob turn away


def _remembered(key: tuple, build: Callable[[], Any]) -> Any:
    """build(), or what it returned last time for `key`; arrays in it are made read-only,
    since every lab built from the same numbers shares them."""
    with _MEMO_LOCK:
        if key in _MEMO:
            _MEMO.move_to_end(key)
            return _MEMO[key]
    made = build()
    for a in made if isinstance(made, tuple) else (made,):
        if isinstance(a, np.ndarray):
            a.setflags(write=False)
    with _MEMO_LOCK:
        _MEMO[key] = made
        while len(_MEMO) > MEMO_SIZE:
            _MEMO.popitem(last=False)
    return made


def numbers_key(cfg: ConvConfig, p: dict[str, Any], seed: int) -> tuple:
    """Everything the input, kernel and bias are made from; a named image file adds its size
    and modification time, so an edited file is read again."""
    stamp: tuple = ()
    if p["image"] and p["image"] not in conv_image.BUILTIN:
        try:
            st = os.stat(p["image"])
            stamp = (st.st_mtime_ns, st.st_size, st.st_ino)
        except OSError:
            stamp = (object(),)  # never equal: the build reports the problem
    return (seed, cfg.in_shape, cfg.k_shape, repr([p[k] for k in NUMBERS]), stamp)


def arrays(cfg: ConvConfig, p: dict[str, Any], seed: int, key: tuple) -> tuple[np.ndarray, np.ndarray | None, np.ndarray]:
    """The input (C, H, W), the kernel as written (F, C, kh, kw) and the bias (F,); read-only.
    `key` is `numbers_key(cfg, p, seed)`, made once per lab (it stats a named image file)."""
    return _remembered(("arrays", key), lambda: _arrays(cfg, p, seed))


def padded(cfg: ConvConfig, key: tuple, x: np.ndarray) -> np.ndarray:
    """The input with the padding added (−∞ for max pooling, so padding never wins); read-only.
    A transposed convolution pads nothing: its padding crops the scattered output instead.
    `key` is the one `x` was remembered by (`arrays`)."""
    if cfg.kind == "transposed":
        return x
    value = -np.inf if cfg.pool == "max" else 0.0
    r, c = cfg.rows.p, cfg.cols.p
    return _remembered(("padded", key, r, c, value),
                       lambda: np.pad(x, ((0, 0), (r, r), (c, c)), constant_values=value))


def _arrays(cfg: ConvConfig, p: dict[str, Any], seed: int) -> tuple[np.ndarray, np.ndarray | None, np.ndarray]:
    """The input (C, H, W), the kernel as written (F, C, kh, kw) and the bias (F,)."""
    rng = np.random.default_rng(seed)
    if p["image"]:
        x = conv_image.picture(p["image"], p["image_width"])[None]
    elif p["random_input"]:
        x = rng.integers(0, 10, size=tuple(p["random_input"])).astype(np.float64)
    else:
        x = np.asarray(p["input"], dtype=np.float64)
    x = x.reshape(cfg.in_shape)
    k = None
    if cfg.k_shape is not None:
        if p["filter"] != "none":
            k = conv_image.filters()[p["filter"]]
        elif p["random_kernel"]:
            k = rng.integers(-1, 2, size=tuple(p["random_kernel"])).astype(np.float64)
        else:
            k = np.asarray(p["kernel"], dtype=np.float64)
        k = k.reshape(cfg.k_shape)
    bias = np.asarray(p["bias"] or [0.0] * cfg.filters, dtype=np.float64)
    return x, k, bias
