"""Messages the background workers post to the scenario screen (post_message is thread-safe)."""

from __future__ import annotations

from dataclasses import dataclass

from textual.message import Message


@dataclass
class SessionReady(Message):
    """The session opened (torch loaded, frame 0 computed)."""

    generation: int


@dataclass
class FramesReady(Message):
    """Frames up to `available` exist; move to `target` if it is set."""

    generation: int
    available: int
    target: int | None = None


@dataclass
class LabFailed(Message):
    """Opening or stepping failed with a message for the person."""

    generation: int
    text: str
