"""The app as a person uses it, driven by the Pilot."""

import asyncio

from tui_lab.app import LabApp
from tui_lab.screens.scenario import ScenarioScreen


async def wait_ready(pilot, app, timeout=30.0):
    for _ in range(int(timeout / 0.05)):
        await pilot.pause(0.05)
        screen = app.screen
        if isinstance(screen, ScenarioScreen) and screen.session is not None and screen.query_one("#frame").display:
            return screen
    raise AssertionError("scenario did not open")


def caption(screen) -> str:
    return str(screen.query_one("#caption").render())


def status(screen) -> str:
    return str(screen.query_one("#status").render())


def note(screen) -> str:
    return str(screen.query_one("#note").render())


async def test_open_step_forward_and_back():
    app = LabApp(scenario="conv-sobel", device="cpu")
    async with app.run_test(size=(100, 30)) as pilot:
        screen = await wait_ready(pilot, app)
        assert status(screen).startswith("step 0 / 9")
        await pilot.press("n")
        assert caption(screen).startswith("y[0,0] = ") and caption(screen).endswith("= −13")
        await pilot.press("right", "space")
        assert caption(screen).startswith("y[0,2]") and status(screen).startswith("step 3 / 9")
        await pilot.press("left")
        assert caption(screen).startswith("y[0,1]") and caption(screen).endswith("= −20")
        await pilot.press("end")
        assert status(screen).startswith("step 3 / 9")  # end = last computed
        await pilot.press("f")
        await pilot.pause(0.3)
        assert status(screen).startswith("step 9 / 9")
        await pilot.press("n")  # past the end stays on the last frame
        assert status(screen).startswith("step 9 / 9") and caption(screen).startswith("y[2,2]")
        await pilot.press("home")
        assert status(screen).startswith("step 0 / 9")


async def test_play_pause_and_speed():
    app = LabApp(scenario="conv-sobel", device="cpu")
    async with app.run_test(size=(100, 30)) as pilot:
        screen = await wait_ready(pilot, app)
        await pilot.press("plus", "plus", "plus")  # 16 steps/s
        assert screen.runner.speed == 16.0
        await pilot.press("a")
        await pilot.pause(1.2)
        assert screen.session.index == 9 and not screen.runner.playing
        await pilot.press("minus")
        assert screen.runner.speed == 8.0


async def test_home_search_opens_and_back_returns():
    app = LabApp()
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        await pilot.press(*"conv-sobel")
        await pilot.press("enter")
        screen = await wait_ready(pilot, app)
        assert screen.scenario.name == "conv-sobel"
        await pilot.press("q")
        await pilot.pause()
        assert type(app.screen).__name__ == "HomeScreen"


async def test_edit_rejects_bad_value_and_applies_good_one():
    app = LabApp(scenario="conv-sobel", device="cpu")
    async with app.run_test(size=(100, 30)) as pilot:
        screen = await wait_ready(pilot, app)
        await pilot.press("e")
        await pilot.pause()
        edit = app.screen
        box = edit.query_one("#param-padding")
        box.value = "-1"
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert "params.padding: expected an integer from 0 to 64, got -1" in str(edit.query_one("#edit-error").render())
        box.value = "0"
        await pilot.press("ctrl+s")
        screen = await wait_ready(pilot, app)
        assert screen.scenario.params["padding"] == 0
        assert status(screen).startswith("step 0 / 1")


async def test_save_writes_a_valid_scenario(tmp_path):
    from scenarios import load

    # The kernel is edited first, so a writer that dropped it (the loader would fill in the
    # default) or wrote the bundled scenario instead of the one on screen fails.
    vertical = [[-1, 5, -1], [0, 0, 0], [1, 2, 1]]
    app = LabApp(scenario="conv-sobel", device="cpu")
    async with app.run_test(size=(100, 30)) as pilot:
        await wait_ready(pilot, app)
        await pilot.press("e")
        await pilot.pause(0.5)
        app.screen.query_one("#param-kernel").focus()
        await pilot.press("right", "5", "enter")  # kernel[0][1]: −2 → 5, in the form's grid
        await pilot.press("ctrl+s")
        screen = await wait_ready(pilot, app)
        assert screen.scenario.params["kernel"] == vertical
        await pilot.press("s")
        await pilot.pause()
        target = tmp_path / "mine.toml"
        app.screen.query_one("#save-path").value = str(target)
        await pilot.press("enter")
        await pilot.pause()
    again = load(str(target))
    assert "kernel = [" in target.read_text(encoding="utf-8")
    assert again.params == {**load("conv-sobel").params, "kernel": vertical}
    assert (again.lab, again.seed) == ("conv", 0)


async def test_too_small_terminal_note_and_recovery():
    app = LabApp()
    async with app.run_test(size=(50, 15)) as pilot:
        await pilot.pause()
        assert type(app.screen).__name__ == "TooSmallScreen"
        assert "Terminal too small: 50×15" in str(app.screen.query_one("#too-small").render())
        await pilot.resize_terminal(100, 30)
        await pilot.pause()
        assert type(app.screen).__name__ == "HomeScreen"


