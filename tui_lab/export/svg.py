"""SVG screenshots of the app's own scenario screen, driven headless.

The screen is the one a person sees (same widgets, CSS and renderers); the frames come
from the replay session, so the pictures match the text and JSON output step for step.
Each picture holds the whole frame: the screen is made as tall as the frame needs (no
scrolled-off rows), then put back to `SIZE` for the next one.
"""

from __future__ import annotations

import asyncio
import re
from typing import Callable, Iterable

from engine.core.files import MARKER
from engine.core.fmt import visible
from engine.session import Session, Shown

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
            screen.show(shown.frame, shown.total, shown.note)
            await pilot.pause()
            await _fit(pilot, size)
            save(shown, finish(app.export_screenshot(title=visible(session.scenario.title))))
            if app.size != size:
                await pilot.resize_terminal(*size)
                await pilot.pause()


async def _fit(pilot, size: tuple[int, int]) -> None:
    """Grow the terminal until no widget on the screen has rows scrolled out of sight."""
    width, height = size
    for _ in range(4):  # a taller screen can relayout once more (a scrollbar gone, a wrap)
        hidden = max((w.max_scroll_y for w in pilot.app.screen.query("*") if w.display), default=0)
        if hidden <= 0 or height >= MOST_ROWS:
            return
        height = min(MOST_ROWS, height + int(hidden))
        await pilot.resize_terminal(width, height)
        await pilot.pause()


_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u200b-\u200f\u2028-\u202e\u2060\u2066-\u2069\ufeff]")


def finish(svg: str) -> str:
    """The export marker after the opening tag, and every control character from a title,
    note or caption made visible: XML cannot hold them (the SVG would not parse)."""
    svg = _CONTROL.sub(lambda m: visible(m.group()), svg)
    end = svg.index(">") + 1
    return f"{svg[:end]}\n<!-- {MARKER} -->{svg[end:]}"
