"""The current frame, drawn by the lab's renderer, scrollable when larger than the screen.

A line-based scroll view: the frame is laid out once, into strips, when it arrives;
Textual then only copies the visible lines. (A Static would measure and re-render the
whole renderable on every layout pass, which costs tens of milliseconds on a big frame.)
"""

from __future__ import annotations

from rich.segment import Segment
from rich.text import Text
from rich.style import Style
from textual.geometry import Region, Size
from textual.reactive import reactive
from textual.scroll_view import ScrollView
from textual.strip import Strip

from engine.core.frame import Frame

from ..render import render_frame

# Columns left blank on each side of the frame.
MARGIN = 1
NO_STYLE = Style()


class FrameView(ScrollView, can_focus=True):
    """Holds one frame; set `frame` and it redraws. ↑ ↓ pgup pgdn scroll it."""

    DEFAULT_CSS = """
    FrameView { height: 1fr; }
    """

    frame: reactive[Frame | None] = reactive(None, always_update=True)
    """The frame on show."""
    ghost: Frame | None = None
    """The previous result after a knob turn, drawn faintly where a picture makes sense."""
    live: dict = {}
    """Figures a live lab measures as it runs (never in frames)."""

    def __init__(self, lab: str, **kwargs) -> None:
        super().__init__(**kwargs)
        self.lab = lab
        # View-only state (zoom, pan, which unit is shown) that the lab's render KEYS change.
        self.view: dict = {}
        self._strips: list[Strip] = []

    def redraw(self) -> None:
        self.frame = self.frame

    def on_resize(self) -> None:
        self.redraw()

    def on_show(self) -> None:
        self.redraw()

    def watch_frame(self, frame: Frame | None) -> None:
        if frame is None:
            return
        # Hidden while the lab opens, the view has no size yet: use the screen's.
        own = self.size.width or self.app.size.width
        width = max(40, own - 2 * MARGIN - 1)  # one column kept for the scrollbar
        console = self.app.console
        options = console.options.update(width=width, height=None)
        view = {**self.view, "ghost": self.ghost, "live": self.live}
        try:
            renderable = render_frame(self.lab, frame, width, view)
            lines = console.render_lines(renderable, options, pad=False)
        except Exception as exc:  # a renderer bug shows here, the app keeps running
            from ..runner import describe

            lines = console.render_lines(Text(f"Could not draw step {frame.index}: {describe(exc)}", style="bold red"),
                                         options, pad=False)
        pad = [Segment(" " * MARGIN, NO_STYLE)]
        # Every segment gets a Style object (NO_COLOR's monochrome filter reads each one's colour).
        old, self._strips = self._strips, [
            Strip(pad + [seg if seg.style is not None else Segment(seg.text, NO_STYLE, seg.control) for seg in line])
            for line in lines]
        size = Size(max((s.cell_length for s in self._strips), default=0), len(self._strips))
        if size.width != self.virtual_size.width or not old:
            self.virtual_size = size
            self.refresh()
            return
        self.virtual_size = size  # a new height only moves the scrollbar
        # Repaint only the lines that changed, so a step costs the terminal (an SSH link) a
        # few lines, not the whole view.
        top, width = self.scroll_offset.y, self.size.width
        for y in range(top, top + self.size.height):
            a = old[y] if y < len(old) else None
            b = self._strips[y] if y < len(self._strips) else None
            if a != b:
                self.refresh(Region(0, y - top, width, 1))

    def render_line(self, y: int) -> Strip:
        scroll_x, scroll_y = self.scroll_offset
        index = scroll_y + y
        width = self.scrollable_content_region.width
        base = self.rich_style  # the widget's colours under the frame's own (as a Static would have)
        if index >= len(self._strips):
            return Strip.blank(width, base)
        return self._strips[index].apply_style(base).crop_extend(scroll_x, scroll_x + width, base)
