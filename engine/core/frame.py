"""The frame: a frozen snapshot of one step, serializable without loss."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, Mapping

import numpy as np


_SCALARS = frozenset((float, int, str, bool, type(None)))  # exact types: numpy's float64 is a float


def freeze(value: Any) -> Any:
    """Copy a value so that no later in-place update can leak into a frame.

    Arrays become read-only numpy copies (torch tensors are detached to numpy
    first), dicts become read-only mappings, lists become tuples.
    """
    # The common cases first, cheapest test first: a frame holds thousands of numbers, and
    # isinstance against typing.Mapping alone costs ten times a test against a concrete type.
    if type(value) in _SCALARS:
        return value
    if isinstance(value, (list, tuple)):
        for v in value:  # a row of plain numbers (the most common list) needs no copy of each
            if type(v) not in _SCALARS:
                return tuple(freeze(v) for v in value)
        return value if type(value) is tuple else tuple(value)
    if hasattr(value, "detach") and hasattr(value, "cpu"):  # a torch tensor, without importing torch
        value = value.detach().cpu().numpy()
    if isinstance(value, np.ndarray):
        copy = np.array(value, copy=True)
        copy.setflags(write=False)
        return copy
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, (dict, Mapping)):
        return MappingProxyType({str(k): freeze(v) for k, v in value.items()})
    return value


def to_plain(value: Any) -> Any:
    """Frozen value -> JSON-ready plain data. NaN and ±inf become null (JSON has neither)."""
    if isinstance(value, np.ndarray):
        if value.dtype.kind in "fc":
            return to_plain(value.tolist())
        return value.tolist()
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, Mapping):
        return {k: to_plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [to_plain(v) for v in value]
    return value


@dataclass(frozen=True)
class Frame:
    """One step of a lab.

    index: position in the lab's sequence, 0 = the set-up before any step.
    caption: one line in the lecture's own terms.
    values: the named values needed to draw the step (frozen).
    highlight: what to emphasise, by value name (frozen).
    """

    index: int
    caption: str
    values: Mapping[str, Any] = field(default_factory=dict)
    highlight: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        object.__setattr__(self, "values", freeze(self.values))
        object.__setattr__(self, "highlight", freeze(self.highlight))

    def to_json(self) -> dict[str, Any]:
        return {
            "step": self.index,
            "caption": self.caption,
            "values": to_plain(self.values),
            "highlight": to_plain(self.highlight),
        }
