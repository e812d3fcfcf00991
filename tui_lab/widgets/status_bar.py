"""One line under the frame: step k / n, play state and speed, the device, a teacher's note."""

from __future__ import annotations

from textual.reactive import reactive
from textual.widgets import Static


class StatusBar(Static):
    DEFAULT_CSS = """
    StatusBar { height: 1; background: $boost; color: $text-muted; padding: 0 1; }
    """

    step: reactive[int] = reactive(0)
    """Index of the frame on show."""
    total: reactive[int | None] = reactive(None)
    """Index of the last frame, when known."""
    computed: reactive[int] = reactive(0)
    """Frames computed so far (for live labs that run ahead)."""
    playing: reactive[bool] = reactive(False)
    speed: reactive[float] = reactive(2.0)
    """Steps per second while playing."""
    device: reactive[str] = reactive("")
    busy: reactive[str] = reactive("")
    """What the background worker is doing, if anything."""
    recording: reactive[bool] = reactive(False)
    live: reactive[bool] = reactive(False)
    """A live lab runs as fast as it can; there is no speed to show."""

    def render(self) -> str:
        total = "?" if self.total is None else str(self.total)
        parts = [f"step {self.step} / {total}"]
        if self.total is None and self.computed > self.step:
            parts.append(f"{self.computed} computed")
        if self.playing:
            parts.append("▶ running" if self.live else f"▶ playing {self.speed:g}/s")
        else:
            parts.append("‖ paused")
        if self.device:
            parts.append(self.device)
        if self.busy:
            parts.append(self.busy)
        if self.recording:
            parts.append("● REC")
        return "  ·  ".join(parts)
