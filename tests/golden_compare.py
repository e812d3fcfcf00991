"""Comparing a replay with its golden files so the comparison holds on any x86-64 CPU.

Numbers are compared through the JSON Lines replay, record by record, with a tolerance stated
per lab (TOLERANCES); everything that is not a float (ints, strings, bools, null, keys, list
lengths) must match exactly. Text, and the strings inside the JSON (captions, notes, rules
such as `∇f = (−1.36, 1.625)`), are compared with every number masked: those numbers are the
record's floats, already checked with the tolerance, and a value on a rounding boundary
(σ² = 1.5625 shown as 1.562 on one CPU and 1.563 on another) must not fail.

On a difference the message names the first differing record, its step and the JSON path,
never a whole-file diff.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Tolerance:
    rel: float  # relative to the larger magnitude of the two
    abs: float  # floor for values that are rounding noise around zero


# How far two x86-64 CPUs with the same torch build drift apart (measured between the CPU that
# wrote tests/golden and an AMD EPYC with AVX-512; see test_golden's docstring):
# - float64 labs: a few ulps (≤ 1.6e-14 relative, from sums vectorised in another order). The
#   absolute floor covers values that are themselves rounding noise, such as the largest
#   difference from torch (2.8e-14 on one CPU, 4.3e-14 on the other); nothing these labs show
#   is meaningful below 1e-10.
# - charrnn: float32 training amplifies a 1e-7 difference in one matmul through every Adam
#   step; after 100 steps at lr 0.01 (charrnn-sampling) the sampled probabilities differ by up
#   to 9.3e-3 relative and ‖g‖ by 3.2e-3, so 2e-2 relative. The floor, 1e-6, is a few float32
#   ulps at magnitude 1: below it a value is float32 noise whatever its relative difference.
_F64 = Tolerance(rel=1e-9, abs=1e-10)
TOLERANCES: dict[str, Tolerance] = {
    "conv": _F64,
    "arch": _F64,
    "optim": _F64,
    "lstm": _F64,
    "charrnn": Tolerance(rel=2e-2, abs=1e-6),
    # pretrain: numpy float64 throughout; a few ulps per update, compounded over the short
    # golden runs (one seed, few epochs), stays far below 1e-6.
    "pretrain": Tolerance(rel=1e-6, abs=1e-9),
    # train: float32 training as in charrnn (the gradients shown are float64 and checked
    # against autograd separately, in the tests).
    "train": Tolerance(rel=2e-2, abs=1e-6),
}

# A number as the labs write it: optional sign (ASCII '-', '+' or the lecture's '−'), digits
# with thousands separators, a fraction, an exponent (1e−07, 2.5e+03). Digits glued to a
# word (h_0, β1, conv1, W_f) are names, not numbers, and stay.
_EXP = r"(?:[eE][-+\u2212]?\d+)?"
NUMBER = re.compile(rf"(?<![\w.])[-+\u2212]?(?:(?:\d{{1,3}}(?:,\d{{3}})+|\d+)(?:\.\d+)?|\.\d+){_EXP}(?!\w)")
# Pictures of numbers: bars (block elements) and plots (braille), with the gaps inside them. A
# bar one cell longer on another CPU is the same number, checked through JSON.
PICTURE = re.compile(r"[\u2580-\u259f\u2800-\u28ff](?:[\u2580-\u259f\u2800-\u28ff ]*[\u2580-\u259f\u2800-\u28ff])?")


def mask_numbers(text: str) -> str:
    """`text` with every number as '#' and every picture as '▦'."""
    return NUMBER.sub("#", PICTURE.sub("▦", text))


def _words(text: str) -> list[tuple[int, str]]:
    """The masked words of `text` with their line numbers. Spacing and rule lengths are left
    out: a number one character wider widens its table column, its rules, and can move a
    caption's line break; how things line up is checked by the snapshot and width tests."""
    out = []
    for n, line in enumerate(text.splitlines(), 1):
        out += [(n, re.sub("─+", "─", w)) for w in mask_numbers(line).split()]
    return out


