"""A frame built when it is first read, so stepping past frames nobody looks at costs nothing.

A knob turn rebuilds the lab and steps back to the same place; freezing every frame on the
way (an arch layer's table and torch trace, 200 LSTM gradient frames, an optimizer's
standings) dominated the turn. The conv lab's CellFrame is the same idea over its output
buffer.
"""

from __future__ import annotations

import threading
from typing import Callable

from .frame import Frame


class LazyFrame(Frame):
    """Reads like any Frame; `build()` runs on the first read of its caption, values or
    highlight. With `keep` (the default) the built frame is kept, so a frame shown twice
    shows the same object; without, every read asks `build()` again (for a lab that keeps
    a bounded cache of its own, as the optimizer lab does over long runs)."""

    def __init__(self, index: int, build: Callable[[], Frame], keep: bool = True) -> None:  # noqa: D107 - no fields stored
        object.__setattr__(self, "index", index)
        object.__setattr__(self, "_build", build)
        object.__setattr__(self, "_keep", keep)
        object.__setattr__(self, "_frame", None)
        object.__setattr__(self, "_lock", threading.Lock())

    def _built(self) -> Frame:
        if not self._keep:
            return self._build()
        with self._lock:
            if self._frame is None:
                object.__setattr__(self, "_frame", self._build())
                object.__setattr__(self, "_build", None)  # let what it closed over go
            return self._frame

    caption = property(lambda self: self._built().caption)  # type: ignore[assignment]
    values = property(lambda self: self._built().values)  # type: ignore[assignment]
    highlight = property(lambda self: self._built().highlight)  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"LazyFrame(index={self.index})"
