"""One Strip object for each distinct line the frame view has laid out lately.

Frames that follow each other share many of their lines (a title, a grid's unchanged rows, a
plot's axes), but each frame laid out makes Strips of its own. Made one object per distinct
line, a step finds the lines that changed by identity, exactly and at once (comparing the
segments of every equal line took a tenth of a millisecond of each step), and a line shown
before comes with what the paint made of it (finished, cut around the scrollbar, turned into
the terminal's bytes: each kept in the Strip).
"""

from __future__ import annotations

from textual.strip import Strip

from .kept import Kept

# Distinct lines kept, the least recently laid out dropped first: more than the frame view keeps
# in its laid-out frames (64 frames of a few dozen lines).
KEPT = 4096


class Interned:
    def __init__(self, kept: int = KEPT) -> None:
        self._lines: Kept[tuple, Strip] = Kept(kept)

    def __call__(self, strip: Strip) -> Strip:
        """The Strip kept for a line equal to `strip` (segment by segment), else `strip`, kept.
        A line dropped and laid out again is a new object: a step then repaints it for nothing,
        never the other way round."""
        key = tuple(strip)
        kept = self._lines.look(key)
        return kept if kept is not None else self._lines.keep(key, strip)
