"""The LSTM lab on screen: every bundled scenario draws at 78 and 100 columns; the app steps it."""


import pytest

import conftest
from rich.cells import cell_len

from engine.session import Session
from scenarios import load
from scenarios.loader import bundled_paths
from tui_lab.render import renderer

NAMES = [p.stem for p in bundled_paths() if p.stem.startswith("lstm-")]


def draw(frame, width=78, view=None) -> str:
    return conftest.draw("lstm", frame, width, view)


def grids(renderable):
    """Every number grid in a drawn frame (Groups opened); Text wraps itself, a grid never does."""
    from rich.console import Group

    from tui_lab.render.common import CellGrid

    if isinstance(renderable, CellGrid):
        yield renderable
    elif isinstance(renderable, Group):
        for part in renderable.renderables:
            yield from grids(part)


@pytest.mark.parametrize("name", NAMES)
def test_every_frame_draws_at_78_and_100_columns(name):
    from tui_lab.render import render_frame

    session = Session(load(name), device="cpu")
    session.finish()
    for frame in session.stepper.frames:
        for width in (78, 100):
            text = draw(frame, width)
            assert max(cell_len(line) for line in text.splitlines()) <= width
            assert all(g.width < width for g in grids(render_frame("lstm", frame, width, {}))), (frame.index, width)
    last = draw(session.stepper.frames[-1], 78)
    if session.stepper.frames[-1].values["mode"] == "step":
        assert "✓ matches nn." in last


def test_unit_key_moves_the_formula_line():
    session = Session(load("lstm-gates"), device="cpu")
    frame = session.goto(2)  # f_1
    view: dict = {}
    assert "unit 1:" not in draw(frame, 100, view)
    (key, _name, _desc, fn), = renderer("lstm").VIEW_KEYS
    assert key == "u"
    fn(view)
    assert f"unit 1: f_1[1] = σ({frame.values['current']['pre']['f'][1]:.4g})".replace("-", "−") in draw(frame, 100, view)


async def test_app_steps_through_the_gates():
    from tui_lab.app import LabApp
    from test_app import caption, status, wait_ready

    app = LabApp(scenario="lstm-gates", device="cpu")
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await wait_ready(pilot, app)
        assert status(screen).startswith("step 0 / 21")
        await pilot.press("n", "n")
        assert caption(screen).startswith("f_1[0] = σ(")
        await pilot.press("u")
        view = screen.query_one("#frame").view
        assert view == {"unit_shift": 1}
        assert "unit 1: f_1[1] = σ(" in draw(screen.session.frame, 78, view)
        await pilot.press("p")
        assert caption(screen).startswith("t = 1: [h_0, x_1]")


# --- the gradient plot: one colour and one marker per run (issue 11.5) -----------------------------
def gradient_frame(step=12, **over):
    session = Session(load("lstm-gradient-flow").with_params(**over) if over else load("lstm-gradient-flow"), device="cpu")
    return session.goto(step)


def coloured_lines(frame, width=100, view=None):
    """Each drawn line as [(text, rgb or None)], the way a colour terminal receives it."""
    from rich.console import Console
    from rich.segment import Segment

    from tui_lab.render import render_frame

    console = Console(width=width, color_system="truecolor", file=open("/dev/null", "w"))
    segments = console.render(render_frame("lstm", frame, width, view or {}), console.options)
    return [[(s.text, s.style.color.get_truecolor() if s.style and s.style.color else None) for s in line]
            for line in Segment.split_lines(segments)]


def test_without_colour_each_run_has_its_own_legend_mark_and_markers():
    text = draw(gradient_frame(), 78)
    assert "xx RNN σ=1.25" in text and "oo RNN σ=0.8" in text and "++ LSTM" in text
    plot_body = [line for line in text.splitlines() if "┤" in line or line.strip().startswith("│")]
    for mark in "xo+":
        assert sum(line.count(mark) for line in plot_body) >= 3, mark  # markers along each curve
    assert "x RNN σ=1.25: " in text and "o RNN σ=0.8: " in text and "+ LSTM: " in text  # the figures line


def test_each_run_keeps_one_colour_in_legend_curve_and_figures():
    from tui_lab.render.common import OKABE_ITO

    lines = coloured_lines(gradient_frame())
    want = {"x": OKABE_ITO["vermillion"], "o": OKABE_ITO["blue"], "+": OKABE_ITO["bluish green"]}
    seen: dict[str, set] = {m: set() for m in want}
    for line in lines:
        for text, rgb in line:
            for m in want:
                if m in text and rgb is not None and text.strip(" :.0123456789=σRNLSTMTat−e") in (m, m * 2):
                    seen[m].add(tuple(rgb))
            if text.startswith(("x RNN", "o RNN", "+ LSTM")):
                seen[text[0]].add(tuple(rgb))
    for m, rgb in want.items():
        assert seen[m] == {tuple(rgb)}, (m, seen[m])
    assert len({tuple(v) for v in want.values()}) == 3


def test_a_knob_turn_leaves_the_old_curve_as_a_ghost():
    before, after = gradient_frame(forget_bias=3.0), gradient_frame(forget_bias=1.0)
    text = draw(after, 100, {"ghost": before})
    assert "·· before: LSTM" in text and "before: RNN" not in text  # only the curve that changed
    assert "before:" not in draw(after, 100, {})


def test_y_switches_the_plot_to_a_linear_scale():
    frame = gradient_frame()
    assert "(log scale)" in draw(frame, 100) and "(linear scale)" in draw(frame, 100, {"ylog": True})


def test_the_check_line_comes_from_the_engine():
    session = Session(load("lstm-gradient-flow"), device="cpu")
    frame = session.goto(30)
    assert frame.values["check"]["ok"]
    assert "✓ matches autograd  largest difference" in draw(frame, 100)
    from engine.core.frame import Frame

    bad = Frame(frame.index, frame.caption, {**frame.values, "check": {**frame.values["check"], "ok": False}})
    assert "✗ differs from autograd" in draw(bad, 100)


def test_the_unit_line_writes_every_index():
    session = Session(load("lstm-gates"), device="cpu")
    view = {"unit_shift": 1}
    assert "unit 1: C_1[1] = f_1[1]·C_0[1] + i_1[1]·C̃_1[1] = " in draw(session.goto(5), 100, view)
    assert "unit 1: h_1[1] = o_1[1]·tanh(C_1[1]) = " in draw(session.goto(7), 100, view)
