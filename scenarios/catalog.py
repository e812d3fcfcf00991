"""The bundled scenarios, listed cheaply: reads titles without validating or importing any lab."""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from pathlib import Path

from engine.registry import LABS

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


def bundled() -> list[ScenarioInfo]:
    """Title, lab and description of each bundled scenario, grouped in lab order."""
    out = []
    for path in bundled_paths():
        raw = tomllib.loads(_head(path.read_text(encoding="utf-8")))
        out.append(ScenarioInfo(path.stem, raw.get("title", path.stem), raw.get("lab", "?"), raw.get("description", ""), path))
    order = list(LABS)
    out.sort(key=lambda s: (order.index(s.lab) if s.lab in order else len(order), s.name))
    return out
