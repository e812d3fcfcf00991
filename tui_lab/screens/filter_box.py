"""The home screen's filter box, mounted just after the first paint, and its stand-in till then.

The box is an Input, and mounting one costs the home screen's first paint as much as the
list's rows do. Until it is mounted (`mount`, once the screen has painted), a Static that looks
as the unfocused box does stands in its place and holds what is typed; the box then takes it.
"""

from __future__ import annotations

from rich.text import Text
from textual.content import Content
from textual.screen import Screen
from textual.widgets import Input, Static

# What the box says while it is empty.
PLACEHOLDER = "type to filter scenarios (lab, title, words)"


class FilterBox:
    def __init__(self, screen: Screen) -> None:
        self.screen = screen
        self.stub: Static | None = Static(Content(PLACEHOLDER), id="search-stub")
        self._box: Input | None = None  # once mounted
        self._typed = ""  # typed before the box was there
        self._wanted = False  # the focus is asked for, and not given yet (`want_focus`)

    async def mount(self) -> None:
        """The box in the stand-in's place, with what was typed meanwhile. (Keys for the screen
        wait while it is mounted: they are handled in the screen's turn.)"""
        stub = self.stub
        if stub is None or not stub.is_attached:  # the app closed first
            return
        box = FilterInput(placeholder=PLACEHOLDER, id="search", select_on_focus=False)
        await self.screen.mount(box, before=stub)
        await stub.remove()
        self.stub, self._box = None, box
        if self._typed:
            self.type(self._typed)

    def box(self) -> Input | None:
        """The Input; None before it is mounted and once the app closes. (Held, not queried: a
        key on the home screen reads it several times.)"""
        box = self._box
        return box if box is not None and box.is_attached else None

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
        """The box has the focus (the screen's word, not the box's `has_focus`: that follows
        once the box has handled its Focus event)."""
        box = self.box()
        return box is not None and self.screen.focused is box

    @property
    def wants_focus(self) -> bool:
        """The focus is asked for (`want_focus`) and not given yet."""
        return self._wanted

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
        self._wanted = False
        if box is None:
            self.type("")
            return
        with box.prevent(Input.Changed):
            box.value = ""

    def want_focus(self) -> None:
        """Ask for the focus: from now on keys count as typed into the box; `take_focus` gives
        it (the screen calls it once the keys sent before are typed: focused sooner, the box
        would take the keys after them first, and `ab` typed fast would read `ba`)."""
        self._wanted = True

    def take_focus(self) -> None:
        """The focus asked for, unless taken back since (`clear`) or the box is not there yet."""
        box = self.box()
        if box is not None and self._wanted:
            self._wanted = False
            self.screen.set_focus(box)


class FilterInput(Input):
    """The search box, whose backspace keeps its place among the letters typed around it. Input
    deletes by a binding, and a binding runs only once its key has passed up through the screen
    and the app; a letter typed right after goes in at once, so `sobex⌫l` read `sobex` (the
    backspace took the l)."""

    async def _on_key(self, event) -> None:
        if event.key == "backspace":
            event.stop()
            event.prevent_default()
            self._restart_blink()
            self.action_delete_left()
            return
        await super()._on_key(event)