async def test_help_and_palette_commands():
    app = LabApp(scenario="conv-sobel", device="cpu")
    async with app.run_test(size=(100, 30)) as pilot:
        screen = await wait_ready(pilot, app)
        await pilot.press("question_mark")
        await pilot.pause()
        assert type(app.screen).__name__ == "HelpScreen"
        await pilot.press("escape")
        titles = [c.title for c in app.get_system_commands(screen)]
        for want in ("Next step", "Previous step", "Play / pause", "Play faster", "Play slower", "Reset to step 0",
                     "Edit the parameters in a form", "Choose the next knob", "Go to step…"):
            assert want in titles
        assert any(t.startswith("Open: Sobel") for t in titles)


async def test_bad_scenario_in_app_is_a_notification(tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text('title = "x"\nlab = "conv"\n[params]\nstride = 0\n')
    app = LabApp()
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        app.open_scenario(str(bad))
        await pilot.pause()
        assert type(app.screen).__name__ == "HomeScreen"
        assert any("params.stride" in n.message for n in app._notifications)


async def test_home_and_end_step_even_when_the_frame_scrolls():
    app = LabApp(scenario="arch-lenet", device="cpu")
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await wait_ready(pilot, app)
        await pilot.press("n", "n", "n")
        await pilot.press("home")
        assert status(screen).startswith("step 0 / 12")
        await pilot.press("end")
        assert status(screen).startswith("step 3 / 12")


async def test_search_after_coming_back_keeps_every_key():
    app = LabApp(device="cpu")
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        await pilot.press(*"sq")  # q is a letter once something is typed
        assert app.screen.query_one("#search").value == "sq"
        await pilot.press("escape", *"lstm gates", "enter")
        screen = await wait_ready(pilot, app)
        assert screen.scenario.name == "lstm-gates"
        await pilot.press("q")
        await pilot.pause()
        await pilot.press("escape", *"arch vgg", "backspace")
        assert app.screen.query_one("#search").value == "arch vg"


async def test_edit_takes_a_bare_word_for_a_choice():
    app = LabApp(scenario="conv-sobel", device="cpu")
    async with app.run_test(size=(100, 30)) as pilot:
        await wait_ready(pilot, app)
        await pilot.press("e")
        await pilot.pause()
        app.screen.query_one("#param-mode").value = "cross-correlation"
        await pilot.press("ctrl+s")
        screen = await wait_ready(pilot, app)
        assert screen.scenario.params["mode"] == "cross-correlation"


async def test_save_asks_before_overwriting(tmp_path):
    target = tmp_path / "mine.toml"
    target.write_text("keep me")
    app = LabApp(scenario="conv-sobel", device="cpu")
    async with app.run_test(size=(100, 30)) as pilot:
        await wait_ready(pilot, app)
        await pilot.press("s")
        await pilot.pause()
        app.screen.query_one("#save-path").value = str(target)
        app.screen.query_one("#save-title").value = "My Sobel"
        await pilot.press("enter")
        await pilot.pause()
        assert "exists: press Save again" in str(app.screen.query_one("#save-error").render())
        assert target.read_text() == "keep me"
        await pilot.press("enter")
        await pilot.pause()
    from scenarios import load

    assert load(str(target)).title == "My Sobel"


# --- home, palette and the screen stack (issue 11.6, 12) -------------------------------------

async def test_coming_home_clears_the_filter_and_shows_the_scenario_left():
    app = LabApp(device="cpu")
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        await pilot.press(*"gates", "enter")
        screen = await wait_ready(pilot, app)
        assert screen.scenario.name == "lstm-gates"
        await pilot.press("q")
        await pilot.pause()
        home = app.screen
        assert type(home).__name__ == "HomeScreen" and home.query_one("#search").value == ""
        options = home.query_one("#scenarios")
        assert options.get_option_at_index(options.highlighted).id == "lstm-gates"
        await pilot.press("escape", *"exploding")
        assert home.query_one("#search").value == "exploding"
        assert options.get_option_at_index(options.highlighted).id == "lstm-gradient-flow"
        # One escape clears the filter and the whole list is back at once.
        await pilot.press("escape")
        assert home.query_one("#search").value == ""
        assert options.option_count == len(home.scenarios) + len({s.lab for s in home.scenarios})


async def _palette(pilot, app, text):
    await pilot.press("ctrl+p")
    await pilot.pause(0.2)
    await pilot.press(*text)
    for _ in range(40):  # the palette searches in a worker
        await pilot.pause(0.05)
        if app.screen.query("CommandList").first().option_count:
            break


async def test_palette_finds_a_scenario_by_its_id_and_opening_replaces_the_open_one():
    app = LabApp(scenario="conv-sobel", device="cpu")
    async with app.run_test(size=(100, 30)) as pilot:
        await wait_ready(pilot, app)
        await _palette(pilot, app, "arch-alexnet")
        first = app.screen.query_one("CommandList").get_option_at_index(0)
        assert str(first.prompt).startswith("Open: AlexNet as the lecture describes it")
        await pilot.press("enter")
        await pilot.pause(0.3)
        screen = await wait_ready(pilot, app)
        assert screen.scenario.name == "arch-alexnet"
        await _palette(pilot, app, "lstm-gates")
        await pilot.press("enter")
        await pilot.pause(0.3)
        screen = await wait_ready(pilot, app)
        assert screen.scenario.name == "lstm-gates"
        assert type(app.screen_stack[0]).__name__ == "HomeScreen" and len(app.screen_stack) == 2
        assert isinstance(app.screen_stack[1], ScenarioScreen)
        await pilot.press("q")
        await pilot.pause()
        assert type(app.screen).__name__ == "HomeScreen" and app.is_running


async def test_palette_twice_around_a_shrink_is_one_palette():
    app = LabApp(device="cpu")
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        await pilot.press("ctrl+p")
        await pilot.pause(0.2)
        await pilot.resize_terminal(50, 15)
        await pilot.pause(0.2)
        await pilot.press("ctrl+p")
        await pilot.pause(0.2)
        names = [type(s).__name__ for s in app.screen_stack]
        assert names == ["HomeScreen", "LabPalette", "TooSmallScreen"], names
        await pilot.resize_terminal(100, 30)
        await pilot.pause(0.2)
        assert type(app.screen).__name__ == "LabPalette"
        await pilot.press("escape")
        await pilot.pause(0.2)
        await pilot.press("ctrl+p")  # the closed palette is gone: a new one opens
        await pilot.pause(0.2)
        assert type(app.screen).__name__ == "LabPalette"


async def test_too_small_notice_follows_the_real_size_whatever_opens_meanwhile():
    app = LabApp(device="cpu")
    async with app.run_test(size=(50, 15)) as pilot:
        await pilot.pause()
        assert type(app.screen).__name__ == "TooSmallScreen"
        await pilot.press("ctrl+p")  # no palette while the terminal is too small
        await pilot.pause(0.2)
        assert [type(s).__name__ for s in app.screen_stack] == ["HomeScreen", "TooSmallScreen"]
        app.open_scenario("conv-sobel")  # as a palette command would, while too small
        await pilot.pause(0.2)
        assert type(app.screen).__name__ == "TooSmallScreen"
        await pilot.resize_terminal(100, 30)
        screen = await wait_ready(pilot, app)
        assert screen.scenario.name == "conv-sobel"
        await pilot.press("q")
        await pilot.pause()
        assert type(app.screen).__name__ == "HomeScreen" and app.is_running
        # A resize in the middle of a step: the notice comes and goes, the step stays.
        await pilot.press("enter")
        screen = await wait_ready(pilot, app)
        await pilot.press("n", "n")
        await pilot.resize_terminal(40, 10)
        await pilot.pause(0.1)
        assert "Terminal too small: 40×10" in str(app.screen.query_one("#too-small").render())
        await pilot.resize_terminal(80, 24)
        await pilot.pause(0.1)
        assert app.screen is screen and status(screen).startswith("step 2 / 9")


async def test_only_the_screen_on_show_closes_screens_or_quits():
    """A key handled by a screen after another opened over it (typed before, delivered after)
    was meant for that screen: it must not close the one on top, nor quit."""
    app = LabApp(scenario="conv-sobel", device="cpu")
    async with app.run_test(size=(100, 30)) as pilot:
        screen = await wait_ready(pilot, app)
        await pilot.press("question_mark")
        await pilot.pause()
        help_screen = app.screen
        screen.call_next(screen.action_back)  # runs as the scenario screen, under the help
        await pilot.pause(0.2)
        assert app.screen is help_screen and app.is_running
        await pilot.press("escape")
        await pilot.pause()
        assert app.screen is screen
        await pilot.press("q")  # from the screen on show: back home, as always
        await pilot.pause()
        assert type(app.screen).__name__ == "HomeScreen"
        home = app.screen
        screen.call_next(screen.action_back)  # the closed scenario screen asks again: nothing
        await pilot.pause(0.2)
        assert app.screen is home and app.is_running


async def test_key_bursts_never_crash(monkeypatch, tmp_path):
    """Keys as a person mashes them: many delivered before the app has handled the last,
    over the home list, the palette, scenarios opening and closing, and resizes."""
    import random

    monkeypatch.chdir(tmp_path)  # `s` then letters and enter save a scenario here (it had landed in the checkout)

    from textual import events

    keys = ["enter", "escape", "q", "down", "up", "n", "p", "ctrl+p", "a", "s", "?", "g", "e"]
    for seed in range(4):
        rnd = random.Random(seed)
        app = LabApp(device="cpu")
        async with app.run_test(size=(100, 30)) as pilot:
            await pilot.pause()
            for _ in range(25):
                if rnd.random() < 0.15:
                    await pilot.resize_terminal(rnd.choice([40, 70, 100]), rnd.choice([12, 24, 30]))
                for key in rnd.choices(keys, weights=[6, 6, 2, 2, 1, 1, 1, 2, 1, 1, 1, 1, 1], k=rnd.randint(1, 6)):
                    app.post_message(events.Key(key, key if len(key) == 1 else None))
                await asyncio.sleep(rnd.random() * 0.03)
            await pilot.pause(0.5)
        assert app._exception is None, (seed, app._exception)


async def test_header_update_after_its_screen_closed_is_ignored():
    """Textual's Header queries its title widget from the app's queue; if the screen closed
    in between (open, then q at once) that query fails and ends the app."""
    from textual.screen import Screen
    from textual.widgets._header import HeaderTitle

    from tui_lab.screens.header import LabHeader

    class Plain(Screen):
        def compose(self):
            yield LabHeader()

    app = LabApp(device="cpu")
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        app.push_screen(Plain())
        await pilot.pause()
        header = app.screen.query_one(LabHeader)
        app.sub_title = "changed"
        await pilot.pause()
        assert "changed" in str(header.query_one(HeaderTitle).render())
        await header.query_one(HeaderTitle).remove()  # as while the screen is taken down
        app.sub_title = "again"
        await pilot.pause()
        assert app._exception is None


# --- what a person typed or a file holds is shown literally (issue 12) -----------------------

HOSTILE_TITLE = "[b]bold?[/b] [/] \x1b]0;PWNED\x07 \x1b[2J"
SHOWN_TITLE = "[b]bold?[/b] [/] ␛]0;PWNED␇ ␛[2J"


async def test_home_list_and_description_show_titles_literally(monkeypatch):
    from pathlib import Path

    import tui_lab.screens.home as home_module
    from scenarios import ScenarioInfo

    real = home_module.bundled()
    fake = ScenarioInfo("conv-sobel", HOSTILE_TITLE, "conv", "about [red]x[/red] \x1b[31m", Path("x.toml"))
    monkeypatch.setattr(home_module, "bundled", lambda: [fake, *[s for s in real if s.name != "conv-sobel"]])
    app = LabApp(device="cpu")
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        home = app.screen
        options = home.query_one("#scenarios")
        first = options.get_option_at_index(1)
        assert first.id == "conv-sobel" and first.prompt.title == SHOWN_TITLE
        description = home.query_one("#description").render()
        assert str(description).splitlines()[:2] == [SHOWN_TITLE, "about [red]x[/red] ␛[31m"]


async def test_header_and_notifications_show_file_text_literally(tmp_path):
    from textual.widgets._header import HeaderTitle

    good = tmp_path / "title.toml"
    good.write_text('title = "[b]bold?[/b] [/] \\u001b]0;PWNED\\u0007 \\u001b[2J"\nlab = "conv"\n')
    bad = tmp_path / "bad[b].toml"
    bad.write_text('title = "x"\nlab = "conv"\n[params]\nmode = "[/]\\u001b[2J"\n')
    app = LabApp(device="cpu")
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        app.open_scenario(str(bad))
        await pilot.pause(0.2)
        note = [n for n in app._notifications][-1]
        assert 'got the string "[/]␛[2J"' in note.message and "bad[b].toml" in note.message
        assert "\x1b" not in note.message and not note.markup
        app.open_scenario(str(good))
        screen = await wait_ready(pilot, app)
        assert str(screen.query_one(HeaderTitle).render()).startswith(SHOWN_TITLE)
        assert app._exception is None


async def test_save_dialog_messages_are_literal(tmp_path):
    app = LabApp(scenario="conv-sobel", device="cpu")
    async with app.run_test(size=(100, 30)) as pilot:
        await wait_ready(pilot, app)
        await pilot.press("s")
        await pilot.pause()
        dialog = app.screen
        dialog.query_one("#save-path").value = str(tmp_path / "no[/]such" / "[b]x[/b]")
        await pilot.press("enter")
        await pilot.pause()
        shown = str(dialog.query_one("#save-error").render())
        assert shown == f"Cannot write {tmp_path}/no[/]such/[b]x[/b].toml: no such folder"
        (tmp_path / "old[red].toml").write_text("keep")
        dialog.query_one("#save-path").value = str(tmp_path / "old[red]")
        await pilot.press("enter")
        await pilot.pause()
        assert str(dialog.query_one("#save-error").render()) == \
            f"{tmp_path}/old[red].toml exists: press Save again to overwrite it."
        dialog.query_one("#save-path").value = str(tmp_path / "[bold]new")
        await pilot.press("enter")
        await pilot.pause()
        assert (tmp_path / "[bold]new.toml").exists()
        assert app._notifications and list(app._notifications)[-1].message == f"Saved {tmp_path}/[bold]new.toml"


# --- narrow terminals (issue 11.7) ------------------------------------------------------------

async def test_home_rows_never_wrap_and_ids_show_when_there_is_room():
    for size, ids in (((80, 24), False), ((100, 30), True)):
        app = LabApp(device="cpu")
        async with app.run_test(size=size) as pilot:
            await pilot.pause()
            options = app.screen.query_one("#scenarios")
            assert options.virtual_size.height == options.option_count, size  # one line each
            lines = [str(s.text) for s in options.render_lines(options.region.reset_offset)]
            row = next(line for line in lines if "Sobel kernel" in line)
            assert ("conv-sobel" in row) is ids, (size, row)


async def test_footer_groups_are_spaced_like_every_other_key():
    from textual.widgets._footer import FooterKey, FooterLabel, KeyGroup

    for size in ((80, 24), (100, 30)):
        app = LabApp(scenario="conv-sobel", device="cpu")
        async with app.run_test(size=size) as pilot:
            screen = await wait_ready(pilot, app)
            await pilot.pause(0.2)
            label, group = screen.query_one(FooterLabel), screen.query_one(KeyGroup)
            keys = [k for k in screen.query(FooterKey) if "-grouped" not in k.classes]
            after = min((k for k in keys if k.region.x >= label.region.right), key=lambda k: k.region.x)
            before = max((k for k in keys if k.region.right <= group.region.x), key=lambda k: k.region.right)
            # "Play +− Speed f Finish": one cell each side, as between any two keys.
            assert after.region.x - label.region.right == 1, size
            assert group.region.x - before.region.right == 1, size
            assert max(k.region.right for k in keys) <= size[0]


# --- speed, by what a step does rather than how long it takes (issue 17) -----------------------

async def wait_for(pilot, condition, timeout=60.0):
    """Pause until `condition()` holds; AssertionError after `timeout` seconds."""
    for _ in range(int(timeout / 0.1)):
        await pilot.pause(0.1)
        if condition():
            return
    raise AssertionError("timed out")


def shown(screen) -> str:
    """The frame as the person sees it (all of it, scrolled or not)."""
    return "\n".join(s.text for s in screen.query_one("#frame")._strips)


def torch_gate(monkeypatch):
    """torch "loads" until the returned gate is set: a wait for the warm-up blocks on it (and is
    noted in `waited`), and torch is not ready before."""
    import threading

    from tui_lab import lab_work, runner

    gate = threading.Event()
    waited: list[bool] = []
    monkeypatch.setattr(lab_work.warm, "wait", lambda timeout=None: waited.append(True) or gate.wait(60))
    monkeypatch.setattr(runner.warm, "ready", lambda: gate.is_set())
    return gate, waited


def opens_when_told(monkeypatch):
    """conv-sobel as a lab that needs torch to open, opening only when the gate is set: as if
    torch were still loading (conv itself opens without it)."""
    import threading

    from engine.conv.lab import ConvLab
    from tui_lab import lab_work

    gate = threading.Event()
    monkeypatch.setattr(lab_work.warm, "wait", lambda timeout=None: gate.wait(30))
    monkeypatch.setattr(ConvLab, "uses_torch", True)
    return gate, LabApp(scenario="conv-sobel", device="cpu")


async def still_opening(pilot, app) -> ScenarioScreen:
    await pilot.pause()
    screen = app.screen
    assert isinstance(screen, ScenarioScreen) and screen.session is None
    return screen


async def test_keys_pressed_while_a_lab_opens_are_applied_once_it_is_ready(monkeypatch):
    gate, app = opens_when_told(monkeypatch)
    async with app.run_test(size=(100, 30)) as pilot:
        screen = await still_opening(pilot, app)
        await pilot.press("right", "right", "right")
        assert screen.session is None and status(screen).startswith("step 0 / ?")
        gate.set()
        screen = await wait_ready(pilot, app)
        await pilot.pause()
        assert screen.session.index == 3
        assert status(screen).startswith("step 3 / 9") and caption(screen).startswith("y[0,2]")


async def test_a_numpy_lab_opens_and_answers_while_torch_loads(monkeypatch):
    """conv computes in numpy, so it opens while torch still loads, and its steps and knobs
    answer meanwhile: computed in a worker (the app's thread computes only once torch is
    ready), which does not wait for the warm-up. A torch lab's worker does wait."""
    gate, waited = torch_gate(monkeypatch)
    on_app_thread: list[bool] = []
    app = LabApp(scenario="conv-sobel", device="cpu")
    async with app.run_test(size=(100, 30)) as pilot:
        screen = await wait_ready(pilot, app)
        ensure = screen.session.stepper.try_ensure
        monkeypatch.setattr(screen.session.stepper, "try_ensure", lambda i: on_app_thread.append(i) or ensure(i))
        await pilot.press("right", "right", "right")
        for _ in range(100):
            if screen.session.index == 3:
                break
            await pilot.pause(0.05)
        assert screen.session.index == 3 and caption(screen).startswith("y[0,2]")
        await pilot.press("full_stop")  # stride 1 → 2, while torch still "loads"
        for _ in range(100):
            if "stride 1 → 2" in note(screen):
                break
            await pilot.pause(0.05)
        assert "stride 1 → 2" in note(screen)
        assert not waited and not on_app_thread
        gate.set()


async def test_arch_shows_its_input_and_turns_a_knob_while_torch_loads(monkeypatch):
    """arch's frame 0 is formulas alone (Lab.torch_from = 1): it opens while torch still loads,
    and the status says so; a knob turned at step 0 answers meanwhile. A step to a layer, which
    is checked against its torch module, waits for the warm-up (never on the app's thread), and
    arrives with its check once torch is there; the status note goes."""
    from tui_lab.lab_work import LOADING_TORCH

    gate, waited = torch_gate(monkeypatch)
    app = LabApp(scenario="arch-alexnet", device="cpu")
    async with app.run_test(size=(100, 30)) as pilot:
        screen = await wait_ready(pilot, app)
        await pilot.pause()
        assert not waited and LOADING_TORCH in status(screen) and caption(screen).startswith("Input: 3×227×227")
        await pilot.press("full_stop")  # input height 227 → 228, at step 0
        for _ in range(100):
            if "227 → 228" in note(screen):
                break
            await pilot.pause(0.05)
        assert "input height 227 → 228" in note(screen) and not waited
        assert caption(screen).startswith("Input: 3×228×227")
        await pilot.press("right", "right")
        await pilot.pause(0.3)
        assert screen.session.index == 0 and waited  # the layers wait for torch
        gate.set()
        for _ in range(100):
            if screen.session.index == 2 and LOADING_TORCH not in status(screen):
                break
            await pilot.pause(0.05)
        assert screen.session.index == 2 and LOADING_TORCH not in status(screen)
        drawn = "\n".join(strip.text for strip in screen.query_one("#frame")._strips)
        assert screen.session.frame.values["check"]["ok"] and "check       ✓ matches nn modules" in drawn


async def test_a_knob_key_pressed_while_a_lab_opens_is_kept(monkeypatch):
    """A knob key pressed before the lab is open (a torch lab waits for torch to load) is
    applied once it is: the knob turns, and the note says so."""
    gate, app = opens_when_told(monkeypatch)
    async with app.run_test(size=(100, 30)) as pilot:
        screen = await still_opening(pilot, app)
        await pilot.press("full_stop")
        gate.set()
        for _ in range(100):
            if screen.session is not None and "stride 1 → 2" in note(screen):
                break
            await pilot.pause(0.05)
        assert "stride 1 → 2" in note(screen) and screen.session.scenario.params["stride"] == 2
        await pilot.press("right")  # a step after it, as pressed: the step's frame (no note)
        for _ in range(100):
            if screen.session.index == 1:
                break
            await pilot.pause(0.05)
        assert screen.session.index == 1 and screen.session.scenario.params["stride"] == 2


async def test_a_big_step_past_the_end_of_a_knobs_range_says_so():
    app = LabApp(scenario="conv-sobel", device="cpu")
    async with app.run_test(size=(100, 30)) as pilot:
        screen = await wait_ready(pilot, app)
        knob = next(k for k in screen.session.knobs() if k.key == "padding")
        while screen.session.knobs()[screen.knob_index].key != "padding":
            await pilot.press("right_square_bracket")
        screen.runner.turn("padding", knob.high - 1)
        for _ in range(100):
            if screen.session.scenario.params["padding"] == knob.high - 1:
                break
            await pilot.pause(0.05)
        await pilot.press("greater_than_sign")
        for _ in range(100):
            if screen.session.scenario.params["padding"] == knob.high:
                break
            await pilot.pause(0.05)
        await pilot.pause()
        assert screen.session.scenario.params["padding"] == knob.high
        assert f"(the end of its range, {knob.range_text()})" in note(screen)

async def test_a_step_repaints_the_lines_that_changed_without_a_layout():
    """A step on a frame that fits costs the terminal the frame lines that changed (plus the
    caption and status), with no relayout of the screen: a layout repaints every region. Lines
    are compared as they look (text and style), so an equal line laid out anew is not repainted."""
    from tui_lab.widgets import FrameView

    app = LabApp(scenario="optim-zigzag", device="cpu")
    async with app.run_test(size=(100, 30)) as pilot:
        screen = await wait_ready(pilot, app)
        await pilot.press("right")  # the caption takes its height from the captions shown
        await pilot.pause()
        view = screen.query_one(FrameView)
        layouts, lines, kept = [], [], 0
        refresh_layout, render_line = screen._refresh_layout, view.render_line
        screen._refresh_layout = lambda *a, **k: layouts.append(1) or refresh_layout(*a, **k)
        view.render_line = lambda y: lines.append(y) or render_line(y)
        for step in range(2, 6):
            lines.clear()
            before = [list(strip) for strip in view._strips[:view.size.height]]
            await pilot.press("right")
            await pilot.pause()
            after = [list(strip) for strip in view._strips[:view.size.height]]
            changed = {y for y in range(max(len(before), len(after)))
                       if (before[y] if y < len(before) else None) != (after[y] if y < len(after) else None)}
            assert screen.session.index == step and changed
            assert set(lines) == changed, (step, sorted(set(lines)), sorted(changed))
            kept += len(after) - len(changed)
        assert kept  # some lines were the same from step to step, and were left alone
        assert not layouts


async def test_end_does_not_count_the_step_laid_out_ahead():
    """The next step is computed and laid out while a person reads this one; End still goes
    to the last step reached (as DESIGN.md has it), not to the one prepared ahead."""
    app = LabApp(scenario="arch-lenet", device="cpu")
    async with app.run_test(size=(100, 30)) as pilot:
        screen = await wait_ready(pilot, app)
        await pilot.press("right", "right")
        await pilot.pause(0.2)
        assert screen.session.computed == 3  # step 3 prepared ahead
        await pilot.press("home", "end")
        assert status(screen).startswith("step 2 / 12")
        await pilot.press("right", "home", "end")
        assert status(screen).startswith("step 3 / 12")


async def test_end_pressed_at_the_last_step_reached_goes_to_the_very_end():
    """End is the last computed step (DESIGN.md); pressed again there, it computes the rest,
    so a person who expects End to be the end gets there with a second press."""
    app = LabApp(scenario="conv-sobel", device="cpu")
    async with app.run_test(size=(100, 30)) as pilot:
        screen = await wait_ready(pilot, app)
        await pilot.press("right", "right", "home", "end")
        assert status(screen).startswith("step 2 / 9")
        await pilot.press("end")
        for _ in range(100):
            await pilot.pause(0.05)
            if status(screen).startswith("step 9 / 9"):
                break
        assert status(screen).startswith("step 9 / 9")


async def test_end_at_the_last_step_of_a_live_lab_trains_on_to_its_end():
    """A live lab (training) has computed only what is on show: End there trains on, as `f`."""
    app = LabApp(scenario="pretrain-rbm-bars", device="cpu")
    async with app.run_test(size=(100, 30)) as pilot:
        screen = await wait_ready(pilot, app)
        assert screen.session.lab.live and screen.session.index == 0
        await pilot.press("end")
        for _ in range(600):
            await pilot.pause(0.05)
            if screen.session.stepper.done and screen.session.index == screen.session.last:
                break
        assert screen.session.stepper.done and screen.session.index == screen.session.last > 0


async def test_arrows_pressed_while_torch_loads_add_up_both_ways(monkeypatch):
    """→ → → ← pressed while arch waits for torch ends at step 2, as pressed after it loaded:
    ← counted from step 0 (the cursor) while the older worker for step 3 still answered."""
    gate, _ = torch_gate(monkeypatch)
    app = LabApp(scenario="arch-alexnet", device="cpu")
    async with app.run_test(size=(100, 30)) as pilot:
        screen = await wait_ready(pilot, app)
        await pilot.press("right", "right", "right", "left")
        await pilot.pause(0.2)
        gate.set()
        for _ in range(100):
            await pilot.pause(0.05)
            if screen.runner.target is None and screen.session.index:
                break
        await pilot.pause(0.3)
        assert screen.session.index == 2 and caption(screen).startswith("RELU1")


async def test_two_knobs_turned_while_a_lab_opens_both_stay_turned(monkeypatch):
    """`. . ] . [ ,` pressed while the lab opens (a torch lab waits for torch) turns both knobs,
    as pressed slowly: the kept keys ran at once, and the second knob's turn, started from the
    session before the first had answered, replaced it. The last turn, of the first knob
    again, comes after the second's."""
    gate, app = opens_when_told(monkeypatch)
    async with app.run_test(size=(100, 30)) as pilot:
        screen = await still_opening(pilot, app)
        await pilot.press("full_stop", "full_stop", "right_square_bracket", "full_stop", "left_square_bracket", "comma")
        gate.set()
        for _ in range(100):
            await pilot.pause(0.05)
            if screen.session is not None and not screen.runner.knob_targets:
                break
        await pilot.pause(0.3)
        params, knobs = screen.session.scenario.params, screen.session.knobs()
        assert screen.knob_index == 0
        assert [k.key for k in knobs[:2]] == ["stride", "padding"]
        assert params["stride"] == 2 and params["padding"] == 2, params


async def test_finish_pressed_right_after_a_knob_turn_finishes_the_turned_lab(monkeypatch):
    """`.` then `f` in one burst (here: while the lab opens) ends at the last step of the
    turned lab, as pressed slowly: f's worker computed the session the turn then replaced,
    and its answer, for the old session, was dropped."""
    gate, app = opens_when_told(monkeypatch)
    async with app.run_test(size=(100, 30)) as pilot:
        screen = await still_opening(pilot, app)
        await pilot.press("full_stop", "f")
        gate.set()
        for _ in range(100):
            await pilot.pause(0.05)
            if screen.session is not None and screen.session.at_end and not screen.runner.knob_targets:
                break
        await pilot.pause(0.3)
        assert screen.session.scenario.params["stride"] == 2
        assert screen.session.at_end and screen.session.index == screen.session.last > 0


async def test_a_knob_turned_right_after_finish_turns_the_lab_where_finish_lands():
    """`f` then `.` in one burst: the turn waits for the finish computing and rebuilds the lab at
    the step it reached, as pressed slowly (it had rebuilt the lab at the cursor's step before
    the move, step 0, and the move's answer, for the old session, was dropped)."""
    app = LabApp(scenario="conv-alexnet-conv1", device="cpu")
    async with app.run_test(size=(100, 30)) as pilot:
        screen = await wait_ready(pilot, app)
        from textual import events

        for key, char in (("f", "f"), ("full_stop", ".")):  # one burst: the turn comes while f's worker computes
            app.post_message(events.Key(key, char))
        for _ in range(200):
            await pilot.pause(0.05)
            session = screen.session
            if session.scenario.params["stride"] == 5 and not screen.runner.knob_targets and session.index > 0:
                break
        await pilot.pause(0.2)
        session = screen.session
        assert session.scenario.params["stride"] == 5
        assert session.index > 0 and session.index == session.last  # the turned lab, at the end f reached


async def burst_after_finish(monkeypatch, key: str) -> tuple[int, int | None, str]:
    """`f` then `key` while f's worker computes (made slow here): the step the cursor ends at,
    the last step, and the status line."""
    import time

    from engine.core.lab import Stepper

    run_to_end = Stepper.run_to_end
    monkeypatch.setattr(Stepper, "run_to_end", lambda self, *a: time.sleep(0.5) or run_to_end(self, *a))
    app = LabApp(scenario="lstm-sonnets-checkpoint", device="cpu")
    async with app.run_test(size=(100, 30)) as pilot:
        screen = await wait_ready(pilot, app)
        await pilot.press("f", key)
        assert screen.runner.finishing == (key != "home")  # the key came while f computed
        await wait_for(pilot, lambda: not screen.runner.moving, timeout=10)
        await pilot.pause(0.8)  # past the slowed finish, had it gone on
        return screen.session.index, screen.session.last, status(screen)


async def test_a_step_pressed_while_finish_computes_steps_from_the_end(monkeypatch):
    """`f ←` ends one step before the last, as pressed slowly (← had cancelled the finish and
    stepped back from where the cursor was)."""
    index, last, _ = await burst_after_finish(monkeypatch, "left")
    assert last and index == last - 1


async def test_home_pressed_while_finish_computes_wins(monkeypatch):
    """`f Home` ends at step 0 (the finish landed after Home and moved the cursor to the end),
    and the status no longer says the finish is computing."""
    index, _, line = await burst_after_finish(monkeypatch, "home")
    assert index == 0
    assert "computing" not in line, line


async def test_a_step_after_a_turn_that_waits_for_a_move_comes_after_the_turn(monkeypatch):
    """`→ . →` in the char-RNN lab while the first step computes (made slow here): the lr turn
    waits for that step to land and the second step waits for the turn, so iterations 1-5
    train at the turned rate (the second step had run first: the header said "turned" while
    the frame on screen had trained at the old rate, and the turn applied from iteration 6)."""
    import time

    from engine.core.lab import Stepper

    ensure = Stepper.ensure
    monkeypatch.setattr(Stepper, "ensure", lambda self, i, *a: (time.sleep(0.3) if i > 0 else None) or ensure(self, i, *a))
    app = LabApp(scenario="charrnn-min-char-rnn", device="cpu")
    async with app.run_test(size=(100, 30)) as pilot:
        screen = await wait_ready(pilot, app)
        await pilot.press("right_square_bracket", "right_square_bracket", "right", "full_stop", "right")
        await wait_for(pilot, lambda: screen.session.index == 2 and not screen.runner.moving
                       and not screen.runner.knob_targets, timeout=20)
        await pilot.pause(0.3)
        frame = screen.session.frame
        assert frame.index == 2 and frame.values["iteration"] == 5
        assert frame.values["lr"] == 0.04  # the turned rate (0.02 → 0.04), from iteration 1


async def test_a_turn_between_a_step_and_f_while_torch_loads_is_kept(monkeypatch):
    """`→ . f` in the char-RNN lab while torch loads: the temperature turn waits for the step,
    f waits for the turn, and the run samples at the turned temperature to its end (f had
    started training before the turn, which was then shown in the status but never applied;
    found by the hostile helper)."""
    gate, _ = torch_gate(monkeypatch)
    app = LabApp(scenario="charrnn-min-char-rnn", device="cpu")
    async with app.run_test(size=(100, 30)) as pilot:
        screen = await wait_ready(pilot, app)
        await pilot.press("right", "full_stop", "f")
        await pilot.pause(0.3)
        gate.set()
        await wait_for(pilot, lambda: screen.session.at_end and not screen.runner.knob_targets)
        await pilot.pause(0.5)
        session = screen.session
        assert session.at_end and session.scenario.params["temperature"] == 1.1
        assert session.frame.values["phase"] == "sample" and session.frame.values["temperature"] == 1.1
        assert "temperature = 1.1" in status(screen)


async def test_the_status_says_paused_when_play_stops_at_the_last_step():
    app = LabApp(scenario="conv-sobel", device="cpu")
    async with app.run_test(size=(100, 30)) as pilot:
        screen = await wait_ready(pilot, app)
        screen.runner.speed = 32.0
        await pilot.press("a")
        await wait_for(pilot, lambda: screen.session.at_end and not screen.runner.playing, timeout=20)
        await pilot.pause(0.1)
        assert "‖ paused" in status(screen) and "▶" not in status(screen), status(screen)



async def test_a_key_held_at_the_last_step_or_a_knobs_end_says_so_once():
    """→ at the last step and a knob turned past its end say why nothing happened: one toast
    while it shows, not one per press stacked over the frame."""
    app = LabApp(scenario="conv-1d-stride1", device="cpu")
    async with app.run_test(size=(100, 30)) as pilot:
        screen = await wait_ready(pilot, app)
        await pilot.press("end")
        await wait_for(pilot, lambda: screen.session.at_end)
        await pilot.press(*["right"] * 5)
        await pilot.pause(0.1)
        texts = [str(n.message) for n in app._notifications]
        assert texts.count("That was the last step: ← goes back, home to the start, r resets.") == 1, texts
        knob = screen.session.knobs()[screen.knob_index]
        for _ in range(40):  # turned down to its end, and on
            await pilot.press("comma")
        await pilot.pause(0.1)
        ends = [t for t in (str(n.message) for n in app._notifications) if "is at the end of its range" in t]
        assert len(ends) == 1, (knob.label, ends)


async def test_ctrl_c_says_how_to_quit_in_plain_words():
    """Every notification is literal text; Textual's own answer to ctrl+c was markup, and read
    `Press [b]ctrl+q[/b] to quit the app` on screen."""
    app = LabApp(scenario="conv-sobel", device="cpu")
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause(0.3)
        await pilot.press("ctrl+c")
        await pilot.pause()
        messages = [str(n.message) for n in app._notifications]
        assert "Press ctrl+q to quit the app" in messages and app.is_running
