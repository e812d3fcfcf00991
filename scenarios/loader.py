"""Load and validate scenario files: one clear line per problem, never a traceback.

A message names the file, the key, the line where it can be found, and what is
allowed, e.g. `sobel.toml:7: params.padding: expected an integer ≥ 0, got -1`.
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path
from typing import Any

from engine.core.params import Param, ParamError, validate
from engine.registry import LABS, lab_class
from engine.script import validate_script
from engine.core.seeding import SEED_MAX
from scenarios.scenario import Scenario

from .catalog import HERE, bundled_paths


TOP = (
    Param("title", "str", doc="shown in the list and the header"),
    Param("lab", "choice", choices=tuple(LABS), doc="which lab runs it"),
    Param("seed", "int", 0, "seed for python, numpy and torch", min=0, max=SEED_MAX),
    Param("description", "str", "", "a sentence for the home screen"),
    Param("params", "any", {}, "the lab's parameters"),
    Param("script", "any", [], "actions for replay and play"),
)


class ScenarioError(ValueError):
    """One problem with one scenario file, already worded for the person."""

    def __init__(self, source: str, message: str, key: str = "", line: int | None = None) -> None:
        where = source + (f":{line}" if line else "")
        super().__init__(f"{where}: {key + ': ' if key else ''}{message}")
        self.source, self.key, self.line, self.message = source, key, line, message


def find_line(text: str, key: str) -> int | None:
    """Best-effort line of a dotted key in TOML text.

    `params.padding` is found after `[params]`; `params.layers[2].size` after the third
    `[[params.layers]]` header; `script[1].do` after the second `[[script]]`. A key that
    is missing points at its table's header, where it belongs.
    """
    lines = text.splitlines()
    m = re.match(r"^(.*?)\[(\d+)\]\.?(.*)$", key)
    if m:
        table, nth, rest = m.group(1), int(m.group(2)), m.group(3)
        header = re.compile(rf"^\s*\[\[\s*{re.escape(table)}\s*\]\]")
        starts = [i for i, line in enumerate(lines) if header.match(line)]
        if nth < len(starts):
            end = next((i for i in range(starts[nth] + 1, len(lines)) if lines[i].lstrip().startswith("[")), len(lines))
            leaf = rest.split(".")[-1].split("[")[0] if rest else ""
            found = _find_key(lines, leaf, starts[nth], end) if leaf else None
            return found or starts[nth] + 1
        return _find_key(lines, table.split(".")[-1], 0, len(lines))
    parts = key.split(".")
    leaf = parts[-1]
    start, end = 0, len(lines)
    if len(parts) > 1:
        header = re.compile(rf"^\s*\[\s*{re.escape('.'.join(parts[:-1]))}\s*\]")
        for i, line in enumerate(lines):
            if header.match(line):
                start = i
                end = next((j for j in range(i + 1, len(lines)) if lines[j].lstrip().startswith("[")), len(lines))
                break
    else:
        # A top-level key sits before the first table header.
        end = next((j for j, line in enumerate(lines) if line.lstrip().startswith("[")), len(lines))
    return _find_key(lines, leaf, start, end)


def _find_key(lines: list[str], leaf: str, start: int, end: int) -> int | None:
    pattern = re.compile(rf"^\s*(\"?){re.escape(leaf)}\1\s*=")
    for i in range(start, end):
        if pattern.match(lines[i]):
            return i + 1
    return None


def load_text(text: str, source: str, name: str = "", path: Path | None = None) -> Scenario:
    """Parse and validate scenario text; ScenarioError on any problem."""
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        msg = str(exc)
        m = re.search(r"\(at line (\d+), column (\d+)\)", msg)
        line = int(m.group(1)) if m else None
        msg = re.sub(r"\s*\(at line \d+, column \d+\)", "", msg)
        raise ScenarioError(source, f"not valid TOML: {msg}", line=line) from None
    try:
        top = validate(TOP, raw, where="")
        # validate() prefixes keys with "<where>."; top-level keys have no prefix.
        cls = lab_class(top["lab"])
        if not isinstance(top["params"], dict):
            raise ParamError("params", "expected a table ([params])")
        params = cls.validate(resolve_paths(cls.PARAMS, top["params"], path))
        script = validate_script(top["script"], cls.PARAMS)
        for action in script:
            if action["do"] == "set":  # a file named by `set` is read from the scenario's folder too
                action["value"] = resolve_paths(cls.PARAMS, {action["key"]: action["value"]}, path)[action["key"]]
        _check_sets(cls, params, script)
    except ParamError as exc:
        key = exc.key.lstrip(".")
        raise ScenarioError(source, exc.message, key=key, line=find_line(text, key)) from None
    return Scenario(
        name=name or (path.stem if path else source),
        title=top["title"],
        lab=top["lab"],
        params=params,
        seed=top["seed"],
        description=top["description"],
        script=tuple(script),
        path=path,
    )


def resolve_paths(spec: Any, raw: dict[str, Any], scenario: Path | None) -> dict[str, Any]:
    """Relative file params are read from the scenario file's folder when the file is there,
    so a scenario and its data can move together; otherwise they stay as written
    (relative to where tui-lab runs)."""
    if scenario is None:
        return raw
    out = dict(raw)
    for p in spec:
        value = raw.get(p.name)
        if p.kind == "path" and isinstance(value, str) and value and not Path(value).expanduser().is_absolute():
            # A model names its file and a NAME in it: `net.py:Net`; the file is what moves along.
            m = re.fullmatch(r"(.*\.py)(:\w+)", value)
            file, name = m.groups() if m else (value, "")
            beside = scenario.parent / file
            if beside.exists():
                out[p.name] = str(beside) + name
    return out


def _check_sets(cls: Any, params: dict[str, Any], script: list[dict[str, Any]]) -> None:
    """Each `set` must leave valid params, checked in order as replay applies them."""
    current = dict(params)
    for i, action in enumerate(script):
        if action["do"] == "set":
            trial = {**current, action["key"]: action["value"]}
            try:
                current = cls.validate(trial)
            except ParamError as exc:
                raise ParamError(f"script[{i}].value", f"{action['key']} = {action['value']!r} is not allowed: {exc.message}") from None


def resolve(name_or_path: str) -> Path:
    """A bundled name (`conv-sobel`) or a path to a file."""
    p = Path(name_or_path)
    if p.suffix == ".toml" or p.exists() or "/" in name_or_path:
        if not p.exists():
            raise ScenarioError(name_or_path, "no such file")
        if p.is_dir():
            raise ScenarioError(name_or_path, "is a folder, expected a .toml scenario file")
        return p
    candidate = HERE / f"{name_or_path}.toml"
    if candidate.exists():
        return candidate
    names = [q.stem for q in bundled_paths()]
    close = [n for n in names if name_or_path in n]
    hint = f"; did you mean {', '.join(close[:3])}?" if close else "; `tui-lab list` shows them"
    raise ScenarioError(name_or_path, f"no bundled scenario or file by that name{hint}")


# A scenario is a small text file; a 227×227×3 input written out is about 1 MB.
MAX_BYTES = 20_000_000


def load(name_or_path: str) -> Scenario:
    path = resolve(name_or_path)
    if not path.is_file():
        raise ScenarioError(str(path), "not a regular file (a device, pipe or socket?); expected a .toml scenario file")
    if path.stat().st_size > MAX_BYTES:
        raise ScenarioError(str(path), f"is {path.stat().st_size:,} bytes; a scenario file may be at most {MAX_BYTES:,}")
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise ScenarioError(str(path), "not a UTF-8 text file") from None
    except OSError as exc:
        raise ScenarioError(str(path), f"cannot read: {exc.strerror}") from None
    source = path.name if path.parent == HERE else str(path)
    return load_text(text, source, name=path.stem, path=path)


def located(scenario: Scenario, exc: ParamError) -> ScenarioError:
    """A ParamError raised while a lab runs (not at load), placed in its file like a load error."""
    if scenario.path is None:
        return ScenarioError(scenario.name, exc.message, key=exc.key)
    try:
        text = scenario.path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        text = ""
    source = scenario.path.name if scenario.path.parent == HERE else str(scenario.path)
    return ScenarioError(source, exc.message, key=exc.key, line=find_line(text, exc.key))
