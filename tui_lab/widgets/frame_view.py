"""The current frame, drawn by the lab's renderer, scrollable when larger than the screen."""

from __future__ import annotations

from textual.containers import VerticalScroll
from textual.reactive import reactive
from textual.widgets import Static

from engine.frame import Frame

from ..render import render_frame


class FrameView(VerticalScroll, can_focus=True):
    """Holds one frame; set `frame` and it redraws."""

    DEFAULT_CSS = """
    FrameView { height: 1fr; padding: 0 1; }
    FrameView > #caption { text-style: bold; margin-bottom: 1; }
    """

    frame: reactive[Frame | None] = reactive(None, always_update=True)
    """The frame on show."""

    def __init__(self, lab: str, **kwargs) -> None:
        super().__init__(**kwargs)
        self.lab = lab
        # View-only state (zoom, pan, which unit is shown) that the lab's render KEYS change.
        self.view: dict = {}

    def redraw(self) -> None:
        self.frame = self.frame

    def on_resize(self) -> None:
        self.redraw()

    def compose(self):
        yield Static("", id="caption")
        yield Static("", id="body")

    def watch_frame(self, frame: Frame | None) -> None:
        if frame is None:
            return
        self.query_one("#caption", Static).update(frame.caption)
        width = max(40, self.size.width - 2)
        self.query_one("#body", Static).update(render_frame(self.lab, frame, width, self.view))
