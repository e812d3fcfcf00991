"""What a scenario screen shows: the caption, the frame, the note of what changed, the status.

The base of ScenarioScreen (scenario.py), which adds the keys. It holds the LabRunner (the
session and the workers) and draws what the runner's messages carry.
"""

from __future__ import annotations

import time

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.screen import Screen
from textual.widgets import Footer, LoadingIndicator, Static

from engine.core.fmt import visible
from engine.core.knobs import describe, get
from engine.session import Session
from scenarios.scenario import Scenario

from .. import collector, warm
from ..runner import LabRunner
from ..widgets import CaptionBox, FrameView, StatusBar
from .header import LabHeader


# Seconds after a frame is drawn to lay out the next: once its paint is on the terminal, looked
# for from AHEAD_SOON every AHEAD_POLL, and at the latest at AHEAD_AFTER, past the paint, which
# comes within one screen update (1/60 s). The sooner it starts, the sooner it is done before a
# quick next key (a big frame takes 10-20 ms to lay out). After a knob turn, later: a person
# turning a knob turns it again more often than they step, and the next turn would wait for
# that layout (~30 ms).
AHEAD_SOON = 0.004
AHEAD_POLL = 0.002
AHEAD_AFTER = 0.025
AHEAD_AFTER_TURN = 0.6


