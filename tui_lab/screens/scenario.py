"""One scenario and the keys of DESIGN.md: step, play, turn knobs, edit, save, record, help.

What the screen shows (caption, frame, note, status, drawn from its LabRunner's messages) is
its base, ScenarioView (scenario_view.py). Its keys are `tui_lab.keys.COMMON` plus the lab's
own, declared once (`keys.scenario_screen` makes the per-lab subclass).
"""

from __future__ import annotations

from typing import Any

from ..keys import COMMON, bindings_of
from ..render import follow_knob
from ..runner import with_seed
from .scenario_view import ScenarioView


class ScenarioScreen(ScenarioView):
    """Step through one scenario. Keys: `tui_lab.keys.COMMON` and the lab's own."""

    BINDINGS = COMMON

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
        if self.session is None:  # still opening: kept, and applied once it is open
            self.runner.when_open(lambda: self.action_knob(clicks))
            return
        if not self.session.knobs():
            self.notify("This scenario has no knobs; e edits every parameter.", timeout=3)
            return
        self.knob_index = (self.knob_index + clicks) % len(self.session.knobs())
        if clicks:
            self.app.clear_notifications()  # what was said about the last knob (its range's end)
        view = self.frame_view
        if follow_knob(self.scenario.lab, view.view, self.session.knobs()[self.knob_index].key):
            view.redraw()
        self._status()

    def action_turn(self, clicks: int, big: bool = False) -> None:
        if self.session is None:  # still opening: kept, and applied once it is open
            self.runner.when_open(lambda: self.action_turn(clicks, big))
            return
        knobs = self.session.knobs()
        if not knobs:
            self.action_knob(0)
            return
        knob = knobs[self.knob_index % len(knobs)]
        value = self.runner.knob_value(knob)
        new = knob.turned(value, clicks, big)
        if new == value:
            self.notify(f"{knob.label} is at the end of its range ({knob.range_text()}).", timeout=3)
            return
        # A big step that would pass the end stops there, and the note says so.
        ended = not knob.choices and new != knob.turned(value, clicks, big, clamp=False)
        self.runner.turn(knob.key, new, f" (the end of its range, {knob.range_text()})" if ended else "")
        self._status()

    # --- views and the lab's own keys -----------------------------------------------
    def action_view(self, name: str) -> None:
        from ..render import view_key

        view = self.frame_view
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
        view = self.frame_view
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
        status = self.status_bar
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
        from .home import HomeScreen

        if isinstance(self.app.screen_stack[0], HomeScreen):  # opened from it or over it: back there
            self.app.pop_screen()
        else:
            self.app.exit()
