"""What a form field's text means, and the raw TOML tab's text: pure functions, no widgets.

One rule for every field and grid cell: text that reads as a TOML value is that value; any
other text is the string it is (so `mode = cross-correlation` needs no quotes, and a stray
`abc` in a number field is reported by the lab's validator in the words `tui-lab check`
uses). A blank field means "not given": the parameter's default.
"""

from __future__ import annotations

import tomllib
from dataclasses import replace
from typing import Any, Mapping, Sequence

from engine.core.params import Param, ParamError, validate
from scenarios.loader import find_line
from scenarios.scenario import Scenario
from scenarios.toml_text import too_many_digits
from scenarios.writer import literal, parse_literal, scenario_document

MISSING = object()
# Kinds whose text is taken as typed: no quotes needed.
TEXT_KINDS = ("str", "path", "choice")
# A raw TOML tab past this is a file's job, not a form's (and would make parsing slow).
RAW_MAX = 200_000


def to_text(p: Param, value: Any) -> str:
    """The text a field shows for `value` (blank for "not given")."""
    if value is None or not_given(p, value):
        return ""
    if p.kind in TEXT_KINDS and isinstance(value, str):
        return value
    return literal(value)


def not_given(p: Param, value: Any) -> bool:
    """An empty list where the default is empty means "not given" (no bias, no window, drawn
    from the seed), as the scenario writer leaves it out; some keys refuse an explicit []."""
    return value == [] and p.default == []


def parse(text: str) -> Any:
    """A TOML value, or ValueError (also for nesting deeper than the parser can follow)."""
    try:
        return parse_literal(text)
    except RecursionError:
        raise ValueError("nested too deeply to read") from None


def from_text(p: Param, text: str) -> Any:
    """The value a field's text stands for, or MISSING when the field is blank."""
    if p.kind in TEXT_KINDS:
        return MISSING if text == "" and p.default in (None, "") else text
    text = text.strip()
    if not text:
        return MISSING
    for attempt in (text, f"[{text}]") if p.kind in ("ints", "floats") else (text,):
        try:
            value = parse(attempt)
        except ValueError:
            continue
        return MISSING if not_given(p, value) else value
    return text


def number(text: str) -> Any:
    """A grid cell's value: the number it reads as, else the text (the validator says why)."""
    text = text.strip()
    try:
        value = parse(text)
    except ValueError:
        return text
    return value


def check_one(p: Param, value: Any, where: str = "params") -> Any:
    """One parameter through the lab's own validator: the cleaned value, or ParamError."""
    return validate([p], {} if value is MISSING else {p.name: value}, where)[p.name]


def field_of(key: str) -> tuple[str, int | None, str]:
    """`params.optimizers[1].lr` -> ("optimizers", 1, "lr"); `params.padding` -> ("padding", None, "")."""
    rest = key.split(".", 1)[1] if key.startswith("params.") else key
    name, _, tail = rest.partition("[")
    if not tail:
        return name.split(".")[0], None, ""
    index, _, after = tail.partition("]")
    return name, int(index) if index.isdigit() else None, after.lstrip(".").split(".")[0].split("[")[0]


# --- the raw TOML tab ----------------------------------------------------------------
def document(scenario: Scenario, values: Mapping[str, Any], notes: Sequence[str] = ()) -> str:
    """`[params]` and its tables as in a scenario file (the same writer), with notes as comments."""
    text = scenario_document(replace(scenario, params=dict(values), script=()))
    body = text[text.index("[params]"):]
    return "".join(f"# {n}\n" for n in notes) + body


def read_document(text: str) -> dict[str, Any]:
    """The params a raw tab holds; ParamError worded like `tui-lab check`, with the line."""
    if len(text) > RAW_MAX:
        raise ParamError("params", f"the text is {len(text):,} characters; at most {RAW_MAX:,} here "
                                   "(edit the scenario file instead)")
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        message, _, where = str(exc).partition(" (at line ")
        line = where.split(",")[0]
        raise ParamError(f"line {line}" if line.isdigit() else "params", f"not valid TOML: {message}") from None
    except RecursionError:
        raise ParamError("params", "not valid TOML: nested too deeply to read") from None
    except ValueError:  # an integer longer than Python reads: tomllib hands int()'s error through
        problem = too_many_digits(text)
        raise ParamError(f"line {problem.line}" if problem.line else "params", problem.message) from None
    extra = [k for k in raw if k != "params"]
    if extra:
        raise ParamError(extra[0], "only the [params] table is edited here (the rest is in the scenario file)")
    params = raw.get("params", {})
    if not isinstance(params, dict):
        raise ParamError("params", "expected a table ([params])")
    return params


def locate(text: str, exc: ParamError) -> ParamError:
    """A validator's error on raw text, with the line it is on where that can be found."""
    line = find_line(text, exc.key)
    return ParamError(f"line {line}: {exc.key}" if line else exc.key, exc.message)
