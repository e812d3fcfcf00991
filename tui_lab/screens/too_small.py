"""Shown over everything while the terminal is below the usable minimum; the app keeps it on
top exactly while that holds (NoticeStack)."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.await_complete import AwaitComplete
from textual.binding import Binding
from textual.events import Resize
from textual.geometry import Size
from textual.screen import ModalScreen, Screen
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


class NoticeStack:
    """The app's screen stack with the too-small notice kept on top exactly while the terminal
    is too small (mixed into LabApp, before App): screens pushed, popped or switched to go under
    it, and whoever pops means the screen under it. Reads the app's `start_screen`."""

    def on_resize(self, event: Resize) -> None:
        self._guard(event.size)

    def _guard(self, size: Size | None = None) -> None:
        """The too-small notice on top exactly while the terminal is too small."""
        width, height = size or self.size
        small = width < MIN_WIDTH or height < MIN_HEIGHT
        if not self.screen_stack or self.start_screen is not None:
            return
        if small and not self._guarded():
            notice = TooSmallScreen(width, height)
            super().push_screen(notice)
        elif small:
            self.screen_stack[-1].update(width, height)
        elif self._guarded():
            super().pop_screen()

    def _guarded(self) -> bool:
        return bool(self.screen_stack) and isinstance(self.screen_stack[-1], TooSmallScreen)

    def _under_notice(self) -> list[Screen]:
        """The stack as a person means it: without the too-small notice."""
        return [s for s in self.screen_stack if not isinstance(s, TooSmallScreen)]

    def push_screen(self, screen, *args, **kwargs):
        guarded = self._guarded()
        if guarded:  # the notice stays on top: lift it, push, and put it back
            super().pop_screen()
        result = super().push_screen(screen, *args, **kwargs)
        if guarded:
            self._guard()
        return result

    def pop_screen(self) -> AwaitComplete:
        if self._guarded():  # whoever pops means the screen under the notice
            super().pop_screen()
            result = super().pop_screen()
            self._guard()
            return result
        return super().pop_screen()

    def switch_screen(self, screen) -> AwaitComplete:
        if self._guarded():
            super().pop_screen()
            result = super().switch_screen(screen)
            self._guard()
            return result
        return super().switch_screen(screen)

