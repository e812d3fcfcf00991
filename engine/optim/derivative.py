"""f and ∇f of a parsed formula at one point, in Python floats: what a track needs at every update.

torch autograd on a 1-point tensor costs ~0.2 ms an update; the same derivative in Python
floats costs microseconds. It is reverse mode on the formula's tree, done as autograd does
it, so the numbers are autograd's wherever the arithmetic is (tests/test_optim_derivative.py
compares them on every named surface and on random formulas):
- a forward pass keeps each node's value; a backward pass hands each node the gradient of f
  with respect to it, from the root down (every node of a tree has one parent), multiplying
  by torch's local derivative, with the same operands in the same order; x and y add up
  their contributions in the order autograd's engine delivers them (the latest-made node
  first; a node's left operand before its right);
- local derivatives as torch defines them: abs'(0) = 0 (and abs'(NaN) = 0: torch's sign),
  sqrt'(0) = ∞, log'(0) = ∞, ∂(a**0)/∂a = 0 everywhere, ∂(a**b)/∂b = 0 where a = 0 and b ≥ 0,
  c / a as (1/a)·c, a**2 as a·a, a**3 as a·a·a, a**−1 as 1/a, a**−2 as 1/(a·a),
  a**−0.5 as 1/√a (torch's own shortcuts for those powers);
- IEEE semantics, as torch and numpy have them: 1/0 = ∞, exp(1000) = ∞, log(−1) = NaN,
  (−8)**(1/3) = NaN. Python's math raises instead, so those few cases go to numpy.
Constant sub-trees are folded by formula.constant, as the torch path folds them.
The last bit of a transcendental function (sin, exp, …) may differ from torch's vectorized one.
"""

from __future__ import annotations

import math
from functools import lru_cache
from typing import Callable

import numpy as np

from .formula import Node, constant, parsed

Values = list  # each node's value, in post-order
Forward = Callable[[Values, float, float], float]
Backward = Callable[[Values, float, list], None]  # (values, this node's gradient, gradients) -> None
X, Y = 0, 1  # the slots of x and y: their values, and where their gradients add up; the nodes follow


def _ieee(fn: Callable, *args: float) -> float:
    """What numpy (IEEE) gives where Python's math raises: ±∞ or NaN."""
    with np.errstate(all="ignore"):
        return float(fn(*args))


def _arrays(*args: object) -> bool:
    return any(isinstance(a, np.ndarray) for a in args)


def _div(a: float, b: float) -> float:
    if _arrays(a, b):
        return np.divide(a, b)
    try:
        return a / b
    except ZeroDivisionError:
        return _ieee(np.divide, a, b)


def _pow(a: float, b: float) -> float:
    """std::pow, as torch's kernels call it."""
    if _arrays(a, b):
        return np.power(a, b)
    try:
        return math.pow(a, b)
    except (OverflowError, ValueError):
        return _ieee(np.power, a, b)


def _pow_scalar(a: float, c: float) -> float:
    """torch's a ** c for a number c: its shortcuts for some exponents, std::pow for the rest."""
    if c == 0:
        return 1.0
    if c == 1:
        return a
    if c == 2:
        return a * a
    if c == 3:
        return a * a * a
    if c == -1:
        return _div(1.0, a)
    if c == -2:
        return _div(1.0, a * a)
    if c == -0.5:
        return _div(1.0, _call("sqrt", a))
    return _pow(a, c)


_MATH = {"sin": math.sin, "cos": math.cos, "exp": math.exp, "log": math.log, "sqrt": math.sqrt, "tanh": math.tanh,
         "abs": abs}


def _call(fn: str, a: float) -> float:
    if _arrays(a):
        return getattr(np, fn)(a)
    try:
        return _MATH[fn](a)
    except (OverflowError, ValueError):
        return _ieee(getattr(np, fn), a)


def _sign(a: float) -> float:
    if _arrays(a):
        return np.where(a > 0, 1.0, np.where(a < 0, -1.0, 0.0))
    return 1.0 if a > 0 else -1.0 if a < 0 else 0.0  # torch.sign: 0 at 0 and at NaN


# d f(a) / da, from a and f(a) (the node's own value), as torch's backward formulas write it.
_LOCAL: dict[str, Callable[[float, float], float]] = {
    "sin": lambda a, r: _call("cos", a),
    "cos": lambda a, r: -_call("sin", a),
    "exp": lambda a, r: r,
    "tanh": lambda a, r: 1 - r * r,
    "abs": lambda a, r: _sign(a),
}


