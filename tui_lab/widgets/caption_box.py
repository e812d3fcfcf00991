"""The caption above the frame: as tall as its caption, within limits that keep the frame still."""

from __future__ import annotations

from rich.text import Text

from engine.core.fmt import visible

from .kept import Kept
from .kept_static import KeptStatic

# The caption's height at most; a longer one is cut (the frame is what the screen is for).
CAPTION_LINES = 5
# Captions kept, each with its Text and its wrapped height.
KEPT = 256


class CaptionBox(KeptStatic):
    """The box grows with its caption (to CAPTION_LINES) but shrinks only by two lines or more:
    stepping through captions of one and two lines does not move the frame up and down, and a
    new caption is then a repaint of its own lines, not a relayout of the screen (which
    repaints every region; a step should cost the terminal a few lines). A long first caption
    still gives its room back once the steps have short ones."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._height = 0  # the box's height in lines, as set here
        self._caption: str | None = None  # the caption on show
        self._texts: Kept[str, Text] = Kept(KEPT)
        self._heights: Kept[tuple[str, int], int] = Kept(KEPT)  # (caption, width): its lines

    def show(self, caption: str) -> None:
        self._caption = caption
        text = self._text(caption)
        lines = self._height_of(text)
        if lines > self._height or lines < self._height - 1:
            self._height = lines
            self.styles.height = lines
        self.update(text, layout=False)

    def ahead(self, caption: str) -> None:
        """Measure and lay out a caption likely next, so showing it costs look-ups."""
        text = self._text(caption)
        self._height_of(text)
        self.prepare(text)

    def rewrap(self) -> None:
        """Captions wrap anew at another width: the height starts again from the one on show."""
        self._height = 0
        if self._caption is not None:
            self.show(self._caption)

    def _text(self, caption: str) -> Text:
        """A caption as the box shows it, made once (making control characters visible is a
        tenth of a millisecond for a long caption)."""
        text = self._texts.look(caption)
        if text is None:
            text = self._texts.keep(caption, Text(visible(caption)))
        return text

    def _height_of(self, text: Text) -> int:
        """The lines `text` takes in the box (kept: wrapping costs a fifth of a millisecond,
        and the captions laid out ahead are measured ahead)."""
        width = max(1, self.content_region.width or self.app.size.width - 2)
        key = (text.plain, width)
        lines = self._heights.look(key)
        if lines is None:
            lines = self._heights.keep(key, min(CAPTION_LINES, len(text.wrap(self.app.console, width))))
        return lines
