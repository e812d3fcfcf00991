"""A frame built when first read: a lab yields these cheaply and pays for a frame only when it is
shown or written out (the conv lab's CellFrame does the same for its output cells)."""

from __future__ import annotations

import threading
from typing import Callable

from ..core.frame import Frame


class LazyFrame(Frame):
    """A frame built (and frozen) when first read, then kept: stepping past a layer, or a knob turn
    recomputing the steps before the cursor, costs neither its table's copy nor its torch trace."""

    def __init__(self, index: int, build: Callable[[], Frame]) -> None:  # noqa: D107 - no dataclass fields stored
        object.__setattr__(self, "index", index)
        object.__setattr__(self, "_build", build)
        object.__setattr__(self, "_frame", None)
        object.__setattr__(self, "_lock", threading.Lock())

    def _built(self) -> Frame:
        with self._lock:
            if self._frame is None:
                object.__setattr__(self, "_frame", self._build())
            return self._frame

    caption = property(lambda self: self._built().caption)  # type: ignore[assignment]
    values = property(lambda self: self._built().values)  # type: ignore[assignment]
    highlight = property(lambda self: self._built().highlight)  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"LazyFrame(index={self.index})"
