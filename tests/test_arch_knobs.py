"""The arch lab's knobs: what they turn, what a turn says it changed (against real torch
modules), what a refused turn leaves alone, the ghost of the old sizes, and a turn in the app.

tests/test_knobs.py checks generically that every turn equals a fresh replay with that value.
"""

import pytest
import torch
from torch import nn

import conftest
from engine.controller import Controller
from engine.core.knobs import get, with_value
from engine.core.params import ParamError
from engine.registry import lab_class
from engine.session import Session
from scenarios import bundled, load
from test_arch import alexnet_lecture

ARCH = [s.name for s in bundled() if s.name.startswith("arch-")]


def controller(name: str, step: int = 0) -> Controller:
    c = Controller(Session(load(name), device="cpu"))
    c.goto(step)
    return c


def alexnet(stride: int = 4, filters: int = 96, side: int = 227):
    """The lecture's AlexNet by hand on the meta device, with CONV1's stride and filters and the
    input's side as given: the model and each module's output shape."""
    with torch.device("meta"):
        model = alexnet_lecture()
        model[0] = nn.Conv2d(3, filters, 11, stride=stride)
        model[4] = nn.Conv2d(filters, 256, 5, padding=2)
        features = model[:16](torch.empty(1, 3, side, side))  # up to the flatten
        model[16] = nn.Linear(features.shape[1], 4096)  # FC6 sees what the convolutions leave
        x, shapes = torch.empty(1, 3, side, side), []
        for m in model:
            x = m(x)
            shapes.append(tuple(x.shape[1:]))
    return model, shapes


@pytest.mark.parametrize("name", ARCH)
def test_every_knob_points_into_the_params_and_has_a_range(name):
    c = controller(name)
    knobs = c.session.knobs()
    assert knobs, name
    assert len({k.label for k in knobs}) == len(knobs)
    for knob in knobs:
        value = get(c.session.scenario.params, knob.key)
        assert knob.choices and value in knob.choices or knob.low <= value <= knob.high, (knob, value)
    c.session.close()


def test_alexnet_knobs_name_each_layer():
    knobs = {k.label: k for k in controller("arch-alexnet").session.knobs()}
    assert {"input height", "input width", "CONV1 kernel", "CONV1 stride", "CONV1 filters", "POOL1 kernel",
            "POOL1 stride", "CONV5 filters", "FC6 units", "FC8 units", "batch"} <= set(knobs)
    assert knobs["CONV1 stride"].key == "layers[0].stride" and knobs["FC6 units"].key == "layers[16].units"
    assert not any(label.startswith(("RELU", "NORM", "DROP")) for label in knobs)
    # No window is larger than the padded input: CONV1's kernel goes to 227, POOL1's to 55.
    assert knobs["CONV1 kernel"].high == 227 and knobs["POOL1 kernel"].high == 55
    assert knobs["CONV1 filters"].turned(96, 1) == 192 and knobs["CONV1 filters"].turned(96, -1) == 48


def test_stride_turn_says_what_changed_as_torch_does():
    c = controller("arch-alexnet", 1)
    note = c.knob("layers[0].stride", 3)
    model, shapes = alexnet(stride=3)
    total = sum(p.numel() for p in model.parameters())
    assert shapes[0] == (96, 73, 73)  # (227 − 11)/3 + 1
    assert note.startswith(f"CONV1 stride 4 → 3: CONV1 output 96×55×55 → 96×73×73 (and ")
    assert f"parameters 62,378,344 → {total:,}" in note and "floored layers 0 → 1" in note
    frame = c.session.frame
    assert frame.index == 1 and frame.values["layer"]["out_shape"] == (96, 73, 73)
    assert frame.caption.startswith("CONV1: 96 filters 11×11 at stride 3: (227 − 11)/3 + 1 = 73 → 96×73×73")
    last = c.finish()
    assert [r["out_shape"] for r in last.values["layers"]] == shapes
    assert last.values["total_params"] == total and last.values["check"]["ok"]
    c.session.close()


