"""Convolution arithmetic, one output cell per step.

The lecture's worked example is a true convolution: the kernel is flipped before it
slides, so y[m, n] = Σ x[i, j]·h[m − i, n − j]. Deep-learning libraries compute the
cross-correlation (no flip); with mode = "convolution" this lab flips the kernel and
then does exactly what F.conv2d does, so the two can be compared number for number.
"""

from __future__ import annotations

from typing import Any, Iterator

import numpy as np

from .fmt import factor, num
from .frame import Frame
from .lab import Lab
from .params import Param, ParamError, tensor_shape

PARAMS = (
    Param("input", "tensor", [[1, 2, 3], [4, 5, 6], [7, 8, 9]], "the input, [H][W] or [C][H][W]",
          ndims=(2, 3), shapes={2: "[H][W]", 3: "[C][H][W]"}),
    Param("kernel", "tensor", [[-1, -2, -1], [0, 0, 0], [1, 2, 1]], "the kernel, [kh][kw] or [F][C][kh][kw]",
          ndims=(2, 4), shapes={2: "[kh][kw]", 4: "[F][C][kh][kw]"}),
    Param("bias", "floats", [], "one bias per filter, [F]; empty = no bias"),
    Param("stride", "int", 1, "step between windows", min=1, max=64),
    Param("padding", "int", 0, "zeros added on every side", min=0, max=64),
    Param("dilation", "int", 1, "spacing between kernel taps", min=1, max=16),
    Param("mode", "choice", "convolution", "flip the kernel (convolution) or not (cross-correlation)",
          choices=("convolution", "cross-correlation")),
)


def as_4d_kernel(k: np.ndarray) -> np.ndarray:
    return k[None, None] if k.ndim == 2 else k


def as_3d_input(x: np.ndarray) -> np.ndarray:
    return x[None] if x.ndim == 2 else x


def out_size(n: int, k: int, stride: int, padding: int, dilation: int) -> int:
    """(W − F + 2P)/S + 1, floored, with F = D·(F − 1) + 1 under dilation."""
    span = dilation * (k - 1) + 1
    return (n - span + 2 * padding) // stride + 1


