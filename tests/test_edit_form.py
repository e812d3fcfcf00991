"""The edit form, driven by the Pilot: every bundled scenario round-trips unchanged, one field
of each kind is changed and applied, and bad input gets one message, literally, beside its field."""

from __future__ import annotations

import threading
from dataclasses import replace

import pytest
from textual.app import App

from engine.core.frame import to_plain
from engine.core.params import ParamError
from engine.registry import LABS, lab_class
from engine.session import Session
from scenarios import bundled, load
from scenarios.scenario import Scenario
from tui_lab.app import LabApp
from tui_lab.screens.edit import EditScreen
from tui_lab.screens.edit.fields import ToolLine
from tui_lab.screens.scenario import ScenarioScreen


class Host(App):
    """An app holding only the form: `result` is what it dismissed with."""

    NOT_YET = object()

    def __init__(self, scenario: Scenario) -> None:
        super().__init__()
        self.scenario = scenario
        self.result = Host.NOT_YET

    def on_mount(self) -> None:
        self.push_screen(EditScreen(self.scenario), self.done)

    def done(self, params) -> None:
        self.result = params


async def settle(pilot, until, timeout: float = 20.0) -> None:
    for _ in range(int(timeout / 0.05)):
        await pilot.pause(0.05)
        if until():
            return
    raise AssertionError("the form did not answer")


async def open_form(pilot, app=None):
    app = app or pilot.app
    await settle(pilot, lambda: isinstance(app.screen, EditScreen) and app.screen.query("#edit-fields .field"))
    await pilot.pause()
    return app.screen


async def apply(pilot, app) -> dict:
    await pilot.press("ctrl+s")
    await settle(pilot, lambda: app.result is not Host.NOT_YET)
    return app.result


def message(screen, name: str) -> str:
    return str(screen.query_one(f"#field-{name} .field-message").render())


def first_frame(scenario: Scenario, params: dict) -> dict:
    """Frame 0 of a fresh Session with these params, as plain data."""
    session = Session(replace(scenario, params=params), device="cpu")
    try:
        return to_plain(session.frame.values) | {"caption": session.frame.caption}
    finally:
        session.close()


# --- every bundled scenario: open, apply unchanged, the same params come back (issue 11.2) ------
# Each form costs a second or two of Textual work: `-m "not slow"` opens each lab's first bundled
# scenario, the full run every one.
@pytest.mark.parametrize("lab, which", [(lab, "first") for lab in LABS]
                         + [pytest.param(lab, "rest", marks=pytest.mark.slow) for lab in LABS])
async def test_every_bundled_scenario_applies_unchanged(lab, which):
    infos = [i for i in bundled() if i.lab == lab]
    infos = infos[:1] if which == "first" else infos[1:]
    if not infos:
        pytest.skip(f"no bundled {lab} scenario" + (" besides the first" if which == "rest" else ""))
    app = App()
    async with app.run_test(size=(100, 30)) as pilot:
        for info in infos:
            scenario = load(info.name)
            got = []
            app.push_screen(EditScreen(scenario), got.append)
            await settle(pilot, lambda: isinstance(app.screen, EditScreen) and app.screen.query(".field"))
            await pilot.press("ctrl+s")
            await settle(pilot, lambda: got)
            assert got == [scenario.params], info.name


# --- one field of each kind, applied; the scenario screen shows a fresh Session's frame --------
async def wait_scenario(pilot, app, previous=None) -> ScenarioScreen:
    def ready():
        screen = app.screen
        return (isinstance(screen, ScenarioScreen) and screen.session is not None and screen.session is not previous
                and screen.query_one("#frame").display)
    await settle(pilot, ready, timeout=60)
    return app.screen


async def test_grid_edit_restarts_the_lab_with_the_frame_a_fresh_session_gives():
    app = LabApp(scenario="conv-sobel", device="cpu")
    async with app.run_test(size=(100, 30)) as pilot:
        screen = await wait_scenario(pilot, app)
        before = screen.session
        await pilot.press("e")
        form = await open_form(pilot, app)
        form.query_one("#param-kernel").focus()
        await pilot.press("right", "5", "enter")  # kernel[0][1]: -2 -> 5
        await pilot.press("ctrl+s")
        screen = await wait_scenario(pilot, app, previous=before)
        params = screen.scenario.params
        assert params["kernel"] == [[-1, 5, -1], [0, 0, 0], [1, 2, 1]]
        assert {k: v for k, v in params.items() if k != "kernel"} == {
            k: v for k, v in load("conv-sobel").params.items() if k != "kernel"}
        shown = to_plain(screen.session.frame.values) | {"caption": screen.session.frame.caption}
        assert shown == first_frame(screen.scenario, params)
        assert shown["kernel"] == [[[[-1.0, 5.0, -1.0], [0.0, 0.0, 0.0], [1.0, 2.0, 1.0]]]]  # [F][C][kh][kw]


