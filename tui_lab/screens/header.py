"""The header every screen shows: Textual's Header, safe while its screen closes.

Textual's Header updates its title from watchers that run on the app's queue; when a screen
closes right after opening (q pressed at once, keys mashed), such an update arrives after the
title widget is gone and `query_one(HeaderTitle)` ends the app with NoMatches. Here an update
with nothing to update does nothing.
"""

from __future__ import annotations

from textual.dom import NoScreen
from textual.events import Mount
from textual.widgets import Header
from textual.widgets._header import HeaderTitle


class LabHeader(Header):
    def _on_mount(self, event: Mount) -> None:
        event.prevent_default()  # instead of Header._on_mount, which registers the unsafe watchers

        def set_title() -> None:
            try:
                for title in self.query(HeaderTitle):
                    # A repaint, not a relayout of the screen: the title is one line as wide as the
                    # header (nowrap), whatever it says. A knob turn retitles the screen ("turned: …").
                    title.update(self.format_title(), layout=False)
            except NoScreen:
                pass

        self.watch(self.app, "title", set_title)
        self.watch(self.app, "sub_title", set_title)
        self.watch(self.screen, "title", set_title)
        self.watch(self.screen, "sub_title", set_title)
