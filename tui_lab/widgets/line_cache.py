"""The finished lines of the frame view, the caption and the status, kept from paint to paint.

Textual finishes every line a widget paints (its CSS: padding, border, tint, the app's
colour filter) into a new Strip, and a new Strip is a new object, so the colour filter that
follows cannot use its cache either: about 40 µs a line, most of a step's paint when a step
changes every line of the frame. These widgets' lines are the same Strip objects from one
paint to the next (a frame's lines are laid out once and kept, a caption's and a status's
kept for each text), so where the CSS adds nothing to a line but padding at its sides (no
padding above or below, border, outline, tint, hatch or opacity, as in this app) the
finished line is kept beside the line it was made from, and a line shown again (stepping
back, or laid out ahead by `FrameView.prerender`) costs a dictionary look-up. With any such
CSS the lines are finished by Textual, as for every other widget."""

from __future__ import annotations

from textual._segment_tools import line_pad
from textual._styles_cache import StylesCache
from textual.color import Color
from textual.strip import Strip
from textual.widget import Widget

from .kept import Kept

# Finished lines kept: some forty screens of frame, the least recently shown dropped first, one
# at a time (dropping them all at once when full freed ten thousand objects inside one paint:
# 17-27 ms, once in fifty steps of arch-vgg19). Each is two Strips of eight objects the cyclic
# collector walks, so not many more.
KEPT = 1024


class LineCache(StylesCache):
    """A StylesCache that keeps each finished line with the line it was made from."""

    def __init__(self) -> None:
        super().__init__()
        self._plain = False  # the widget's CSS adds nothing to a line (set for each paint)
        self._plain_for: tuple | None = None  # what `_plain` was worked out from
        self._kept: Kept[int, tuple[Strip, tuple, Strip]] = Kept(KEPT)

    def render(self, styles, size, base_background, background, render_content_line, filters, border_title,
               border_subtitle, content_size=None, padding=None, crop=None, opacity=1.0, **kwargs) -> list[Strip]:
        pad = styles.padding if padding is None else padding
        # Worked out again only when the widget's styles change (a tenth of a widget's paint).
        look = (styles._cache_key, pad, border_title is None and border_subtitle is None, opacity)
        if look != self._plain_for:
            self._plain_for = look
            self._plain = (border_title is None and border_subtitle is None and opacity == 1.0 and not pad.top
                           and not pad.bottom
                           and not any(edge for edge, _ in styles.border)
                           and not any(edge for edge, _ in styles.outline)
                           and not styles.tint.a and styles.text_opacity == 1.0
                           and (not styles.has_rule("hatch") or styles.hatch == "none"))
        return super().render(styles, size, base_background, background, render_content_line, filters, border_title,
                              border_subtitle, content_size=content_size, padding=padding, crop=crop, opacity=opacity,
                              **kwargs)

    def render_line(self, styles, y, size, content_size, padding, base_background, background, render_content_line,
                    *args) -> Strip:
        if not self._plain:
            return super().render_line(styles, y, size, content_size, padding, base_background, background,
                                       render_content_line, *args)
        return self.finish(render_content_line(y), content_size.width, size.width, base_background, background,
                           padding.left, padding.right)

    def finish(self, line: Strip, content_width: int, width: int, base_background: Color,
               background: Color, pad_left: int = 0, pad_right: int = 0) -> Strip:
        """`line` as StylesCache.render_line finishes a content line when the CSS adds nothing
        but padding at the sides: cut or padded to the content's width, and padded, in the
        widget's background, `width` cells long."""
        look = (content_width, width, base_background, background, pad_left, pad_right)
        kept = self._kept.look(id(line))
        if kept is not None and kept[0] is line and kept[1] == look:
            return kept[2]
        inner = self.get_inner_outer(base_background, background)[0].rich_style
        content = line.adjust_cell_length(content_width, inner)
        strip = Strip(line_pad(content, pad_left, pad_right, inner) if pad_left or pad_right else content, width)
        self._kept.keep(id(line), (line, look, strip))
        return strip

    def prepare(self, widget: Widget, lines: list[Strip]) -> None:
        """Make now what a paint of `widget` showing `lines` (its content lines, from its top)
        will make of them: each finished (as `finish`), passed through the app's filters, cut
        where the screen cuts it and turned into the terminal's bytes. Each is kept in the strip
        it was made from, so that paint is look-ups."""
        base_background, background = widget.background_colors
        padding, console = widget.styles.padding, widget.app.console
        content_width, width = widget.content_region.width, widget.region.width
        filters = widget.get_line_filters()
        for line, cuts in zip(lines, screen_cuts(widget)):
            line = self.finish(line, content_width, width, base_background, background, padding.left, padding.right)
            for line_filter in filters:
                line = line.apply_filter(line_filter, background)
            for piece in line.divide(cuts):
                piece.render(console)


def screen_cuts(widget: Widget) -> list[list[int]]:
    """Where the screen's compositor cuts each of `widget`'s lines (the cells where other
    widgets begin and end, as `Compositor._render_chops` works them out), relative to it."""
    region = widget.region.intersection(widget.screen.region)
    if not region:
        return []
    first, last = region.column_span
    return [[cut - region.x for cut in line if last >= cut > first]
            for line in widget.screen._compositor.cuts[region.y:region.bottom]]
