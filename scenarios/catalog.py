"""The bundled scenarios, listed cheaply: reads titles without validating or importing any lab."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from engine.registry import LABS

from .toml_text import TomlProblem, decode, parse

HERE = Path(__file__).parent


@dataclass(frozen=True)
class ScenarioInfo:
    """What the home screen lists."""

    name: str
    title: str
    lab: str
    description: str
    path: Path


def bundled_paths() -> list[Path]:
    return sorted(HERE.glob("*.toml"))


def _head(text: str) -> str:
    """The top-level keys only: everything before the first table header (params can be long)."""
    m = re.search(r"^\s*\[", text, flags=re.MULTILINE)
    return text[: m.start()] if m else text


def _text(value: object, default: str) -> str:
    return value if isinstance(value, str) else default


def bundled() -> list[ScenarioInfo]:
    """Title, lab and description of each bundled scenario, grouped in lab order."""
    out = []
    for path in bundled_paths():
        try:
            raw = parse(_head(decode(path.read_bytes())))
        except (OSError, TomlProblem) as exc:
            # Listed all the same, so the list still opens; opening it gives the loader's message.
            raw = {"description": f"cannot be read: {getattr(exc, 'message', None) or exc}"}
        out.append(ScenarioInfo(path.stem, _text(raw.get("title"), path.stem), _text(raw.get("lab"), "?"),
                                _text(raw.get("description"), ""), path))
    order = list(LABS)
    out.sort(key=lambda s: (order.index(s.lab) if s.lab in order else len(order), s.name))
    return out
