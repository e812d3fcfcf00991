"""The scenario file format in one place: what `writer.py` writes, `loader.py` reads back as
the same scenario, for every bundled file and for generated params of every lab."""

from __future__ import annotations

import math

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from engine.core.params import ParamError
from engine.registry import lab_class
from scenarios import load
from scenarios.catalog import bundled_paths
from scenarios.loader import load_text
from scenarios.scenario import Scenario
from scenarios.writer import scenario_document

NAMES = [p.stem for p in bundled_paths()]


def again(scenario: Scenario) -> Scenario:
    """Written out and read back, from the same folder (so files it names resolve alike)."""
    text = scenario_document(scenario)
    return load_text(text, "roundtrip.toml", name=scenario.name, path=scenario.path)


def same(a: Scenario, b: Scenario) -> None:
    assert (a.title, a.lab, a.seed, a.description) == (b.title, b.lab, b.seed, b.description)
    assert a.params == b.params
    assert list(a.script) == list(b.script)


@pytest.mark.parametrize("name", NAMES)
def test_every_bundled_scenario_round_trips(name):
    scenario = load(name)
    same(scenario, again(scenario))


# Text a person might type into a title or a string parameter: quotes, backslashes, line
# ends, control characters (ESC), markup brackets, other scripts and wide characters.
TEXT = st.text(st.characters(blacklist_categories=("Cs",)), max_size=40)


def simple_value(p):
    """A strategy for one declared parameter of a simple kind, inside its declared range."""
    if p.kind == "bool":
        return st.booleans()
    if p.kind == "choice":
        return st.sampled_from(p.choices)
    if p.kind == "int":
        lo = int(p.min) if p.min is not None else -1000
        hi = int(p.max) if p.max is not None else 1000
        return st.integers(lo, min(hi, lo + 64))
    if p.kind == "float":
        lo = p.min if p.min is not None else -1e6
        hi = p.max if p.max is not None else 1e6
        return st.floats(lo, hi, allow_nan=False, allow_infinity=False)
    if p.kind == "str":
        return TEXT
    return None


@st.composite
def changed(draw, name: str):
    """A bundled scenario with some of its simple parameters redrawn (kept only if valid)."""
    scenario = load(name)
    cls = lab_class(scenario.lab)
    params = dict(scenario.params)
    for p in cls.PARAMS:
        strategy = simple_value(p)
        if strategy is not None and draw(st.booleans()):
            params[p.name] = draw(strategy)
    try:
        params = cls.validate(params)
    except ParamError:
        assume(False)
    title = draw(TEXT.filter(lambda t: t.strip() != ""))
    return Scenario(scenario.name, title, scenario.lab, params, seed=draw(st.integers(0, 2**32 - 1)),
                    description=draw(TEXT), path=scenario.path)


# One cheap scenario per lab: validation only, no lab is run.
ONE_PER_LAB = ["conv-sobel", "arch-lenet", "optim-zigzag", "lstm-gates", "charrnn-sampling", "pretrain-rbm-bars",
               "train-five-steps"]


@pytest.mark.parametrize("name", ONE_PER_LAB)
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.filter_too_much, HealthCheck.too_slow])
@given(data=st.data())
def test_generated_params_round_trip(name, data):
    scenario = data.draw(changed(name))
    back = again(scenario)
    same(scenario, back)
    for key, value in scenario.params.items():
        if isinstance(value, float):
            assert math.isfinite(back.params[key]) and back.params[key] == value  # repr round-trips floats
