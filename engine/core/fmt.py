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
