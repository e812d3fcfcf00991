"""A bounded dictionary of what the screen has laid out, the least recently used dropped first.

The frame view, its lines, the caption, the status and the scrollbar each keep what they laid
out, so that a step back or a step laid out ahead costs a look-up. One rule for all of them:
an entry read or written becomes the most recent, and a full table drops one entry per new
one (dropping them all at once freed thousands of objects inside one paint).
"""

from __future__ import annotations

from collections import OrderedDict
from typing import Generic, Hashable, TypeVar

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


class Kept(OrderedDict, Generic[K, V]):
    def __init__(self, most: int) -> None:
        super().__init__()
        self.most = most

    def look(self, key: K) -> V | None:
        """The value kept for `key`, now the most recently used; None when there is none."""
        value = self.get(key)
        if value is not None:
            self.move_to_end(key)
        return value

    def keep(self, key: K, value: V) -> V:
        """Keep `value` for `key` (the most recently used), dropping the least recently used
        entry when there are more than `most`; returns `value`."""
        self[key] = value
        self.move_to_end(key)  # a key already there (an id reused by a new object) moves up too
        if len(self) > self.most:
            self.popitem(last=False)
        return value
