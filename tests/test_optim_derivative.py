"""The formula's own derivative (engine/optim/derivative.py) against torch autograd on the same formula.

A track's every gradient comes from derivative.py; torch autograd (the swarm's gradient, and
the check beside each frame) is the independent reference. Tolerance: |ours − autograd| ≤
1e-12 · max(1, |autograd|) for each of f, ∂f/∂x, ∂f/∂y (last-bit differences of sin, exp, …
between Python's libm and torch's vectorized kernels); on polynomial surfaces, where only
+ − · and small powers occur, the numbers are autograd's bit for bit (the same products in
the same order). NaN and ±∞ fall where autograd's do.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from engine.optim import surfaces
from engine.optim.derivative import value_and_grad, values_and_grads
from engine.optim.formula import FUNCTIONS, evaluate, parse

RTOL = 1e-12


def autograd_many(formula: str, xy: np.ndarray) -> np.ndarray:
    """f, ∂f/∂x, ∂f/∂y at each row of xy, as a swarm's torch runner gets them: (N, 3)."""
    t = torch.tensor(xy, dtype=torch.float64, requires_grad=True)
    f = evaluate(parse(formula), t[:, 0], t[:, 1], torch)
    (g,) = torch.autograd.grad(f.sum(), t)
    return np.column_stack([f.detach().numpy(), g.numpy()])


def arrays(formula: str, xy: np.ndarray) -> np.ndarray:
    return np.column_stack(values_and_grads(formula, xy[:, 0], xy[:, 1]))


def autograd(formula: str, x: float, y: float) -> tuple[float, float, float]:
    return tuple(autograd_many(formula, np.array([[x, y]]))[0].tolist())


def agree(ours, theirs, rtol: float = RTOL) -> bool:
    """Each number within rtol·max(1, |theirs|); NaN where theirs is NaN, the same infinity where theirs is one."""
    for a, b in zip(ours, theirs):
        if math.isnan(b) or math.isinf(b):
            if not (math.isnan(a) if math.isnan(b) else a == b):
                return False
        elif not abs(a - b) <= rtol * max(1.0, abs(b)):
            return False
    return True


def points(n: int, lo: float, hi: float, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).uniform(lo, hi, size=(n, 2))


POLYNOMIAL = ["rosenbrock", "saddle", "himmelblau"]


@pytest.mark.parametrize("surface", [surfaces.bowl((1.0, 10.0)), surfaces.bowl((0.37, 250.0)),
                                     *surfaces.NAMED.values()], ids=lambda s: s.name + s.formula[:12])
def test_every_named_surface_matches_autograd(surface):
    xmin, xmax, ymin, ymax = surface.view
    pts = np.concatenate([points(300, min(xmin, ymin) * 1.5, max(xmax, ymax) * 1.5), [list(surface.start), [0, 0]]])
    exact = surface.name in POLYNOMIAL or surface.name == "bowl"
    for x, y in pts.tolist():
        ours, theirs = value_and_grad(surface.formula, x, y), autograd(surface.formula, x, y)
        if exact:
            assert ours == theirs, (x, y, ours, theirs)
        else:
            assert agree(ours, theirs), (x, y, ours, theirs)
    # Over arrays, as a swarm computes them: autograd's numbers on a whole grid at once.
    ours, theirs = arrays(surface.formula, pts), autograd_many(surface.formula, pts)
    if exact:
        assert np.array_equal(ours, theirs, equal_nan=True)
    else:
        for a, b in zip(ours.tolist(), theirs.tolist()):
            assert agree(a, b), (a, b)


EVERY_PIECE = [
    "sin(x)*cos(y) + x*y",
    "exp(x/3) - log(1 + y**2)",
    "sqrt(x**2 + y**2 + 1) / (2 + tanh(x - y))",
    "abs(x*y - 1) + abs(x)",
    "2**x + e**(-y**2) + x**y",  # a number to a power of x, and x to a power of y (x > 0 below)
    "1/(x**2 + 1) - 3/y + y/x",
    "-x**3 + y**-2 - x**-1 + (x*x)**0.5 + y**-0.5 + x**1.5 + y**4 + x**0 * y + x**1",
    "-(x - y)**2 - -x",
    "log(x) * sqrt(y) + pi * x",
    "x",
    "y",
    "3.5",
]


