"""What the scenario screen asks of its lab: move, play, finish, restart, turn a knob.

A non-visual widget the scenario screen holds; the work itself (workers and their results)
is its base, LabWork (lab_work.py). The screen asks here and draws what the messages carry.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any, Callable

from engine.core.frame import Frame
from engine.session import Session
from scenarios.scenario import Scenario

from . import warm
from .lab_messages import Waiting
from .lab_work import LabWork, describe

__all__ = ["LabRunner", "SPEEDS", "describe", "with_seed"]

SPEEDS = (0.5, 1.0, 2.0, 4.0, 8.0, 16.0, 32.0)


class LabRunner(LabWork):
    DEFAULT_CSS = "LabRunner { display: none; }"

    _timer = None  # the play clock, made on mount

    def on_mount(self) -> None:
        self._timer = self.set_interval(1 / self.speed, self._tick, pause=True)
        if self.controller is None:
            parked = getattr(self.app, "parked", {}).pop(self.key, None)
            if parked is not None:
                self.controller = parked
        if self.controller is not None:
            self.post_message(self.Opened(self.controller))
        else:
            self._build(self.scenario, [], first=True)

    # --- what the screen asks ----------------------------------------------------
    def when_open(self, call: Callable[[], None]) -> None:
        """`call` now, or once the lab is open (a key pressed while it opens is kept)."""
        if self._when_open(call):
            call()

    def _when_open(self, call: Callable[[], None]) -> bool:
        if self.controller is None:
            self._pending.add(call)
            return False
        return True

    def _when_turned(self, call: Callable[[], None]) -> bool:
        """As `_when_open`, and a move waits for a knob turn under way: the turn replaces the
        session, so a step or finish computed on the one before it would be lost."""
        if self.controller is None or self.turning is not None:
            self._pending.add(call)
            return False
        if self._after_move:
            # A turn (or a step after f) waits for the move under way to land: this key comes
            # after it (`→ . →`: the second step had run before the turn it followed).
            self._after_move.add(call)
            return False
        return True

    def go(self, target: int) -> None:
        """Move to `target`: at once when the frame exists or a quick lab computes it here
        (only if no worker is computing), else in a worker."""
        if not self._when_turned(lambda: self.go(target)):
            return
        session, target = self.session, max(0, target)
        if session.has(target) or (not session.lab.live and warm.ready() and session.stepper.try_ensure(target)):
            self._overtake()
            before = session.index
            self.controller.goto(target)
            if self.ahead is not None and session.index >= self.ahead:
                self.ahead = None  # reached
            if session.index != before or target <= session.index:
                self.post_message(self.Moved(session.frame))
            elif self.playing:
                self.playing = False
            return
        if session.lab.live and self.playing:
            return  # the producer owns the generator; the cursor follows it
        self.target = target
        self.post_message(self.Busy("computing…"))
        self._compute(target)

    def _overtake(self) -> None:
        """A key takes the cursor elsewhere: a step or finish under way would move it back when
        it landed, so it stops here."""
        if self.moving:
            self.target, self.finishing = None, False
            self.workers.cancel_group(self, "lab")
            self.post_message(self.Busy(""))  # the "computing…" of the move it stops
            self.call_later(self._moved_on)

    def step(self, delta: int) -> None:
        """A step from where the cursor is, or from where it is going (keys pressed while a
        frame is computed add up instead of being lost)."""
        if not self._when_turned(lambda: self.step(delta)):
            return
        if self.finishing:  # from the end it is going to: f then ← is the step before the last
            self._after_move.add(lambda: self.step(delta))
            return
        base = self.session.index if self.target is None else self.target
        self.go(base + delta)

    def first(self) -> None:
        if self._when_turned(self.first):
            self._overtake()
            self.controller.first()
            self.post_message(self.Moved(self.session.frame))

    def last(self) -> None:
        """The last step computed, not counting one computed ahead that was never shown; at
        it already, every remaining step (as `f`), so End pressed twice is the very end."""
        if self._when_turned(self.last):
            end = self.session.computed
            end = end - 1 if end == self.ahead else end
            if self.session.index >= end and self.target is None and not self.session.stepper.done:
                self.finish()  # a live lab trains on to its end, as `f` does
            else:
                self.go(end)

    def next_frame(self) -> Frame | None:
        """The frame after the one on show, for the screen to lay out while the person reads
        (None when there is none to have). A step not computed yet is computed here only where
        stepping would compute it on this thread anyway: a lab of known length, not live, no
        worker computing. End does not count such a step as reached until it is shown."""
        session = self._resting()
        if session is None:
            return None
        index = session.index + 1
        if index > session.computed:
            if session.stepper.done or session.last is None or index > session.last or not warm.ready():
                return None
            if not session.stepper.try_ensure(index) or index > session.computed:
                return None
            self.ahead = index
        return session.stepper.frames[index]

    def previous_frame(self) -> Frame | None:
        """The frame before the one on show, for the screen to lay out while the person reads: a
        step back in a scenario longer than the frame view keeps (64 frames) shows it at once.
        It is always computed already (None at step 0, while the cursor moves, and in a live lab,
        whose frames are laid out afresh for its live figures)."""
        session = self._resting()
        if session is None or session.index == 0:
            return None
        return session.stepper.frames[session.index - 1]

    def _resting(self) -> Session | None:
        """The session while its cursor rests (open, not live, not playing, no move under way):
        then, and only then, a frame beside it is worth laying out."""
        session = self.session
        if session is None or self.playing or self.target is not None or session.lab.live:
            return None
        return session

    def finish(self) -> None:
        if not self._when_turned(self.finish):
            return
        if self.session.stepper.done:
            self.last()
        elif self.session.lab.live:
            self.playing = True
        else:
            self.controller.record({"do": "finish"})
            self.post_message(self.Busy("computing every step…"))
            self.finishing = True
            self._compute(1 << 62, finish=True)

    def toggle_play(self) -> bool:
        """Play or pause; False when a finished live run cannot play again."""
        if self.controller is None:
            return True
        if not self.playing and self.session.at_end:
            if self.session.lab.live:
                return False
            self.first()  # play again from the start
        self.playing = not self.playing
        return True

    def faster(self, clicks: int) -> None:
        i = SPEEDS.index(self.speed) if self.speed in SPEEDS else 2
        self.speed = SPEEDS[max(0, min(i + clicks, len(SPEEDS) - 1))]

    def restart(self, scenario: Scenario | None = None, actions: list[dict[str, Any]] | None = None) -> None:
        """Open again (reset), or with new params (the edit form): back to step 0."""
        self.playing, self.target, self.finishing = False, None, False
        self.workers.cancel_group(self, "lab")
        # Keys that waited for the cancelled move (turns, steps after f) belonged to the run
        # being replaced: kept, they would wait for a move that never lands.
        self._after_move = Waiting()
        self.knob_targets.clear()
        self.scenario = scenario or self.scenario
        self.post_message(self.Busy("opening…"))
        self._build(self.scenario, actions if actions is not None else [{"do": "first"}])

    def turn(self, key: str, value: Any, why: str = "") -> None:
        """Recompute with the knob at `value`; `why` is added to the note that says what changed."""
        self.knob_targets[key] = value
        if self._when_open(lambda: self.turn(key, value, why)):
            if self.moving:
                # A step or finish is computing on this session: the turn rebuilds the lab at the
                # step it lands on, so it starts once it has landed (LabWork._moved_on).
                self._after_move.add(lambda: self.turn(key, value, why))
                return
            if self.turning not in (None, key):
                # Another knob's turn is computing, from the session before it: this one starts
                # once that one is in (LabWork._answered), else it would replace it, unturned.
                self.turns_waiting[key] = why
                return
            self.turning = key
            self.post_message(self.Busy("recomputing…"))
            self._knob(key, value, why)

    def lab_key(self, name: str) -> None:
        if self._when_open(lambda: self.lab_key(name)):
            self.post_message(self.Busy(f"{name}…"))
            self._lab_key(name)

    # --- playing -------------------------------------------------------------------
    def watch_playing(self, playing: bool) -> None:
        if self.session is not None and self.session.lab.live:
            if playing:
                self._produce()
            return
        if self._timer is not None:
            self._timer.resume() if playing else self._timer.pause()

    def watch_speed(self, speed: float) -> None:
        if self._timer is not None:
            self._timer.stop()
            self._timer = self.set_interval(1 / speed, self._tick, pause=not self.playing)

    def _tick(self) -> None:
        if self.session is None:
            return
        if self.session.at_end:
            self.playing = False
        else:
            self.step(1)



def with_seed(scenario: Scenario, session: Session | None) -> Scenario:
    """The scenario as run: with the seed actually used (--seed may override the file's)."""
    return replace(scenario, seed=session.seed) if session is not None else scenario
