"""Keys are declared once: the footer, the palette and `?` help all come from the same Bindings."""

import pytest

from engine.registry import LABS
from tui_lab.keys import COMMON, bindings_of, described, lab_bindings, left_out, scenario_screen

# DESIGN.md's key plan: the keys every lab shares. A lab's own keys must not take these.
PLAN = {"right", "n", "space", "left", "p", "home", "end", "a", "enter", "plus", "equals_sign", "minus", "f", "r",
        "e", "s", "ctrl+r", "left_square_bracket", "right_square_bracket", "comma", "full_stop", "less_than_sign",
        "greater_than_sign", "y", "b", "question_mark", "q", "escape", "ctrl+p", "tab", "shift+tab"}


def keys_of(binding):
    return {k.strip() for k in binding.key.split(",")}


def test_common_keys_follow_the_plan():
    declared = set().union(*(keys_of(b) for b in COMMON))
    assert declared == PLAN - {"ctrl+p", "tab", "shift+tab"}
    assert all(b.id for b in COMMON) and len({b.id for b in COMMON}) == len(COMMON)


@pytest.mark.parametrize("lab", list(LABS))
def test_lab_keys_are_bindings_that_take_no_common_key(lab):
    own = lab_bindings(lab)
    for b in own:
        assert b.id and not (keys_of(b) & PLAN), f"{lab}: {b.key} takes a key of the common plan"
    keys = [k for b in own for k in keys_of(b)]
    assert len(keys) == len(set(keys)), f"{lab}: a key bound twice"


@pytest.mark.parametrize("lab", list(LABS))
def test_help_and_palette_are_generated_from_the_bindings(lab):
    from tui_lab.screens.help import key_table

    screen_cls = scenario_screen(lab)
    bindings = bindings_of(screen_cls)
    assert {b.id for b in bindings} == ({b.id for b in COMMON} - left_out(lab)) | {b.id for b in lab_bindings(lab)}
    table = key_table(bindings)
    for keys, what in described(bindings):
        assert f"| `{keys}` | {what} |" in table

    class FakeScreen:
        def run_action(self, action):
            self.ran = action

        def ask_step(self):
            pass

    from tui_lab.keys import palette_commands

    screen = FakeScreen()
    commands = list(palette_commands(screen, bindings))
    assert len(commands) == len(bindings) + 1  # and "go to step"
    for command, binding in zip(commands, bindings):
        command.callback()
        assert screen.ran == binding.action



@pytest.mark.parametrize("lab", ["conv", "arch", "pretrain", "train"])
def test_labs_without_such_plots_do_not_offer_the_plot_keys(lab):
    """`y` and `b` switch a plot's scale and unit: a lab whose plots do not honour them lists
    neither in help or the palette, and the key is disabled there (Textual's check_action)."""
    ids = {b.id for b in bindings_of(scenario_screen(lab))}
    assert not ids & {"plot-log", "plot-bits"}


def test_labs_with_plots_offer_what_their_plots_honour():
    assert {"plot-log", "plot-bits"} <= {b.id for b in bindings_of(scenario_screen("charrnn"))}
    for lab in ("optim", "lstm"):
        ids = {b.id for b in bindings_of(scenario_screen(lab))}
        assert "plot-log" in ids and "plot-bits" not in ids


async def test_a_plot_key_in_a_lab_without_plots_is_disabled():
    from test_app import wait_ready

    from tui_lab.app import LabApp

    app = LabApp(scenario="conv-sobel", device="cpu")
    async with app.run_test(size=(100, 30)) as pilot:
        screen = await wait_ready(pilot, app)
        assert screen.check_action("plot", ("ylog",)) is False and screen.check_action("next", ()) is True
        await pilot.press("y")
        assert not screen.query_one("#frame").view.get("ylog")


async def test_keys_in_one_burst_run_in_the_order_typed():
    """`] . → , f ←` posted at once run in that order. A priority key (the arrows) had run as
    the app took it and the others only once the focused widget passed them up, so `] ] . → →`
    in the char-RNN lab stepped twice before the lr turn."""
    from textual import events

    from tui_lab.app import LabApp

    app = LabApp(scenario="conv-sobel", device="cpu")
    async with app.run_test(size=(100, 30)) as pilot:
        for _ in range(200):
            await pilot.pause(0.05)
            if getattr(app.screen, "session", None) is not None:
                break
        screen, ran = app.screen, []
        for name in ("knob", "turn", "next", "prev", "finish"):
            setattr(screen, f"action_{name}", lambda *a, name=name: ran.append(name))
        for key, char in (("right_square_bracket", "]"), ("full_stop", "."), ("right", None), ("comma", ","),
                          ("f", "f"), ("left", None)):
            app.post_message(events.Key(key, char))
        await pilot.pause(0.3)
        assert ran == ["knob", "turn", "next", "turn", "finish", "prev"]
