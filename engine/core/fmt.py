"""Numbers, shapes and byte sizes, written once for the engine and every renderer, the way the
lecture writes them (−13, (−1), 0.25, 96×55×55, 168 MB)."""

from __future__ import annotations

import math
from typing import Sequence

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


def counted(n: int, noun: str) -> str:
    """A count and its noun, singular for one: 1 stream, 4 streams, 1,236 characters."""
    return f"{count(n)} {noun}{'' if n == 1 else 's'}"


def rounded(n: float) -> str:
    """A count rounded as slides round them: 34,848 → 35K, 884,736 → 885K, 1,179,648 → 1.2M."""
    for size, unit in ((1e9, "G"), (1e6, "M"), (1e3, "K")):
        if abs(n) >= size:
            return f"{n / size:.2g}{unit}" if abs(n) < 10 * size else f"{round(n / size):,}{unit}"
    return count(round(n))


def power(n: int) -> str:
    """10^12 for exact powers of ten from 1000 up (as the slides write them), else 1,234."""
    s = str(int(n))
    if n >= 1000 and s.strip("0") == "1":
        return "10^" + str(len(s) - 1)
    return count(n)


def percent(share: float, digits: int = 1) -> str:
    """A share of a whole: 0.605 → 60.5%."""
    return f"{100 * share:.{digits}f}%"


def shape(dims: Sequence[int]) -> str:
    """A tensor's shape: 96×55×55 for a volume, 9,216 for a vector, "scalar" for none."""
    if not dims:
        return "scalar"
    return count(dims[0]) if len(dims) == 1 else "×".join(str(int(d)) for d in dims)


MB = 10**6  # decimal megabytes, as the lecture's "168MB" counts them (42 M values · 4 bytes)


def mb(nbytes: float) -> str:
    """Bytes as decimal megabytes to 4 significant digits: 249.5 MB."""
    return f"{num(nbytes / MB)} MB"


# Control characters from files and from what a person typed are shown, never obeyed: an ESC
# reaching the terminal could retitle the window, clear the screen or plant a link.
_C0 = {c: chr(0x2400 + c) for c in range(0x20)}  # ␀ … ␟ (Unicode's control pictures)
_C0[0x7F] = "␡"
_INVISIBLE = {0x200B, 0x200C, 0x200D, 0x200E, 0x200F, 0x2028, 0x2029, 0x202A, 0x202B, 0x202C,
              0x202D, 0x202E, 0x2060, 0x2066, 0x2067, 0x2068, 0x2069, 0xFEFF}


def visible(text: str, keep_newlines: bool = False) -> str:
    """`text` with every control character made visible: C0 and DEL as their control
    pictures (ESC as ␛), C1 and the invisible or direction-changing format characters as
    `\\x9b` / `\\u202e` escapes. Line ends stay only where `keep_newlines`."""
    out = []
    for ch in str(text):
        o = ord(ch)
        if ch == "\n" and keep_newlines:
            out.append(ch)
        elif o < 0x20 or o == 0x7F:
            out.append(_C0[o])
        elif 0x80 <= o < 0xA0:
            out.append(f"\\x{o:02x}")
        elif o in _INVISIBLE:
            out.append(f"\\u{o:04x}")
        else:
            out.append(ch)
    return "".join(out)


def clip(text: str, most: int = 160) -> str:
    """One line of at most `most` characters, cut at a word boundary with an ellipsis."""
    text = " ".join(str(text).split())
    if len(text) <= most:
        return text
    cut = text[: most - 1]
    space = cut.rfind(" ")
    if space > most // 2:
        cut = cut[:space]
    return cut.rstrip(" ,;:(") + "…"
