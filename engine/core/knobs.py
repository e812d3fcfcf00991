"""Knobs: a scenario's most telling parameters, turned live with `,` `.` `<` `>`.

A lab lists its knobs for the scenario on show (`Lab.knobs()`): each names a path into
the params ("stride", "layers[0].stride", "optimizers[2].beta1", "start[0]"), its steps
and its range. Turning one makes new params, validated by the lab's own rules like any
other change, so a knob can never reach a value `tui-lab check` would refuse.
"""

from __future__ import annotations

import copy
import math
import re
from dataclasses import dataclass
from typing import Any

from .fmt import num

_PART = re.compile(r"([A-Za-z_][A-Za-z0-9_]*)|\[(\d+)\]")


@dataclass(frozen=True)
class Knob:
    """One live parameter.

    label: what the status bar names ("CONV1 stride", "adam β1").
    key:   the path into the params it turns.
    step / big: one press of `,` `.` / of `<` `>`; for `log` knobs, factors (×, ÷).
    low / high: the allowed range (None: open on that side).
    choices: for a choice knob, the values `,` `.` cycle through (steps are ignored).
    live:  a training lab applies it from the next iteration instead of recomputing.
    integer: the value stays an integer.
    """

    label: str
    key: str
    step: float = 1
    big: float = 5
    low: float | None = None
    high: float | None = None
    choices: tuple[Any, ...] = ()
    live: bool = False
    integer: bool = True
    log: bool = False

    def range_text(self) -> str:
        if self.choices:
            return " | ".join(str(c) for c in self.choices)
        lo = "−∞" if self.low is None else num(self.low)
        hi = "∞" if self.high is None else num(self.high)
        return f"{lo} … {hi}"

    def turned(self, value: Any, clicks: int, big: bool = False, clamp: bool = True) -> Any:
        """The value after `clicks` presses (negative: down), clamped to the range (unless not
        `clamp`: then where the presses would go)."""
        if self.choices:
            i = self.choices.index(value) if value in self.choices else 0
            return self.choices[(i + clicks) % len(self.choices)]
        size = self.big if big else self.step
        v = float(value)
        if self.log:
            new = v * size ** clicks if v != 0 else (self.low or size)
        else:
            new = v + size * clicks
        if clamp and self.low is not None:
            new = max(self.low, new)
        if clamp and self.high is not None:
            new = min(self.high, new)
        if self.integer:
            return int(round(new))
        return float(f"{new:.12g}")  # no 0.30000000000000004 from repeated steps


def knob_of(params: tuple, name: str, label: str = "", **kw: Any) -> Knob:
    """A knob over the top-level parameter `name` with the range its Param declares, so the
    status bar and the edit form state one range."""
    param = next(p for p in params if p.name == name)
    return Knob(label or name, name, low=param.min, high=param.max, **kw)


def parse_path(key: str) -> list[str | int]:
    parts: list[str | int] = []
    pos = 0
    for m in _PART.finditer(key):
        if m.start() != pos and key[pos:m.start()] != ".":
            raise KeyError(key)
        parts.append(m.group(1) if m.group(1) else int(m.group(2)))
        pos = m.end()
    if pos != len(key) or not parts:
        raise KeyError(key)
    return parts


def get(params: dict[str, Any], key: str) -> Any:
    value: Any = params
    for part in parse_path(key):
        value = value[part]
    return value


def with_value(params: dict[str, Any], key: str, value: Any) -> dict[str, Any]:
    """A deep copy of `params` with the value at `key` replaced (the lab validates it)."""
    out = copy.deepcopy(params)
    parts = parse_path(key)
    target: Any = out
    for part in parts[:-1]:
        target = target[part]
    target[parts[-1]] = value
    return out


def describe(value: Any) -> str:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return str(value)
    return num(value) if math.isfinite(value) else str(value)
