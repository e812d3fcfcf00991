"""Shown over everything while the terminal is below the usable minimum."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import ModalScreen
from textual.widgets import Static

MIN_WIDTH, MIN_HEIGHT = 60, 18


class TooSmallScreen(ModalScreen[None]):
    BINDINGS = [Binding("q,ctrl+c", "app.quit", "Quit", id="quit")]

    def compose(self) -> ComposeResult:
        yield Static(id="too-small")

    def on_mount(self) -> None:
        self.update(self.app.size.width, self.app.size.height)

    def update(self, width: int, height: int) -> None:
        self.query_one("#too-small", Static).update(
            f"Terminal too small: {width}×{height}.\nThe lab needs at least {MIN_WIDTH}×{MIN_HEIGHT}; "
            "80×24 or larger is best.\nEnlarge the window (nothing is lost), or press q to quit."
        )