@pytest.mark.parametrize("formula", EVERY_PIECE)
def test_every_function_and_operator_matches_autograd(formula):
    for x, y in points(200, 0.05, 3.0, seed=1).tolist():  # positive: every piece is defined
        assert agree(value_and_grad(formula, x, y), autograd(formula, x, y)), (formula, x, y)
    for x, y in points(200, -3.0, 3.0, seed=2).tolist():  # NaN, where torch has NaN
        assert agree(value_and_grad(formula, x, y), autograd(formula, x, y)), (formula, x, y)
    pts = np.concatenate([points(200, 0.05, 3.0, seed=1), points(200, -3.0, 3.0, seed=2)])
    for a, b in zip(arrays(formula, pts).tolist(), autograd_many(formula, pts).tolist()):  # over arrays
        assert agree(a, b), (formula, a, b)


# Where the derivative is not a number or the function has a corner: torch's choice, worked by hand.
EDGES = [
    ("abs(x) + y", 0.0, 1.0, (1.0, 0.0, 1.0)),  # abs'(0) = 0 (torch.sign(0))
    ("sqrt(x) + y", 0.0, 1.0, (1.0, math.inf, 1.0)),  # sqrt'(0) = 1/(2·0) = ∞
    ("x**2", -3.0, 0.0, (9.0, -6.0, 0.0)),  # 2·x, also for x < 0 (no log(x) anywhere)
    ("x**3", -2.0, 5.0, (-8.0, 12.0, 0.0)),
    ("x**0 + y", 0.0, 2.0, (3.0, 0.0, 1.0)),  # ∂(x**0)/∂x = 0, even at 0
    ("x**0.5", -1.0, 0.0, (math.nan, math.nan, 0.0)),
    ("log(x)", 0.0, 0.0, (-math.inf, math.inf, 0.0)),
    ("log(x)", -1.0, 0.0, (math.nan, -1.0, 0.0)),
    ("1/x", 0.0, 0.0, (math.inf, -math.inf, 0.0)),
    ("exp(x)", 1000.0, 0.0, (math.inf, math.inf, 0.0)),
    ("(-8)**(1/3) + x", 1.0, 1.0, (math.nan, 1.0, 0.0)),
    ("0**y + x", 1.0, -1.0, (math.inf, 1.0, -math.inf)),
    ("x**y", 0.0, 1.0, (0.0, 1.0, 0.0)),  # ∂(x**y)/∂y = 0 where x = 0 and y ≥ 0
    ("sin(x)", math.inf, 0.0, (math.nan, math.nan, 0.0)),
    ("x*y", 3.0, -2.0, (-6.0, -2.0, 3.0)),
    ("7", 1.0, 2.0, (7.0, 0.0, 0.0)),
]


@pytest.mark.parametrize("formula,x,y,want", EDGES, ids=[e[0] for e in EDGES])
def test_corners_and_infinities_are_torchs(formula, x, y, want):
    ours = value_and_grad(formula, x, y)
    assert agree(ours, want, rtol=0), ours
    assert agree(ours, autograd(formula, x, y), rtol=0)
    many = arrays(formula, np.array([[x, y], [x, y]]))  # over arrays (a swarm): the same
    assert agree(many[0].tolist(), want, rtol=0) and agree(many[1].tolist(), want, rtol=0), many


