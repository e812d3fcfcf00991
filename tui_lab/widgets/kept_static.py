"""A Static that keeps the lines of the texts it has shown, and can lay one out ahead.

The caption and the status line change on every step, and Textual lays a Static's text out
anew at each paint (a third of a millisecond for one line of status). A step back shows a
caption and a status shown before, and the next step's are known while the person reads this
one (`prepare`), so each text that looks the same (`look`) is made into Textual's Content
once, and that one Content's lines are kept for each size and style. A text selection is
drawn into the lines, so with one the lines are laid out afresh, as Textual does.
"""

from __future__ import annotations

from rich.text import Text
from textual.visual import Visual, visualize
from textual.widget import _RenderCache
from textual.widgets import Static

from .kept import Kept
from .line_cache import LineCache

# Texts whose lines are kept (each a line or a few).
KEPT = 128


class KeptStatic(Static):
    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._visuals: Kept[tuple, Visual] = Kept(KEPT)  # one Content per look
        self._kept: Kept[tuple, tuple[Visual, list]] = Kept(KEPT)  # its lines, by its id, size and style
        self._styles_cache = LineCache()  # the lines finished from those kept, kept too

    def visual_of(self, content) -> Visual:
        """`content` made into what Textual paints: the same object for texts that look the same."""
        key = look(content)
        visual = self._visuals.look(key) if key is not None else None
        if visual is None:
            visual = visualize(self, content, markup=self._render_markup)
            if key is not None:
                self._visuals.keep(key, visual)
        return visual

    def _lines(self, visual: Visual) -> list:
        """`visual` laid out as Widget._render_content lays it out, from those kept if it was."""
        key = None if self.text_selection is not None else (id(visual), self.size, self.visual_style)
        kept = self._kept.look(key) if key is not None else None
        if kept is not None and kept[0] is visual:  # the same object, not a reused id
            return kept[1]
        strips = Visual.to_strips(self, visual, self.size.width, self.size.height, self.visual_style)
        if key is not None:
            self._kept.keep(key, (visual, strips))
        return strips

    def update(self, content="", *, layout: bool = True) -> None:
        visual = self.visual_of(content)
        # The text on show again (a step whose caption is the last one's) changes nothing.
        if not layout and visual is self.visual:
            return
        super().update(visual, layout=layout)

    def _render_content(self) -> None:
        self._render_cache = _RenderCache(self.size, self._lines(self._render()))
        self._dirty_regions.clear()

    def prepare(self, content) -> None:
        """Lay out what `update(content)` would show, and make what its paint will make of it,
        so that showing it costs look-ups."""
        if self.size:
            self._styles_cache.prepare(self, self._lines(self.visual_of(content)))


def look(content) -> tuple | None:
    """What makes a Rich Text look as it does: its text, spans and everything else that styles
    or places them (Text's own == compares the text and the spans only); None for anything else."""
    if type(content) is not Text:
        return None
    return (content.plain, tuple(content.spans), content.style, content.justify, content.overflow, content.no_wrap,
            content.end, content.tab_size)
