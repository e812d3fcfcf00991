"""Load and validate scenario files: one clear line per problem, never a traceback.

A message names the file, the key, the line where it can be found, and what is
allowed, e.g. `sobel.toml:7: params.padding: expected an integer ≥ 0, got -1`.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any, Sequence

from engine.core.fmt import visible
from engine.core.params import Param, ParamError, near, validate
from engine.registry import LABS, lab_class
from engine.script import validate_script
from engine.core.seeding import SEED_MAX
from scenarios.scenario import Scenario

from .catalog import HERE, bundled_paths
from .toml_text import TomlProblem, decode, parse, without_bom


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
        # File names, keys and values come from the person's files: shown, never obeyed.
        source, key, message = visible(source), visible(key), visible(message)
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
                end = next((j for j in range(i + 1, len(lines)) if lines[j].lstrip().startswith("[")), len(lines))
                return _find_key(lines, leaf, i, end) or i + 1
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


def load_text(text: str, source: str, name: str = "", path: Path | None = None,
              allow: Sequence[str | Path] = ()) -> Scenario:
    """Parse and validate scenario text; ScenarioError on any problem.

    Files the scenario names are read only from its folder (the current one without a
    `path`) or the folders in `allow` (--allow-dir).
    """
    text = without_bom(text)
    try:
        raw = parse(text)
    except TomlProblem as exc:
        raise ScenarioError(source, exc.message, line=exc.line) from None
    try:
        top = validate(TOP, raw, where="")
        # validate() prefixes keys with "<where>."; top-level keys have no prefix.
        cls = lab_class(top["lab"])
        if not isinstance(top["params"], dict):
            raise ParamError("params", "expected a table ([params])")
        params = cls.validate(resolve_paths(cls.PARAMS, top["params"], path, allow))
        script = validate_script(top["script"], cls.PARAMS)
        spec = {p.name: p for p in cls.PARAMS}
        for i, action in enumerate(script):
            if action["do"] == "set":  # a file named by `set` obeys the same rule as the file's own
                action["value"] = resolve_file(spec[action["key"]], action["value"], path, allow, f"script[{i}].value")
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


def resolve_paths(spec: Sequence[Param], raw: dict[str, Any], scenario: Path | None,
                  allow: Sequence[str | Path] = (), where: str = "params") -> dict[str, Any]:
    """`raw` with each file param checked by `resolve_file`: the one place a scenario's
    files are let in (the loader, `set` actions, and the app's edit form call it)."""
    out = dict(raw)
    for p in spec:
        if p.name in raw:
            out[p.name] = resolve_file(p, raw[p.name], scenario, allow, f"{where}.{p.name}")
    return out


def resolve_file(p: Param, value: Any, scenario: Path | None, allow: Sequence[str | Path], key: str) -> Any:
    """The value a lab should open for file param `p`, or ParamError if it lies outside.

    A relative name is read from the scenario file's folder when the file is there, so a
    scenario and its data move together; otherwise it stays as written (relative to where
    tui-lab runs). Either way the file, with every symlink followed, must lie inside the
    scenario's folder (the current folder for a scenario built in the app) or a folder named
    with --allow-dir: a scenario someone shares cannot pull ~/.ssh into an export. A name
    that does not exist is left to the lab, which says so.
    """
    if p.kind != "path" or not isinstance(value, str) or not value or value in p.choices:
        return value
    # A model names its file and a NAME in it (`net.py:Net`): the file is what is checked and
    # moves along; `package.module:NAME` names no file at all.
    m = re.fullmatch(r"(.*\.py)(:\w+)", value)
    if m:
        return resolve_file(p, m.group(1), scenario, allow, key) + m.group(2)
    if re.fullmatch(r"[\w.]+:\w+", value):
        return value
    written = value
    given = Path(value).expanduser()
    if not given.is_absolute() and scenario is not None and (scenario.parent / given).exists():
        given = scenario.parent / given
        value = str(given)
    if not os.path.lexists(given):
        return value
    home = (scenario.parent if scenario is not None else Path.cwd()).absolute()
    try:
        real = given.resolve()
        roots = [home.resolve(), *(Path(d).expanduser().resolve() for d in allow)]
    except (OSError, RuntimeError) as exc:  # a symlink loop
        raise ParamError(key, f"cannot follow {value}: {getattr(exc, 'strerror', None) or exc}") from None
    if any(real.is_relative_to(root) for root in roots):
        return value
    shown = written if written == str(real) else f"{written} (that is, {real})"
    folder = f"the scenario's folder {home}" if scenario is not None else f"the current folder {home}"
    raise ParamError(key, f"{shown} is outside {folder}; scenarios read files only there and below, or in a "
                          f"folder named with --allow-dir: to allow this one, add --allow-dir {real.parent}")


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
    # a part of a name (`sobel`; three letters at least: `x` is in a dozen), else a misspelt one (`conv-sobl`)
    part = [n for n in names if name_or_path in n] if len(name_or_path) >= 3 else []
    close = part or near(name_or_path, names)
    hint = f"; did you mean {', '.join(close[:3])}?" if close else "; `tui-lab list` shows them"
    raise ScenarioError(name_or_path, f"no bundled scenario or file by that name{hint}")


# A scenario is a small text file; a 227×227×3 input written out is about 1 MB.
MAX_BYTES = 20_000_000


def load(name_or_path: str, allow: Sequence[str | Path] = ()) -> Scenario:
    """A bundled name or a file, validated; files it names are read only from its own folder
    or the folders in `allow` (--allow-dir)."""
    path = resolve(name_or_path)
    if not path.is_file():
        raise ScenarioError(str(path), "not a regular file (a device, pipe or socket?); expected a .toml scenario file")
    if path.stat().st_size > MAX_BYTES:
        raise ScenarioError(str(path), f"is {path.stat().st_size:,} bytes; a scenario file may be at most {MAX_BYTES:,}")
    try:
        with path.open("rb") as fh:
            data = fh.read(MAX_BYTES + 1)  # the file may grow between stat and read
    except OSError as exc:
        raise ScenarioError(str(path), f"cannot read: {exc.strerror}") from None
    source = path.name if path.parent == HERE else str(path)
    if len(data) > MAX_BYTES:
        raise ScenarioError(source, f"is larger than {MAX_BYTES:,} bytes, the most a scenario file may be")
    try:
        text = decode(data)
    except TomlProblem as exc:
        raise ScenarioError(source, exc.message, line=exc.line) from None
    return load_text(text, source, name=path.stem, path=path, allow=allow)


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
