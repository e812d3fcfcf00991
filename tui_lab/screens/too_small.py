"""Shown over everything while the terminal is below the usable minimum (the app keeps it
on top exactly while that holds: see LabApp._guard)."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import ModalScreen
from textual.widgets import Static

MIN_WIDTH, MIN_HEIGHT = 60, 18


class TooSmallScreen(ModalScreen[None]):
    BINDINGS = [Binding("q,ctrl+c", "app.quit", "Quit", id="quit")]

    def __init__(self, width: int = 0, height: int = 0) -> None:
        super().__init__()
        self.term = (width, height)

    def compose(self) -> ComposeResult:
        yield Static(self._text(), id="too-small")

    def update(self, width: int, height: int) -> None:
        """The size now; a resize may come before the screen has mounted."""
        self.term = (width, height)
        if self.is_mounted:
            self.query_one("#too-small", Static).update(self._text())

    def _text(self) -> Text:
        width, height = self.term
        return Text(
            f"Terminal too small: {width}×{height}.\nThe lab needs at least {MIN_WIDTH}×{MIN_HEIGHT}; "
            "80×24 or larger is best.\nEnlarge the window (nothing is lost), or press q to quit."
        )
