"""The safe formula parser: f(x, y) as text -> a small tree, evaluated on torch tensors or numpy arrays.

A formula is tokenized and parsed by recursive descent into a tree of tuples. Nothing is
ever handed to eval/exec/compile: only numbers, x, y, pi, e, the four operators, **,
parentheses and the whitelisted functions below can appear.

Grammar (** binds tighter than unary minus, and is right-associative, as in Python):
    expr  := term (("+" | "-") term)*
    term  := unary (("*" | "/") unary)*
    unary := ("-" | "+") unary | power
    power := atom ("**" unary)?
    atom  := NUMBER | NAME | FUNC "(" expr ")" | "(" expr ")"
"""

from __future__ import annotations

import math
import re
from functools import lru_cache
from typing import Any

from ..core.params import ParamError

FUNCTIONS = ("sin", "cos", "exp", "log", "sqrt", "tanh", "abs")
CONSTANTS = {"pi": math.pi, "e": math.e}
VARIABLES = ("x", "y")
MAX_LENGTH = 300
MAX_DEPTH = 40

_TOKEN = re.compile(r"\s*(?:(\d+\.?\d*(?:[eE][+-]?\d+)?|\.\d+(?:[eE][+-]?\d+)?)|([A-Za-z_][A-Za-z_0-9]*)|(\*\*|[-+*/()\u2212]))")

Node = tuple  # ("num", v) | ("var", name) | ("neg", a) | ("bin", op, a, b) | ("call", fn, a)


def _allowed() -> str:
    return "numbers, x, y, pi, e, + − * / **, parentheses and " + ", ".join(f"{f}()" for f in FUNCTIONS)


def tokenize(text: str, key: str) -> list[tuple[str, str, int]]:
    """(kind, text, column) triples; kind is num | name | op."""
    if len(text) > MAX_LENGTH:
        raise ParamError(key, f"formula is {len(text)} characters long; at most {MAX_LENGTH} allowed")
    tokens, pos = [], 0
    while pos < len(text):
        if text[pos:].strip() == "":
            break
        m = _TOKEN.match(text, pos)
        if not m:
            col = pos + len(text[pos:]) - len(text[pos:].lstrip()) + 1
            ch = text[col - 1]
            for kind, name, at in tokens:  # an unknown name says more than the quote or dot after it
                if kind == "name" and name not in VARIABLES + FUNCTIONS + tuple(CONSTANTS):
                    raise ParamError(key, f"unknown name {name!r} at column {at}; allowed: {_allowed()}")
            hint = {".": "attribute access ('.') is not allowed",
                    "^": "'^' is not a power here; write x**2",
                    ",": "functions take one argument; ',' is not allowed",
                    "[": "indexing ('[') is not allowed",
                    "=": "assignment or comparison ('=') is not allowed"}.get(ch)
            raise ParamError(key, f"{hint or f'unexpected character {ch!r}'} at column {col}; allowed: {_allowed()}")
        num, name, op = m.groups()
        col = m.start(m.lastindex) + 1
        if op == "\u2212":  # the minus sign the lecture and this lab print (and the message lists) is a minus
            op = "-"
        tokens.append(("num", num, col) if num else ("name", name, col) if name else ("op", op, col))
        pos = m.end()
    return tokens


