"""The current frame, drawn by the lab's renderer, scrollable when larger than the screen.

A line-based scroll view: the frame is laid out once, into strips, when it arrives;
Textual then only copies the visible lines. (A Static would measure and re-render the
whole renderable on every layout pass, which costs tens of milliseconds on a big frame.)
A new frame repaints only the lines that differ from the last, and a new frame size only
moves the scrollbars: a step costs the terminal a few lines, never a relayout of the screen.
Laid-out frames are kept, and the next step can be laid out ahead (`prerender`).
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
from .frame_scrollbar import FrameScrollBar
from .interned import Interned
from .kept import Kept
from .line_cache import LineCache

# Columns left blank on each side of the frame.
MARGIN = 1
# Frames whose lines are kept: stepping back and forth re-uses them.
CACHED = 64
NO_STYLE = Style()


class FrameView(ScrollView, can_focus=True):
    """Holds one frame; set `frame` and it redraws. ↑ ↓ pgup pgdn scroll it."""

    DEFAULT_CSS = """
    FrameView { height: 1fr; overflow-y: scroll; }
    """

    frame: reactive[Frame | None] = reactive(None, always_update=True, repaint=False)
    """The frame on show (repainted by `watch_frame`, only the lines that changed)."""
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
        self._paint: tuple[Style, int, int, int] | None = None  # style, scroll x and y, width while a paint is under way
        self._cache: Kept[tuple, tuple[Frame, Frame | None, tuple[list[Strip], Size]]] = Kept(CACHED)
        self._styles_cache = LineCache()  # finished lines kept with the frame's own
        self._interned = Interned()  # one Strip per distinct line: a changed line is another object

    @property
    def vertical_scrollbar(self) -> FrameScrollBar:
        """Textual's own, made a FrameScrollBar: there always, blank while the frame fits."""
        if self._vertical_scrollbar is None:
            self._vertical_scrollbar = bar = FrameScrollBar(vertical=True, name="vertical",
                                                            thickness=self.scrollbar_size_vertical)
            bar.display = False
            self.app._start_widget(self, bar)
        return self._vertical_scrollbar

    def redraw(self) -> None:
        self.frame = self.frame

    def on_resize(self) -> None:
        self.redraw()

    def on_show(self) -> None:
        self.redraw()

    def watch_frame(self, frame: Frame | None) -> None:
        if frame is None:
            return
        old, (self._strips, size) = self._strips, self._lines(frame, self._width())
        if not old or not self._resize_quietly(size):
            self.refresh()
            return
        # Repaint only the lines that changed, so a step costs the terminal (an SSH link) a
        # few lines, not the whole view; one refresh for them all (each clears the widget's caches).
        top, width, new = self.scroll_offset.y, self.size.width, self._strips
        changed = [y - top for y in range(top, top + self.size.height)
                   if (old[y] if y < len(old) else None) is not (new[y] if y < len(new) else None)]
        if changed:
            self.refresh(*(Region(0, y, width, height) for y, height in runs(changed)))

    def prerender(self, frame: Frame) -> None:
        """Lay out a frame that is likely next (idle time between keys), so showing it costs
        only the repaint."""
        if self.size.width:
            lines, _ = self._lines(frame, self._width())
            # The lines as render_line will ask for them, and what a paint makes of them.
            base, (x, y), width = self.visual_style.rich_style, self.scroll_offset, self.scrollable_content_region.width
            self._styles_cache.prepare(self, [shown(strip, base, x, width) for strip in lines[y:y + self.size.height]])
            if self.show_vertical_scrollbar:
                self.vertical_scrollbar.prepare(len(lines))

    def _width(self) -> int:
        # Hidden while the lab opens, the view has no size yet: use the screen's.
        own = self.size.width or self.app.size.width
        return max(40, own - 2 * MARGIN - 1)  # one column kept for the scrollbar

    def _lines(self, frame: Frame, width: int) -> tuple[list[Strip], Size]:
        """The frame laid out at `width`, and its size, from the cache when this frame was shown (or laid
        out ahead) with the same view. Frames never change, so neither do their lines; a
        live lab's figures do, so its frames are always laid out afresh."""
        key = None if self.live else (id(frame), width, repr(sorted(self.view.items())), id(self.ghost))
        hit = self._cache.look(key) if key else None
        if hit is not None and hit[0] is frame and hit[1] is self.ghost:  # same objects, not reused ids
            return hit[2]
        strips = self._layout(frame, width)
        # Measured here, where a frame laid out ahead is measured ahead too (a line's length
        # is the sum of its segments' cell widths: a third of a millisecond for a big frame).
        laid = strips, Size(max((s.cell_length for s in strips), default=0), len(strips))
        if key:
            self._cache.keep(key, (frame, self.ghost, laid))
        return laid

    def _layout(self, frame: Frame, width: int) -> list[Strip]:
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
        # Every segment gets a Style object (NO_COLOR's monochrome filter reads each one's colour);
        # neighbours in the same style become one segment: one colour change less on the wire.
        return [self._interned(Strip(Segment.simplify(pad + [styled(seg) for seg in line]))) for line in lines]

    def _resize_quietly(self, size: Size) -> bool:
        """Take the new frame's size without relaying the screen out; False when a layout is
        due all the same (a scrollbar comes or goes, or the view has moved).

        Frames of one scenario differ in height and width from step to step. Setting
        `virtual_size` the usual way lays out the whole screen, and a layout repaints every
        region: each step would cost a full repaint on the wire and a few milliseconds here.
        Only the scrollbars depend on the virtual size, so they are all that is updated.
        """
        if size == self.virtual_size:
            return True
        bars = (self.show_horizontal_scrollbar, self.show_vertical_scrollbar)
        offset = self.scroll_offset
        self.set_reactive(FrameView.virtual_size, size)
        self._scroll_update(size)  # scrollbars' extent; a change of visibility lays out itself
        return bars == (self.show_horizontal_scrollbar, self.show_vertical_scrollbar) and offset == self.scroll_offset

    def render_lines(self, crop: Region) -> list[Strip]:
        # What every line needs (the widget's own style, the scroll offset, the width) once per
        # paint, not once per line: each walks the DOM or the styles, and a step repaints most
        # lines of a frame that moves. (The style is Textual's kept one, as a Static paints with:
        # `rich_style` works it out anew from every ancestor, 40 µs.)
        self._paint = (self.visual_style.rich_style, *self.scroll_offset, self.scrollable_content_region.width)
        try:
            return super().render_lines(crop)
        finally:
            self._paint = None

    def render_line(self, y: int) -> Strip:
        # The widget's colours under the frame's own (as a Static would have).
        base, scroll_x, scroll_y, width = self._paint or (self.visual_style.rich_style, *self.scroll_offset,
                                                           self.scrollable_content_region.width)
        index = scroll_y + y
        if index >= len(self._strips):
            return Strip.blank(width, base)
        return shown(self._strips[index], base, scroll_x, width)


def styled(segment: Segment) -> Segment:
    return segment if segment.style is not None else Segment(segment.text, NO_STYLE, segment.control)


def shown(strip: Strip, base: Style, x: int, width: int) -> Strip:
    """A frame line as the view shows it: in the widget's colours, scrolled to `x`, `width`
    cells (the same Strip each time: Strip keeps what it made)."""
    return strip.apply_style(base).crop_extend(x, x + width, base)


def runs(rows: list[int]) -> list[tuple[int, int]]:
    """Ascending row numbers as (first, count) for each run of consecutive ones: a region per
    run, not per line, for the screen to merge and cut."""
    out: list[tuple[int, int]] = []
    for y in rows:
        if out and out[-1][0] + out[-1][1] == y:
            out[-1] = (out[-1][0], out[-1][1] + 1)
        else:
            out.append((y, 1))
    return out