async def test_tables_rows_added_moved_removed_in_the_optimizer_lab():
    app = LabApp(scenario="optim-zigzag", device="cpu")
    original = load("optim-zigzag").params["optimizers"]
    async with app.run_test(size=(100, 30)) as pilot:
        screen = await wait_scenario(pilot, app)
        before = screen.session
        await pilot.press("e")
        form = await open_form(pilot, app)
        form.query_one("#param-optimizers").focus()
        await pilot.press("ctrl+down")  # a copy of sgd, below it
        await pilot.press("right", *"slow sgd", "enter", "right", *"0.01", "enter")  # its name and lr
        await pilot.press("shift+down")  # moved below momentum
        await pilot.press("down", "down", "ctrl+up")  # the last row (adam) removed
        await pilot.press("ctrl+s")
        screen = await wait_scenario(pilot, app, previous=before)
        got = screen.scenario.params["optimizers"]
        assert [o["kind"] for o in got] == ["sgd", "momentum", "sgd", "nesterov"]
        assert got[2] == {**original[0], "name": "slow sgd", "lr": 0.01}
        assert got[:2] == original[:2] and got[3] == original[2]
        shown = to_plain(screen.session.frame.values) | {"caption": screen.session.frame.caption}
        assert shown == first_frame(screen.scenario, screen.scenario.params)


async def test_int_field_checked_as_typed_in_checks_words_and_applied():
    scenario = load("conv-sobel")
    app = Host(scenario)
    async with app.run_test(size=(100, 30)) as pilot:
        form = await open_form(pilot, app)
        form.query_one("#param-padding").value = "-1"
        await pilot.pause()
        with pytest.raises(ParamError) as check:
            lab_class("conv").validate({**scenario.params, "padding": -1})
        assert message(form, "padding") == str(check.value) == "params.padding: expected an integer from 0 to 64, got -1"
        form.query_one("#param-padding").value = "2"
        await pilot.pause()
        assert message(form, "padding") == ""
        params = await apply(pilot, app)
    assert params == {**scenario.params, "padding": 2}
    assert first_frame(scenario, params)["out_shape"] == [1, 5, 5]  # (3 − 3 + 2·2)/1 + 1


async def test_float_field():
    scenario = load("optim-zigzag")
    app = Host(scenario)
    async with app.run_test(size=(100, 30)) as pilot:
        form = await open_form(pilot, app)
        form.query_one("#param-bound").value = "50"
        params = await apply(pilot, app)
    assert params == {**scenario.params, "bound": 50.0}
    assert isinstance(params["bound"], float)


async def test_bool_field_by_switch():
    scenario = load("conv-sobel")
    app = Host(scenario)
    async with app.run_test(size=(100, 30)) as pilot:
        form = await open_form(pilot, app)
        form.query_one("#param-transposed").focus()
        await pilot.press("space")
        params = await apply(pilot, app)
    assert params == {**scenario.params, "transposed": True}
    assert first_frame(scenario, params)["kind"] == "transposed"


async def test_choice_field_by_select():
    scenario = load("conv-sobel")
    app = Host(scenario)
    async with app.run_test(size=(100, 30)) as pilot:
        form = await open_form(pilot, app)
        form.query_one("#param-mode").focus()
        await pilot.press("enter", "down", "enter")
        await pilot.pause()
        params = await apply(pilot, app)
    assert params == {**scenario.params, "mode": "cross-correlation"}


