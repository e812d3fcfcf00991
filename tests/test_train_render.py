"""The training renderer: every kind of frame within 78 columns, in colour and without, saying what it shows."""

from __future__ import annotations

import io

import pytest
from rich.cells import cell_len
from rich.text import Text

import conftest
from engine.core.lab import Stepper
from engine.session import Session
from engine.train.lab import TrainLab
from scenarios import load

SMALL = [{"kind": "conv", "filters": 4, "size": 3, "padding": 1}, {"kind": "relu"}, {"kind": "pool", "size": 2},
         {"kind": "dropout", "p": 0.2}, {"kind": "fc", "units": 10}, {"kind": "softmax"}]
CASES = {
    "steps": dict(mode="steps", epochs=1, train_images=100, batch=25),
    "train": dict(mode="train", epochs=2, train_images=100, batch=25, layers=SMALL),
    "diverge": dict(mode="train", epochs=3, lr=50),
    "dilution": dict(mode="dilution", batch=16),
    "search": dict(mode="search", layers=SMALL, levels=1, optimizers="momentum, adam", seeds=2, epochs=1,
                   train_images=100, batch_range=[16, 32]),
    "mlp": dict(mode="steps", epochs=0, layers=[{"kind": "fc", "units": 12}, {"kind": "sigmoid"},
                                                {"kind": "fc", "units": 10}, {"kind": "softmax"}]),
}


def all_frames(params) -> list:
    s = Stepper(TrainLab(TrainLab.validate(params)))
    s.ensure(1 << 20)
    return s.frames


@pytest.fixture(scope="module")
def made():
    return {name: all_frames(params) for name, params in CASES.items()}


def draw(frame, width=78, colour=False) -> str:
    if not colour:
        return conftest.draw("train", frame, width)
    from tui_lab.export.text import console
    from tui_lab.render import render_frame

    buf = io.StringIO()
    console(buf, colour=True, width=width).print(render_frame("train", frame, width, {}))
    return buf.getvalue()


@pytest.mark.parametrize("name", list(CASES))
@pytest.mark.parametrize("width", [78, 100])
def test_every_frame_fits(made, name, width):
    for frame in made[name]:
        for colour in (False, True):
            text = draw(frame, width, colour)
            widest = max(cell_len(Text.from_ansi(line).plain.rstrip()) for line in text.splitlines())
            assert widest <= width, (name, frame.index, colour, widest)


def test_plain_text_says_what_each_step_shows(made):
    fs = made["steps"]
    by_phase = {}
    for f in fs:
        by_phase.setdefault(f.values["phase"], []).append(draw(f))
    assert "CONV1 ⟂" not in by_phase["init"][0] and "He: w ~ N(0, 2/fan_in)" in by_phase["init"][0]
    assert "◀ label" in by_phase["error"][0] and "−ln p[" in by_phase["error"][0]
    conv = next(t for t in by_phase["backward"] if "∂L/∂CONV1.w" in t)
    assert "✓ matches autograd" in conv and "the largest term" in conv and "← RELU1" in conv
    assert "✓ matches torch.optim.SGD" in by_phase["update"][0] and "before: CONV1" in by_phase["update"][0]
    # Without colour, pictures fall back to character ramps (no half-blocks that need colour).
    assert "▀" not in by_phase["forward"][0] and "▀" in draw(fs[2], colour=True)


def test_training_dilution_and_search_screens(made):
    last = draw(made["train"][-1])
    assert "test error" in last and "confusion (rows: true digit" in last and "learned filters" in last
    assert "✗ diverged at iteration" in draw(made["diverge"][-1])
    dil = draw(made["dilution"][-1])
    assert "first/last =" in dil and "log scale" in dil and "✓ matches autograd" in dil
    search = draw(made["search"][-1])
    assert "wins so far: random" in search and "winner" in search and "the lesson is" in search
    assert "g grid, r random" in draw(made["search"][2])


def test_bundled_short_scenarios_replay_in_text(tmp_path):
    session = Session(load("train-five-steps"), device="cpu")
    session.finish()
    assert len(session.stepper.frames) == 14
    assert all("Traceback" not in draw(f) for f in session.stepper.frames)
    session.close()


def test_signed_bars_diverge_from_zero_so_the_sign_reads_without_colour():
    """Logits −2.22 and 1.5: the negative bar lies left of the axis, the positive right of it,
    each as long as its size against the largest; colour only repeats the sign."""
    from rich.console import Console

    from tui_lab.render.train import vector_bars

    console = Console(width=80, no_color=True, record=True)
    console.print(vector_bars([-2.22, 1.5, 0.0], ["1", "9", "0"], 80, signed=True))
    lines = [ln.rstrip() for ln in console.export_text().splitlines() if ln.strip()]
    axis = {ln.index("│") for ln in lines}
    assert len(axis) == 1  # one zero axis, the same column on every row
    a = axis.pop()
    neg, pos, zero = lines
    assert neg[:a].rstrip().endswith("█") and "█" not in neg[a:]
    assert "█" in pos[a:] and "█" not in pos[:a]
    assert "█" not in zero
    half = neg[:a].count("█")
    assert half == 20 and pos[a:].count("█") == int(1.5 / 2.22 * 20)  # span 40: 20 cells a side; 13.5 → 13 and ▌
    assert pos[a:].rstrip().split()[0].endswith("▌")


async def test_under_no_color_the_app_draws_a_heatmaps_sign_in_characters(monkeypatch):
    """NO_COLOR turns colours grey, and red and blue greys look alike: the app then draws a
    gradient heatmap with signed characters (− side `-=≡`, + side `+*#`), as replay does."""
    from test_app import wait_ready

    from tui_lab.app import LabApp
    from tui_lab.widgets.frame_view import FrameView

    monkeypatch.setenv("NO_COLOR", "1")
    app = LabApp(scenario="train-five-steps", device="cpu")
    async with app.run_test(size=(100, 30)) as pilot:
        screen = await wait_ready(pilot, app)
        view = screen.query_one(FrameView)
        for _ in range(13):
            lines = [strip.text for strip in view._layout(screen.session.frame, 96)]
            if any("blue < 0 < red" in ln for ln in lines):
                break
            before = screen.session.index
            await pilot.press("n")
            for _ in range(100):
                await pilot.pause(0.02)
                if screen.session.index != before:
                    break
        heat = lines[next(i for i, ln in enumerate(lines) if "blue < 0 < red" in ln) + 1:]
        assert not any("▀" in ln for ln in heat)
        assert any(set(ln) & set("-=≡") for ln in heat) and any(set(ln) & set("+*#") for ln in heat)
        assert not any("·" in ln for ln in heat)  # no mark that both signs share
