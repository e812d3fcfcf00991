"""The architecture renderer at 78 columns, and the lab in the app as a person uses it."""


import pytest

import conftest

from engine.session import Session
from scenarios import load
from scenarios.loader import bundled_paths
from tui_lab.render import renderer

ARCH = [p.stem for p in bundled_paths() if p.stem.startswith("arch-")]


def draw(frame, width=78, view=None) -> str:
    return conftest.draw("arch", frame, width, view)


@pytest.mark.parametrize("name", ARCH)
def test_every_frame_fits_78_columns(name):
    session = Session(load(name), device="cpu")
    session.finish()
    for frame in session.stepper.frames:
        for view in ({}, {"table": "memory"}):
            text = draw(frame, 78, view)
            assert max(len(line.rstrip()) for line in text.splitlines()) <= 78, (name, frame.index)
    session.close()


def test_conv1_screen_shows_formulas_boxes_table_and_torch_check():
    session = Session(load("arch-alexnet"), device="cpu")
    text = draw(session.goto(1))
    assert "(227 − 11)/4 + 1 = 55" in text and "(11·11·3)·96 + 96 = 34,944" in text
    assert "35K" in text and "96 biases" in text
    assert "FLOPs = 2 × MACs" in text and "105,415,200 MACs" in text
    assert "✓ matches nn modules (meta) + FlopCounterMode" in text and "┌" in text and "96×55×55" in text
    assert "Conv2d(3, 96, kernel_size=(11, 11), stride=(4, 4))" in text and "(tolerance 0)" in text
    last = draw(session.finish())
    assert "62,378,344" in last and "FC6" in last and "60.5%" in last
    memory = draw(session.frame, view={"table": "memory"})
    assert "grad+momentum" in memory and "249.5 MB" in memory  # 62,378,344 · 4 bytes
    session.close()


def test_floored_layers_are_flagged_in_the_table():
    session = Session(load("arch-alexnet-224"), device="cpu")
    text = draw(session.goto(3))
    assert "96×54×54 ⚠" in text and "26.5, floored to 26" in text
    session.close()


def test_why_conv_and_memory_screens():
    session = Session(load("arch-why-conv"), device="cpu")
    text = draw(session.finish())
    assert "1,000,000,000,000" in text and "100,000,000" in text and "✓ matches nn.Linear, nn.Conv2d (meta)" in text
    session.close()
    session = Session(load("arch-memory"), device="cpu")
    text = draw(session.goto(2))
    assert "weights + activations = 168 MB" in text
    session.close()


def test_view_key_switches_the_table():
    (key, _name, _desc, fn), = renderer("arch").VIEW_KEYS
    view: dict = {}
    fn(view)
    assert key == "m" and view["table"] == "memory"
    fn(view)
    assert view["table"] == "compute"


async def test_app_steps_through_alexnet():
    from tui_lab.app import LabApp

    from test_app import caption, status, wait_ready

    app = LabApp(scenario="arch-alexnet", device="cpu")
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await wait_ready(pilot, app)
        assert status(screen).startswith("step 0 / 23")
        await pilot.press("n")
        assert caption(screen).startswith("CONV1: 96 filters 11×11 at stride 4: (227 − 11)/4 + 1 = 55")
        await pilot.press("n", "n")
        assert caption(screen).startswith("POOL1") and "0 parameters" in caption(screen)
        await pilot.press("m")
        assert screen.query_one("#frame").view["table"] == "memory"
        await pilot.press("g")  # no GPU here: the person is told so, nothing breaks
        await pilot.pause()
        assert any("needs a GPU" in str(n.message) for n in app._notifications)
        await pilot.press("end", "f")
        await pilot.pause(0.5)
        assert status(screen).startswith("step 23 / 23") and "62,378,344" in caption(screen)


def test_markup_in_layer_names_is_shown_as_written():
    from engine.arch.lab import ArchLab

    names = ["[/]", "[red]x", "[bold]y[/bold", "[link=z]"]
    layers = [{"kind": "conv", "name": names[0], "filters": 2, "size": 3}, {"kind": "relu", "name": names[1]},
              {"kind": "pool", "name": names[2], "size": 2}, {"kind": "fc", "name": names[3], "units": 3}]
    lab = ArchLab(ArchLab.validate({"input": [1, 8, 8], "layers": layers}))
    last = list(lab.frames())[-1]
    for view in ({}, {"table": "memory"}):
        text = draw(last, 78, view)
        for n in names:
            assert n in text