async def test_tensor_grid_changes_shape_and_slices():
    """3-D: one grid per channel, a column added to every channel."""
    scenario = load("conv-multichannel")
    app = Host(scenario)
    async with app.run_test(size=(100, 30)) as pilot:
        form = await open_form(pilot, app)
        field = form.query_one("#field-kernel")
        field.query_one(".slice").value = (1, 2)  # filter 1, channel 2
        await pilot.pause()
        form.query_one("#param-kernel").focus()
        await pilot.press("9", "enter", "ctrl+right")
        await pilot.pause()
        edited = field.value()
    kernel = scenario.params["kernel"]
    assert edited[1][2][0][0] == 9
    assert [len(row) for f in edited for c in f for row in c] == [4] * 18  # every channel got the column
    assert edited[1][2][0][1] == 0 and edited[0][0][0] == [kernel[0][0][0][0], 0, *kernel[0][0][0][1:]]


async def test_raw_tab_is_kept_in_sync_with_the_form():
    scenario = load("conv-sobel")
    app = Host(scenario)
    async with app.run_test(size=(100, 30)) as pilot:
        form = await open_form(pilot, app)
        form.query_one("#param-stride").value = "2"
        await pilot.press("ctrl+t")
        await pilot.pause()
        area = form.query_one("#edit-raw")
        assert "stride = 2\n" in area.text and "padding = 1\n" in area.text
        area.load_text(area.text.replace("padding = 1", "padding = 3"))
        await pilot.press("ctrl+t")  # back to the form: the raw text fills it
        await pilot.pause()
        assert form.query_one("#param-padding").value == "3"
        await pilot.press("ctrl+t")
        await pilot.pause()
        params = await apply(pilot, app)  # from the raw tab
    assert params == {**scenario.params, "stride": 2, "padding": 3}


async def raw_saved(pilot, form, old: str, new: str):
    """In the raw tab, `old` replaced by `new` and saved (ctrl+s): the text area, and the
    error shown under it once it shows."""
    await pilot.press("ctrl+t")
    await pilot.pause()
    area = form.query_one("#edit-raw")
    area.load_text(area.text.replace(old, new))
    await pilot.press("ctrl+s")
    await settle(pilot, lambda: form.query_one("#edit-raw-error").display)
    return area, str(form.query_one("#edit-raw-error").render())


async def test_raw_errors_name_the_line_and_show_markup_literally():
    scenario = load("optim-zigzag")
    app = Host(scenario)
    async with app.run_test(size=(100, 30)) as pilot:
        form = await open_form(pilot, app)
        area, shown = await raw_saved(pilot, form, 'surface = "bowl"', 'surface = "[/]"')
        line = area.text.splitlines().index('surface = "[/]"') + 1
        assert shown == f'line {line}: params.surface: expected one of "bowl", "rosenbrock", "saddle", ' \
                        '"himmelblau", "plateau", got the string "[/]"'
        assert app.result is Host.NOT_YET and isinstance(app.screen, EditScreen)


async def test_deeply_nested_raw_input_is_one_message():
    scenario = load("conv-sobel")
    app = Host(scenario)
    async with app.run_test(size=(100, 30)) as pilot:
        form = await open_form(pilot, app)
        await pilot.press("ctrl+t")
        await pilot.pause()
        form.query_one("#edit-raw").load_text("[params]\ninput = " + "[" * 600 + "1" + "]" * 600 + "\n")
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert str(form.query_one("#edit-raw-error").render()) == "params: not valid TOML: nested too deeply to read"
        await pilot.press("ctrl+t")  # the form cannot take it either: the raw tab stays, same message
        await pilot.pause()
        assert form.query_one("TabbedContent").active == "edit-raw-tab"
        assert app.result is Host.NOT_YET


async def test_typed_markup_is_shown_and_applied_literally():
    scenario = load("conv-sobel")
    app = Host(scenario)
    async with app.run_test(size=(100, 30)) as pilot:
        form = await open_form(pilot, app)
        form.query_one("#param-note").focus()
        await pilot.press(*"[/]x[b]")
        form.query_one("#param-padding").value = "[/]"
        await pilot.pause()
        assert message(form, "padding") == 'params.padding: expected an integer from 0 to 64, got the string "[/]"'
        form.query_one("#param-padding").value = "1"
        params = await apply(pilot, app)
    assert params == {**scenario.params, "note": "[/]x[b]"}


