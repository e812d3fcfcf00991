"""ASCII stand-ins for a locale that is not UTF-8: each is one ASCII character per cell, and
the ones a person reads (keys, rules, ranges, input boxes) still say what the glyph said."""

import pytest
from rich.cells import cell_len

from tui_lab.export.look import ascii_text, to_ascii

RANGES = {
    "arrows": range(0x2190, 0x2200),
    "box drawing": range(0x2500, 0x2580),
    "block elements": range(0x2580, 0x25A0),
    "braille": range(0x2800, 0x2900),
}


@pytest.mark.parametrize("name", RANGES)
def test_every_stand_in_is_ascii_and_as_wide_as_the_glyph(name):
    for o in RANGES[name]:
        ch = chr(o)
        stand_in = to_ascii(ch)
        assert stand_in.isascii() and stand_in.isprintable(), (hex(o), stand_in)
        assert cell_len(stand_in) == cell_len(ch), (hex(o), stand_in)
        assert stand_in != "?", f"{ch} (U+{o:04X}) has no meaningful stand-in"


@pytest.mark.parametrize("glyph, stand_in", [
    ("←", "<"), ("→", ">"), ("↑", "^"), ("↓", "v"), ("⇥", ">"), ("↖", "\\"), ("↗", "/"),
    ("≡", "="), ("⚙", "*"),
    ("▔", "-"), ("▁", "_"), ("▊", "|"), ("▎", "|"), ("▏", "|"), ("▕", "|"), ("█", "#"),
    ("░", "."), ("▒", ":"), ("▓", "#"),
    ("…", "~"), ("═", "-"), ("║", "|"), ("╔", "+"), ("╳", "X"),
])
def test_specific_stand_ins(glyph, stand_in):
    assert to_ascii(glyph) == stand_in


def test_what_the_reader_sees():
    assert ascii_text("← Prev  → Next") == "< Prev  > Next"
    assert ascii_text("x ← x − a∇f") == "x < x - aVf"
    assert ascii_text("(1e-06 … 1000)") == "(1e-06 ~ 1000)"
    assert ascii_text("▊▔▔▔▔▔▔▎") == "|------|"  # the top edge of Textual's tall input border
    assert ascii_text("█▀▀▀█") == "#---#"  # a dialog's thick border; half-block pictures: the same neutral mark
