"""The home screen's filter box, mounted just after the first paint, and its stand-in till then.

The box is an Input, and mounting one costs the home screen's first paint as much as the
list's rows do. Until it is mounted (`mount`, once the screen has painted), a Static that looks
as the unfocused box does stands in its place and holds what is typed; the box then takes it.
"""

from __future__ import annotations

from rich.text import Text
from textual.content import Content
from textual.css.query import NoMatches
from textual.screen import Screen
from textual.widgets import Input, Static

# What the box says while it is empty.
PLACEHOLDER = "type to filter scenarios (lab, title, words)"


class FilterBox:
    def __init__(self, screen: Screen) -> None:
        self.screen = screen
        self.stub: Static | None = Static(Content(PLACEHOLDER), id="search-stub")
        self._typed = ""  # typed before the box was there
        self._focus = False  # focus asked for before the box was there

    async def mount(self) -> None:
        """The box in the stand-in's place, with what was typed meanwhile. (Keys for the screen
        wait while it is mounted: they are handled in the screen's turn.)"""
        stub = self.stub
        if stub is None or not stub.is_attached:  # the app closed first
            return
        box = Input(placeholder=PLACEHOLDER, id="search", select_on_focus=False)
        await self.screen.mount(box, before=stub)
        await stub.remove()
        self.stub = None
        if self._typed:
            self.type(self._typed)
        if self._typed or self._focus:
            box.focus()

    def box(self) -> Input | None:
        """The Input; None before it is mounted and once the screen is taken down."""
        try:
            return self.screen.query_one("#search", Input)
        except NoMatches:
            return None

    @property
    def gone(self) -> bool:
        """The screen is being taken down: neither the box nor its stand-in is there."""
        return self.stub is None and self.box() is None

    @property
    def text(self) -> str:
        box = self.box()
        return box.value if box is not None else self._typed

    @property
    def has_focus(self) -> bool:
        box = self.box()
        return box is not None and box.has_focus

    def type(self, text: str) -> None:
        """Put `text` in the box (its cursor at the end), or in the stand-in."""
        box = self.box()
        if box is not None:
            box.value = text
            box.cursor_position = len(text)
        elif self.stub is not None:
            self._typed = text
            self.stub.update(Text(text) if text else PLACEHOLDER)
            self.stub.set_class(bool(text), "-typed")

    def clear(self) -> None:
        """Empty the box without telling the screen (it refills the list itself, at once, and
        gives the list the focus)."""
        box = self.box()
        if box is None:
            self.type("")
            self._focus = False
            return
        with box.prevent(Input.Changed):
            box.value = ""

    def focus(self) -> None:
        box = self.box()
        if box is not None:
            box.focus()
        else:
            self._focus = True  # once it is there
