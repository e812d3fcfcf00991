"""A scenario opened on a device: the lab, its stepper and the one cursor.

Both front ends run through this: the app moves the cursor from keys, replay from the
scenario's script (through `engine.controller.Controller`, which both share). Stepping is
the same code either way. Nothing here knows about threads beyond the stepper's lock: the
app computes frames in a worker and moves the cursor on its own thread.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any, Callable

from .core import device as devices
from .core.frame import Frame
from .core.knobs import Knob, describe, get, with_value
from .core.lab import Lab, Stepper
from .core.params import ParamError
from .core.seeding import seed_all
from .registry import lab_class

if TYPE_CHECKING:  # the scenario format lives in scenarios/; the engine only reads its fields
    from scenarios.scenario import Scenario


@dataclass
class Shown:
    """One thing a script shows: a frame, with any teacher's note; or a snapshot/pause marker.

    count: how many frames there are, when known; `last` is the last step's index.
    """

    frame: Frame
    count: int | None
    note: str = ""
    event: str = "frame"  # frame | snapshot | pause
    arg: Any = None

    @property
    def last(self) -> int | None:
        """The last step's index ("step k / last"), when the number of frames is known."""
        return last_step(self.count)


def last_step(count: int | None) -> int | None:
    """Frames are numbered from 0: n frames end at step n − 1."""
    return None if count is None else count - 1


def resolves(cls: type[Lab], device: str) -> bool:
    """Whether a session of `cls` asks for `device` (which may import torch: devices.needs_torch)."""
    return cls.uses_torch or device not in ("auto", "cpu")


class Session:
    """The cursor over one scenario's frames. Frames already computed never change."""

    def __init__(self, scenario: Scenario, device: str = "auto", seed: int | None = None) -> None:
        cls = lab_class(scenario.lab)
        self.seed = scenario.seed if seed is None else seed
        resolved = devices.resolve(device) if resolves(cls, device) else "cpu"
        # A numpy lab runs on the CPU (torch only checks); a device named outright must still exist.
        self.device = resolved if cls.uses_torch else "cpu"
        self.scenario = scenario
        self.lab: Lab
        self.stepper: Stepper
        self.index = 0
        # Replay of a script that never goes back sets this: frames behind the cursor are let go,
        # so memory stays flat however many frames a run makes.
        self.forget = False
        self._open(scenario)

    def _open(self, scenario: Scenario) -> None:
        cls = lab_class(scenario.lab)
        self.scenario = scenario
        if cls.draws_random(scenario.params):
            # torch too where the lab computes with it from the start; one that opens before torch
            # loads (torch_from > 0) seeds torch itself where it draws from it (train: its Trainer)
            seed_all(self.seed, torch_too=cls.uses_torch and cls.torch_from(scenario.params) == 0)
        self.lab = cls(dict(scenario.params), seed=self.seed, device=self.device)
        self.stepper = Stepper(self.lab)
        self.index = 0
        self.stepper.ensure(0)

    # --- where the cursor is ---------------------------------------------------
    @property
    def frame(self) -> Frame:
        return self.stepper.frames[self.index]

    @property
    def count(self) -> int | None:
        return self.stepper.count

    @property
    def last(self) -> int | None:
        return last_step(self.count)

    @property
    def computed(self) -> int:
        """The index of the last frame computed so far."""
        return len(self.stepper.frames) - 1

    @property
    def at_end(self) -> bool:
        return self.stepper.done and self.index == self.computed

    def has(self, index: int) -> bool:
        """Whether moving to `index` needs no computation (it exists, or lies past the end)."""
        return index <= self.computed or self.stepper.done

    def shown(self, note: str = "", event: str = "frame", arg: Any = None) -> Shown:
        return Shown(self.frame, self.count, note, event, arg)

    # --- moving it -------------------------------------------------------------
    def goto(self, index: int, cancelled: Callable[[], bool] = lambda: False) -> Frame:
        """Move to `index`, computing frames as needed; past the end stays on the last."""
        before = self.index
        self.index = max(0, self.stepper.ensure(max(index, 0), cancelled))
        if self.forget and self.index > before:
            frames = self.stepper.frames
            for i in range(before, self.index):
                frames[i] = None  # the list keeps its length: indices stay the frames' own
        return self.frame

    def finish(self, cancelled: Callable[[], bool] = lambda: False) -> Frame:
        self.stepper.run_to_end(cancelled)
        return self.goto(self.computed)

    def reset(self) -> Frame:
        self.stepper.close()
        self._open(self.scenario)
        return self.frame

    def set_params(self, **changes: Any) -> Frame:
        """Re-validate with the changes and start the lab again from frame 0."""
        new = self.scenario.with_params(**changes)
        self.stepper.close()
        self._open(new)
        return self.frame

    # --- knobs -----------------------------------------------------------------
    def knobs(self) -> list[Knob]:
        """The lab's knobs; kept for a lab that is not live (they follow from its params, which
        a turn changes by making a new lab), since the screen asks at every knob key."""
        if self.lab.live:
            return self.lab.knobs()
        if getattr(self, "_knobs", (None,))[0] is not self.lab:
            self._knobs = (self.lab, self.lab.knobs())
        return self._knobs[1]

    def knob_value(self, knob: Knob) -> Any:
        return get(self.scenario.params, knob.key)

    def turned(self, key: str, value: Any, cancelled: Callable[[], bool] = lambda: False) -> "Session":
        """A new session with the knob at `key` set to `value`, at this session's step (or
        the nearest that exists). ParamError, with `tui-lab check`'s words, if not allowed.
        Safe to call from a worker: this session is only read."""
        changed = with_value(self.scenario.params, key, value)
        try:
            scenario = self.scenario.with_params(**changed)
        except ParamError as exc:
            # Name the knob's own key and value; where another parameter is what breaks (an
            # input too small for a later layer), say which.
            own = f"params.{key}"
            why = exc.message if exc.key == own else f"{exc.key}: {exc.message}"
            raise ParamError(own, f"{describe(value)} is not allowed: {why}") from None
        new = Session.__new__(Session)
        new.seed, new.device, new.forget = self.seed, self.device, self.forget
        new._open(scenario)
        new.goto(self.index, cancelled)
        return new

    def turn_live(self, key: str, value: Any) -> str:
        """A live knob: the running lab applies it from its next iteration."""
        note = self.lab.turn(key, value)
        self.scenario = replace(self.scenario, params=with_value(self.scenario.params, key, value))
        return note

    def close(self) -> None:
        self.stepper.close()

    # --- replay ------------------------------------------------------------------
    def run_script(self, script: tuple[dict[str, Any], ...] | None = None, max_steps: int | None = None):
        """Everything the script shows, starting with frame 0 (see Controller.run)."""
        from .controller import Controller

        return Controller(self).run(script, max_steps)


__all__ = ["Session", "Shown", "ParamError", "last_step"]