class Mismatch(AssertionError):
    pass


def _path(parts: list[Any]) -> str:
    out = ""
    for p in parts:
        out += f"[{p}]" if isinstance(p, int) else (f".{p}" if out else str(p))
    return out or "(record)"


def _kind(x: Any) -> str:
    return "null" if x is None else type(x).__name__


def close(a: float, b: float, tol: Tolerance) -> bool:
    return abs(a - b) <= max(tol.rel * max(abs(a), abs(b)), tol.abs)


def compare_values(got: Any, want: Any, tol: Tolerance, path: list[Any] | None = None) -> str | None:
    """The first difference between two JSON values as 'path: got vs want, why', or None."""
    path = path or []
    where = _path(path)
    # bool is an int in Python: check it first, and never let True equal 1.
    if type(got) is not type(want):
        return f"{where}: {got!r} ({_kind(got)}) vs {want!r} ({_kind(want)}), types differ"
    if isinstance(got, dict):
        if list(got) != list(want):
            extra, missing = [k for k in got if k not in want], [k for k in want if k not in got]
            return f"{where}: keys differ (extra {extra}, missing {missing})" if extra or missing \
                else f"{where}: key order differs: {list(got)} vs {list(want)}"
        for k in got:
            found = compare_values(got[k], want[k], tol, path + [k])
            if found:
                return found
        return None
    if isinstance(got, list):
        if len(got) != len(want):
            return f"{where}: list length {len(got)} vs {len(want)}"
        for i, (g, w) in enumerate(zip(got, want)):
            found = compare_values(g, w, tol, path + [i])
            if found:
                return found
        return None
    if isinstance(got, float):
        if close(got, want, tol):
            return None
        diff = abs(got - want)
        rel = diff / max(abs(got), abs(want))
        return (f"{where}: {got!r} vs {want!r}, rel diff {rel:.2g} > {tol.rel:g}"
                f" (abs diff {diff:.2g} > {tol.abs:g})")
    if isinstance(got, str) and got != want and mask_numbers(got) == mask_numbers(want):
        return None  # the same words; the numbers in them are the record's, checked above
    if got != want:
        return f"{where}: {got!r} vs {want!r}"
    return None


def _first_word_difference(got: str, want: str) -> str | None:
    """Where two texts first differ once numbers and pictures are masked, or None."""
    a, b = _words(got), _words(want)
    for (line_a, word_a), (line_b, word_b) in zip(a, b):
        if word_a != word_b:
            return (f"line {line_a}: {got.splitlines()[line_a - 1].strip()!r} "
                    f"vs line {line_b}: {want.splitlines()[line_b - 1].strip()!r}")
    if len(a) != len(b):
        longer, text = (a, got) if len(a) > len(b) else (b, want)
        extra = longer[min(len(a), len(b))][0]
        side = "only in the replay" if longer is a else "only in the golden file"
        return f"line {extra} {side}: {text.splitlines()[extra - 1].strip()!r}"
    return None


def compare_jsonl(got: str, want: str, tol: Tolerance) -> None:
    """Raise Mismatch naming the first differing record, its step and path."""
    got_lines, want_lines = got.splitlines(), want.splitlines()
    for n, (g, w) in enumerate(zip(got_lines, want_lines)):
        if g == w:
            continue
        record, golden = json.loads(g), json.loads(w)
        found = compare_values(record, golden, tol)
        if found:
            raise Mismatch(f"record {n} (step {golden.get('step', '?')}) {found}")
    if len(got_lines) != len(want_lines):
        raise Mismatch(f"{len(got_lines)} records vs {len(want_lines)} in the golden file")


def compare_text(got: str, want: str) -> None:
    """Raise Mismatch naming the first line that differs once numbers are masked."""
    found = _first_word_difference(got, want)
    if found:
        raise Mismatch(f"text (numbers masked) {found}")
