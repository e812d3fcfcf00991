"""What text output may contain, decided once for the place it goes to.

- Escape codes only where they work and are wanted: colour on a terminal unless TERM=dumb or
  NO_COLOR (then bold and italic only), never into a pipe unless asked (--color always).
- Characters the reader's locale cannot show become ASCII (LANG=C, LC_ALL=C): one cell for
  one cell, so tables and plots keep their columns.
- Control characters from files and notes are made visible (engine.core.fmt.visible) in
  every renderable printed, so a title holding `ESC ] 0 ;` never retitles the terminal.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import Mapping

from rich.cells import cell_len
from rich.console import Console, ConsoleOptions, RenderResult
from rich.segment import Segment

from engine.core.fmt import visible

from .locale_utf8 import locale_is_utf8


@dataclass(frozen=True)
class Look:
    styles: bool = False  # bold, italic, reverse: any escape code at all
    colour: bool = False
    ascii: bool = False


PLAIN = Look()
COLOUR = Look(styles=True, colour=True)  # recordings (cast, html) carry their own colours


def look_for(choice: str, is_terminal: bool, environ: Mapping[str, str], encoding: str = "utf-8") -> Look:
    """The look of text written to a stream: `choice` is --color (auto | always | never).

    ASCII where the stream cannot encode more, or on a terminal whose locale is not UTF-8
    (into a pipe or a file the bytes stay UTF-8, the same on every machine)."""
    if choice == "always":
        styles, colour = True, True
    elif choice == "never" or not is_terminal or environ.get("TERM") == "dumb":
        styles, colour = False, False
    else:
        styles, colour = True, not environ.get("NO_COLOR")
    utf = encoding.lower().replace("_", "-").startswith("utf")
    return Look(styles, colour, ascii=not utf or (is_terminal and not locale_is_utf8(environ)))


# Glyphs that DejaVu Sans Mono, Menlo or Consolas lack (technical symbols, control pictures,
# shapes, dingbats, braille, wide characters): drawn from another font, with another width,
# so exports (SVG, HTML) put each of them in a cell of its own. Punctuation, arrows, maths,
# box drawing and blocks are in all three.
FONT_GAPS = "\u2300-\u24ff\u25a0-\U0010ffff"  # as ranges for a regex character class
# The same class written as its complement, which compiles in a tenth of the time: a class
# that reaches U+10FFFF costs ~5 ms at import, and the app imports this module as it starts.
NOT_IN_EVERY_FONT = re.compile("[^\x00-\u22ff\u2500-\u259f]")


# --- ASCII stand-ins: one character each, so columns stay where they were ---------------------
_ASCII = {
    "−": "-", "–": "-", "—": "-", "·": "*", "×": "x", "÷": "/", "±": "~", "‖": "|", "′": "'",
    "“": '"', "”": '"', "‘": "'", "’": "'", "•": "*", "∂": "d", "∇": "V", "√": "V",
    "∝": "~", "∞": "8", "≈": "~", "≤": "<", "≥": ">", "∈": "E", "≡": "=", "⚙": "*", "⏎": "/",
    # … mostly stands between the ends of a range, `(1e-06 … 1000)`; `~` reads as one there and
    # still as "cut short" at the end of a clipped title. ⋯ sits inside a product (W^l ⋯ W¹).
    "…": "~", "⋯": ".", "⟨": "<", "⟩": ">",
    "■": "#", "▶": ">", "◀": "<", "▸": ">", "◂": "<", "▲": "^", "▼": "v", "▴": "^", "▾": "v",
    "⚠": "!", "✎": "*", "✓": "+", "✗": "x", "␣": "_", "²": "2", "Δ": "D", "Π": "P",
    "Σ": "S", "α": "a", "β": "b", "γ": "g", "δ": "d", "ε": "e", "η": "n", "θ": "t", "κ": "k",
    "λ": "l", "μ": "u", "π": "p", "ρ": "r", "σ": "s", "τ": "t", "φ": "f", "ω": "w", "ᵗ": "t",
    "●": "o", "○": "o", "◆": "*", "★": "*",
}
# Block elements U+2580–U+259F, in code point order: Textual's tall and wide borders (▊▔▎▁),
# bars in eighths (█ then ▏…▉), sparklines (▁…█) and shades. ▀ is the top edge of a dialog's
# thick border and also every half-block picture's pixel pair, which ASCII cannot show (two
# colours in one cell): `-` everywhere, an edge there and a neutral mark in a picture.
_BLOCKS = dict(zip(map(chr, range(0x2580, 0x25A0)),
                   "-" + "__.-==##" + "|||||||" + "|" + ".:#" + "-|" + "..'#:##'" + ":#"))

_ARROW_WAYS = (("LEFT RIGHT", "-"), ("UP DOWN", "|"), ("NORTH WEST", "\\"), ("NORTH EAST", "/"),
               ("SOUTH EAST", "\\"), ("SOUTH WEST", "/"), ("LEFTWARDS", "<"), ("RIGHTWARDS", ">"),
               ("UPWARDS", "^"), ("DOWNWARDS", "v"), ("CLOCKWISE", "o"))


def _arrow(name: str) -> str:
    """Arrows (U+2190–U+21FF) by the way their name says they first point: ← < , ⇥ >, ↖ \\."""
    found = [(name.find(way), mark) for way, mark in _ARROW_WAYS if way in name]
    return min(found)[1] if found else ">"


def _box(name: str) -> str:
    """Box drawing (U+2500–U+257F) by its name: lines - and |, corners and crossings +."""
    if "DIAGONAL" in name:
        return "X" if "CROSS" in name else "/" if "UPPER RIGHT" in name else "\\"
    words = set(name.split())
    across = bool(words & {"LEFT", "RIGHT", "HORIZONTAL"})
    down = bool(words & {"UP", "DOWN", "VERTICAL"})
    return "+" if across and down else "-" if across else "|"


def to_ascii(ch: str) -> str:
    """One character as ASCII of the same width (wide characters become two)."""
    if ch.isascii():
        return ch
    if ch in _ASCII:
        return _ASCII[ch]
    o = ord(ch)
    if 0x2580 <= o <= 0x259F:
        return _BLOCKS[ch]
    if 0x2190 <= o <= 0x21FF:
        return _arrow(unicodedata.name(ch, ""))
    if 0x2500 <= o <= 0x257F:
        return _box(unicodedata.name(ch, ""))
    if 0x2800 <= o <= 0x28FF:  # braille: a plot's dots, by how many are set
        dots = bin(o - 0x2800).count("1")
        return " .:+#"[min(4, (dots + 1) // 2)]
    if 0x2400 <= o <= 0x2421:  # control pictures (made visible): keep them noticeable
        return "?"
    if unicodedata.combining(ch):
        return ""
    base = unicodedata.normalize("NFKD", ch).encode("ascii", "ignore").decode()
    if len(base) == 1:
        return base  # é → e, ₂ → 2, ﬁ stays out (two letters would shift the columns)
    return "?" * max(1, cell_len(ch))


def ascii_text(text: str) -> str:
    return "".join(to_ascii(ch) for ch in text)


class Safe:
    """A renderable printed as `look` allows: control characters visible, ASCII if asked."""

    def __init__(self, renderable, look: Look) -> None:
        self.renderable = renderable
        self.look = look

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        for seg in console.render(self.renderable, options):
            if seg.control:
                yield seg
                continue
            text = visible(seg.text, keep_newlines=True)
            if self.look.ascii:
                text = ascii_text(text)
            yield Segment(text, seg.style) if text != seg.text else seg
