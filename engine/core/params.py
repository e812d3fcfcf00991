"""Lab parameters: each lab declares them once here-style, and one validator checks them.

A `Param` says a key's type, default, allowed range and help. `validate` turns a raw
mapping (from TOML, the edit form, or a script's `set`) into clean values or raises
`ParamError` naming the key and what is allowed. Every message is one line.
"""

from __future__ import annotations

import difflib
import math
from decimal import Decimal
from dataclasses import dataclass, field
from typing import Any, Iterable, Mapping, Sequence

from .fmt import visible

REQUIRED = object()

# Lists and tables nest a few levels in any real scenario (a [F][C][H][W] kernel is 4); a few
# hundred levels exhaust Python's stack in any recursive reader, so deeper is refused, in files
# (scenarios/toml_text.py) and in values from forms alike.
MAX_DEPTH = 32


class ParamError(ValueError):
    """A bad parameter: `key` is the dotted path (e.g. `params.kernel` or `params.optimizers[1].lr`)."""

    def __init__(self, key: str, message: str) -> None:
        # Keys and values come from files and forms: control characters are shown, never sent.
        key, message = visible(key), visible(message)
        super().__init__(f"{key}: {message}")
        self.key = key
        self.message = message


def near(word: Any, allowed: Iterable[str], n: int = 1) -> list[str]:
    """The allowed names (at most `n`, nearest first) that `word` looks like a misspelling of."""
    if not isinstance(word, str):
        return []
    return difflib.get_close_matches(word, list(allowed), n=n, cutoff=0.6)


def did_you_mean(word: Any, allowed: Iterable[str]) -> str:
    """"did you mean `padding`? " when `word` is close to one allowed name, else ""."""
    close = near(word, allowed)
    return f"did you mean `{close[0]}`? " if close else ""


def unknown_key(key: str, name: str, allowed: Sequence[str], what: str = "unknown key") -> ParamError:
    """The one message for a key that is not declared: the near one, then every allowed one."""
    return ParamError(key, f"{what}; {did_you_mean(name, allowed)}allowed keys: " + ", ".join(allowed))


@dataclass(frozen=True)
class Param:
    """One declared parameter.

    kind:
      int, float, bool   scalars (an int is accepted where a float is wanted)
      choice             a string from `choices`
      str                any string (text, formulas)
      path               a file name; a relative one is read from the scenario file's folder,
                         and only files inside that folder or an --allow-dir are read
                         (scenarios/loader.py); `choices` lists names that are built-in
                         sources rather than files (conv's "shapes")
      tensor             nested lists of numbers, rectangular, with depth in `ndims`
      ints / floats      a flat list of numbers, length in `length` if given
      tables             a list of tables, each validated against `fields`
    """

    name: str
    kind: str
    default: Any = REQUIRED
    doc: str = ""
    min: float | None = None
    max: float | None = None
    choices: tuple[str, ...] = ()
    ndims: tuple[int, ...] = ()
    length: int | None = None
    fields: tuple["Param", ...] = ()
    # Dimension names per depth, for messages (e.g. {2: "[H][W]", 3: "[C][H][W]"}).
    shapes: Mapping[int, str] = field(default_factory=dict)

    @property
    def required(self) -> bool:
        return self.default is REQUIRED

    def allowed(self) -> str:
        """What is allowed, in words, for messages and the help screen."""
        if self.kind == "choice":
            return "one of " + ", ".join(f'"{c}"' for c in self.choices)
        if self.kind in ("int", "float"):
            noun = "an integer" if self.kind == "int" else "a number"
            if self.min is not None and self.max is not None:
                return f"{noun} from {_num(self.min)} to {_num(self.max)}"
            if self.min is not None:
                return f"{noun} ≥ {_num(self.min)}"
            if self.max is not None:
                return f"{noun} ≤ {_num(self.max)}"
            return noun
        if self.kind == "bool":
            return "true or false"
        if self.kind == "str":
            return "a string"
        if self.kind == "path":
            return "a file path (relative to the scenario file)"
        if self.kind == "tensor":
            forms = [self.shapes.get(d, "nested list of depth %d" % d) for d in self.ndims]
            return "a rectangular list of numbers shaped " + " or ".join(forms)
        if self.kind in ("ints", "floats"):
            noun = "integers" if self.kind == "ints" else "numbers"
            n = f"{self.length} " if self.length else ""
            return f"a list of {n}{noun}"
        if self.kind == "tables":
            return "a list of tables with keys " + ", ".join(f.name for f in self.fields)
        return self.kind


def _num(x: int | float) -> str:
    """A number in a message, as written while short (64, 0.5) and compact when long: 1e+308,
    1.2346e+59, never the hundreds of digits a huge integer or an integral float would print."""
    if isinstance(x, int):
        if len(str(abs(x))) <= 15:
            return str(x)
        mantissa, exponent = f"{Decimal(x):.4e}".split("e")  # Decimal: no overflow past 1e308
        return f"{mantissa.rstrip('0').rstrip('.')}e{exponent}"
    return str(int(x)) if x.is_integer() and abs(x) < 1e15 else repr(x)


def _type_name(v: Any) -> str:
    if isinstance(v, bool):
        return "a boolean"
    if isinstance(v, int):
        return f"the integer {_num(v)}"
    if isinstance(v, float):
        return f"the number {v!r}"
    if isinstance(v, str):
        return f'the string "{v}"' if len(v) < 40 else "a string"
    if isinstance(v, list):
        return "a list"
    if isinstance(v, dict):
        return "a table"
    return type(v).__name__


