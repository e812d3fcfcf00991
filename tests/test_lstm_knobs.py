"""The LSTM lab's knobs: each turns a number the scenario writes out, recomputes the same step
as a fresh replay with that value would, and says what changed, checked by hand."""

import json
import math

import pytest

from engine.controller import Controller
from engine.core.knobs import get, with_value
from engine.lstm.lab import LSTMLab
from engine.session import Session
from scenarios import load
from scenarios.loader import bundled_paths

NAMES = [p.stem for p in bundled_paths() if p.stem.startswith("lstm-") and p.stem != "lstm-sonnets-checkpoint"]


def sig(z):
    return 1 / (1 + math.exp(-z))


def as_json(frame):
    return json.dumps(frame.to_json(), sort_keys=True)


def test_the_gate_knobs_name_the_caption_unit():
    session = Session(load("lstm-gates"), device="cpu")
    knobs = session.knobs()
    assert [k.label for k in knobs] == ["b_f[0]", "W_f[0, 2]", "b_i[0]", "W_i[0, 2]", "b_C[0]", "W_C[0, 2]",
                                        "b_o[0]", "W_o[0, 2]", "x_1[0]", "x_1[1]", "unit"]
    # Column 2 of W over [h_0, x_1] multiplies x_1[0] = 1, the input that is on at t = 1.
    assert [session.knob_value(k) for k in knobs[:2]] == [1.0, 0.3]
    assert knobs[8].key == "x[0][0]" and session.knob_value(knobs[8]) == 1
    moved = Session(load("lstm-gates").with_params(unit=1), device="cpu")
    assert moved.knobs()[0].label == "b_f[1]" and moved.knobs()[1].key == "W_f[1][2]"


@pytest.mark.parametrize("name", NAMES)
def test_every_knob_turns_and_equals_a_fresh_replay(name):
    """Unlike the generic test, a refused turn is a failure here: every knob must turn."""
    scenario = load(name)
    controller = Controller(Session(scenario, device="cpu"))
    knobs = controller.session.knobs()
    assert knobs, f"{name} has no knobs"
    controller.goto(5)
    for knob in knobs:
        old = controller.session.knob_value(knob)
        value = knob.turned(old, 1) if knob.turned(old, 1) != old else knob.turned(old, -1)
        note = controller.knob(knob.key, value)
        assert note.startswith(f"{knob.label} ") and "→" in note
        fresh = Session(scenario.with_params(**with_value(scenario.params, knob.key, value)), device="cpu")
        fresh.goto(controller.session.index)
        assert as_json(controller.session.frame) == as_json(fresh.frame)
        controller.knob(knob.key, old)
        assert get(controller.session.scenario.params, knob.key) == old


def test_forget_bias_note_worked_by_hand():
    """b_f[0] 1 → 1.5 at t = 1: f_1[0] = σ(0.3·1 + b_f[0]) (h_0 = 0, x_1 = [1, 0])."""
    controller = Controller(Session(load("lstm-gates"), device="cpu"))
    controller.goto(2)
    note = controller.knob("b_f[0]", 1.5)
    assert note.startswith(f"b_f[0] 1 → 1.5: f_1[0] {sig(1.3):.3g} → {sig(1.8):.3g}, ")
    assert controller.session.frame.values["current"]["f"][0] == pytest.approx(sig(1.8), abs=1e-12)
    # x_1[0] 1 → 0.5 moves every gate of t = 1: f first, σ(0.3·0.5 + 1).
    assert controller.knob("x[0][0]", 0.5).startswith(f"x_1[0] 1 → 0.5: f_1[0] {sig(1.8):.3g} → {sig(1.65):.3g}, ")


def test_unit_knob_moves_captions_and_knobs():
    controller = Controller(Session(load("lstm-gates"), device="cpu"))
    controller.goto(2)
    assert controller.knob("unit", 1) == "unit 0 → 1: the captions and knobs now follow unit 1"
    assert controller.session.frame.caption.startswith("f_1[1] = σ(W_f[1]·[h_0, x_1] + b_f[1])")
    assert controller.session.knobs()[0].label == "b_f[1]"


def test_rnn_bias_note_worked_by_hand():
    session = Session(load("lstm-rnn"), device="cpu")
    a = session.lab.steps[0]["a"][0]
    controller = Controller(session)
    note = controller.knob("b_h[0]", 0.5)
    assert note.startswith(f"b_h[0] 0 → 0.5: a_1[0] {a:.3g} → {a + 0.5:.3g}, h_1[0] {math.tanh(a):.3g} → "
                           f"{math.tanh(a + 0.5):.3g}".replace("-", "−"))


def test_flow_notes_give_the_new_ends_of_the_curves():
    controller = Controller(Session(load("lstm-gradient-flow"), device="cpu"))
    before = controller.session.lab.flow.norms["lstm"][-1]
    note = controller.knob("forget_bias", 1.0)
    after = LSTMLab(LSTMLab.validate({**load("lstm-gradient-flow").params, "forget_bias": 1.0}), seed=6).flow
    assert note == f"forget bias b_f 3 → 1: at T = 30: LSTM {before:.3g} → {after.norms['lstm'][-1]:.3g}"
    # Without inputs the vanilla RNN's norm is σ^T exactly (W_hh = σ·orthogonal, tanh′(0) = 1).
    note = controller.knob("sv_explode", 1.3)
    assert note.startswith(f"σ>1 1.25 → 1.3: at T = 30: RNN σ>1 {1.25 ** 30:.3g} → {1.3 ** 30:.3g}")
    assert controller.knob("chunk", 5) == "chunk length 10 → 5: chunks 3 → 6"
    assert controller.knob("clip", 10.0) == "clip threshold 5 → 10: clipped ‖g‖ 5 → 10"


def test_a_longer_horizon_extends_the_same_experiment():
    """The inputs are drawn last, so T only appends: the curves up to the old T stay."""
    p = load("lstm-gradient-tanh").params
    short = LSTMLab(LSTMLab.validate(p), seed=0).flow
    long = LSTMLab(LSTMLab.validate({**p, "horizon": 45}), seed=0).flow
    for k in short.norms:
        assert long.norms[k][:30] == pytest.approx(short.norms[k], rel=1e-12)


async def test_turning_a_knob_in_the_app():
    from test_app import caption, status, wait_ready

    from tui_lab.app import LabApp

    app = LabApp(scenario="lstm-gates", device="cpu")
    async with app.run_test(size=(100, 30)) as pilot:
        screen = await wait_ready(pilot, app)
        await pilot.press("n", "n")  # f_1
        assert "b_f[0] = 1 " in status(screen)
        await pilot.press("full_stop")
        for _ in range(100):
            await pilot.pause(0.05)
            if "1.1)" in caption(screen):
                break
        assert caption(screen).endswith(f"+ 1.1) = σ(1.4) = {sig(1.4):.4g}")
        assert "b_f[0] = 1.1 " in status(screen)
        fresh = Session(load("lstm-gates").with_params(b_f=[1.1, 1.0]), device="cpu")
        fresh.goto(2)
        assert as_json(screen.session.frame) == as_json(fresh.frame)
        await pilot.press("right_square_bracket", "full_stop")  # W_f[0, 2] 0.3 → 0.4
        for _ in range(100):
            await pilot.pause(0.05)
            if "0.4·1" in caption(screen):
                break
        assert "0.4·1 + 0.1·0 + 1.1) = σ(1.5)" in caption(screen)
        await pilot.press("u")  # u only looks: the knobs still name unit 0
        assert "W_f[0, 2] = 0.4 " in status(screen)