class ConvLab(Lab):
    name = "conv"
    title = "Convolution arithmetic"
    help = (
        "Each step computes one output cell: the window on the padded input, the kernel "
        "(flipped in convolution mode), every product, and their sum.\n\n"
        "Output size: (W − F + 2P)/S + 1, with F = D·(F − 1) + 1 under dilation.\n"
        "Convolution flips the kernel; cross-correlation (what F.conv2d computes) does not.\n"
        "Cells are indexed y[row, column]; the lecture's songho example writes y[column, row]."
    )
    PARAMS = PARAMS

    @classmethod
    def check(cls, p: dict[str, Any]) -> None:
        x = np.asarray(p["input"], dtype=float)
        k = np.asarray(p["kernel"], dtype=float)
        x3, k4 = as_3d_input(x), as_4d_kernel(k)
        if k4.shape[1] != x3.shape[0]:
            raise ParamError("params.kernel", f"kernel has {k4.shape[1]} input channel(s) but the input has {x3.shape[0]}; "
                             "shape the kernel [F][C][kh][kw] with C = the input's channels")
        if p["bias"] and len(p["bias"]) != k4.shape[0]:
            raise ParamError("params.bias", f"expected {k4.shape[0]} value(s), one per filter, got {len(p['bias'])}")
        for axis, label in ((1, "height"), (2, "width")):
            n, kk = x3.shape[axis], k4.shape[axis + 1]
            span = p["dilation"] * (kk - 1) + 1
            if span > n + 2 * p["padding"]:
                raise ParamError("params.kernel", f"kernel {label} {span} (dilated) is larger than the padded input {label} "
                                 f"{n} + 2·{p['padding']} = {n + 2 * p['padding']}")

    def __init__(self, params: dict[str, Any], *, seed: int = 0, device: str = "cpu") -> None:
        super().__init__(params, seed=seed, device=device)
        p = params
        self.x = as_3d_input(np.asarray(p["input"], dtype=np.float64))
        self.k = as_4d_kernel(np.asarray(p["kernel"], dtype=np.float64))
        self.flip = p["mode"] == "convolution"
        self.k_used = self.k[:, :, ::-1, ::-1] if self.flip else self.k
        self.bias = np.asarray(p["bias"] or [0.0] * self.k.shape[0], dtype=np.float64)
        self.has_bias = bool(p["bias"])
        s, pad, d = p["stride"], p["padding"], p["dilation"]
        self.padded = np.pad(self.x, ((0, 0), (pad, pad), (pad, pad)))
        self.F = self.k.shape[0]
        self.H = out_size(self.x.shape[1], self.k.shape[2], s, pad, d)
        self.W = out_size(self.x.shape[2], self.k.shape[3], s, pad, d)
        self.output = np.full((self.F, self.H, self.W), np.nan)

    def length(self) -> int:
        return 1 + self.F * self.H * self.W

    def size_formula(self) -> str:
        p = self.params
        parts = []
        for axis, label in ((1, "H"), (2, "W")):
            n, k = self.x.shape[axis], self.k.shape[axis + 1]
            f = p["dilation"] * (k - 1) + 1
            exact = (n - f + 2 * p["padding"]) / p["stride"] + 1
            out = out_size(n, k, p["stride"], p["padding"], p["dilation"])
            floor = "" if exact == out else f" → floor {out}"
            parts.append(f"{label}_out = ({n} − {f} + 2·{p['padding']})/{p['stride']} + 1 = {num(exact)}{floor}")
        return "; ".join(parts)

    def window(self, r: int, c: int) -> tuple[np.ndarray, np.ndarray]:
        """Rows and columns of the padded input that the window at output (r, c) covers."""
        s, d = self.params["stride"], self.params["dilation"]
        kh, kw = self.k.shape[2:]
        return r * s + d * np.arange(kh), c * s + d * np.arange(kw)

    def frames(self) -> Iterator[Frame]:
        base = {
            "input": self.x,
            "padded": self.padded,
            "kernel": self.k,
            "kernel_used": self.k_used,
            "mode": self.params["mode"],
            "out_shape": [self.F, self.H, self.W],
        }
        flip = "kernel flipped (true convolution)" if self.flip else "kernel used as is (cross-correlation)"
        yield Frame(0, f"{self.size_formula()}; {flip}", {**base, "output": self.output, "cell": None, "products": [], "sum": None})
        index = 0
        for f in range(self.F):
            for r in range(self.H):
                for c in range(self.W):
                    index += 1
                    rows, cols = self.window(r, c)
                    patch = self.padded[:, rows][:, :, cols]
                    prods = patch * self.k_used[f]
                    total = float(prods.sum()) + float(self.bias[f])
                    self.output[f, r, c] = total
                    terms = " + ".join(f"{factor(a)}·{factor(b)}" for a, b in zip(patch.ravel(), self.k_used[f].ravel()))
                    if self.has_bias:
                        terms += f" + {factor(self.bias[f])}"
                    cell = f"y[{r},{c}]" if self.F == 1 else f"y[{f},{r},{c}]"
                    caption = f"{cell} = {terms} = {num(total)}"
                    values = {**base, "output": self.output, "cell": [f, r, c], "products": prods.ravel(), "sum": total}
                    if index == self.length() - 1:
                        # The cross-check against torch, on the frame that completes the output.
                        values["torch_max_diff"] = float(np.max(np.abs(self.output - self.reference())))
                        caption += f"  (output complete; largest difference from torch: {num(values['torch_max_diff'])})"
                    yield Frame(index, caption, values, {"rows": rows, "cols": cols, "cell": [f, r, c]})

    def reference(self) -> np.ndarray:
        """torch's F.conv2d on the same numbers (kernel pre-flipped in convolution mode)."""
        import torch
        import torch.nn.functional as F

        p = self.params
        out = F.conv2d(
            torch.from_numpy(self.x[None].copy()),
            torch.from_numpy(np.ascontiguousarray(self.k_used)),
            torch.from_numpy(self.bias),
            stride=p["stride"], padding=p["padding"], dilation=p["dilation"],
        )
        return out[0].numpy()


LAB = ConvLab
