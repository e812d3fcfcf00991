"""Write the scenario format: one-line TOML literals (the edit form) and whole scenario files.

`loader.py` reads what this writes; a round-trip test holds the two together.
"""

from __future__ import annotations

import json
import sys
import tomllib
from typing import Any

from .scenario import Scenario


def literal(value: Any) -> str:
    """A value as a one-line TOML literal, e.g. `[[1, 2], [3, 4]]` or `[{kind = "sgd", lr = 0.1}]`."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, str):
        # JSON escapes what TOML's basic strings forbid, but for DEL, which TOML forbids too.
        return json.dumps(value, ensure_ascii=False).replace("\x7f", "\\u007f")
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
    except ValueError:  # an integer longer than Python reads
        most = sys.get_int_max_str_digits()
        raise ValueError(f"not a TOML value (an integer of more than {most:,} digits)") from None


def _assign(key: str, value: Any) -> str:
    """`key = value`; a matrix gets one row per line so a saved file stays readable."""
    if isinstance(value, (list, tuple)) and value and all(isinstance(v, (list, tuple)) for v in value):
        rows = "".join(f"    {literal(v)},\n" for v in value)
        return f"{key} = [\n{rows}]"
    return f"{key} = {literal(value)}"


def _is_tables(value: Any) -> bool:
    return isinstance(value, (list, tuple)) and bool(value) and all(isinstance(v, dict) for v in value)


def scenario_document(scenario: Scenario, script: list[dict[str, Any]] | None = None) -> str:
    """The scenario as a TOML file a person can read and edit, in the order of DESIGN.md."""
    out = [_assign("title", scenario.title), _assign("lab", scenario.lab), _assign("seed", scenario.seed)]
    if scenario.description:
        out.append(_assign("description", scenario.description))
    from engine.registry import lab_class

    # An empty default means "not given" (no bias, no view window, no file): leave it out
    # rather than write it as if it were a value. Everything else is written, explicitly.
    defaults = {p.name: p.default for p in lab_class(scenario.lab).PARAMS}
    params = {k: v for k, v in scenario.params.items()
              if v is not None and not (v == defaults.get(k) and v in ([], "", (), {}))}
    plain = {k: v for k, v in params.items() if not _is_tables(v)}
    out += ["", "[params]"] + [_assign(k, v) for k, v in plain.items()]
    for key, value in params.items():
        if _is_tables(value):
            for table in value:
                out += ["", f"[[params.{key}]]"] + [_assign(k, v) for k, v in table.items() if v is not None]
    for action in list(scenario.script) if script is None else script:
        out += ["", "[[script]]"] + [_assign(k, v) for k, v in action.items()]
    return "\n".join(out) + "\n"
