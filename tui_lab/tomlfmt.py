"""TOML for the edit form (one-line literals) and for saved scenario files."""

from __future__ import annotations

import json
import os
import tempfile
import tomllib
from pathlib import Path
from typing import Any

import tomli_w

from engine.session import Scenario


def literal(value: Any) -> str:
    """A value as a one-line TOML literal, e.g. `[[1, 2], [3, 4]]` or `[{kind = "sgd", lr = 0.1}]`."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(literal(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k} = {literal(v)}" for k, v in value.items()) + "}"
    raise TypeError(f"cannot write {type(value).__name__} as TOML")


def parse_literal(text: str) -> Any:
    """Inverse of `literal`; ValueError with the parser's words when it is not TOML."""
    try:
        return tomllib.loads(f"v = {text}")["v"]
    except tomllib.TOMLDecodeError as exc:
        raise ValueError(f"not a TOML value ({str(exc).split(' (at')[0]})") from None


def scenario_document(scenario: Scenario, script: list[dict[str, Any]] | None = None) -> str:
    doc: dict[str, Any] = {"title": scenario.title, "lab": scenario.lab, "seed": scenario.seed}
    if scenario.description:
        doc["description"] = scenario.description
    doc["params"] = scenario.params
    steps = list(scenario.script) if script is None else script
    if steps:
        doc["script"] = steps
    return tomli_w.dumps(doc)


def write_atomic(path: Path, text: str) -> None:
    """Write via a temporary file in the same folder, so a crash never leaves half a file."""
    path = path.expanduser()
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as fh:
            fh.write(text)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
