"""The frame view's finished lines, kept from paint to paint.

Textual finishes every line a widget paints (its CSS: padding, border, tint, the app's
colour filter) into a new Strip, and a new Strip is a new object, so the colour filter that
follows cannot use its cache either: about 40 µs a line, most of a step's paint when a step
changes every line of the frame. The frame view's lines are the same Strip objects from one
paint to the next (a frame's lines are laid out once and kept, and styled once), so where the
view's CSS adds nothing to a line (no padding, border, outline, tint, hatch or opacity, as
in this app) the finished line is kept beside the line it was made from, and a line shown
again (stepping back, or laid out ahead by `FrameView.prerender`) costs a dictionary look-up.
With any such CSS the lines are finished by Textual, as for every other widget.
"""

from __future__ import annotations

from collections import OrderedDict

from textual._styles_cache import StylesCache
from textual.color import Color
from textual.strip import Strip

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
        self._kept: OrderedDict[int, tuple[Strip, tuple, Strip]] = OrderedDict()

    def render(self, styles, size, base_background, background, render_content_line, filters, border_title,
               border_subtitle, content_size=None, padding=None, crop=None, opacity=1.0, **kwargs) -> list[Strip]:
        pad = styles.padding if padding is None else padding
        self._plain = (border_title is None and border_subtitle is None and opacity == 1.0 and not any(pad)
                       and not any(edge for edge, _ in styles.border) and not any(edge for edge, _ in styles.outline)
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
        return self.finish(render_content_line(y), content_size.width, size.width, base_background, background)

    def finish(self, line: Strip, content_width: int, width: int, base_background: Color,
               background: Color) -> Strip:
        """`line` as StylesCache.render_line finishes a content line when the CSS adds nothing:
        cut or padded to the content's width in the widget's background, `width` cells long."""
        look = (content_width, width, base_background, background)
        kept = self._kept.get(id(line))
        if kept is not None and kept[0] is line and kept[1] == look:
            self._kept.move_to_end(id(line))
            return kept[2]
        inner = self.get_inner_outer(base_background, background)[0]
        strip = Strip(line.adjust_cell_length(content_width, inner.rich_style), width)
        self._kept[id(line)] = (line, look, strip)
        self._kept.move_to_end(id(line))  # an id reused by a new line
        if len(self._kept) > KEPT:
            self._kept.popitem(last=False)
        return strip
