"""The frame view's vertical scrollbar: always there, blank while the frame fits.

Frames of one scenario are a few lines taller or shorter than the view from step to step
(lstm-sonnets-checkpoint: 22 to 26 lines in a view of 24). A scrollbar that comes and goes
with them lays the whole screen out again, and a layout repaints every region: a third of
those steps cost twice the others. So the view keeps its scrollbar (`overflow-y: scroll`)
and the scrollbar, while there is nothing to scroll, paints what the view itself paints in
that column when it has no scrollbar: a blank in the view's style. A step then repaints the
bar only, never the screen, and the screen looks as it did with the bar hidden.

Where the frame does not fit, a frame of another height moves the thumb, and Textual lays
the bar out again (about 1 ms for 24 lines of one cell). The bar's lines are kept for each
look (the thumb's place and size, the colours), and the next frame's are laid out while the
person reads this one (`prepare`), so a step shows them at once.
"""

from __future__ import annotations

from textual._styles_cache import StylesCache
from textual.geometry import Region
from textual.scrollbar import ScrollBar
from textual.strip import Strip

from .kept import Kept

# Looks of the bar whose lines are kept.
KEPT = 64


class FrameScrollBar(ScrollBar):
    _blank = False  # the bar on screen is the blank one

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._kept: Kept[tuple, list[Strip]] = Kept(KEPT)

    def _look(self, virtual: int) -> tuple:
        """Everything the bar's lines are made of, for a frame `virtual` lines tall."""
        view, app = self.parent, self.app
        return (virtual, self.window_size, self.position, self.thickness, self.size, self.mouse_over,
                bool(self.grabbed), self.styles._cache_key, view.styles._cache_key, self.screen.styles._cache_key,
                view.background_colors, app.theme, tuple(app.get_line_filters()))

    def _laid_out(self, virtual: int) -> list[Strip]:
        """The bar's lines as Textual lays them out (its StylesCache, from a fresh render) for a
        frame `virtual` lines tall; the bar's own state is left as it was."""
        shown, cache, dirty = self.window_virtual_size, self._render_cache, set(self._dirty_regions)
        self.set_reactive(ScrollBar.window_virtual_size, virtual)
        self._layout_cache.clear()  # the rendered bar is kept there
        self._dirty_regions.add(self.size.region)
        try:
            return StylesCache().render_widget(self, self.size.region)
        finally:
            self.set_reactive(ScrollBar.window_virtual_size, shown)
            self._layout_cache.clear()
            self._render_cache, self._dirty_regions = cache, dirty

    def prepare(self, virtual: int) -> None:
        """Lay the bar out for a frame `virtual` lines tall, so that showing it is a look-up."""
        if self.vertical and self.parent is not None and self.size and virtual > self.window_size:
            look = self._look(virtual)
            if look not in self._kept:
                self._kept.keep(look, self._laid_out(virtual))

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
            if not self.vertical or crop != self.size.region:
                return super().render_lines(crop)
            look = self._look(self.window_virtual_size)
            strips = self._kept.look(look)
            return strips if strips is not None else self._kept.keep(look, super().render_lines(crop))
        view = self.parent
        # As the view paints its last column with no bar (frame_view.render_line pads each
        # line, and a line past the frame is blank, in the view's style; then the app's filters).
        strip = Strip.blank(crop.width, view.rich_style)
        background = view.background_colors[1]
        for line_filter in view.get_line_filters():
            strip = strip.apply_filter(line_filter, background)
        return [strip] * crop.height
