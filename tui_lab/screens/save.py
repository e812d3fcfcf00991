"""Save the current parameters as a scenario file (written atomically)."""

from __future__ import annotations

from pathlib import Path

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Static

from engine.core.files import write_atomic
from engine.core.fmt import visible
from scenarios.scenario import Scenario
from scenarios.writer import scenario_document


class SaveScreen(ModalScreen[Path | None]):
    BINDINGS = [Binding("escape", "cancel", "Cancel", id="cancel")]

    def __init__(self, scenario: Scenario, script: list | None = None, heading: str = "Save as a scenario file") -> None:
        super().__init__()
        self.scenario = scenario
        self.script = script
        self.heading = heading

    def compose(self) -> ComposeResult:
        with Vertical(id="save-dialog"):
            yield Static(Text(self.heading), classes="dialog-title")
            yield Static("File", classes="field-label")
            yield Input(f"{self.scenario.name}-mine.toml", id="save-path")
            yield Static("Title (shown in lists and the header)", classes="field-label")
            yield Input(self.scenario.title, id="save-title")
            yield Static("", id="save-error")
            with Horizontal(classes="dialog-buttons"):
                yield Button("Save", variant="primary", id="save")
                yield Button("Cancel", id="cancel")

    # The path the person was warned about; saving it again overwrites.
    confirmed: Path | None = None

    @on(Input.Changed, "#save-path")
    def _path_changed(self) -> None:
        self.confirmed = None
        self.query_one("#save-error", Static).update("")

    @on(Button.Pressed, "#save")
    @on(Input.Submitted)
    def save(self) -> None:
        from dataclasses import replace

        raw = self.query_one("#save-path", Input).value.strip()
        if not raw:
            self._say("Type a file name.")
            return
        try:
            path = Path(raw).expanduser()
            if path.suffix != ".toml":
                path = path.with_suffix(".toml")
            exists, folder = path.exists(), path.is_dir()
        except (ValueError, OSError):  # a NUL byte, a name like "/" with no stem
            self._say(f"{raw} is not a file name that can be written.")
            return
        if folder:
            self._say(f"{path} is a folder; type a file name.")
            return
        if exists and self.confirmed != path:
            self.confirmed = path
            self._say(f"{path} exists: press Save again to overwrite it.", "bold yellow")
            return
        title = self.query_one("#save-title", Input).value.strip() or self.scenario.title
        try:
            write_atomic(path, scenario_document(replace(self.scenario, title=title), self.script))
        except (OSError, ValueError) as exc:
            self._say(f"Cannot write {path}: {getattr(exc, 'strerror', None) or exc}")
            return
        self.app.notify(f"Saved {path}")
        self.dismiss(path)

    def _say(self, message: str, style: str = "bold red") -> None:
        """A line under the fields; Text, never markup, since it quotes what was typed."""
        self.query_one("#save-error", Static).update(Text(visible(message), style=style))

    @on(Button.Pressed, "#cancel")
    def action_cancel(self) -> None:
        self.dismiss(None)
