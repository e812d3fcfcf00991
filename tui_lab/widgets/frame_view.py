"""The current frame, drawn by the lab's renderer, scrollable when larger than the screen."""

from __future__ import annotations

from rich.console import Console, ConsoleOptions, RenderResult
from rich.measure import Measurement
from rich.segment import Segment
from rich.text import Text
from textual.containers import VerticalScroll
from textual.reactive import reactive
from textual.widgets import Static

from engine.frame import Frame

from ..render import render_frame


class PreRendered:
    """Lines of segments already laid out for one width."""

    def __init__(self, lines: list[list[Segment]]) -> None:
        self.lines = lines
        self.width = max((Segment.get_line_length(line) for line in lines), default=0)

    def __rich_measure__(self, console: Console, options: ConsoleOptions) -> Measurement:
        return Measurement(self.width, self.width)

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        new_line = Segment.line()
        for line in self.lines:
            yield from line
            yield new_line


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

    def on_show(self) -> None:
        self.redraw()

    def compose(self):
        yield Static("", id="caption")
        yield Static("", id="body")

    def watch_frame(self, frame: Frame | None) -> None:
        if frame is None:
            return
        self.query_one("#caption", Static).update(Text(frame.caption))
        # Hidden while the lab opens, the view has no size yet: use the screen's.
        own = self.size.width or self.app.size.width
        width = max(40, own - 2 - (1 if self.show_vertical_scrollbar else 0))
        renderable = render_frame(self.lab, frame, width, self.view)
        # Lay the frame out once here; Textual then measures and paints copies of the lines
        # instead of re-rendering every table for the layout pass and again for the paint.
        console = self.app.console
        lines = console.render_lines(renderable, console.options.update(width=width, height=None), pad=False)
        self.query_one("#body", Static).update(PreRendered(lines))
