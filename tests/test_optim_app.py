"""The optimizer lab in the app, driven by the Pilot: knobs turned with `]` `.` `>`, the new frame
against a fresh replay with that value, the note, the ghost, and the view keys `o` and `y`."""

from __future__ import annotations

import json

from textual.widgets import Static

from engine.core.fmt import num
from engine.core.knobs import with_value
from engine.session import Session
from scenarios import load
from tui_lab.app import LabApp
from tui_lab.screens.scenario import ScenarioScreen
from tui_lab.widgets.frame_view import FrameView

from test_edit_form import settle  # noqa: E402 - tests/ is on the path, as conftest is


async def opened(pilot, app) -> ScenarioScreen:
    await settle(pilot, lambda: isinstance(app.screen, ScenarioScreen) and app.screen.session is not None
                 and app.screen.query_one("#frame").display, timeout=60)
    return app.screen


def fresh(name: str, step: int, **changes) -> str:
    """Frame `step` of a new session with the knobs at `key` (dotted path as keyword: "optimizers[0].lr") set."""
    scenario = load(name)
    params = scenario.params
    for key, value in changes.items():
        params = with_value(params, key, value)
    session = Session(scenario.with_params(**params), device="cpu")
    frame = session.goto(step)
    session.close()
    return json.dumps(frame.to_json(), sort_keys=True)


def shown(screen: ScenarioScreen) -> str:
    return "\n".join(strip.text for strip in screen.query_one(FrameView)._strips)


async def test_turning_optimizer_knobs_in_the_app_recomputes_the_same_step():
    app = LabApp(scenario="optim-zigzag", device="cpu")
    async with app.run_test(size=(100, 30)) as pilot:
        screen = await opened(pilot, app)
        for _ in range(5):
            await pilot.press("n")
        await settle(pilot, lambda: screen.session.index == 5)
        before = screen.session
        old_f = before.frame.values["state"]["sgd"]["loss"]
        old_frame = before.frame

        await pilot.press(".")  # the first knob, sgd α, one step up: 0.18 × 1.1
        await settle(pilot, lambda: screen.session is not before)
        session = screen.session
        assert session.index == 5 and session.scenario.params["optimizers"][0]["lr"] == 0.198
        assert json.dumps(session.frame.to_json(), sort_keys=True) == fresh("optim-zigzag", 5, **{"optimizers[0].lr": 0.198})
        new_f = session.frame.values["state"]["sgd"]["loss"]
        note = str(screen.query_one("#note", Static).render())
        assert note == f"✎ sgd α 0.18 → 0.198: at step 5: sgd f {num(old_f)} → {num(new_f)}"
        view = screen.query_one(FrameView)
        assert view.ghost is old_frame  # the old paths, drawn in grey until the next turn
        assert "grey: the paths before" in shown(screen)

        await pilot.press("right_square_bracket", "right_square_bracket", "greater_than_sign")  # momentum ρ, big step
        await settle(pilot, lambda: screen.session is not session)
        rho = screen.session.scenario.params["optimizers"][1]["rho"]
        assert rho == 0.4699
        assert json.dumps(screen.session.frame.to_json(), sort_keys=True) == fresh(
            "optim-zigzag", 5, **{"optimizers[0].lr": 0.198, "optimizers[1].rho": rho})
        assert str(screen.query_one("#note", Static).render()).startswith("✎ momentum ρ 0.2699 → 0.4699: at step 5: ")
        assert view.ghost.values["state"]["momentum"]["loss"] != screen.session.frame.values["state"]["momentum"]["loss"]


async def test_a_turned_knob_keeps_stepping_from_the_new_run():
    app = LabApp(scenario="optim-rosenbrock", device="cpu")
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await opened(pilot, app)
        await pilot.press("n", "n")
        await settle(pilot, lambda: screen.session.index == 2)
        before = screen.session
        await pilot.press("greater_than_sign")  # sgd α × 2 = 0.002
        await settle(pilot, lambda: screen.session is not before)
        assert screen.session.scenario.params["optimizers"][0]["lr"] == 0.002
        await pilot.press("n", "n", "n")
        await settle(pilot, lambda: screen.session.index == 5)
        assert json.dumps(screen.session.frame.to_json(), sort_keys=True) == fresh(
            "optim-rosenbrock", 5, **{"optimizers[0].lr": 0.002})


async def test_o_selects_the_optimizer_whose_rule_comes_first_and_y_the_log_scale():
    app = LabApp(scenario="optim-zigzag", device="cpu")
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await opened(pilot, app)
        await pilot.press("n", "n", "n")
        await settle(pilot, lambda: screen.session.index == 3)
        await pilot.pause(0.2)
        first_rule = next(line for line in shown(screen).splitlines() if "∇f = (" in line)
        assert first_rule.lstrip().startswith("S sgd")
        await pilot.press("o", "o", "o")
        await pilot.pause(0.2)
        assert screen.query_one(FrameView).view["selected"] == 3
        first_rule = next(line for line in shown(screen).splitlines() if "∇f = (" in line)
        assert first_rule.lstrip().startswith("A adam-bc")
        assert "▸A" in shown(screen)
        assert "f per step · linear" in shown(screen)
        await pilot.press("y")
        await pilot.pause(0.2)
        assert "f per step · log scale" in shown(screen)


async def test_choosing_an_optimizers_knob_selects_that_optimizer():
    """`]` onto momentum's α selects momentum (its rule first, ▸ in the legend), as `o` would;
    a knob that is no optimizer's (the start point) leaves the selection where it was."""
    app = LabApp(scenario="optim-zigzag", device="cpu")
    async with app.run_test(size=(100, 30)) as pilot:
        screen = await opened(pilot, app)
        view = screen.query_one(FrameView)
        knobs = screen.session.knobs()
        assert knobs[0].key.startswith("optimizers[0]") and view.view.get("selected", 0) == 0
        target = next(i for i, k in enumerate(knobs) if k.key.startswith("optimizers[1]"))
        for _ in range(target):
            await pilot.press("right_square_bracket")
        await pilot.pause()
        assert view.view["selected"] == 1
        name = screen.session.lab.cfg.hypers[1].name
        legend = next(line for line in shown(screen).splitlines() if "▸" in line)
        assert name in legend.split("▸", 1)[1][:20], legend
        while not knobs[screen.knob_index].key.startswith("start"):
            await pilot.press("right_square_bracket")
        await pilot.pause()
        last = int(knobs[screen.knob_index - 1].key.split("[")[1].split("]")[0])  # the knob before it
        assert last > 1 and view.view["selected"] == last