def test_filters_and_input_turns_against_torch():
    c = controller("arch-alexnet", 5)
    note = c.knob("layers[0].filters", 48)
    model, shapes = alexnet(filters=48)
    assert "CONV1 output 96×55×55 → 48×55×55" in note
    assert f"→ {sum(p.numel() for p in model.parameters()):,}" in note
    note = c.knob("input[1]", 224)
    assert note.startswith("input height 227 → 224: CONV1 output 48×55×55 → 48×54×55")
    note = c.knob("input[2]", 224)
    model, shapes = alexnet(filters=48, side=224)
    assert c.finish().values["total_params"] == sum(p.numel() for p in model.parameters())
    assert [r["out_shape"] for r in c.session.frame.values["layers"]] == shapes
    c.session.close()


def test_batch_and_dtype_turns_change_only_the_memory():
    c = controller("arch-alexnet", 23)
    before = c.session.frame.values["totals"]
    note = c.knob("batch", 2)
    after = c.session.frame.values["totals"]
    act = torch.empty(2, 3, 227, 227)  # the input batch, as torch holds it
    assert after["input_bytes"] == act.numel() * act.element_size() == 2 * before["input_bytes"]
    assert after["activation_bytes"] == 2 * before["activation_bytes"] and after["params"] == before["params"]
    assert note.startswith("batch 1 → 2: forward memory ") and "parameters" not in note
    c.session.close()
    c = controller("arch-memory", 4)
    note = c.knob("dtype", "float16")
    assert note == "dtype float32 → float16: forward memory 168 MB → 84 MB; training memory 376 MB → 188 MB"
    c.session.close()


def test_why_conv_turn():
    c = controller("arch-why-conv", 3)
    note = c.knob("filter", 5)
    with torch.device("meta"):
        conv = nn.Conv2d(1, 1, 5, bias=False)
    assert note == f"filter 10 → 5: locally connected 10^8 → 25,000,000; convolution 100 → {conv.weight.numel()}"
    c.session.close()


def test_a_refused_turn_says_why_in_checks_words_and_changes_nothing():
    c = controller("arch-lenet", 3)
    frame, params = c.session.frame, c.session.scenario.params
    with pytest.raises(ParamError) as info:
        c.knob("input[1]", 4)
    with pytest.raises(ParamError) as by_check:  # the same rule `tui-lab check` applies
        lab_class("arch").validate(with_value(params, "input[1]", 4))
    assert info.value.key == "params.input[1]" and by_check.value.key == "params.layers[0].size"
    assert str(info.value).endswith(f"4 is not allowed: params.layers[0].size: {by_check.value.message}")
    assert c.session.frame is frame and c.session.scenario.params == params
    c.session.close()


def test_the_ghost_shows_the_old_sizes_at_the_same_step_only():
    c = controller("arch-alexnet", 1)
    old = c.session.frame
    c.knob("layers[0].stride", 3)
    text = conftest.draw("arch", c.session.frame, 78, {"ghost": old})
    assert "was 96×55×55" in text and "96×73×73" in text
    assert "before the last knob turn: MACs 105,415,200" in text
    assert max(len(line.rstrip()) for line in text.splitlines()) <= 78
    c.goto(2)  # another step: nothing to compare
    text = conftest.draw("arch", c.session.frame, 78, {"ghost": old})
    assert "was " not in text and "before the last knob turn" not in text
    c.session.close()