def _check_number(p: Param, key: str, v: Any) -> int | float:
    ok_int = isinstance(v, int) and not isinstance(v, bool)
    if p.kind == "int" and not ok_int:
        raise ParamError(key, f"expected {p.allowed()}, got {_type_name(v)}")
    if p.kind == "float" and not (ok_int or isinstance(v, float)):
        raise ParamError(key, f"expected {p.allowed()}, got {_type_name(v)}")
    if p.kind == "float":
        try:
            v = float(v)
        except OverflowError:  # TOML integers are unbounded
            raise ParamError(key, f"expected {p.allowed()}, got an integer of {len(str(v))} digits") from None
        if not math.isfinite(v):
            raise ParamError(key, f"expected a finite number, got {v}")
    if (p.min is not None and v < p.min) or (p.max is not None and v > p.max):
        raise ParamError(key, f"expected {p.allowed()}, got {_num(v)}")
    return v


def tensor_shape(key: str, v: Any, ndims: Sequence[int], shapes: Mapping[int, str] | None = None) -> tuple[int, ...]:
    """Shape of a rectangular nested list of finite numbers; ParamError if ragged or not numeric."""

    def walk(x: Any, path: str, depth: int = 1) -> tuple[int, ...]:
        if isinstance(x, list):
            if depth > MAX_DEPTH:
                raise ParamError(key, f"lists nest more than {MAX_DEPTH} levels deep; at most {MAX_DEPTH} are allowed")
            if not x:
                raise ParamError(key, f"{path or 'the list'} is empty")
            subs = [walk(e, f"{path}[{i}]", depth + 1) for i, e in enumerate(x)]
            first = subs[0]
            for i, s in enumerate(subs):
                if s != first:
                    if len(s) != len(first):
                        raise ParamError(key, f"ragged list: {path}[{i}] nests {len(s)} deep, {path}[0] nests {len(first)} deep")
                    raise ParamError(key, f"ragged list: {path}[{i}] has shape {list(s)}, {path}[0] has {list(first)}")
            return (len(x),) + first
        if isinstance(x, bool) or not isinstance(x, (int, float)):
            raise ParamError(key, f"{path or 'value'} is {_type_name(x)}, expected a number")
        try:
            finite = math.isfinite(x)
        except OverflowError:
            finite = False
        if not finite:
            shown = x if isinstance(x, float) else f"an integer of {len(str(abs(x)))} digits"
            raise ParamError(key, f"{path} is {shown}, expected a finite number")
        return ()

    shape = walk(v, "")
    if ndims and len(shape) not in ndims:
        forms = " or ".join((shapes or {}).get(d, f"depth {d}") for d in ndims)
        raise ParamError(key, f"expected a list shaped {forms}, got shape {list(shape)}")
    return shape


def _check_one(p: Param, key: str, v: Any) -> Any:
    if p.kind in ("int", "float"):
        return _check_number(p, key, v)
    if p.kind == "bool":
        if not isinstance(v, bool):
            raise ParamError(key, f"expected true or false, got {_type_name(v)}")
        return v
    if p.kind == "choice":
        if v not in p.choices:
            hint = did_you_mean(v, p.choices).replace("`", '"').rstrip()
            raise ParamError(key, f"expected {p.allowed()}, got {_type_name(v)}" + (f"; {hint}" if hint else ""))
        return v
    if p.kind in ("str", "path"):
        if not isinstance(v, str):
            raise ParamError(key, f"expected a string, got {_type_name(v)}")
        return v
    if p.kind == "tensor":
        if not isinstance(v, list):
            raise ParamError(key, f"expected {p.allowed()}, got {_type_name(v)}")
        if v == [] and p.default == []:
            return v  # "not given", written out (a scenario changed in the app keeps every key)
        tensor_shape(key, v, p.ndims, p.shapes)
        return v
    if p.kind in ("ints", "floats"):
        if not isinstance(v, list):
            raise ParamError(key, f"expected {p.allowed()}, got {_type_name(v)}")
        if p.length is not None and len(v) != p.length:
            raise ParamError(key, f"expected {p.allowed()}, got {len(v)} items")
        inner = Param(p.name, "int" if p.kind == "ints" else "float", min=p.min, max=p.max)
        return [_check_number(inner, f"{key}[{i}]", e) for i, e in enumerate(v)]
    if p.kind == "tables":
        if not isinstance(v, list) or not all(isinstance(e, dict) for e in v):
            raise ParamError(key, f"expected {p.allowed()}, got {_type_name(v)}")
        if p.min is not None and len(v) < p.min:
            raise ParamError(key, f"expected at least {_num(p.min)} entries, got {len(v)}")
        return [validate(p.fields, e, f"{key}[{i}]") for i, e in enumerate(v)]
    if p.kind == "any":
        return v
    raise AssertionError(f"unknown param kind {p.kind}")


def validate(spec: Sequence[Param], raw: Mapping[str, Any], where: str = "params") -> dict[str, Any]:
    """Check `raw` against `spec`; return every declared key with defaults filled in."""
    known = {p.name: p for p in spec}
    for k in raw:
        if k not in known:
            raise unknown_key(f"{where}.{k}", k, list(known))
    out: dict[str, Any] = {}
    for p in spec:
        key = f"{where}.{p.name}"
        if p.name in raw:
            out[p.name] = _check_one(p, key, raw[p.name])
        elif p.required:
            raise ParamError(key, f"missing; expected {p.allowed()}")
        else:
            out[p.name] = p.default
    return out

