"""Loss surfaces f(x, y): the named ones, the bowl of Distill's article, and typed formulas.

Each is a formula (parsed by engine.optim.formula, never eval'd) with its own default view,
start point and known critical points.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import numpy as np

from . import derivative
from .formula import Node, evaluate, parse, parsed


@dataclass(frozen=True)
class Surface:
    """A named or typed loss surface with its default view and known critical points."""

    name: str
    formula: str
    view: tuple[float, float, float, float]  # xmin, xmax, ymin, ymax
    start: tuple[float, float]
    points: tuple[tuple[str, float, float], ...] = ()  # (label, x, y): minima and saddles
    eigenvalues: tuple[float, float] | None = None  # the bowl's Hessian eigenvalues

    @property
    def tree(self) -> Node:
        return parsed(self.formula)

    def torch(self, xy: Any) -> Any:
        """f at points xy of shape (N, 2) -> (N,)."""
        import torch

        return evaluate(self.tree, xy[:, 0], xy[:, 1], torch)

    def value_and_grad(self, x: float, y: float) -> tuple[float, float, float]:
        """f, ∂f/∂x, ∂f/∂y at one point, in Python floats (derivative.py)."""
        return derivative.tape(self.formula)(x, y)

    def values_and_grads(self, x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """f, ∂f/∂x, ∂f/∂y at many points, as numpy arrays (derivative.py over arrays)."""
        return derivative.values_and_grads(self.formula, x, y)

    def numpy(self, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        with np.errstate(all="ignore"):
            return np.asarray(evaluate(self.tree, np.asarray(x, float), np.asarray(y, float), np), dtype=float)


HIMMELBLAU_MINIMA = (("min 1", 3.0, 2.0), ("min 2", -2.805118, 3.131312),
                     ("min 3", -3.779310, -3.283186), ("min 4", 3.584428, -1.848126))


def bowl(eigenvalues: tuple[float, float]) -> Surface:
    """f = (λ1·x² + λ2·y²)/2: Hessian diag(λ1, λ2), the zig-zag case when κ = λ2/λ1 is large."""
    l1, l2 = (repr(float(v)).removesuffix(".0") for v in eigenvalues)  # exact, so the formula is the surface
    return Surface("bowl", f"({l1}*x**2 + {l2}*y**2)/2", (-5.0, 5.0, -3.0, 3.0), (-4.0, 2.0),
                   (("min", 0.0, 0.0),), (float(eigenvalues[0]), float(eigenvalues[1])))


NAMED: dict[str, Surface] = {
    "rosenbrock": Surface("rosenbrock", "(1 - x)**2 + 100*(y - x**2)**2", (-2.0, 2.0, -1.0, 3.0), (-1.5, 2.0),
                          (("min", 1.0, 1.0),)),
    "saddle": Surface("saddle", "x**2 - y**2", (-2.0, 2.0, -2.0, 2.0), (-1.8, 0.01), (("saddle", 0.0, 0.0),)),
    "himmelblau": Surface("himmelblau", "(x**2 + y - 11)**2 + (x + y**2 - 7)**2", (-5.0, 5.0, -5.0, 5.0), (0.0, 0.0),
                          HIMMELBLAU_MINIMA),
    "plateau": Surface("plateau", "1 - exp(-(x**2 + y**2)/2)", (-4.0, 4.0, -3.0, 3.0), (3.0, 2.0), (("min", 0.0, 0.0),)),
}
SURFACES = ("bowl",) + tuple(NAMED)


def surface(name: str, formula: str = "", eigenvalues: tuple[float, float] = (1.0, 10.0)) -> Surface:
    """The surface a scenario asks for: a typed formula wins over a named surface."""
    if formula:
        parse(formula)
        return Surface("formula", formula, (-3.0, 3.0, -3.0, 3.0), (-2.0, 2.0))
    if name == "bowl":
        return bowl(eigenvalues)
    return NAMED[name]


@lru_cache(maxsize=32)
def grid(formula: str, view: tuple[float, float, float, float], cols: int, rows: int) -> np.ndarray:
    """f sampled at cell centres, shape (rows, cols), row 0 at the top (largest y). Read-only."""
    xmin, xmax, ymin, ymax = view
    xs = xmin + (np.arange(cols) + 0.5) * (xmax - xmin) / cols
    ys = ymax - (np.arange(rows) + 0.5) * (ymax - ymin) / rows
    X, Y = np.meshgrid(xs, ys)  # (rows, cols)
    with np.errstate(all="ignore"):
        Z = np.asarray(evaluate(parsed(formula), X, Y, np), dtype=float)
    Z = np.broadcast_to(Z, X.shape).copy()
    Z.setflags(write=False)
    return Z
