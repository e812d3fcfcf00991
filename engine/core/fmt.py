"""Numbers in captions, written the way the lecture writes them (−13, (−1), 0.25)."""

from __future__ import annotations

import math

MINUS = "\u2212"


def num(x: float, digits: int = 4) -> str:
    """Short form: integers without a point, others to `digits` significant digits."""
    x = float(x)
    if math.isnan(x):
        return "NaN"
    if math.isinf(x):
        return ("" if x > 0 else MINUS) + "∞"
    if x == int(x) and abs(x) < 1e15:
        s = str(int(x))
    else:
        s = f"{x:.{digits}g}"
    return s.replace("-", MINUS)


def factor(x: float, digits: int = 4) -> str:
    """A factor inside a product: negatives in parentheses, as in `0·(−1)`."""
    s = num(x, digits)
    return f"({s})" if s.startswith(MINUS) else s


def count(n: int) -> str:
    """Thousands separators: 62,378,344."""
    return f"{int(n):,}"