def formulas(depth: int = 4) -> st.SearchStrategy[str]:
    leaf = st.one_of(st.sampled_from(["x", "y", "x", "y", "pi", "e"]),
                     st.floats(-4, 4, allow_nan=False).map(lambda v: f"({v!r})"),
                     st.integers(0, 5).map(str))

    def grow(inner: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
        return st.one_of(
            st.tuples(inner, st.sampled_from(["+", "-", "*", "/"]), inner).map(lambda t: f"({t[0]} {t[1]} {t[2]})"),
            inner.map(lambda a: f"-{a}"),
            st.tuples(st.sampled_from(FUNCTIONS), inner).map(lambda t: f"{t[0]}({t[1]})"),
            st.tuples(inner, st.sampled_from(["0", "1", "2", "3", "-1", "-2", "0.5", "-0.5", "1.5", "4"]))
            .map(lambda t: f"({t[0]})**{t[1]}"),
            st.tuples(inner, inner).map(lambda t: f"({t[0]})**({t[1]})"),
        )

    return st.recursive(leaf, grow, max_leaves=12)


@settings(max_examples=400, deadline=None, derandomize=True, database=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
@given(formulas(), st.floats(-3, 3), st.floats(-3, 3))
def test_random_formulas_at_random_points_match_autograd(formula, x, y):
    parse(formula)
    theirs = autograd(formula, x, y)
    # Within reach of double precision: a huge value or one near a pole leaves last bits far apart.
    assume(all(math.isnan(v) or math.isinf(v) or abs(v) < 1e6 for v in theirs))
    assert agree(value_and_grad(formula, x, y), theirs, rtol=1e-9), (formula, x, y, theirs)
    xy = np.array([[x, y], [y, x]])
    for a, b in zip(arrays(formula, xy).tolist(), autograd_many(formula, xy).tolist()):  # over arrays
        assert agree(a, b, rtol=1e-9), (formula, a, b)


def _track_paths(monkeypatch, floats: bool):
    """Every bundled optimizer scenario's tracks, each optimizer's positions, states, losses and
    gradients after every update, run in Python floats (a track's own path) or over arrays."""
    from engine.optim import race
    from engine.optim.track import Track
    from engine.session import Session
    from scenarios import bundled, load

    if not floats:
        monkeypatch.setattr(race.Runner, "_step_in_floats", lambda self: False)
    out = {}
    for info in bundled():
        if info.lab != "optim":
            continue
        cfg = Session(load(info.path)).lab.cfg
        for i, h in enumerate(cfg.hypers):
            if h.noise:
                continue
            for start in (cfg.start, (cfg.start[0] * 3 + 0.7, -cfg.start[1] * 2.5)):  # the second far off: divergence
                track = Track(cfg.surface, h, start, cfg.bound, "cpu", 0, i)
                r = track.runner
                rows = []
                for _ in range(60):
                    r.step()
                    rows.append((r.x.tolist(), {k: v.tolist() for k, v in r.state.items()}, r.loss.tolist(),
                                 r.grad.tolist(), r.diverged_at.tolist(), r.alive.tolist()))
                out[(info.name, i, start)] = rows
    monkeypatch.undo()
    return out


def test_a_track_in_python_floats_is_the_array_path_bit_for_bit(monkeypatch):
    """A track's updates in Python floats (race.Runner._step_in_floats, ~3× faster) give the
    array path's positions, states, losses, gradients and divergence step exactly, for every
    bundled optimizer and surface, from its start and from a start far off that diverges; the
    array path is the one tested against torch.optim."""
    floats, in_arrays = _track_paths(monkeypatch, True), _track_paths(monkeypatch, False)
    assert floats.keys() == in_arrays.keys() and len(floats) > 40
    for key in floats:
        assert repr(floats[key]) == repr(in_arrays[key]), key  # repr: NaN == NaN, -0.0 ≠ 0.0
    assert any(rows[-1][4] != [-1] for rows in floats.values())  # some diverged


def test_the_float_paths_square_root_is_the_array_paths():
    """The float path's square root (rules._sqrt of a float) is what the array path takes for the
    same number, torch's (math.sqrt differs from it in the last bit now and then)."""
    import random

    from engine.optim.rules import _sqrt

    rnd = random.Random(0)
    values = [rnd.random() * 10 ** rnd.randint(-300, 300) for _ in range(3000)] + [0.0, 1e-320, 5e-324, 2.0, float("inf")]
    for a, b in zip(values[::2], values[1::2]):
        assert [_sqrt(a), _sqrt(b)] == _sqrt(np.array([[a, b]]))[0].tolist()
