"""The bundled scenarios, listed cheaply: reads titles without validating or importing any lab."""

from __future__ import annotations

import re
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


def _text(value: object, default: str) -> str:
    return value if isinstance(value, str) else default


# A line of a head that means the same to any TOML reader: blank, a comment, or `key = value`
# with a bare key and a plain value (a string whose only escapes are \" and \\, a decimal
# integer, a boolean). Bundled heads hold only such lines.
_PLAIN_LINE = re.compile(r'[ \t]*(?:([A-Za-z0-9_-]+)[ \t]*=[ \t]*(?:"((?:[^"\\\x00-\x08\x0a-\x1f\x7f]|\\["\\])*)"'
                         r'|[+-]?(?:0|[1-9][0-9]*)|true|false)[ \t]*)?(?:#[^\x00-\x08\x0a-\x1f\x7f]*)?')
_ESCAPED = re.compile(r'\\(["\\])')


def _plain(head: str) -> dict | None:
    """The head's keys, read without the TOML parser where every line is plain (its strings
    are then exactly what tomllib would read); None where any line is not (other escapes,
    arrays, a key given twice): the parser reads those."""
    raw: dict = {}
    for line in head.split("\n"):
        m = _PLAIN_LINE.fullmatch(line)
        if m is None or m[1] in raw:
            return None
        if m[1]:
            # None for a number or a boolean: never a title
            raw[m[1]] = m[2] if m[2] is None or "\\" not in m[2] else _ESCAPED.sub(r"\1", m[2])
    return raw


def _read(path: Path) -> dict:
    """The head's keys; a file that cannot be read is listed all the same, so the list still
    opens (opening it gives the loader's message). Importing the TOML parser and the rules it
    checks costs the home screen's first paint about as much as reading every bundled head:
    only a head that is not plain pays for it."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        return {"description": f"cannot be read: {exc}"}
    try:
        raw = _plain(_head(data.decode("utf-8")))
    except UnicodeDecodeError:
        raw = None
    if raw is not None:
        return raw
    from .toml_text import TomlProblem, decode, parse

    try:
        return parse(_head(decode(data)))
    except TomlProblem as exc:
        return {"description": f"cannot be read: {exc.message or exc}"}


def bundled() -> list[ScenarioInfo]:
    """Title, lab and description of each bundled scenario, grouped in lab order."""
    out = []
    for path in bundled_paths():
        raw = _read(path)
        out.append(ScenarioInfo(path.stem, _text(raw.get("title"), path.stem), _text(raw.get("lab"), "?"),
                                _text(raw.get("description"), ""), path))
    order = list(LABS)
    out.sort(key=lambda s: (order.index(s.lab) if s.lab in order else len(order), s.name))
    return out
