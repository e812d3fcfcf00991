"""The frame view's vertical scrollbar: always there, blank while the frame fits.

Frames of one scenario are a few lines taller or shorter than the view from step to step
(lstm-sonnets-checkpoint: 22 to 26 lines in a view of 24). A scrollbar that comes and goes
with them lays the whole screen out again, and a layout repaints every region: a third of
those steps cost twice the others. So the view keeps its scrollbar (`overflow-y: scroll`)
and the scrollbar, while there is nothing to scroll, paints what the view itself paints in
that column when it has no scrollbar: a blank in the view's style. A step then repaints the
bar only, never the screen, and the screen looks as it did with the bar hidden.
"""

from __future__ import annotations

from textual.geometry import Region
from textual.scrollbar import ScrollBar
from textual.strip import Strip


class FrameScrollBar(ScrollBar):
    _blank = False  # the bar on screen is the blank one

    def _fits(self) -> bool:
        return self.vertical and self.parent is not None and self.window_virtual_size <= self.window_size

    def refresh(self, *regions: Region, repaint: bool = True, layout: bool = False, recompose: bool = False):
        # A frame that fits after one that fitted leaves the bar blank: nothing to repaint.
        # (Its look is the view's: a change of the view's style repaints the view, bar included.)
        if self._blank and self._fits() and not (regions or layout or recompose):
            return self
        return super().refresh(*regions, repaint=repaint, layout=layout, recompose=recompose)

    def render_lines(self, crop: Region) -> list[Strip]:
        self._blank = self._fits()
        if not self._blank:
            return super().render_lines(crop)
        view = self.parent
        # As the view paints its last column with no bar (frame_view.render_line pads each
        # line, and a line past the frame is blank, in the view's style; then the app's filters).
        strip = Strip.blank(crop.width, view.rich_style)
        background = view.background_colors[1]
        for line_filter in view.get_line_filters():
            strip = strip.apply_filter(line_filter, background)
        return [strip] * crop.height