async def test_an_error_keeps_everything_typed_and_is_never_cut_off():
    scenario = load("conv-sobel")
    app = Host(scenario)
    async with app.run_test(size=(80, 24)) as pilot:
        form = await open_form(pilot, app)
        form.query_one("#param-kernel").focus()
        await pilot.press("4", "enter")
        form.query_one("#param-random_kernel").value = "[1, 2, x"
        await pilot.press("ctrl+s")
        await pilot.pause(0.5)
        assert app.result is Host.NOT_YET
        box = form.query_one("#field-random_kernel .field-message")
        text = str(box.render())
        assert text == 'params.random_kernel: expected a list of integers, got the string "[1, 2, x"'
        assert box.size.height >= 2 and box.size.height == box.get_content_height(box.size, box.size, box.size.width)
        assert form.query_one("#param-random_kernel").value == "[1, 2, x"
        assert form.query_one("#field-kernel").value()[0][0] == 4


async def test_a_tensor_too_large_for_a_grid_is_kept_and_points_to_random():
    big = [[[[1.0] * 11 for _ in range(11)] for _ in range(3)] for _ in range(96)]
    params = lab_class("conv").validate({"input": [[[0] * 11] * 11] * 3, "kernel": big})
    scenario = Scenario(name="big", title="AlexNet CONV1 sized", lab="conv", params=params)
    app = Host(scenario)
    async with app.run_test(size=(100, 30)) as pilot:
        form = await open_form(pilot, app)
        note = message(form, "kernel")
        assert "34,848 numbers (96 × 3 × 11 × 11)" in note and "random_kernel" in note
        assert not form.query_one("#param-kernel").display
        got = await apply(pilot, app)
    assert got == params


async def test_validation_runs_in_a_worker_while_the_form_says_checking(monkeypatch):
    scenario = load("conv-sobel")
    cls = lab_class("conv")
    release, threads = threading.Event(), []
    original = cls.validate

    def slow(raw):
        threads.append(threading.current_thread())
        release.wait(10)
        return original(raw)

    app = Host(scenario)
    monkeypatch.setattr(cls, "validate", slow)
    try:
        async with app.run_test(size=(100, 30)) as pilot:
            form = await open_form(pilot, app)
            await pilot.press("ctrl+s")
            await settle(pilot, lambda: threads)
            assert str(form.query_one("#edit-error").render()) == "checking…"
            form.query_one("#param-note").focus()
            await pilot.press("h", "i")  # the UI still answers keys while the check runs
            assert form.query_one("#param-note").value == "hi"
            release.set()
            await settle(pilot, lambda: app.result is not Host.NOT_YET)
    finally:
        release.set()
    assert threads[0] is not threading.main_thread()
    assert app.result == scenario.params  # the params as they were when ctrl+s was pressed


async def test_escape_cancels():
    app = Host(load("lstm-gates"))
    async with app.run_test(size=(80, 24)) as pilot:
        form = await open_form(pilot, app)
        form.query_one("#param-W_f").focus()
        await pilot.press("7")
        await pilot.press("escape")  # drops the unfinished cell edit only
        assert isinstance(app.screen, EditScreen)
        await pilot.press("escape")
        await settle(pilot, lambda: app.result is not Host.NOT_YET)
    assert app.result is None


# --- a newcomer's trial: typing on a cell, the hint under the grid, the raw tab's focus -------
async def test_a_cell_typed_into_is_kept_by_the_raw_tab_and_by_apply_without_enter():
    """Typing on a cell starts editing it with what was typed; ctrl+t and ctrl+s keep the
    unfinished edit (it was dropped unless enter had been pressed first)."""
    scenario = load("conv-sobel")
    app = Host(scenario)
    async with app.run_test(size=(100, 30)) as pilot:
        form = await open_form(pilot, app)
        grid = form.query_one("#param-kernel")
        grid.focus()
        await pilot.press("5")
        assert str(grid.get_cell_at((0, 0))).startswith("5")  # on screen at once
        await pilot.press("ctrl+t")
        await pilot.pause()
        assert "    [5, -2, -1],\n" in form.query_one("#edit-raw").text
        await pilot.press("ctrl+t")
        await pilot.pause()
        await pilot.press("right", "7")
        params = await apply(pilot, app)
    assert params == {**scenario.params, "kernel": [[5, 7, -1], [0, 0, 0], [1, 2, 1]]}

    scenario = load("optim-zigzag")
    app = Host(scenario)
    async with app.run_test(size=(100, 30)) as pilot:
        form = await open_form(pilot, app)
        form.query_one("#param-optimizers").focus()
        await pilot.press("right", "right", "0", ".", "5")  # the first row's lr
        params = await apply(pilot, app)
    assert params["optimizers"] == [{**scenario.params["optimizers"][0], "lr": 0.5}, *scenario.params["optimizers"][1:]]


