"""One line under the frame: step k / last, play state and speed, the device, the knob."""

from __future__ import annotations

from textual.content import Content
from textual.reactive import reactive

from .kept import Kept
from .kept_static import KeptStatic

from engine.core.fmt import visible
from engine.core.knobs import describe


# Status lines kept (a few per step shown: playing, paused, busy).
KEPT_LINES = 256


class StatusBar(KeptStatic):
    DEFAULT_CSS = """
    StatusBar { height: 1; background: $boost; color: $text-muted; padding: 0 1; }
    """

    step: reactive[int] = reactive(0)
    """Index of the frame on show."""
    last: reactive[int | None] = reactive(None)
    """Index of the last frame, when known."""
    computed: reactive[int] = reactive(0)
    """Index of the last frame computed so far (live labs run ahead)."""
    playing: reactive[bool] = reactive(False)
    speed: reactive[float] = reactive(2.0)
    """Steps per second while playing."""
    device: reactive[str] = reactive("")
    busy: reactive[str] = reactive("")
    """What the background worker is doing, if anything."""
    recording: reactive[bool] = reactive(False)
    live: reactive[bool] = reactive(False)
    """A live lab runs as fast as it can; there is no speed to show."""
    knob: reactive[tuple | None] = reactive(None)
    """The chosen knob: (label, value, range in words), or None when the scenario has none."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        # The line for each set of fields, made once: stepping back and forth shows the same
        # few, and the same Content object is a look-up in KeptStatic's lines, not a new text
        # to measure and lay out (a twentieth of a millisecond a step).
        self._made: Kept[tuple, Content] = Kept(KEPT_LINES)

    def show(self, **values) -> None:
        """Set several of the fields at once: one repaint if any changed, not one each (a step
        sets them all: a tenth of a millisecond)."""
        changed = False
        for name, value in values.items():
            if getattr(self, name) != value:
                self.set_reactive(getattr(StatusBar, name), value)
                changed = True
        if changed:
            self.refresh()

    def render(self) -> Content:
        return self.line(self.step)

    def line(self, step: int) -> Content:
        """The status with step `step` on show (the next one can be laid out ahead: `prepare`)."""
        knob = self.knob
        fields = (step, self.last, self.computed, self.playing, self.live, self.speed, self.busy, self.recording,
                  None if knob is None else (knob[0], repr(knob[1]), knob[2]), self.device)
        made = self._made.look(fields)
        if made is None:
            made = self._made.keep(fields, Content(self._text(step)))
        return made

    def _text(self, step: int) -> str:
        last = "?" if self.last is None else str(self.last)
        parts = [f"step {step} / {last}"]
        if self.last is None and self.computed > step:
            parts.append(f"{self.computed} computed")
        if self.playing:
            parts.append("▶ running" if self.live else f"▶ {self.speed:g}/s")
        else:
            parts.append("‖ paused")
        # What is under way comes before the knob and the device, which are long and stay the
        # same: at 80 columns the end of the line is cut, and "torch loading…" must show.
        if self.busy:
            parts.append(self.busy)
        if self.recording:
            parts.append("● REC")
        if self.knob is not None:
            label, value, allowed = self.knob
            parts.append(f"⚙ {label} = {visible(describe(value))} ({allowed}) [ ] , .")
        if self.device:
            parts.append(self.device)
        return "  ·  ".join(parts)
