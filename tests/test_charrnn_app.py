"""The char-RNN lab in the app: training plays in the background, pauses, and the keys reach the engine."""

from test_app import caption, wait_ready

from tui_lab.app import LabApp


async def wait_for(pilot, condition, timeout=60.0):
    for _ in range(int(timeout / 0.1)):
        await pilot.pause(0.1)
        if condition():
            return
    raise AssertionError("timed out")


async def test_train_pause_keys_and_leave():
    app = LabApp(scenario="charrnn-sampling", device="cpu")
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await wait_ready(pilot, app)
        assert "untrained" in caption(screen)
        lab = screen.session.lab
        # Temperature and top-k are knobs: [ ] choose one, , . turn it (applied to what comes next).
        await pilot.press("comma", "right_square_bracket", "full_stop", "g")
        await wait_for(pilot, lambda: lab.temperature == 0.7 and lab.top_k == 10 and lab.greedy)
        await pilot.press("a")
        await wait_for(pilot, lambda: len(screen.session.stepper.frames) > 6)
        await pilot.press("a")
        await pilot.pause(0.5)
        assert not screen.runner.playing
        made = len(screen.session.stepper.frames)
        await pilot.pause(0.5)
        assert len(screen.session.stepper.frames) == made  # paused: the worker stopped
        frame = screen.session.stepper.frames[-1]
        assert frame.values["phase"] == "sample" and frame.values["greedy"] and frame.values["temperature"] == 0.7
        await pilot.press("t")  # the live speed, view only
        assert screen.query_one("#frame").view["rate"]
        await pilot.press("p")
        assert screen.session.index == made - 2
        await pilot.press("a")
        await pilot.pause(0.2)
        await pilot.press("q")  # leaving while it trains stops it cleanly
        await pilot.pause(0.3)
        assert type(app.screen).__name__ == "HomeScreen" and not screen.playing
    assert app._exception is None and app.return_code in (None, 0)


async def test_leaving_while_it_trains_stops_the_training():
    # 2,000 iterations, 5 a frame: still training when left, on any machine.
    app = LabApp(scenario="charrnn-learn-to-write", device="cpu")
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await wait_ready(pilot, app)
        await pilot.press("a")
        await wait_for(pilot, lambda: len(screen.session.stepper.frames) > 3)
        stepper = screen.session.stepper
        await pilot.press("q")
        await pilot.pause(1.0)  # a frame being computed when q came may still finish
        assert type(app.screen).__name__ == "HomeScreen" and not stepper.done
        left = len(stepper.frames)
        await pilot.pause(1.0)
        assert len(stepper.frames) == left  # no worker goes on training for a screen that is gone
    assert app._exception is None and app.return_code in (None, 0)
