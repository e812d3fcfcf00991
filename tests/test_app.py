"""The app as a person uses it, driven by the Pilot."""



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
        assert screen.speed == 16.0
        await pilot.press("a")
        await pilot.pause(1.2)
        assert screen.index == 9 and not screen.playing
        await pilot.press("minus")
        assert screen.speed == 8.0


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
    vertical = [[-1, 0, 1], [-2, 0, 2], [-1, 0, 1]]
    app = LabApp(scenario="conv-sobel", device="cpu")
    async with app.run_test(size=(100, 30)) as pilot:
        await wait_ready(pilot, app)
        await pilot.press("e")
        await pilot.pause()
        app.screen.query_one("#param-kernel").value = str(vertical)
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
        for want in ("Next", "Prev", "Play", "Faster", "Slower", "Finish", "Reset", "Edit", "Save", "Record", "Help", "Back"):
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
