"""Drives a session with script actions, and records what a person does as one.

Replay runs a scenario's script through `run`. The app calls the same moves (`goto`,
`first`, `knob`, `set`…) from its keys; while recording, each becomes a script action,
so a saved walk-through replays exactly. Nothing here is UI: tests drive it directly.
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING, Any, Callable, Iterator

from .core.frame import Frame
from .core.knobs import describe, with_value
from .core.params import ParamError
from .session import Session, Shown

if TYPE_CHECKING:
    from scenarios.scenario import Scenario

NEVER = lambda: False  # noqa: E731 - the default "not cancelled"


class Controller:
    def __init__(self, session: Session) -> None:
        self.session = session
        self.recording: list[dict[str, Any]] | None = None
        self._start: tuple[Scenario, int] | None = None

    # --- recording -------------------------------------------------------------
    def start_recording(self) -> None:
        self.recording = []
        self._start = (self.session.scenario, self.session.index)

    def stop_recording(self) -> tuple[Scenario, list[dict[str, Any]]]:
        """The scenario as it was when recording started, with the seed actually used, and
        the script that replays the walk from there (empty when nothing happened)."""
        scenario, index = self._start or (self.session.scenario, 0)
        actions = self.recording or []
        self.recording, self._start = None, None
        script = ([{"do": "step", "times": index}] if index and actions else []) + actions
        return replace(scenario, seed=self.session.seed), script

    def record(self, action: dict[str, Any]) -> None:
        """Append to the walk-through, merging runs of steps as a person would write them."""
        if self.recording is None:
            return
        last = self.recording[-1] if self.recording else None
        if last and last["do"] == action["do"] and action["do"] in ("step", "back"):
            last["times"] += action["times"]
        else:
            self.recording.append(dict(action))

    def _moved(self, before: int) -> None:
        moved = self.session.index - before
        if moved:
            self.record({"do": "step" if moved > 0 else "back", "times": abs(moved)})

    # --- moves (the app computes missing frames in a worker first) --------------
    def goto(self, index: int, cancelled: Callable[[], bool] = NEVER, record: bool = True) -> Frame:
        """Move the cursor; `record` False for a move already recorded as what asked for it
        (the end a finish computed to is the finish's, not a run of steps after it)."""
        before = self.session.index
        frame = self.session.goto(index, cancelled)
        if record:
            self._moved(before)
        return frame

    def first(self) -> Frame:
        before = self.session.index
        frame = self.session.goto(0)
        if before:
            self.record({"do": "first"})
        return frame

    def finish(self, cancelled: Callable[[], bool] = NEVER) -> Frame:
        before = self.session.index
        frame = self.session.finish(cancelled)
        if self.session.index != before:
            self.record({"do": "finish"})
        return frame

    def reset(self) -> Frame:
        self.record({"do": "first"})
        return self.session.reset()

    def adopt(self, session: Session, action: dict[str, Any] | None = None) -> None:
        """Take over a session built elsewhere (a worker opened it with new params)."""
        if session is not self.session:
            self.session.close()
            self.session = session
        if action is not None:
            self.record(action)

    def turned(self, key: str, value: Any, cancelled: Callable[[], bool] = NEVER) -> tuple[Session | None, str]:
        """Turn a knob without moving the cursor: a live knob changes the running lab (None
        is returned), any other builds a new session at this step. Safe in a worker: the
        current session stays usable until `adopt`. Also returns the line saying what changed."""
        session = self.session
        knob = next((k for k in session.knobs() if k.key == key), None)
        old = session.knob_value(knob) if knob else None
        label = knob.label if knob else key
        if knob is not None and knob.live:
            new, detail = None, session.turn_live(key, value)
        else:
            new = session.turned(key, value, cancelled)
            detail = new.lab.change_note(session.lab)
        return new, f"{label} {describe(old)} → {describe(value)}" + (f": {detail}" if detail else "")

    def nearest_allowed(self, key: str, value: Any) -> Any | None:
        """For an integer knob turned past what the lab allows (several presses at once: 32 →
        1 where the network needs 16), the allowed value nearest `value` on the way from the
        current one, found by bisection with the lab's own validation (no recompute); None
        when there is none or the knob is not an integer one."""
        session = self.session
        knob = next((k for k in session.knobs() if k.key == key), None)
        if knob is None or knob.choices or not knob.integer or knob.live:
            return None
        good, bad = int(session.knob_value(knob)), int(value)

        def allowed(v: int) -> bool:
            try:
                session.scenario.with_params(**with_value(session.scenario.params, key, v))
                return True
            except ParamError:
                return False

        if allowed(bad):
            return None  # nothing refused: nothing to find
        while abs(bad - good) > 1:  # good is allowed, bad is not: halve the gap between them
            middle = (good + bad) // 2
            good, bad = (middle, bad) if allowed(middle) else (good, middle)
        return good if good != int(session.knob_value(knob)) else None

    def knob(self, key: str, value: Any) -> str:
        new, note = self.turned(key, value)
        self.adopt(new or self.session, {"do": "knob", "key": key, "value": value})
        return note

    def set(self, key: str, value: Any) -> Frame:
        frame = self.session.set_params(**{key: value})
        self.record({"do": "set", "key": key, "value": value})
        return frame

    # --- scripts ---------------------------------------------------------------
    def run(self, script: tuple[dict[str, Any], ...] | None = None, max_steps: int | None = None) -> Iterator[Shown]:
        """Yield everything the script shows, starting with frame 0.

        Without a script the scenario plays to its end (or for `max_steps` steps).
        """
        yield self.session.shown()
        actions = list(self.session.scenario.script if script is None else script)
        if not actions:
            if max_steps == 0:
                return  # frame 0 alone
            actions = [{"do": "play", "steps": max_steps or 0}]
        for action in actions:
            yield from self.apply(action, max_steps)

    def apply(self, action: dict[str, Any], max_steps: int | None = None) -> Iterator[Shown]:
        do = action["do"]
        if do in ("step", "back", "play"):
            n = action.get("times") or action.get("steps") or (max_steps or 1 << 62)
            sign = -1 if do == "back" else 1
            for _ in range(n):
                before = self.session.index
                self.goto(before + sign)
                if self.session.index == before:
                    break
                yield self.session.shown()
        elif do == "first":
            self.first()
            yield self.session.shown()
        elif do in ("last", "finish"):
            self.finish() if do == "finish" else self.goto(self.session.computed)
            yield self.session.shown()
        elif do == "set":
            self.set(action["key"], action["value"])
            yield self.session.shown()
        elif do == "knob":
            note = self.knob(action["key"], action["value"])  # replaces the session: show the new one's frame
            yield self.session.shown(note=note)
        elif do == "caption":
            yield self.session.shown(note=action["text"])
        elif do == "snapshot":
            yield self.session.shown(event="snapshot", arg=action["name"])
        elif do == "pause":
            yield self.session.shown(event="pause", arg=action["seconds"])
