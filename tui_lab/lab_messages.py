"""What the lab's workers tell the screen, and themselves: the messages of LabWork (lab_work.py).

Public ones go to the screen (Opened, Moved, Busy, Failed); the underscored ones carry a
worker's result back to LabWork's own handlers on the UI thread, and go no further
(`bubble=False` is a class keyword: Message.__init_subclass__ overwrites a class attribute).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

from textual.message import Message
from textual.screen import Screen
from textual.widget import Widget

from engine.controller import Controller
from engine.core.frame import Frame
from engine.session import Session


class LabMessages(Widget):
    @dataclass
    class Opened(Message):
        """A session is ready and frame 0 is computed."""

        controller: Controller

    @dataclass
    class Moved(Message):
        """Draw this frame; `note` says what just changed; `ghost` is the previous result."""

        frame: Frame
        note: str = ""
        ghost: Frame | None = None
        fresh: bool = False  # the scenario started again (edited, reset): no ghost of the old one

    @dataclass
    class Busy(Message):
        """What the workers are doing ('' when idle)."""

        text: str

    @dataclass
    class Failed(Message):
        """Something went wrong; `fatal` when there is nothing to show at all."""

        text: str
        fatal: bool = False

    PUBLIC = (Opened, Moved, Busy, Failed)

    def post_message(self, message: Message) -> bool:
        """A public message goes straight to the screen it would bubble to: a step's frame is
        drawn one trip through the event loop sooner (a tenth of a ~4 ms step), and it stops
        there (the app has no use for it; bubbling from the runner, one made by the screen's
        own handler had stopped there too). The rest (the underscored ones, Textual's own)
        come here. The parent is read once: a worker thread posts while the screen may close."""
        screen = self._parent
        if isinstance(message, self.PUBLIC) and isinstance(screen, Screen):
            message.stop()
            return screen.post_message(message)
        return super().post_message(message)

    @dataclass
    class _Computed(Message, bubble=False):
        generation: int
        target: int | None
        follow: bool = False  # a live run stopped: show the last frame it made

    @dataclass
    class _Refused(Message, bubble=False):
        """A knob turn the lab would not take: the knob shows the value in use again."""

        key: str
        value: Any
        text: str

    @dataclass
    class _Built(Message, bubble=False):
        generation: int
        session: Session | None
        action: list[dict[str, Any]]
        note: str = ""


class Waiting:
    """Keys kept until the work under way is done (the lab opens, a turn answers, a move
    lands), then run in the order they were pressed."""

    def __init__(self) -> None:
        self._calls: list[Callable[[], None]] = []

    def add(self, call: Callable[[], None]) -> None:
        self._calls.append(call)

    def __bool__(self) -> bool:
        return bool(self._calls)

    def run(self) -> None:
        calls, self._calls = self._calls, []  # a call may add to the queue again: that waits for next time
        for call in calls:
            call()
