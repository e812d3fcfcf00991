"""Ask before a scenario's model is imported: importing a Python file runs its code.

Push `TrustScreen(spec)` where `engine.arch.model.needs_trust(scenario.params)` returns a
spec; it shows the path literally and waits for y (allow it for this session, dismiss True)
or n / escape (dismiss False). Nothing is imported here.
"""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Static

from engine.core.fmt import visible


class TrustScreen(ModalScreen[bool]):
    DEFAULT_CSS = """
    TrustScreen { align: center middle; }
    #trust-dialog { width: 76; max-width: 95%; height: auto; border: thick $warning; background: $surface; padding: 0 1; }
    #trust-path { text-style: bold; margin: 1 0; }
    """
    BINDINGS = [
        Binding("y", "trust", "Yes, import it", id="trust"),
        Binding("n,escape", "refuse", "No", id="refuse"),
    ]

    def __init__(self, spec: str) -> None:
        super().__init__()
        self.spec = spec

    def compose(self) -> ComposeResult:
        with Vertical(id="trust-dialog"):
            yield Static("This scenario runs code from a file", classes="dialog-title")
            yield Static(Text("It names a model to import:"))
            yield Static(Text(visible(self.spec)), id="trust-path")
            yield Static(Text("Opening it imports that Python file, which runs its code with your permissions. "
                              "Open it only if you trust the file."))
            yield Static(Text("y: trust it and open · n or escape: go back", style="bold"))

    def action_trust(self) -> None:
        from engine.arch.model import ModelError, allow

        try:
            allow(self.spec)
        except ModelError as exc:  # the file went away since the scenario was loaded
            self.notify(str(exc), severity="error", timeout=8)
            self.dismiss(False)
            return
        self.dismiss(True)

    def action_refuse(self) -> None:
        self.dismiss(False)
