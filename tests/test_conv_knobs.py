"""The conv lab's knobs in the app: `.` turns the chosen knob, the scenario is recomputed at
the same step (or the nearest that exists), the note says what the turn did to the output,
and the frame is the one a fresh replay with that parameter shows."""

from test_app import status, wait_ready

from engine.session import Session
from scenarios import load
from tui_lab.app import LabApp
from test_lstm_knobs import as_json


def note(screen) -> str:
    return str(screen.query_one("#note").render())


async def test_stride_knob_recomputes_at_the_nearest_step():
    app = LabApp(scenario="conv-sobel", device="cpu")
    async with app.run_test(size=(100, 30)) as pilot:
        screen = await wait_ready(pilot, app)
        assert "stride = 1 " in status(screen)  # the first knob, shown with its range
        assert (screen.title, screen.sub_title) == ("Sobel kernel, true convolution (lecture example)", "conv lab")
        await pilot.press(*["n"] * 6)  # step 6 of 9 on the 3×3 output
        await pilot.press("full_stop")
        for _ in range(200):
            await pilot.pause(0.05)
            if screen.session.scenario.params.get("stride") == 2 and "output" in note(screen):
                break
        assert "stride = 2 " in status(screen)
        assert "stride 1 → 2" in note(screen) and "output 3×3 → 2×2" in note(screen), note(screen)
        # The title names the scenario's own values: the header now leads with the turned ones.
        assert (screen.title, screen.sub_title) == ("turned: stride 2", "conv-sobel · conv lab")
        await pilot.pause()
        assert str(screen.query_one("HeaderTitle").render()).startswith("turned: stride 2")
        fresh = Session(load("conv-sobel").with_params(stride=2), device="cpu")
        fresh.goto(6)  # a 2×2 output has 4 windows: the last step there
        assert screen.session.index == fresh.index < 6
        assert as_json(screen.session.frame) == as_json(fresh.frame)
        await pilot.press("comma")  # and back: the lecture's own example again
        for _ in range(200):
            await pilot.pause(0.05)
            if screen.session.scenario.params.get("stride") == 1:
                break
        original = Session(load("conv-sobel"), device="cpu")
        original.goto(screen.session.index)
        assert as_json(screen.session.frame) == as_json(original.frame)
        assert "output 2×2 → 3×3" in note(screen)
        assert screen.sub_title == "conv lab" and "stride" not in screen.title  # back to the scenario's own values


async def test_starting_again_drops_the_ghost_of_the_last_turn():
    """The ghost ("output was 3×3") belongs to a knob turn; once the lab starts again (an
    edit applied, a reset), it would describe a result that is no longer on screen."""
    app = LabApp(scenario="conv-sobel", device="cpu")
    async with app.run_test(size=(100, 30)) as pilot:
        screen = await wait_ready(pilot, app)
        await pilot.press("n", "full_stop")
        for _ in range(200):
            await pilot.pause(0.05)
            if screen.query_one("#frame").ghost is not None:
                break
        assert screen.query_one("#frame").ghost is not None
        screen.action_reset()
        for _ in range(200):
            await pilot.pause(0.05)
            if screen.query_one("#frame").ghost is None:
                break
        assert screen.query_one("#frame").ghost is None and not screen.query_one("#note").display