class Tape:
    """A formula's nodes in post-order, each a (forward, backward) pair; constants folded away."""

    def __init__(self, tree: Node) -> None:
        self.ops: list[tuple[Forward, Backward]] = []
        self.root = self._add(tree)
        self.constant = self.root if isinstance(self.root, float) else None

    def _add(self, node: Node) -> int | float:
        """The node's slot (x and y are slots 0 and 1), or its value when it holds no x and no y."""
        tag = node[0]
        if tag == "num":
            return node[1]
        if tag == "var":
            return X if node[1] == "x" else Y
        if tag == "neg":
            a = self._add(node[1])
            if isinstance(a, float):
                return constant(node)
            return self._op(lambda v, x, y: -v[a], lambda v, g, d: _give(d, a, -g))
        if tag == "call":
            a = self._add(node[2])
            if isinstance(a, float):
                return constant(node)
            return self._call(node[1], a)
        op, a, b = node[1], self._add(node[2]), self._add(node[3])
        if isinstance(a, float) and isinstance(b, float):
            return constant(node)
        return self._bin(op, a, b)

    def _op(self, forward: Forward, backward: Backward) -> int:
        self.ops.append((forward, backward))
        return len(self.ops) + 1  # after x and y

    def _call(self, fn: str, a: int) -> int:
        if fn == "log":
            return self._op(lambda v, x, y: _call("log", v[a]), lambda v, g, d: _give(d, a, _div(g, v[a])))
        if fn == "sqrt":
            i = len(self.ops) + 2
            return self._op(lambda v, x, y: _call("sqrt", v[a]),
                            lambda v, g, d: _give(d, a, _div(g, 2 * v[i])))
        local, i = _LOCAL[fn], len(self.ops) + 2
        return self._op(lambda v, x, y: _call(fn, v[a]), lambda v, g, d: _give(d, a, g * local(v[a], v[i])))

    def _bin(self, op: str, a: int | float, b: int | float) -> int:
        """A binary node with at least one side holding x or y (an int slot; a float is a constant)."""
        i = len(self.ops) + 2
        ca, cb = isinstance(a, float), isinstance(b, float)

        def val(v: Values, s: int | float) -> float:
            return s if isinstance(s, float) else v[s]

        def to(d: list, s: int | float, g: float) -> None:
            if isinstance(s, int):
                _give(d, s, g)

        if op == "+":
            return self._op(lambda v, x, y: val(v, a) + val(v, b), lambda v, g, d: (to(d, a, g), to(d, b, g)))
        if op == "-":
            return self._op(lambda v, x, y: val(v, a) - val(v, b), lambda v, g, d: (to(d, a, g), to(d, b, -g)))
        if op == "*":
            return self._op(lambda v, x, y: val(v, a) * val(v, b),
                            lambda v, g, d: (to(d, a, g * val(v, b)), to(d, b, g * val(v, a))))
        if op == "/":
            if ca:  # torch: c / t is reciprocal(t) * c
                return self._op(lambda v, x, y: _div(1.0, v[b]) * a,
                                lambda v, g, d: to(d, b, -(g * a) * (_div(1.0, v[b]) ** 2)))
            return self._op(lambda v, x, y: _div(val(v, a), val(v, b)),
                            lambda v, g, d: (to(d, a, _div(g, val(v, b))),
                                             None if cb else to(d, b, -g * _div(_div(val(v, a), v[b]), v[b]))))
        # **
        if cb:  # torch's pow(tensor, number) and its backward: 0 for the exponent 0
            return self._op(lambda v, x, y: _pow_scalar(v[a], b),
                            lambda v, g, d: to(d, a, 0.0 if b == 0 else g * (b * _pow_scalar(v[a], b - 1))))

        def exponent_part(v: Values, g: float) -> float:  # ∂/∂b: 0 where a = 0 and b ≥ 0, else a**b·log(a)
            base, e = val(v, a), v[b]
            return g * _pick((base == 0) & (e >= 0), 0.0, lambda: v[i] * _call("log", base))

        def base_part(v: Values, g: float) -> float:
            e = v[b]
            return _pick(e == 0, 0.0, lambda: g * (e * _pow(v[a], e - 1)))

        return self._op(lambda v, x, y: _pow(val(v, a), v[b]),
                        lambda v, g, d: (None if ca else to(d, a, base_part(v, g)), to(d, b, exponent_part(v, g))))

    def __call__(self, x: float, y: float) -> tuple[float, float, float]:
        """f(x, y), ∂f/∂x, ∂f/∂y."""
        if self.constant is not None:  # evaluate() gives c + 0·x for a constant formula
            return self.constant + 0 * x, 0.0, 0.0
        if not self.ops:  # f = x or f = y
            return (x, 1.0, 0.0) if self.root == X else (y, 0.0, 1.0)
        v: Values = [x, y]
        for forward, _ in self.ops:
            v.append(forward(v, x, y))
        d: list = [None] * len(v)
        d[-1] = 1.0
        for i in range(len(v) - 1, 1, -1):  # autograd's order: the latest-made node first
            self.ops[i - 2][1](v, d[i], d)
        return v[-1], (0.0 if d[X] is None else d[X]), (0.0 if d[Y] is None else d[Y])


def _pick(where: object, value: float, otherwise: Callable[[], float]) -> float:
    """`value` where `where` holds, else `otherwise()`: per element for arrays (both worked out)."""
    if _arrays(where):
        return np.where(where, value, otherwise())
    return value if where else otherwise()


def _give(d: list, slot: int, g: float) -> None:
    """A node's gradient (each node has one parent), or one more contribution to x's or y's."""
    d[slot] = g if d[slot] is None or slot > Y else d[slot] + g


@lru_cache(maxsize=64)
def tape(formula: str) -> Tape:
    """The compiled tape of a formula already known to parse (cached, like formula.parsed)."""
    return Tape(parsed(formula))


def value_and_grad(formula: str, x: float, y: float) -> tuple[float, float, float]:
    """f, ∂f/∂x, ∂f/∂y at (x, y)."""
    return tape(formula)(x, y)


def values_and_grads(formula: str, x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """f, ∂f/∂x, ∂f/∂y at many points at once (a swarm): the same tape over numpy arrays, the
    same operations in the same order, so each point's numbers are `value_and_grad`'s (the last
    bit of sin, exp, … aside: numpy's vectorized kernels are not Python's libm)."""
    x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    with np.errstate(all="ignore"):
        return tuple(np.broadcast_to(np.asarray(a, dtype=float), x.shape).copy() for a in tape(formula)(x, y))
