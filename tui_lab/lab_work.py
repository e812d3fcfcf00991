"""The scenario's engine work, off the UI thread: opening, computing, training, knob turns.

The base of LabRunner (runner.py), which adds what the screen asks for. It owns the
Controller (and through it the Session). Thread workers compute and post messages carrying
their results; only this widget's handlers, on the UI thread, move the cursor or swap the
session, so no UI call waits on a lock a worker holds. A live (training) run left by `q` is
parked in the app and resumes when reopened.
"""

from __future__ import annotations

import time
from typing import Any

from textual import on, work
from textual.reactive import reactive
from textual.worker import get_current_worker

from engine.controller import Controller
from engine.core.knobs import describe as knob_describe
from engine.core.params import ParamError
from engine.session import Session
from scenarios.scenario import Scenario

from . import warm
from .lab_messages import LabMessages, Waiting


LOADING_TORCH = "torch loading…"  # for the checks from the next step on; the status line has room for little


class LabWork(LabMessages):
    DEFAULT_CSS = "LabWork { display: none; }"

    playing: reactive[bool] = reactive(False)
    """Autoplay (or, in a live lab, training) is running."""
    speed: reactive[float] = reactive(2.0)
    """Steps per second while playing."""

    def __init__(self, scenario: Scenario, device: str, seed: int | None, session: Session | None = None) -> None:
        super().__init__()
        self.scenario, self.device, self.seed = scenario, device, seed
        self.controller: Controller | None = Controller(session) if session is not None else None
        self.generation = 0  # bumped when the session is replaced: older results are dropped
        self._pending = Waiting()  # keys pressed while the lab opens, or while a knob's turn computes
        self.knob_targets: dict[str, Any] = {}  # knob turns asked for and not yet applied
        self.turning: str | None = None  # the knob whose turn a worker computes
        self.turns_waiting: dict[str, str] = {}  # knob -> why: turned while another knob's turn computes
        self.target: int | None = None  # the step a worker is computing towards
        self.finishing = False  # a worker computes every remaining step (f)
        self._after_move = Waiting()  # knob turns pressed while a move computes, and steps while a finish does
        self.ahead: int | None = None  # a step computed ahead of the person (see next_frame)

    @property
    def session(self) -> Session | None:
        return self.controller.session if self.controller else None

    @property
    def key(self) -> str:
        return str(self.scenario.path or self.scenario.name)

    def knob_value(self, knob) -> Any:
        """The knob's value as last asked for (it may still be recomputing)."""
        return self.knob_targets.get(knob.key, self.session.knob_value(knob))

    def _await_torch(self, upto: int | None = None, opening: Scenario | None = None) -> None:
        """Wait for the torch warm-up where this work needs torch (warm.wait_for): `upto` the
        last frame it computes (None: any), `opening` the scenario a build opens."""
        warm.wait_for(opening or self.session.scenario, self.device, upto, opening=opening is not None)

    def _note_torch(self) -> None:
        """A lab open before torch has loaded (its first frames need none: arch's input) says so
        in the status until it has, as the steps that follow are checked against torch."""
        session = self.session
        if warm.ready() or not session.lab.torch_from(session.scenario.params):
            return
        self.post_message(self.Busy(LOADING_TORCH))

        def loaded() -> None:
            if warm.ready() or warm.failed():
                timer.stop()
                if self.target is None:  # else the step under way clears it when it comes
                    self.post_message(self.Busy(""))

        timer = self.set_interval(0.1, loaded)

    # --- workers: their results travel in messages -----------------------------
    @work(thread=True, exclusive=True, group="lab", exit_on_error=False)
    def _build(self, scenario: Scenario, action: list[dict[str, Any]], first: bool = False) -> None:
        generation = self.generation
        self._await_torch(0, opening=scenario)
        try:
            session = Session(scenario, device=self.device, seed=self.seed)
        except Exception as exc:  # a message for the person, never a traceback
            self.post_message(self.Failed(describe(exc), fatal=first))
            return
        self.post_message(self._Built(generation, session, action))

    @work(thread=True, exclusive=True, group="lab", exit_on_error=False)
    def _compute(self, target: int, finish: bool = False) -> None:
        worker, generation, session = get_current_worker(), self.generation, self.session
        self._await_torch(None if finish else target)
        try:
            if finish:
                session.stepper.run_to_end(lambda: worker.is_cancelled)
            else:
                session.stepper.ensure(target, lambda: worker.is_cancelled)
        except Exception as exc:
            self.target, self.finishing = None, False
            self.post_message(self.Failed(f"while computing step {target}: {describe(exc)}"))
            self.app.call_from_thread(self._moved_on)
            return
        # A later key started a worker in this one's place (keys pressed while torch loads start
        # one each, all released by the warm-up at once): that one answers, this one's older
        # target would move the cursor back after it.
        if not worker.is_cancelled:
            self.post_message(self._Computed(generation, None if finish else target))

    @work(thread=True, exclusive=True, group="lab", exit_on_error=False)
    def _produce(self) -> None:
        """A live lab: keep computing frames while playing; at most 10 updates a second."""
        worker, generation, stepper = get_current_worker(), self.generation, self.session.stepper
        self._await_torch()
        last_post = 0.0
        try:
            while not worker.is_cancelled and self.playing and not stepper.done:
                stepper.ensure(len(stepper.frames), lambda: worker.is_cancelled)
                if time.monotonic() - last_post > 0.1:
                    last_post = time.monotonic()
                    self.post_message(self._Computed(generation, None))
        except Exception as exc:
            self.post_message(self.Failed(f"while training: {describe(exc)}"))
        self.post_message(self._Computed(generation, None, follow=True))

    @work(thread=True, exclusive=True, group="knob", exit_on_error=False)
    def _knob(self, key: str, value: Any, why: str = "") -> None:
        worker, generation, controller = get_current_worker(), self.generation, self.controller
        self._await_torch(controller.session.index)
        try:
            session, note = controller.turned(key, value, lambda: worker.is_cancelled)
        except Exception as exc:
            # Several presses at once may overshoot what the lab allows: stop at the nearest
            # value it takes, and say so; with none, refuse and say why.
            try:  # every turn answers (LabRunner waits for it before the keys after it)
                near = controller.nearest_allowed(key, value) if isinstance(exc, ParamError) else None
            except Exception:
                near = None
            if near is None:
                self.post_message(self._Refused(key, value, describe(exc)))
                return
            try:
                session, note = controller.turned(key, near, lambda: worker.is_cancelled)
            except Exception:
                self.post_message(self._Refused(key, value, describe(exc)))
                return
            self.post_message(self._Refused(key, value, ""))
            note += f" (stopped there: {knob_describe(value)} is not allowed)"
            value = near
        if not worker.is_cancelled:
            self.post_message(self._Built(generation, session, [{"do": "knob", "key": key, "value": value}], note + why))

    @work(thread=True, group="adjust", exit_on_error=False)
    def _lab_key(self, name: str) -> None:
        """A lab's own key may be slow (a real forward pass on the GPU), so off the UI thread."""
        self._await_torch()
        try:
            note = self.controller.session.lab.adjust(name)
        except Exception as exc:
            note = describe(exc)
        if note:
            self.post_message(self.Busy(""))
            self.app.call_from_thread(self.app.notify, note, timeout=5)

    # --- their results, on the UI thread ---------------------------------------
    def _answered(self, key: str, value: Any) -> None:
        """A knob's turn has come back (taken, refused or outdated): turns of other knobs
        pressed meanwhile start now, from the session that has it (see LabRunner.turn)."""
        if self.knob_targets.get(key) == value:  # not when a later turn of it is on its way
            del self.knob_targets[key]
        if self.turning == key:
            self.turning = None
        waiting, self.turns_waiting = self.turns_waiting, {}
        for other, why in waiting.items():
            if other in self.knob_targets:
                self.turn(other, self.knob_targets[other], why)
        if self.turning is None and self.controller is not None:  # moves pressed meanwhile, in order
            self._pending.run()

    @on(LabMessages._Built)
    def _built(self, msg: LabMessages._Built) -> None:
        if msg.generation == self.generation:
            self._adopt(msg)
        for action in msg.action:
            if action and action["do"] == "knob":
                self._answered(action["key"], action["value"])

    def _adopt(self, msg: LabMessages._Built) -> None:
        if msg.session is None:  # a live knob: the running lab took it
            for action in msg.action:
                self.controller.record(action)
            self.post_message(self.Busy(""))
            self.post_message(self.Moved(self.session.frame, msg.note))
            return
        first = self.controller is None
        ghost = None if first else self.controller.session.frame
        if first:
            self.controller = Controller(msg.session)
        else:
            for action in msg.action or [None]:
                self.controller.adopt(msg.session, action)
        self.generation += 1
        self.ahead = None
        if first:
            self.post_message(self.Opened(self.controller))
            self._note_torch()
            self._pending.run()
            return
        self.post_message(self.Busy(""))
        turned = any(action and action["do"] == "knob" for action in msg.action)
        self.post_message(self.Moved(self.session.frame, msg.note, ghost if msg.note else None, fresh=not turned))

    @on(LabMessages._Refused)
    def _refused(self, msg: LabMessages._Refused) -> None:
        self._answered(msg.key, msg.value)
        if msg.text:
            self.post_message(self.Failed(msg.text))

    @on(LabMessages._Computed)
    def _computed(self, msg: LabMessages._Computed) -> None:
        if msg.generation != self.generation or self.session is None:
            return
        self.post_message(self.Busy(""))
        session = self.session
        if msg.target is not None:
            self.controller.goto(msg.target)
            if self.target is not None and msg.target >= self.target:
                self.target = None  # arrived (or at the end, which is as far as it goes)
        elif session.lab.live and (self.playing or msg.follow):
            self.controller.goto(session.computed)  # follow the training as it runs
        elif msg.target is None and not session.lab.live:
            self.controller.goto(session.computed, record=False)  # finish: recorded as such when pressed
            self.finishing = False
        if session.stepper.done and session.lab.live:
            self.playing = False
        self.post_message(self.Moved(session.frame))
        self._moved_on()

    @property
    def moving(self) -> bool:
        """A step or a finish is computing in a worker (the cursor has not got there yet)."""
        return self.target is not None or self.finishing

    def _moved_on(self) -> None:
        """The move under way has landed (or failed, or was overtaken): knob turns pressed
        meanwhile start now, at the step it reached (see LabRunner.turn)."""
        if not self.moving:
            self._after_move.run()

    def on_unmount(self) -> None:
        self.playing = False
        self.workers.cancel_group(self, "lab")
        session = self.session
        if session is None:
            return
        if session.lab.live and not session.stepper.done and hasattr(self.app, "parked"):
            self.app.parked[self.key] = self.controller  # resumes where it was when reopened
        else:
            session.close()



def describe(exc: BaseException) -> str:
    """An exception as one line for the person: our own errors as they are, others with their type."""
    from engine.core.device import DeviceError
    from engine.core.fmt import clip, visible
    from engine.core.params import ParamError

    if isinstance(exc, (ParamError, DeviceError)):
        return visible(clip(str(exc), 300))
    return visible(clip(f"{type(exc).__name__}: {exc}", 300))

