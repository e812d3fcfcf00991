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


@pytest.mark.parametrize("name", NAMES)
def test_every_frame_draws_at_78_and_100_columns(name):
    session = Session(load(name), device="cpu")
    session.finish()
    for frame in session.stepper.frames:
        for width in (78, 100):
            text = draw(frame, width)
            assert max(cell_len(line) for line in text.splitlines()) <= width
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
