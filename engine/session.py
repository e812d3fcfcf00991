"""A scenario opened on a device: the lab, its stepper and the cursor.

Both front ends run through this: the app moves the cursor from keys, replay from
the scenario's script. Stepping is the same code either way.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Callable, Iterator

from .core import device as devices
from .core.frame import Frame
from .core.lab import Lab, Stepper
from .core.params import ParamError
from .registry import lab_class
from .core.seeding import seed_all

if TYPE_CHECKING:  # the scenario format lives in scenarios/; the engine only reads its fields
    from scenarios.scenario import Scenario


@dataclass
class Shown:
    """One thing the script shows: a frame, with any teacher's note; or a snapshot/pause marker."""

    frame: Frame
    total: int | None
    note: str = ""
    event: str = "frame"  # frame | snapshot | pause
    arg: Any = None

    @property
    def last(self) -> int | None:
        """The last step's index ("step k / last"), when the number of frames is known."""
        return last_step(self.total)


def last_step(total: int | None) -> int | None:
    """Frames are numbered from 0: n frames end at step n − 1."""
    return None if total is None else total - 1


class Session:
    def __init__(self, scenario: Scenario, device: str = "auto", seed: int | None = None) -> None:
        self.scenario = scenario
        self.seed = scenario.seed if seed is None else seed
        cls = lab_class(scenario.lab)
        self.device = devices.resolve(device) if cls.uses_torch else "cpu"
        self.lab: Lab
        self.stepper: Stepper
        self.index = 0
        self._open(scenario)

    def _open(self, scenario: Scenario) -> None:
        self.scenario = scenario
        seed_all(self.seed, torch_too=lab_class(scenario.lab).uses_torch)
        self.lab = lab_class(scenario.lab)(dict(scenario.params), seed=self.seed, device=self.device)
        self.stepper = Stepper(self.lab)
        self.index = 0
        self.stepper.ensure(0)

    # --- cursor -------------------------------------------------------------
    @property
    def frame(self) -> Frame:
        return self.stepper.frames[self.index]

    @property
    def total(self) -> int | None:
        return self.stepper.total

    @property
    def last(self) -> int | None:
        return last_step(self.total)

    @property
    def at_end(self) -> bool:
        return self.stepper.done and self.index == len(self.stepper.frames) - 1

    def goto(self, index: int, cancelled: Callable[[], bool] = lambda: False) -> Frame:
        """Move to `index`, computing frames as needed; past the end stays on the last."""
        self.index = max(0, self.stepper.ensure(max(index, 0), cancelled))
        return self.frame

    def step(self, times: int = 1) -> Frame:
        return self.goto(self.index + times)

    def back(self, times: int = 1) -> Frame:
        return self.goto(self.index - times)

    def first(self) -> Frame:
        return self.goto(0)

    def last_computed(self) -> Frame:
        return self.goto(len(self.stepper.frames) - 1)

    def finish(self, cancelled: Callable[[], bool] = lambda: False) -> Frame:
        self.stepper.run_to_end(cancelled)
        return self.last_computed()

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

    def close(self) -> None:
        self.stepper.close()

    # --- scripts ------------------------------------------------------------
    def shown(self, note: str = "", event: str = "frame", arg: Any = None) -> Shown:
        return Shown(self.frame, self.total, note, event, arg)

    def run_script(self, script: tuple[dict[str, Any], ...] | None = None, max_steps: int | None = None) -> Iterator[Shown]:
        """Yield everything the script shows, starting with frame 0.

        Without a script the scenario plays to its end (or for `max_steps` steps).
        """
        yield self.shown()
        actions = list(self.scenario.script if script is None else script)
        if not actions:
            if max_steps == 0:
                return  # frame 0 alone
            actions = [{"do": "play", "steps": max_steps or 0}]
        for action in actions:
            do = action["do"]
            if do in ("step", "back"):
                for _ in range(action["times"]):
                    before = self.index
                    self.step() if do == "step" else self.back()
                    if self.index == before:
                        break
                    yield self.shown()
            elif do == "play":
                n = action["steps"] or (max_steps or 1 << 62)
                for _ in range(n):
                    before = self.index
                    self.step()
                    if self.index == before:
                        break
                    yield self.shown()
            elif do in ("first", "last", "finish"):
                {"first": self.first, "last": self.last_computed, "finish": self.finish}[do]()
                yield self.shown()
            elif do == "set":
                self.set_params(**{action["key"]: action["value"]})
                yield self.shown()
            elif do == "caption":
                yield self.shown(note=action["text"])
            elif do == "snapshot":
                yield self.shown(event="snapshot", arg=action["name"])
            elif do == "pause":
                yield self.shown(event="pause", arg=action["seconds"])


__all__ = ["Session", "Shown", "ParamError"]
