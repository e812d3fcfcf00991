"""Small pieces every part of the lab shares: how units are laid out as a picture, thinning a
curve, errors written as percentages, and one BLAS thread for small matrices."""

from __future__ import annotations

import contextlib
import math
from typing import Any, Sequence

from ..core.fmt import MINUS, num

CURVE_POINTS = 200  # a frame carries at most this many points of a curve


def unit_grid(n: int) -> list[int]:
    """[rows, cols] to draw n units as a picture: one row up to 12, else nearly square."""
    if n <= 12:
        return [1, n]
    cols = math.ceil(math.sqrt(n))
    return [math.ceil(n / cols), cols]


def thin(points: Sequence[Any], most: int = CURVE_POINTS) -> list[Any]:
    """At most `most` of the points, evenly spaced, always keeping the first and the last."""
    n = len(points)
    if n <= most:
        return list(points)
    picks = sorted({round(i * (n - 1) / (most - 1)) for i in range(most)})
    return [points[i] for i in picks]


def pct(x: float | None) -> str:
    """An error rate as the lecture writes it: 1.2%."""
    if x is None or not math.isfinite(x):
        return "–"
    return f"{num(100 * x, 3)}%"


def sci(x: float) -> str:
    """Scientific notation the way the captions write it: 1.4e−6, 4.3e−1, 1.2e0."""
    if not math.isfinite(x):
        return num(x)
    mantissa, exponent = f"{x:.1e}".split("e")
    return f"{mantissa}e{int(exponent)}".replace("-", MINUS)


@contextlib.contextmanager
def one_blas_thread():
    """The matrices here are small (64 × 100): splitting each product across cores costs
    more than it gains, and on a busy machine it costs several times more. The same thread
    count every time also keeps the sums in the same order, so runs repeat bit for bit."""
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:  # comes with scikit-learn; without it numpy keeps its own setting
        yield
        return
    with threadpool_limits(limits=1, user_api="blas"):
        yield
