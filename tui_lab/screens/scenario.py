"""One scenario: the caption, the frame, the knob and step status, and the keys of DESIGN.md.

The screen asks its LabRunner to move (the runner owns the session and the workers) and
draws what the runner's messages carry. Its keys are `tui_lab.keys.COMMON` plus the lab's
own, declared once (`keys.scenario_screen` makes the per-lab subclass).
"""

from __future__ import annotations

import gc
from typing import Any

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.screen import Screen
from textual.widgets import Footer, LoadingIndicator, Static

from engine.core.fmt import visible
from engine.session import Session
from scenarios.scenario import Scenario

from ..keys import COMMON, bindings_of
from ..runner import LabRunner, with_seed
from ..widgets import FrameView, StatusBar
from .header import LabHeader


# The caption's height at most; a longer one is cut (the frame is what the screen is for).
CAPTION_LINES = 5
# Seconds after a frame is drawn to lay out the next: past the paint, which comes within one
# screen update (1/60 s). After a knob turn, later: a person turning a knob turns it again
# more often than they step, and the next turn would wait for that layout (~30 ms).
AHEAD_AFTER = 0.025
AHEAD_AFTER_TURN = 0.6


class ScenarioScreen(Screen):
    """Step through one scenario. Keys: `tui_lab.keys.COMMON` and the lab's own."""

    BINDINGS = COMMON

    def __init__(self, scenario: Scenario, device: str = "auto", seed: int | None = None,
                 session: Session | None = None) -> None:
        super().__init__()
        self._scenario = scenario
        self.runner = LabRunner(scenario, device, seed, session)
        self.knob_index = 0
        self._caption_lines = 0  # the caption box's height (see _caption)
        self._note_lines = 0  # the note's height when last drawn (see _draw)
        self._ahead_timer = None

    def compose(self) -> ComposeResult:
        yield LabHeader(icon="≡")
        yield LoadingIndicator(id="loading")
        yield Static("", id="caption")
        yield FrameView(self.scenario.lab, id="frame")
        yield Static("", id="note")
        yield StatusBar(id="status")
        # The palette key is in the help; at 80 columns its place is better spent on q Back.
        yield Footer(compact=True, show_command_palette=False)
        yield self.runner

    def on_mount(self) -> None:
        self.title = visible(self.scenario.title)
        self.sub_title = f"{self.scenario.lab} lab"
        for name in ("#frame", "#caption", "#note"):
            self.query_one(name).display = False
        self.query_one(StatusBar).busy = "opening…"

    @property
    def session(self) -> Session | None:
        return self.runner.session

    @property
    def scenario(self) -> Scenario:
        """The scenario as it now stands (knobs and edits change its params)."""
        return self.session.scenario if self.session is not None else self._scenario

    # --- what the runner reports -------------------------------------------------
    @on(LabRunner.Opened)
    def _opened(self, msg: LabRunner.Opened) -> None:
        self.query_one("#loading").display = False
        for name in ("#frame", "#caption"):
            self.query_one(name).display = True
        # torch brings ~1e6 long-lived objects; leaving them to the cyclic collector makes
        # every full collection a ~100 ms pause in the middle of a step. Freeze them.
        gc.freeze()
        status = self.query_one(StatusBar)
        from engine.core.device import describe

        status.device, status.busy = describe(msg.controller.session.device), ""
        self._draw(msg.controller.session.frame)
        self.query_one(FrameView).focus()

    @on(LabRunner.Moved)
    def _moved(self, msg: LabRunner.Moved) -> None:
        self._draw(msg.frame, msg.note, msg.ghost, msg.fresh)

    @on(LabRunner.Busy)
    def _busy(self, msg: LabRunner.Busy) -> None:
        self.query_one(StatusBar).busy = msg.text

    @on(LabRunner.Failed)
    def _failed(self, msg: LabRunner.Failed) -> None:
        self.runner.playing = False
        self.query_one("#loading").display = False
        self.query_one(StatusBar).busy = ""
        self._status()  # a refused knob shows the value in use again
        # One message at a time: a key held down on a refused knob would pile them up.
        self.app.clear_notifications()
        self.notify(Text(msg.text), title="Cannot continue", severity="error", timeout=8)
        if msg.fatal:  # nothing to show: back to the list (once this screen is on top again)
            self.app.call_after_refresh(self._leave_if_on_top)

    def _leave_if_on_top(self) -> None:
        if self.app.screen is self:
            self.app.pop_screen()
        elif self.is_attached:
            self.set_timer(0.3, self._leave_if_on_top)

    def _draw(self, frame, note: str = "", ghost=None, fresh: bool = False) -> None:
        """The caption stays above the frame, so scrolling a tall frame never hides it."""
        self._caption(Text(visible(frame.caption)))
        view = self.query_one(FrameView)
        if ghost is not None or note or fresh:
            view.ghost = ghost
        if self.session is not None:
            view.live = self.session.lab.live_facts()
        view.frame = frame
        box = self.query_one("#note", Static)
        if note or box.display:
            text = Text(f"✎ {visible(note)}" if note else "")
            # A note as tall as the last one (knob turn after knob turn) is a repaint, not a
            # relayout of the screen (~13 ms).
            lines = len(text.wrap(self.app.console, max(1, box.content_region.width))) if note else 0
            box.update(text, layout=not (box.display and note and lines == self._note_lines))
            self._note_lines = lines
            box.display = bool(note)
        self._status()
        # Not call_after_refresh: that may run before the widgets' repaint requests reach the
        # screen, and so before the paint this layout would then delay.
        if self._ahead_timer is not None:
            self._ahead_timer.stop()
        self._ahead_timer = self.set_timer(AHEAD_AFTER_TURN if note else AHEAD_AFTER, self._ahead)

    def _ahead(self) -> None:
        """Once the frame is painted, lay out the next one while the person reads this one,
        so → shows it at once."""
        self._ahead_timer = None
        if self.app.screen is self and (frame := self.runner.next_frame()) is not None:
            self.query_one(FrameView).prerender(frame)

    def _caption(self, text: Text) -> None:
        """The caption box grows with its caption (to CAPTION_LINES) but shrinks only by two
        lines or more: stepping through captions of one and two lines does not move the frame
        up and down, and a new caption is then a repaint of its own lines, not a relayout of
        the screen (which repaints every region; a step should cost the terminal a few lines).
        A long first caption still gives its room back once the steps have short ones."""
        box = self.query_one("#caption", Static)
        width = max(1, box.content_region.width or self.app.size.width - 2)
        lines = min(CAPTION_LINES, len(text.wrap(self.app.console, width)))
        if lines > self._caption_lines or lines < self._caption_lines - 1:
            self._caption_lines = lines
            box.styles.height = lines
        box.update(text, layout=False)

    def on_resize(self) -> None:
        """Captions wrap anew at another width: the height starts again from this one."""
        self._caption_lines = 0
        if self.session is not None:
            self._caption(Text(visible(self.session.frame.caption)))

    def _status(self) -> None:
        status, session = self.query_one(StatusBar), self.session
        if session is None:
            return
        status.live, status.step, status.last, status.computed = (
            session.lab.live, session.index, session.last, session.computed)
        status.playing, status.speed = self.runner.playing, self.runner.speed
        knobs = session.knobs()
        if knobs:
            knob = knobs[self.knob_index % len(knobs)]
            value = self.runner.knob_value(knob)
            status.knob = (knob.label, value, knob.range_text())
        else:
            status.knob = None

    def show(self, frame, count: int | None, note: str = "") -> None:
        """Put a frame produced elsewhere on screen, with a teacher's note (headless export)."""
        from engine.session import last_step

        self._draw(frame, note)
        status = self.query_one(StatusBar)
        status.step, status.last, status.computed = frame.index, last_step(count), frame.index

    # --- stepping ------------------------------------------------------------------
    def action_next(self) -> None:
        if self.session is not None and self.session.at_end and not self.runner.playing:
            self.notify("That was the last step: ← goes back, home to the start, r resets.", timeout=3)
            return
        self.runner.step(1)

    def action_prev(self) -> None:
        self.runner.step(-1)

    def action_first(self) -> None:
        self.runner.first()

    def action_last(self) -> None:
        self.runner.last()

    def action_goto(self, index: int) -> None:
        self.runner.go(index)

    def ask_step(self) -> None:
        from .goto import GotoScreen

        last = self.session.last if self.session is not None else None
        self.app.push_screen(GotoScreen(last), lambda step: step is not None and self.runner.go(step))

    def action_finish(self) -> None:
        self.runner.finish()

    def action_play(self) -> None:
        if not self.runner.toggle_play():
            self.notify("This run is finished: r starts it again, ← steps back through it.", timeout=4)
        self._status()

    def action_speed(self, clicks: int) -> None:
        if self.session is not None and self.session.lab.live:
            self.notify("A live lab runs as fast as it can while playing; n steps one frame at a time.", timeout=4)
            return
        self.runner.faster(clicks)
        self._status()

    def action_reset(self) -> None:
        self.runner.restart()

    # --- knobs ---------------------------------------------------------------------
    def action_knob(self, clicks: int) -> None:
        if self.session is None or not self.session.knobs():
            self.notify("This scenario has no knobs; e edits every parameter.", timeout=3)
            return
        self.knob_index = (self.knob_index + clicks) % len(self.session.knobs())
        self._status()

    def action_turn(self, clicks: int, big: bool = False) -> None:
        knobs = self.session.knobs() if self.session is not None else []
        if not knobs:
            self.action_knob(0)
            return
        knob = knobs[self.knob_index % len(knobs)]
        value = self.runner.knob_value(knob)
        new = knob.turned(value, clicks, big)
        if new == value:
            self.notify(f"{knob.label} is at the end of its range ({knob.range_text()}).", timeout=3)
            return
        self.runner.turn(knob.key, new)
        self._status()

    # --- views and the lab's own keys -----------------------------------------------
    def action_view(self, name: str) -> None:
        from ..render import view_key

        view = self.query_one(FrameView)
        view_key(self.scenario.lab, name).fn(view.view)
        view.redraw()

    LEFT_OUT: frozenset[str] = frozenset()  # common bindings this lab has no use for (keys.left_out)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """A plot key in a lab whose plots do not honour it does nothing, and is not offered."""
        if action == "plot":
            from ..keys import PLOT_KEYS

            return not any(PLOT_KEYS[i] == parameters[0] for i in self.LEFT_OUT)
        return True

    def action_plot(self, name: str) -> None:
        view = self.query_one(FrameView)
        view.view[name] = not view.view.get(name, False)
        view.redraw()

    def action_lab(self, name: str) -> None:
        self.runner.lab_key(name)

    # --- forms -----------------------------------------------------------------------
    def action_edit(self) -> None:
        from .edit import EditScreen

        def done(params: dict[str, Any] | None) -> None:
            if params is None:
                return
            from dataclasses import replace

            changed = [{"do": "set", "key": k, "value": v} for k, v in params.items() if v != self.scenario.params.get(k)]
            self.runner.restart(replace(self.scenario, params=params), changed)
            self.notify("Parameters applied; the lab starts again.")

        self.runner.playing = False
        self.app.push_screen(EditScreen(self.scenario), done)

    def action_record(self) -> None:
        """Start recording, or stop and save the walk-through as a scenario file."""
        controller = self.runner.controller
        if controller is None:
            return
        status = self.query_one(StatusBar)
        if controller.recording is None:
            controller.start_recording()
            status.recording = True
            self.notify("Recording: steps, knobs and edits are kept. ctrl+r again to stop and save.")
            return
        status.recording = False
        start, script = controller.stop_recording()
        if not script:
            self.notify("Nothing was recorded.")
            return
        from .save import SaveScreen

        self.app.push_screen(SaveScreen(start, script, heading=f"Save the walk-through ({len(script)} actions)"))

    def action_save(self) -> None:
        from .save import SaveScreen

        self.app.push_screen(SaveScreen(with_seed(self.scenario, self.session)))

    def action_help(self) -> None:
        from .help import HelpScreen

        self.app.push_screen(HelpScreen(self.scenario.lab, bindings_of(type(self))))

    def action_back(self) -> None:
        self.runner.playing = False
        if len(self.app.screen_stack) > 2:
            self.app.pop_screen()
        else:
            self.app.exit()
