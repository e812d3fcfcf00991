"""A frame built when it is first read, so stepping past frames nobody looks at costs nothing.

A knob turn rebuilds the lab and steps to the same place; with T = 200 gradient frames (or
448 gate frames), freezing every frame on the way dominated the turn. Built once, then the
same object every time, so a frame shown twice shows the same numbers.
"""

from __future__ import annotations

import threading
from typing import Callable

from ..core.frame import Frame


class LazyFrame(Frame):
    """Reads like any Frame; `build()` runs on the first read of its caption, values or highlight."""

    def __init__(self, index: int, build: Callable[[], Frame]) -> None:  # noqa: D107 - no dataclass fields stored
        object.__setattr__(self, "index", index)
        object.__setattr__(self, "_build", build)
        object.__setattr__(self, "_frame", None)
        object.__setattr__(self, "_lock", threading.Lock())

    def _built(self) -> Frame:
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
