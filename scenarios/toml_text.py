"""TOML as people save it: decoded, checked for depth, then parsed, one message per problem.

Used by the loader (scenario files) and the catalogue (their titles); the edit form can use
`parse` for what a person types, so one rule answers each of these everywhere.
"""

from __future__ import annotations

import re
import sys
import tomllib

# tomllib recurses once per level, so the depth limit is checked before it parses.
from engine.core.params import MAX_DEPTH

UTF8_BOM = "\ufeff"


class TomlProblem(ValueError):
    """What is wrong with the text, worded for the person, and the line when known."""

    def __init__(self, message: str, line: int | None = None) -> None:
        super().__init__(message)
        self.message, self.line = message, line


def decode(data: bytes) -> str:
    """UTF-8 text without a leading byte-order mark."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise TomlProblem("is UTF-16 text (it starts with a UTF-16 byte-order mark); save it as UTF-8", 1)
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise TomlProblem(f"not a UTF-8 text file (byte 0x{data[exc.start]:02x} is not UTF-8)", line) from None
    return without_bom(text)


def without_bom(text: str) -> str:
    """A UTF-8 byte-order mark says nothing (the text is UTF-8 either way), yet Windows editors
    write one and tomllib rejects it as an "invalid statement": it is dropped, not refused."""
    return text[1:] if text.startswith(UTF8_BOM) else text


# Strings and comments first, so brackets inside them are not counted.
_TOKENS = re.compile(
    r'"""(?:[^\\]|\\.)*?"""'
    r"|'''.*?'''"
    r'|"(?:[^"\\\n]|\\.)*"'
    r"|'[^'\n]*'"
    r"|#[^\n]*"
    r"|[\[\]{}]",
    re.DOTALL,
)


def check_depth(text: str, limit: int = MAX_DEPTH) -> None:
    """TomlProblem at the first bracket or brace that nests deeper than `limit`."""
    depth = 0
    for m in _TOKENS.finditer(text):
        token = m.group()
        if token in "[{":
            depth += 1
            if depth > limit:
                line = text.count("\n", 0, m.start()) + 1
                raise TomlProblem(f"arrays or inline tables nest more than {limit} levels deep here; "
                                  f"at most {limit} are allowed", line)
        elif token in "]}":
            depth = max(depth - 1, 0)


def parse(text: str) -> dict:
    """The TOML document, or TomlProblem with tomllib's words and the line it names."""
    check_depth(text)
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        msg = str(exc)
        m = re.search(r"\(at line (\d+), column (\d+)\)", msg)
        msg = re.sub(r"\s*\(at line \d+, column \d+\)", "", msg)
        raise TomlProblem(f"not valid TOML: {msg}", int(m.group(1)) if m else None) from None
    except RecursionError:  # a shape the depth scan did not foresee; the same answer
        raise TomlProblem(f"nests too deeply to read; at most {MAX_DEPTH} levels are allowed") from None
    except ValueError:  # int() refuses a decimal integer longer than sys.get_int_max_str_digits()
        raise too_many_digits(text) from None


def too_many_digits(text: str) -> TomlProblem:
    """The problem for an integer too long for Python to read, at its line when it is found."""
    most = sys.get_int_max_str_digits()
    m = re.search(rf"(?<![\w.])[+-]?(?:\d_?){{{most + 1},}}(?![\w.])", text)
    if not m:
        return TomlProblem(f"not valid TOML: an integer has more than {most:,} digits")
    digits = sum(ch.isdigit() for ch in m.group())
    return TomlProblem(f"not valid TOML: an integer of {digits:,} digits; at most {most:,} digits are read",
                       text.count("\n", 0, m.start()) + 1)