async def test_turning_an_arch_knob_in_the_app():
    from tui_lab.app import LabApp

    from test_app import caption, status, wait_ready

    app = LabApp(scenario="arch-lenet", device="cpu")
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await wait_ready(pilot, app)
        await pilot.press("n")
        assert "⚙ input height = 32 (1 … 4096)" in status(screen)
        await pilot.press("less_than_sign")  # 32 − 16
        for _ in range(100):
            await pilot.pause(0.05)
            if caption(screen).startswith("C1: 6 filters 5×5: H: (16 − 5)/1 + 1 = 12"):
                break
        assert caption(screen).startswith("C1: 6 filters 5×5: H: (16 − 5)/1 + 1 = 12; W: (32 − 5)/1 + 1 = 28 → 6×12×28")
        note = str(screen.query_one("#note").render())
        assert note.startswith("✎ input height 32 → 16: C1 output 6×28×28 → 6×12×28")
        assert "was 6×28×28" in conftest.draw("arch", screen.session.frame, 78, screen.query_one("#frame").view
                                              | {"ghost": screen.query_one("#frame").ghost})
        fresh = Session(load("arch-lenet").with_params(input=[1, 16, 32]), device="cpu")
        fresh.goto(1)
        assert screen.session.frame.to_json() == fresh.frame.to_json()
        # 16 − 16 → 1 (the knob's low end): C1's 5×5 window no longer fits; refused, nothing changes.
        await pilot.press("less_than_sign")
        for _ in range(100):
            await pilot.pause(0.05)
            if app._notifications:
                break
        messages = [str(n.message) for n in app._notifications]
        assert any(m.startswith("params.input[1]: 1 is not allowed: params.layers[0].size: C1: output height (1 − 5)/1 + 1")
                   for m in messages), messages
        assert screen.session.scenario.params["input"] == [1, 16, 32]
        assert "⚙ input height = 16 (1 … 4096)" in status(screen)  # the value in use, not the one refused
        await pilot.press("less_than_sign")  # refused again: one message on screen, not a pile
        for _ in range(100):
            await pilot.pause(0.05)
            if "16 (1" in status(screen) and len(app._notifications) == 1:
                break
        assert len(app._notifications) == 1 and "⚙ input height = 16 (1 … 4096)" in status(screen)
        assert caption(screen).startswith("C1: 6 filters 5×5: H: (16 − 5)/1 + 1 = 12")


def test_nearest_allowed_is_the_last_value_the_lab_takes_on_the_way():
    """LeNet's C1 (5×5), S2 (2×2), C3 (5×5), S4 (2×2) need an input of at least 16 rows: from
    32 toward 1 the nearest allowed is 16, checked with the lab's own validation on both sides."""
    c = controller("arch-lenet", 1)
    params = c.session.scenario.params
    assert c.nearest_allowed("input[1]", 1) == 16
    lab_class("arch").validate(with_value(params, "input[1]", 16))
    with pytest.raises(ParamError):
        lab_class("arch").validate(with_value(params, "input[1]", 15))
    assert c.nearest_allowed("input[1]", 40) is None  # nothing refused on the way up: nothing to find
    c.session.close()


async def test_presses_that_overshoot_stop_at_the_nearest_allowed_value():
    """Twenty presses of `,` at once (32 → 12) stop at 16, the least LeNet takes, and the note
    says so; the status bar shows 16, and no error is shown."""
    from test_app import status, wait_ready

    from tui_lab.app import LabApp

    app = LabApp(scenario="arch-lenet", device="cpu")
    async with app.run_test(size=(100, 30)) as pilot:
        screen = await wait_ready(pilot, app)
        from textual import events

        await pilot.press("n")
        for _ in range(20):  # as a held key sends them: all queued before the first is handled
            event = events.Key("comma", ",")
            event.set_sender(app)
            app._driver.send_message(event)
        for _ in range(200):
            await pilot.pause(0.05)
            if "stopped there" in str(screen.query_one("#note").render()):
                break
        assert screen.session.scenario.params["input"] == [1, 16, 32]
        note = str(screen.query_one("#note").render())
        assert "→ 16" in note and "(stopped there: 12 is not allowed)" in note, note
        assert "⚙ input height = 16 (1 … 4096)" in status(screen) and not app._notifications
