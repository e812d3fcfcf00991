"""SVG screenshots of the app's own scenario screen, driven headless.

The screen is the one a person sees (same widgets, CSS and renderers); the frames come
from the replay session, so the pictures match the text and JSON output step for step.
"""

from __future__ import annotations

import asyncio

from engine.session import Session, Shown

SIZE = (100, 30)


def screenshots(session: Session, shows: list[Shown], size: tuple[int, int] = SIZE) -> list[str]:
    """An SVG string for each entry of `shows`, in order."""
    return asyncio.run(_capture(session, shows, size))


async def _capture(session: Session, shows: list[Shown], size: tuple[int, int]) -> list[str]:
    from ..app import LabApp
    from ..screens.scenario import ScenarioScreen

    app = LabApp(screen=ScenarioScreen(session.scenario, session=session))
    app.animation_level = "none"
    out: list[str] = []
    async with app.run_test(size=size) as pilot:
        await pilot.pause()
        screen = app.screen
        for shown in shows:
            screen.show(shown.frame, shown.count, shown.note)
            await pilot.pause()
            out.append(app.export_screenshot(title=session.scenario.title))
    return out
