"""Size budgets: what one lab may hold and compute, fixed numbers, the same on every machine.

A lab checks its plan against these before it allocates anything, so `tui-lab check`
gives the same answer everywhere and a hostile file is refused in a line, not by the
kernel's out-of-memory killer. The limits are generous for every lecture example
(AlexNet's CONV1 holds about 0.5 M values and does 105 M multiply-adds).
"""

from __future__ import annotations

from .params import ParamError

VALUES = 10_000_000  # numbers a lab holds at once: inputs, weights, outputs (80 MB as float64)
WINDOW = 100_000  # numbers one step reads and shows: a window, a kernel, a frame's tensors
STEPS = 4_000_000  # frames one scenario may step through
SHOWN = 4_000_000  # numbers one frame may carry (a whole output grid, a whole image)
MACS = 2_000_000_000  # multiply-adds in all (what `f` finishes at once)
PARAMETERS = 50_000_000  # trainable weights of a model a training lab builds
ACTIVATIONS = 20_000_000  # values one training step keeps for backpropagation
VOCABULARY = 10_000  # distinct tokens (characters) a language model predicts over
ONE_HOT = 1_024  # width of a one-hot input vector: a larger vocabulary needs an embedding


def require(key: str, what: str, n: int, limit: int, hint: str = "") -> None:
    """ParamError naming the key, the size asked for and the limit, when `n` is over it."""
    if n > limit:
        tail = f"; {hint}" if hint else ""
        raise ParamError(key, f"{what} is {n:,}; at most {limit:,}{tail}")
