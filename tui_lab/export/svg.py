"""SVG screenshots of the app's own scenario screen, driven headless.

The screen is the one a person sees (same widgets, CSS and renderers); the frames come
from the replay session, so the pictures match the text and JSON output step for step.
Each picture holds the whole frame: the screen is made as tall as the frame needs (no
scrolled-off rows), then put back to `SIZE` for the next one.
"""

from __future__ import annotations

import asyncio
import html
import re
from typing import Callable, Iterable

from engine.core.files import MARKS
from engine.core.fmt import visible
from engine.session import Session, Shown

from .look import FONT_GAPS

SIZE = (100, 30)
MOST_ROWS = 2000  # a frame taller than this is cut there (no bundled frame comes near)

Save = Callable[[Shown, str], None]


def screenshots(session: Session, shows: Iterable[Shown], save: Save, size: tuple[int, int] = SIZE) -> None:
    """Picture each entry of `shows` as it comes and hand it to `save(shown, svg)`."""
    asyncio.run(_capture(session, shows, save, size))


async def _capture(session: Session, shows: Iterable[Shown], save: Save, size: tuple[int, int]) -> None:
    from ..app import LabApp
    from ..screens.scenario import ScenarioScreen

    app = LabApp(screen=ScenarioScreen(session.scenario, session=session))
    app.animation_level = "none"
    async with app.run_test(size=size) as pilot:
        await pilot.pause()
        screen = app.screen
        for shown in shows:
            screen.show(shown.frame, shown.count, shown.note)
            await pilot.pause()
            await _fit(pilot, size)
            save(shown, finish(app.export_screenshot(title=visible(session.scenario.title))))
            if app.size != size:
                await pilot.resize_terminal(*size)
                await pilot.pause()


async def _fit(pilot, size: tuple[int, int]) -> None:
    """Grow the terminal until no widget on the screen has rows scrolled out of sight."""
    width, height = size
    for _ in range(8):  # a taller screen can relayout once more (a scrollbar gone, a wrap)
        await pilot.pause()  # the layout of the last change first: a busy machine lags
        hidden = max((w.max_scroll_y for w in pilot.app.screen.query("*") if w.display), default=0)
        if hidden <= 0 or height >= MOST_ROWS:
            return
        height = min(MOST_ROWS, height + int(hidden))
        await pilot.resize_terminal(width, height)
        await pilot.pause()


_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u200b-\u200f\u2028-\u202e\u2060\u2066-\u2069\ufeff]")


def finish(svg: str) -> str:
    """The export marker after the opening tag, every control character from a title, note
    or caption made visible (XML cannot hold them: the SVG would not parse), and glyphs
    that monospace fonts lack placed cell by cell."""
    svg = _CONTROL.sub(lambda m: visible(m.group()), svg)
    svg = _TEXT.sub(_in_cells, svg)
    end = svg.index(">") + 1
    return f"{svg[:end]}\n{MARKS['svg']}{svg[end:]}"


# Rich writes one <text> per run of one style, placed at its first cell and stretched to its
# cells with textLength. Browsers honour that; librsvg (and so many converters) does not, and
# draws each run at the font's own advance: DejaVu Sans Mono's 0.602 em against Rich's 0.61
# em cell, Consolas' 0.55 em, and braille from another font wider still, so a plot's dots
# and right border drift out of their columns. Each run is therefore cut into pieces placed
# at their own cells: a glyph not in every font alone, the rest in words of at most `CHUNK`
# cells (spaces are left out: the background is drawn by rectangles, and librsvg drops
# leading spaces, even non-breaking ones).
CHUNK = 8
_TEXT = re.compile(r'<text ([^>]*)x="([0-9.]+)"([^>]*)textLength="([0-9.]+)"([^>]*)>([^<]*)</text>')
_WORD = re.compile(rf"[{FONT_GAPS}]|[^\s{FONT_GAPS}]{{1,{CHUNK}}}")


def _in_cells(m: re.Match[str]) -> str:
    before, x, middle, length, after, escaped = m.groups()
    text = html.unescape(escaped)
    from rich.cells import cell_len

    cell = float(length) / max(1, len(text))  # Rich counts textLength in characters, not cells
    pieces = []
    for piece in _WORD.finditer(text):
        col = cell_len(text[: piece.start()])
        pieces.append(f'<text {before}x="{float(x) + col * cell:.6g}"{middle}textLength="{cell_len(piece.group()) * cell:.6g}"'
                      f'{after}>{html.escape(piece.group(), quote=False)}</text>')
    whole = len(pieces) == 1 and cell_len(text.strip()) == len(text)  # one piece that is the whole run
    return m.group() if whole else "".join(pieces)
