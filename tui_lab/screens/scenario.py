"""One scenario: the frame, its caption, the step counter and the keys of DESIGN.md.

Frames are computed in a thread worker (opening a lab loads torch; a live lab trains),
which posts messages; the screen keeps the index and draws `frames[index]`.
Autoplay is a paused interval timer that only advances the index.
"""

from __future__ import annotations

import gc
from typing import Any

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.reactive import reactive
from textual.screen import Screen
from textual.widgets import Footer, Header, LoadingIndicator, Static
from textual.worker import get_current_worker

from engine.session import Session, last_step
from scenarios.scenario import Scenario

from ..messages import FramesReady, LabFailed, SessionReady
from ..widgets import FrameView, StatusBar

SPEED = Binding.Group("Speed", compact=True)
SPEEDS = (0.5, 1.0, 2.0, 4.0, 8.0, 16.0, 32.0)


class ScenarioScreen(Screen):
    """Step through one scenario.

    | Key | Action |
    | :- | :- |
    | → n space | next step |
    | ← p | previous step |
    | home / end | first / last computed step |
    | a enter | play / pause |
    | + − | speed |
    | f | finish: compute every remaining step |
    | r | reset |
    | e | edit the parameters |
    | s | save as a scenario file |
    | ctrl+r | start / stop recording a walk-through |
    | ? | help for this lab |
    | q escape | back |
    """

    BINDINGS = [
        # Priority: the frame view scrolls with the same keys when it is taller than the
        # window; stepping must win, and the view still scrolls with ↑ ↓ pgup pgdn.
        Binding("right,n,space", "next", "Next", id="next", priority=True),
        Binding("left,p", "prev", "Prev", id="prev", priority=True),
        Binding("home", "first", "First", show=False, id="first", priority=True),
        Binding("end", "last", "Last", show=False, id="last", priority=True),
        Binding("a,enter", "play", "Play", id="play"),
        Binding("plus,equals_sign", "faster", "Faster", id="faster", key_display="+", group=SPEED),
        Binding("minus", "slower", "Slower", id="slower", key_display="−", group=SPEED),
        Binding("f", "finish", "Finish", id="finish"),
        Binding("r", "reset", "Reset", id="reset"),
        Binding("e", "edit", "Edit", id="edit"),
        Binding("s", "save", "Save", id="save"),
        Binding("ctrl+r", "record", "Record", show=False, id="record"),
        Binding("question_mark", "help", "Help", id="help"),
        Binding("q,escape", "back", "Back", id="back"),
    ]

    index: reactive[int] = reactive(0)
    """Which frame is on show."""
    playing: reactive[bool] = reactive(False)
    speed: reactive[float] = reactive(2.0)

    def __init__(self, scenario: Scenario, device: str = "auto", seed: int | None = None,
                 session: Session | None = None) -> None:
        super().__init__()
        self.scenario = scenario
        self.device_name = device
        self.seed = seed
        # Headless export hands in a session it drives itself; the app opens its own.
        self.given_session = session
        self.session: Session | None = None
        # While recording: the scenario and position at the start, and the actions since.
        self.recording: list[dict[str, Any]] | None = None
        self.record_start: tuple[Scenario, int] | None = None
        # Bumped whenever the session is rebuilt, so messages from an old one are dropped.
        self.generation = 0
        self._timer = None
        # A live lab pauses here without cancelling its worker.
        self.producing = False

    # --- layout ---------------------------------------------------------------
    def compose(self) -> ComposeResult:
        yield Header(icon="≡")
        yield LoadingIndicator(id="loading")
        yield Static("", id="caption")
        yield FrameView(self.scenario.lab, id="frame")
        yield Static("", id="note")
        yield StatusBar(id="status")
        # The palette key is in the help; at 80 columns its place is better spent on q Back.
        yield Footer(compact=True, show_command_palette=False)

    def on_mount(self) -> None:
        self.title = self.scenario.title
        self.sub_title = f"{self.scenario.lab} lab"
        self.query_one("#frame").display = False
        self.query_one("#caption").display = False
        self.query_one("#note").display = False
        self._timer = self.set_interval(1 / self.speed, self._tick, pause=True)
        if self.given_session is not None:
            self.session = self.given_session
            self.post_message(SessionReady(self.generation))
        else:
            self.open_session(self.scenario)

    # --- workers --------------------------------------------------------------
    @work(thread=True, exclusive=True, group="lab", exit_on_error=False)
    def open_session(self, scenario: Scenario) -> None:
        generation = self.generation
        # No half-closed session is left in reach of the keys while the new one opens.
        old, self.session = self.session, None
        if old is not None:
            old.close()
        try:
            self.session = Session(scenario, device=self.device_name, seed=self.seed)
        except Exception as exc:  # a message for the person, never a traceback
            self.post_message(LabFailed(generation, _describe(exc)))
            return
        self.post_message(SessionReady(generation))

    @work(thread=True, exclusive=True, group="lab", exit_on_error=False)
    def compute(self, target: int, finish: bool = False) -> None:
        """Compute frames up to `target` (or all of them) off the UI thread."""
        worker = get_current_worker()
        generation, session = self.generation, self.session
        if session is None:
            return
        try:
            if finish:
                session.stepper.run_to_end(lambda: worker.is_cancelled)
            else:
                session.stepper.ensure(target, lambda: worker.is_cancelled)
        except Exception as exc:
            self.post_message(LabFailed(generation, _describe(exc)))
            return
        available = len(session.stepper.frames) - 1
        self.post_message(FramesReady(generation, available, min(target, available)))

    @work(thread=True, exclusive=True, group="lab", exit_on_error=False)
    def produce(self) -> None:
        """A live lab: keep computing frames while `producing`, posting progress."""
        import time

        worker = get_current_worker()
        generation, session = self.generation, self.session
        if session is None:
            return
        stepper = session.stepper
        last_post = 0.0
        try:
            while not worker.is_cancelled and self.producing and not stepper.done:
                stepper.ensure(len(stepper.frames), lambda: worker.is_cancelled)
                now = time.monotonic()
                if now - last_post > 0.1 or stepper.done:
                    last_post = now
                    self.post_message(FramesReady(generation, len(stepper.frames) - 1))
        except Exception as exc:
            self.post_message(LabFailed(generation, _describe(exc)))
            return
        self.post_message(FramesReady(generation, len(stepper.frames) - 1))

    # --- messages from workers ------------------------------------------------
    @on(SessionReady)
    def _ready(self, msg: SessionReady) -> None:
        if msg.generation != self.generation or self.session is None:
            return
        self.query_one("#loading").display = False
        self.query_one("#frame").display = True
        self.query_one("#caption").display = True
        # torch brings ~1e6 long-lived objects; leaving them to the cyclic collector makes
        # every full collection a ~100 ms pause in the middle of a step. Freeze them.
        gc.freeze()
        status = self.query_one(StatusBar)
        status.device = self.session.device
        status.busy = ""
        self.index = 0
        self.mutate_reactive(ScenarioScreen.index)
        self._sync_status()
        self.query_one(FrameView).focus()

    @on(FramesReady)
    def _frames(self, msg: FramesReady) -> None:
        if msg.generation != self.generation:
            return
        self.query_one(StatusBar).busy = ""
        before = self.index
        if msg.target is not None:
            self.index = msg.target
        elif self.session is not None and self.session.lab.live and self.playing:
            self.index = msg.available  # follow the training as it runs
        if self.index > before:
            self._record({"do": "step", "times": self.index - before})
        self._sync_status()
        if self.session is not None and self.session.stepper.done and self.session.lab.live:
            self.playing = False

    @on(LabFailed)
    def _failed(self, msg: LabFailed) -> None:
        if msg.generation != self.generation:
            return
        self.playing = False
        self.query_one("#loading").display = False
        self.query_one(StatusBar).busy = ""
        self.notify(msg.text, title="Cannot continue", severity="error", timeout=8)
        if self.session is None:
            self.app.pop_screen()

    # --- drawing ----------------------------------------------------------------
    def watch_index(self, index: int) -> None:
        if self.session is None or not self.session.stepper.frames:
            return
        index = min(index, len(self.session.stepper.frames) - 1)
        self.session.index = index
        self._put(self.session.stepper.frames[index])
        self._sync_status()

    def watch_playing(self, playing: bool) -> None:
        self.query_one(StatusBar).playing = playing
        if self.session is not None and self.session.lab.live:
            self.producing = playing
            if playing:
                self.produce()
            return
        if self._timer is not None:
            self._timer.resume() if playing else self._timer.pause()

    def watch_speed(self, speed: float) -> None:
        self.query_one(StatusBar).speed = speed
        if self._timer is not None:
            self._timer.stop()
            self._timer = self.set_interval(1 / speed, self._tick, pause=not self.playing)

    def _put(self, frame) -> None:
        """The caption stays above the frame, so scrolling a tall frame never hides it."""
        self.query_one("#caption", Static).update(Text(frame.caption))
        self.query_one(FrameView).frame = frame

    def show(self, frame, total: int | None, note: str = "") -> None:
        """Put a frame produced elsewhere on screen, with a teacher's note (headless export)."""
        self._put(frame)
        status = self.query_one(StatusBar)
        status.step = frame.index
        status.total = last_step(total)
        status.computed = frame.index
        box = self.query_one("#note", Static)
        box.update(f"✎ {note}" if note else "")
        box.display = bool(note)

    def _sync_status(self) -> None:
        status = self.query_one(StatusBar)
        if self.session is None:
            return
        status.live = self.session.lab.live
        status.step = self.index
        status.total = self.session.last
        status.computed = len(self.session.stepper.frames) - 1

    def _tick(self) -> None:
        if self.session is None:
            return
        if self.session.at_end:
            self.playing = False
        else:
            self.action_next()

    # --- actions ----------------------------------------------------------------
    def _record(self, action: dict[str, Any]) -> None:
        """Append to the walk-through, merging runs of steps as a person would write them."""
        if self.recording is None:
            return
        last = self.recording[-1] if self.recording else None
        if last and last["do"] == action["do"] and action["do"] in ("step", "back"):
            last["times"] += action["times"]
        else:
            self.recording.append(action)

    def _go(self, target: int) -> None:
        if self.session is None:
            return
        target = max(0, target)
        before = self.index
        self._move(target)
        moved = self.index - before
        if moved > 0:
            self._record({"do": "step", "times": moved})
        elif moved < 0:
            self._record({"do": "back", "times": -moved})

    def _move(self, target: int) -> None:
        frames = self.session.stepper.frames
        if target < len(frames):
            self.index = target
        elif not self.session.stepper.done:
            if self.session.lab.live:
                # Live labs compute in a worker (a training iteration can take a while);
                # while playing, the producer owns the generator.
                if not self.playing:
                    self.query_one(StatusBar).busy = "computing…"
                    self.compute(target)
                return
            # Small labs compute a frame in microseconds: do it here, keep latency low.
            try:
                self.session.stepper.ensure(target)
            except Exception as exc:
                self.post_message(LabFailed(self.generation, _describe(exc)))
                return
            self.index = min(target, len(frames) - 1)
        elif self.playing:
            self.playing = False

    def action_next(self) -> None:
        if self.session is not None and self.session.at_end and not self.playing:
            self.notify("That was the last step: ← goes back, home to the start, r resets.", timeout=3)
            return
        self._go(self.index + 1)

    def action_prev(self) -> None:
        self._go(self.index - 1)

    def action_first(self) -> None:
        self._go(0)

    def action_last(self) -> None:
        if self.session is not None:
            self._go(len(self.session.stepper.frames) - 1)

    def action_finish(self) -> None:
        if self.session is None or self.session.stepper.done:
            self.action_last()
            return
        if self.session.lab.live:
            self.playing = True
            return
        self.query_one(StatusBar).busy = "computing…"
        self.compute(1 << 62, finish=True)

    def action_play(self) -> None:
        if self.session is None:
            return
        if not self.playing and self.session.at_end:
            if self.session.lab.live:
                self.notify("This run is finished: r starts it again, ← steps back through it.", timeout=4)
                return
            self._record({"do": "first"})
            self.index = 0  # play again from the start
        self.playing = not self.playing

    def _set_speed(self, step: int) -> None:
        if self.session is not None and self.session.lab.live:
            self.notify("A live lab runs as fast as it can while playing; n steps one frame at a time.", timeout=4)
            return
        i = SPEEDS.index(self.speed) if self.speed in SPEEDS else 2
        self.speed = SPEEDS[max(0, min(i + step, len(SPEEDS) - 1))]

    def action_faster(self) -> None:
        self._set_speed(+1)

    def action_slower(self) -> None:
        self._set_speed(-1)

    def _rebuild(self, scenario: Scenario) -> None:
        self.playing = False
        self.producing = False
        self.generation += 1
        self.scenario = scenario
        self.query_one(StatusBar).busy = "opening…"
        self.open_session(scenario)

    def action_reset(self) -> None:
        self._record({"do": "first"})
        self._rebuild(self.scenario)

    def action_edit(self) -> None:
        from .edit import EditScreen

        def done(params: dict[str, Any] | None) -> None:
            if params is not None:
                from dataclasses import replace

                for key, value in params.items():
                    if value != self.scenario.params.get(key):
                        self._record({"do": "set", "key": key, "value": value})
                self._rebuild(replace(self.scenario, params=params))
                self.notify("Parameters applied; the lab starts again.")

        self.playing = False
        self.app.push_screen(EditScreen(self.scenario), done)

    def action_record(self) -> None:
        """Start recording, or stop and save the walk-through as a scenario file."""
        status = self.query_one(StatusBar)
        if self.recording is None:
            self.recording = []
            self.record_start = (self.scenario, self.index)
            status.recording = True
            self.notify("Recording: steps, back-steps and edits are kept. ctrl+r again to stop and save.")
            return
        from .save import SaveScreen

        start, index = self.record_start or (self.scenario, 0)
        script = ([{"do": "step", "times": index}] if index else []) + self.recording
        self.recording, self.record_start = None, None
        status.recording = False
        if not script:
            self.notify("Nothing was recorded.")
            return
        self.app.push_screen(SaveScreen(self._with_seed(start), script, heading=f"Save the walk-through ({len(script)} actions)"))

    def _with_seed(self, scenario: Scenario) -> Scenario:
        """The scenario as run: with the seed actually used (--seed may override the file's)."""
        from dataclasses import replace

        return replace(scenario, seed=self.session.seed) if self.session is not None else scenario

    def action_save(self) -> None:
        from .save import SaveScreen

        self.app.push_screen(SaveScreen(self._with_seed(self.scenario)))

    def action_help(self) -> None:
        from .help import HelpScreen

        self.app.push_screen(HelpScreen(self.scenario.lab))

    def action_back(self) -> None:
        self.playing = False
        self.producing = False
        self.workers.cancel_group(self, "lab")
        if len(self.app.screen_stack) > 2:
            self.app.pop_screen()
        else:
            self.app.exit()

    # --- lab-specific keys ----------------------------------------------------------
    def on_key(self, event) -> None:
        """Keys a lab adds: view keys redraw the frame; engine keys adjust what comes next."""
        from ..render import view_keys

        for key, _desc, fn in view_keys(self.scenario.lab):
            if event.key == key:
                view = self.query_one(FrameView)
                fn(view.view)
                view.redraw()
                event.stop()
                return
        if self.session is not None:
            for key, name, _desc in self.session.lab.KEYS:
                if event.key == key:
                    event.stop()
                    self.adjust(name)
                    return

    @work(thread=True, group="adjust", exit_on_error=False)
    def adjust(self, name: str) -> None:
        """A lab key: may be slow (a real forward pass on the GPU), so off the UI thread."""
        session = self.session
        if session is None:
            return
        try:
            note = session.lab.adjust(name)
        except Exception as exc:
            note = _describe(exc)
        if note:
            self.app.call_from_thread(self.notify, note, timeout=4)

    def on_unmount(self) -> None:
        self.producing = False
        if self.session is not None:
            self.session.close()


def _describe(exc: Exception) -> str:
    from engine.core.device import DeviceError
    from engine.core.params import ParamError

    if isinstance(exc, (ParamError, DeviceError)):
        return str(exc)
    return f"{type(exc).__name__}: {exc}"
