"""The char-RNN lab in the app: training plays in the background, pauses, and the keys reach the engine."""

from test_app import caption, shown, wait_for, wait_ready

from tui_lab.app import LabApp
from tui_lab.screens.scenario import ScenarioScreen


async def test_train_pause_keys_and_leave():
    app = LabApp(scenario="charrnn-sampling", device="cpu")
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await wait_ready(pilot, app)
        assert "before training" in caption(screen)  # frame 0: the text and the model's shapes
        lab = screen.session.lab
        # Temperature and top-k are knobs: [ ] choose one, , . turn it (applied to what comes next).
        await pilot.press("comma", "right_square_bracket", "full_stop", "g")
        await wait_for(pilot, lambda: lab.sampler.temperature == 0.7 and lab.sampler.top_k == 10 and lab.sampler.greedy)
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
        at = screen.session.index
        await pilot.press("p")
        assert screen.session.index == at - 1
        await pilot.press("a")
        await pilot.pause(0.2)
        await pilot.press("q")  # leaving while it trains stops it cleanly
        await wait_for(pilot, lambda: not isinstance(app.screen, ScenarioScreen))
        assert not screen.runner.playing and app.is_running


async def test_validation_plot_bits_threads_and_the_best_checkpoint(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # `w` writes charrnn.pt (and charrnn.pt.best) here
    app = LabApp(scenario="charrnn-sonnets", device="cpu")
    async with app.run_test(size=(100, 30)) as pilot:
        screen = await wait_ready(pilot, app)
        await pilot.press("f")  # finish: train to the end of the run and draw every character
        await wait_for(pilot, lambda: screen.session.frame.values["phase"] == "sample", timeout=240)
        await pilot.press("home")
        await pilot.press(*["n"] * 61)  # the last training frame: the held-out loss has risen
        await wait_for(pilot, lambda: screen.session.index == 61)
        v = screen.session.frame.values
        assert v["overfitting"] and "overfitting" in caption(screen)
        text = shown(screen)
        # The legend marks differ: a solid line for training, • for validation, ─ for ln V.
        assert "⢕⢕ training" in text and "•• validation" in text and "── ln 42" in text and "nats/char" in text
        await pilot.press("b")
        await pilot.pause(0.3)
        text = shown(screen)
        assert "bits/char" in text and "log₂ 42" in text and "nats/char" not in text.split("\n")[0]
        await pilot.press("t")
        await pilot.pause(0.3)
        import os

        import torch

        # The app leaves a core for the interface on machines of 4 cores or fewer; headless uses them all.
        default = torch.get_num_threads()
        threads = screen.session.lab.live_facts()["threads"]
        assert threads == (max(1, default - 1) if os.cpu_count() <= 4 else default)
        assert f"{threads} CPU thread" in shown(screen)
        await pilot.press("w")
        await wait_for(pilot, lambda: (tmp_path / "charrnn.pt.best").exists())
        from engine.charrnn import checkpoint

        best = checkpoint.read_header(tmp_path / "charrnn.pt.best")["settings"]
        assert (best["iteration"], best["valid_loss"]) == (v["best_valid"]["iteration"], v["best_valid"]["valid_loss"])


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


async def test_frame_0_shows_while_torch_loads_and_the_keys_pressed_meanwhile_are_kept(monkeypatch):
    """Frame 0 (the text and the model's shapes) is arithmetic (torch_from = 1): the lab opens while
    torch still loads, and the status says so; → → pressed then wait for the warm-up (the untrained
    loss is a forward pass in torch), are kept, and land on frame 2 once torch is there."""
    from test_app import status, torch_gate

    from tui_lab.lab_work import LOADING_TORCH

    gate, waited = torch_gate(monkeypatch)
    app = LabApp(scenario="charrnn-min-char-rnn", device="cpu")
    async with app.run_test(size=(100, 30)) as pilot:
        screen = await wait_ready(pilot, app)
        await pilot.pause()
        assert not waited and LOADING_TORCH in status(screen) and "before training" in caption(screen)
        assert "one-hot x_t" in shown(screen) and "18,642" in shown(screen)
        await pilot.press("right", "right")
        await pilot.pause(0.3)
        assert screen.session.index == 0 and waited  # the untrained loss waits for torch
        gate.set()
        await wait_for(pilot, lambda: caption(screen).startswith("iterations 1–5") and LOADING_TORCH not in status(screen))
        assert screen.session.index == 2 and screen.session.frame.values["iteration"] == 5