async def test_the_hint_under_each_grid_says_how_to_edit_a_cell():
    for name, grid in (("conv-sobel", "kernel"), ("optim-zigzag", "optimizers")):
        app = Host(load(name))
        async with app.run_test(size=(100, 30)) as pilot:
            form = await open_form(pilot, app)
            tools = str(form.query_one(f"#field-{grid} .grid-tools").render())
            assert ToolLine.EDIT_HINT in tools and "enter" in ToolLine.EDIT_HINT, tools


async def test_the_raw_tab_takes_focus_and_what_is_typed_and_gives_it_back():
    scenario = load("conv-sobel")
    app = Host(scenario)
    async with app.run_test(size=(100, 30)) as pilot:
        form = await open_form(pilot, app)
        form.query_one("#param-kernel").focus()
        await pilot.press("ctrl+t")
        await pilot.pause()
        area = form.query_one("#edit-raw")
        assert app.focused is area
        await pilot.press(*"# hi", "enter")
        assert area.text.startswith("# hi\n")
        await pilot.press("ctrl+t")  # back to the form: where the person was
        await pilot.pause()
        assert app.focused is form.query_one("#param-kernel")
        params = await apply(pilot, app)
    assert params == scenario.params


# --- looks -------------------------------------------------------------------------------------
class TestLooks:
    def test_conv_form_80x24(self, snap_compare):
        assert snap_compare(Host(load("conv-sobel")), terminal_size=(80, 24), run_before=open_form)

    def test_optimizer_rows_with_an_error_100x30(self, snap_compare):
        app = Host(load("optim-zigzag"))

        async def run_before(pilot):
            form = await open_form(pilot, app)
            form.query_one("#param-optimizers").focus()
            await pilot.press("right", "right", "-", "1", "enter")
            await pilot.pause()

        assert snap_compare(app, terminal_size=(100, 30), run_before=run_before)


async def test_raw_integer_longer_than_python_reads_is_one_message_not_a_crash():
    scenario = load("conv-sobel")
    app = Host(scenario)
    async with app.run_test(size=(100, 30)) as pilot:
        form = await open_form(pilot, app)
        area, shown = await raw_saved(pilot, form, "stride = 1", "stride = " + "7" * 5000)
        line = area.text.splitlines().index("stride = " + "7" * 5000) + 1
        assert shown == \
            f"line {line}: not valid TOML: an integer of 5,000 digits; at most 4,300 digits are read"
        assert app.result is Host.NOT_YET and isinstance(app.screen, EditScreen)


async def test_a_digit_typed_right_after_an_arrow_lands_in_the_new_cell():
    """Keys that arrive together (tmux send-keys, a fast typist): → then 3 then enter edits
    the cell → moved to, and the cell left keeps what was typed in it."""
    from textual import events

    scenario = load("conv-sobel")
    app = Host(scenario)
    async with app.run_test(size=(100, 30)) as pilot:
        form = await open_form(pilot, app)
        grid = form.query_one("#param-kernel")
        grid.focus()
        await pilot.pause()
        for key, char in [("9", "9"), ("right", None), ("3", "3"), ("enter", "\r")]:
            event = events.Key(key, char)  # all queued before the first is handled
            event.set_sender(app)
            app._driver.send_message(event)
        await pilot.pause(0.5)
        params = await apply(pilot, app)
    assert params["kernel"][0][:2] == [9, 3]


async def test_a_raw_error_is_said_once_and_goes_when_the_text_is_edited():
    """Under the raw text only (not again on the dialog's last line, where the form's tab would
    still show it), and gone once the person edits the text it was about."""
    scenario = load("conv-sobel")
    app = Host(scenario)
    async with app.run_test(size=(100, 30)) as pilot:
        form = await open_form(pilot, app)
        area, shown = await raw_saved(pilot, form, "padding = 1", "padding = ")
        assert "not valid TOML" in shown
        assert str(form.query_one("#edit-error").render()) == ""
        area.insert("2", area.document.end)  # any edit
        await pilot.pause()
        assert not form.query_one("#edit-raw-error").display
