"""Rectangular nested lists (a tensor's cells): shape, and a layer added or removed along one axis."""

from __future__ import annotations

from typing import Any, Callable, Sequence


def shape(x: Any) -> tuple[int, ...]:
    """The shape, read along the first elements (the lab's validator has checked it is rectangular)."""
    out = []
    while isinstance(x, list):
        out.append(len(x))
        if not x:
            break
        x = x[0]
    return tuple(out)


def size(dims: Sequence[int]) -> int:
    n = 1
    for d in dims:
        n *= d
    return n


def full(dims: Sequence[int], fill: Any) -> Any:
    return [full(dims[1:], fill) for _ in range(dims[0])] if dims else fill


def leaves(x: Any, fn: Callable[[Any], Any]) -> Any:
    return [leaves(e, fn) for e in x] if isinstance(x, list) else fn(x)


def insert(x: list, axis: int, index: int, fill: Any) -> list:
    """A copy with a new layer of `fill` before position `index` along `axis`."""
    if axis == 0:
        return x[:index] + [full(shape(x)[1:], fill)] + x[index:]
    return [insert(e, axis - 1, index, fill) for e in x]


def remove(x: list, axis: int, index: int) -> list:
    """A copy without the layer at position `index` along `axis`."""
    if axis == 0:
        return x[:index] + x[index + 1:]
    return [remove(e, axis - 1, index) for e in x]


def at(x: Any, lead: Sequence[int]) -> Any:
    for i in lead:
        x = x[i]
    return x
