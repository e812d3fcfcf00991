"""A Static that keeps the lines of the texts it has shown, and can lay one out ahead.

The caption and the status line change on every step, and Textual lays a Static's text out
anew at each paint (a third of a millisecond for one line of status). A step back shows a
caption and a status shown before, and the next step's are known while the person reads this
one (`prepare`), so their lines are kept, keyed by everything they are made of: the text
and its spans, the widget's size and its style. A text selection is drawn into the lines, so
with one the lines are laid out afresh, as Textual does.
"""

from __future__ import annotations

from rich.text import Text
from textual.content import Content
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
        self._kept: Kept[tuple, list] = Kept(KEPT)
        self._styles_cache = LineCache()  # the lines finished from those kept, kept too

    def _key(self, visual: Visual) -> tuple | None:
        if not isinstance(visual, Content) or self.text_selection is not None:
            return None
        return visual.plain, tuple(visual.spans), self.size, self.visual_style

    def _lines(self, visual: Visual) -> list:
        """`visual` laid out as Widget._render_content lays it out, from those kept if it was."""
        key = self._key(visual)
        strips = self._kept.look(key) if key is not None else None
        if strips is None:
            strips = Visual.to_strips(self, visual, self.size.width, self.size.height, self.visual_style)
            if key is not None:
                self._kept.keep(key, strips)
        return strips

    def update(self, content="", *, layout: bool = True) -> None:
        # The text on show again (a step whose caption is the last one's) changes nothing.
        if not layout and same_look(content, self.content):
            return
        super().update(content, layout=layout)

    def _render_content(self) -> None:
        self._render_cache = _RenderCache(self.size, self._lines(self._render()))
        self._dirty_regions.clear()

    def prepare(self, content) -> None:
        """Lay out what `update(content)` would show, and make what its paint will make of it,
        so that showing it costs look-ups."""
        if self.size:
            self._styles_cache.prepare(self, self._lines(visualize(self, content, markup=self._render_markup)))


def same_look(a, b) -> bool:
    """Rich Texts that show the same: text, spans and everything else that styles or places
    them (Text's own == compares the text and the spans only)."""
    return type(a) is Text and type(b) is Text and all(
        getattr(a, name) == getattr(b, name) for name in ("plain", "spans", "style", "justify", "overflow", "no_wrap",
                                                           "end", "tab_size"))