class _Parser:
    def __init__(self, text: str, key: str) -> None:
        self.key = key
        self.tokens = tokenize(text, key)
        self.i = 0
        self.depth = 0

    def error(self, message: str) -> ParamError:
        return ParamError(self.key, message)

    def peek(self) -> tuple[str, str, int] | None:
        return self.tokens[self.i] if self.i < len(self.tokens) else None

    def take(self, op: str) -> bool:
        tok = self.peek()
        if tok and tok[0] == "op" and tok[1] == op:
            self.i += 1
            return True
        return False

    def parse(self) -> Node:
        if not self.tokens:
            raise self.error("formula is empty; write an expression in x and y, e.g. x**2 + 10*y**2")
        node = self.expr()
        tok = self.peek()
        if tok is not None:
            raise self.error(f"unexpected {tok[1]!r} at column {tok[2]}")
        return node

    def expr(self) -> Node:
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise self.error(f"formula nests more than {MAX_DEPTH} deep")
        node = self.term()
        while (tok := self.peek()) and tok[0] == "op" and tok[1] in ("+", "-"):
            self.i += 1
            node = ("bin", tok[1], node, self.term())
        self.depth -= 1
        return node

    def term(self) -> Node:
        node = self.unary()
        while (tok := self.peek()) and tok[0] == "op" and tok[1] in ("*", "/"):
            self.i += 1
            node = ("bin", tok[1], node, self.unary())
        return node

    def unary(self) -> Node:
        if self.take("-"):
            return ("neg", self.unary())
        if self.take("+"):
            return self.unary()
        return self.power()

    def power(self) -> Node:
        node = self.atom()
        if self.take("**"):
            self.depth += 1
            if self.depth > MAX_DEPTH:
                raise self.error(f"formula nests more than {MAX_DEPTH} deep")
            node = ("bin", "**", node, self.unary())
            self.depth -= 1
        return node

    def atom(self) -> Node:
        tok = self.peek()
        if tok is None:
            raise self.error("formula ends too early; an operand is missing")
        kind, text, col = tok
        self.i += 1
        if kind == "num":
            return ("num", float(text))
        if kind == "name":
            if text in VARIABLES:
                return ("var", text)
            if text in CONSTANTS:
                return ("num", CONSTANTS[text])
            if text in FUNCTIONS:
                if not self.take("("):
                    raise self.error(f"{text} at column {col} must be called, as in {text}(x)")
                arg = self.expr()
                if not self.take(")"):
                    raise self.error(f"missing ')' after the argument of {text} (column {col})")
                return ("call", text, arg)
            raise self.error(f"unknown name {text!r} at column {col}; allowed: {_allowed()}")
        if text == "(":
            node = self.expr()
            if not self.take(")"):
                raise self.error(f"missing ')' for the '(' at column {col}")
            return node
        raise self.error(f"unexpected {text!r} at column {col}")


def parse(text: str, key: str = "params.formula") -> Node:
    """Formula text -> tree; ParamError(key, ...) for anything outside the whitelist."""
    if not isinstance(text, str):
        raise ParamError(key, "expected a formula string")
    return _Parser(text, key).parse()


def evaluate(node: Node, x: Any, y: Any, lib: Any) -> Any:
    """Evaluate a tree on x, y with `lib` = torch or numpy (both spell these functions alike).

    The result has x's shape, even for a constant formula.
    """
    value = _eval(node, x, y, lib)
    return value + 0 * x if isinstance(value, float) else value


def constant(node: Node) -> float:
    """A sub-tree without x or y, folded to its number as `evaluate` folds it (NaN where Python raises)."""
    return _eval(node, math.nan, math.nan, None)


def _eval(node: Node, x: Any, y: Any, lib: Any) -> Any:
    # Constant sub-trees stay Python floats, so x**2 is a power with a number exponent
    # (a tensor exponent would make autograd differentiate through log(x), NaN for x < 0).
    tag = node[0]
    if tag == "num":
        return node[1]
    if tag == "var":
        return x if node[1] == "x" else y
    if tag == "neg":
        return -_eval(node[1], x, y, lib)
    if tag == "call":
        arg = _eval(node[2], x, y, lib)
        if isinstance(arg, float):
            return _scalar(node[1], arg)
        return getattr(lib, node[1])(arg)
    a, b = _eval(node[2], x, y, lib), _eval(node[3], x, y, lib)
    op = node[1]
    try:
        if op == "+":
            return a + b
        if op == "-":
            return a - b
        if op == "*":
            return a * b
        if op == "/":
            return a / b
        value = a ** b
    except (ZeroDivisionError, OverflowError, ValueError):  # only ever between two Python floats
        return math.nan
    # Python gives a complex number for a negative float to a fractional power, e.g. (-8)**(1/3);
    # numpy and torch give NaN for real inputs, and so does this evaluator.
    return math.nan if isinstance(value, complex) else value


def _scalar(fn: str, a: float) -> float:
    try:
        value = abs(a) if fn == "abs" else getattr(math, fn)(a)
    except (ValueError, OverflowError):
        return math.nan
    return math.nan if isinstance(value, complex) else float(value)


@lru_cache(maxsize=64)
def parsed(formula: str) -> Node:
    """The tree of a formula already known to parse (cached: every step evaluates it)."""
    return parse(formula)