class ScenarioView(Screen):
    """The caption, the frame, the note and the status of one scenario, drawn from the runner."""

    def __init__(self, scenario: Scenario, device: str = "auto", seed: int | None = None,
                 session: Session | None = None) -> None:
        super().__init__()
        self._scenario = scenario
        self.runner = LabRunner(scenario, device, seed, session)
        self.knob_index = 0
        self._ahead_timer = None
        self._ahead_by = 0.0  # time.monotonic() by which the laying out ahead starts, painted or not
        self._titled: Scenario | None = None  # the scenario the header was last written for

    def compose(self) -> ComposeResult:
        yield LabHeader(icon="≡")
        yield LoadingIndicator(id="loading")
        # Held, not queried: a step reaches each of them (a query walks the screen: ~20 µs).
        self.caption_box = CaptionBox("", id="caption")
        self.frame_view = FrameView(self.scenario.lab, id="frame")
        self.note_box = Static("", id="note")
        self.status_bar = StatusBar(id="status")
        yield self.caption_box
        yield self.frame_view
        yield self.note_box
        yield self.status_bar
        # The palette key is in the help; at 80 columns its place is better spent on q Back.
        yield Footer(compact=True, show_command_palette=False)
        yield self.runner

    def on_mount(self) -> None:
        self.title = visible(self.scenario.title)
        self.sub_title = f"{self.scenario.lab} lab"
        for widget in (self.frame_view, self.caption_box, self.note_box):
            widget.display = False
        self.status_bar.busy = "opening…"
        # Play stops by itself at the last step (and when a lab is reset or fails): the status
        # follows the runner, whatever stopped it.
        self.watch(self.runner, "playing", lambda _: self._status(), init=False)

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
        for widget in (self.frame_view, self.caption_box):
            widget.display = True
        # torch brings ~1e6 long-lived objects; leaving them to the cyclic collector makes
        # every full collection a ~100 ms pause in the middle of a step. Freeze them.
        collector.settle()
        status = self.status_bar
        from engine.core.device import describe

        status.device, status.busy = describe(msg.controller.session.device), ""
        self._draw(msg.controller.session.frame)
        self.frame_view.focus()
        # Opened straight from the command line, a numpy lab is on screen before torch has
        # loaded (tui_lab/warm.py): load it once this frame is painted, for the step that
        # checks against it and the labs opened next.
        self.set_timer(AHEAD_AFTER, warm.start)

    @on(LabRunner.Moved)
    def _moved(self, msg: LabRunner.Moved) -> None:
        self._draw(msg.frame, msg.note, msg.ghost, msg.fresh)

    @on(LabRunner.Busy)
    def _busy(self, msg: LabRunner.Busy) -> None:
        self.status_bar.busy = msg.text

    @on(LabRunner.Failed)
    def _failed(self, msg: LabRunner.Failed) -> None:
        self.runner.playing = False
        self.query_one("#loading").display = False
        self.status_bar.busy = ""
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
        self.caption_box.show(frame.caption)
        view = self.frame_view
        if ghost is not None or note or fresh:
            view.ghost = ghost
        if self.session is not None:
            view.live = self.session.lab.live_facts()
        view.frame = frame
        box = self.note_box
        if note or box.display:
            text = Text(f"✎ {visible(note)}" if note else "")
            # A note that fits the box as it stands (knob turn after knob turn) is a repaint,
            # not a relayout of the screen (~13 ms); a shorter one leaves the box its height
            # until the next layout, so the frame below does not jump at each turn.
            lines = len(text.wrap(self.app.console, max(1, box.content_region.width))) if note else 0
            box.update(text, layout=not (box.display and note and lines <= box.content_region.height))
            box.display = bool(note)
        self._status()
        self._title()
        # Not call_after_refresh: that may run before the widgets' repaint requests reach the
        # screen, and so before the paint this layout would then delay.
        if self._ahead_timer is not None:
            self._ahead_timer.stop()
        self._ahead_by = time.monotonic() + (AHEAD_AFTER_TURN if note else AHEAD_AFTER)
        self._ahead_timer = self.set_timer(AHEAD_AFTER_TURN if note else AHEAD_SOON, self._ahead)

    def _ahead(self) -> None:
        """Once the frame is painted, lay out the next one and the one before while the person
        reads this one, so → and ← show them at once."""
        self._ahead_timer = None
        if not self._painted() and time.monotonic() < self._ahead_by:
            self._ahead_timer = self.set_timer(AHEAD_POLL, self._ahead)
            return
        if self.app.screen is self:
            for frame in (self.runner.next_frame(), self.runner.previous_frame()):
                if frame is not None:
                    self.frame_view.prerender(frame)
                    self.caption_box.ahead(frame.caption)
                    status = self.status_bar
                    status.prepare(status.line(frame.index))
        # What this step and the laying out ahead left is collected now, not inside the next step.
        collector.between_steps()

    def _painted(self) -> bool:
        """Whether what the last step drew is on the terminal: no repaint of the frame, caption
        or status still on its way to the screen (a widget's request goes to it in a message),
        and none waiting there for the screen's next update."""
        widgets = (self.frame_view, self.caption_box, self.status_bar)
        return not (self._dirty_widgets or self._repaint_required or self._layout_required
                    or any(w._repaint_required or w._repaint_regions for w in widgets))

    def on_resize(self) -> None:
        self.caption_box.rewrap()

    def _title(self) -> None:
        """The scenario's title names its values ("stride 2, padding 1"): once knobs differ from
        them, the header leads with the values turned, and the title that no longer holds gives
        way to the scenario's name, so the header never contradicts the frame (and at 80
        columns what is cut is the name, not the values)."""
        session = self.session
        if session is None or session.scenario is self._titled:  # only a turn or an edit changes it
            return
        self._titled = session.scenario
        changed = [f"{k.label} {describe(now)}" for k in session.knobs()
                   if (now := get(session.scenario.params, k.key)) != get(self._scenario.params, k.key)]
        if changed:
            self.title = f"turned: {', '.join(changed)}"
            self.sub_title = f"{visible(self._scenario.name)} · {self._scenario.lab} lab"
        else:
            self.title, self.sub_title = visible(self._scenario.title), f"{self._scenario.lab} lab"

    def _status(self) -> None:
        status, session = self.status_bar, self.session
        if session is None:
            return
        knobs, knob = session.knobs(), None  # kept by the session for a lab that is not live
        if knobs:
            shown = knobs[self.knob_index % len(knobs)]
            knob = (shown.label, self.runner.knob_value(shown), shown.range_text())
        status.show(live=session.lab.live, step=session.index, last=session.last, computed=session.computed,
                    playing=self.runner.playing, speed=self.runner.speed, knob=knob)

    def show(self, frame, count: int | None, note: str = "") -> None:
        """Put a frame produced elsewhere on screen, with a teacher's note (headless export)."""
        from engine.session import last_step

        self._draw(frame, note)
        status = self.status_bar
        status.step, status.last, status.computed = frame.index, last_step(count), frame.index
