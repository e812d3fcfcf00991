"""Ask for a step number (from the command palette's "Go to step…")."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.validation import Integer
from textual.widgets import Input, Static


class GotoScreen(ModalScreen[int | None]):
    BINDINGS = [Binding("escape", "cancel", "Cancel", id="cancel")]

    def __init__(self, last: int | None) -> None:
        super().__init__()
        self.last = last

    def compose(self) -> ComposeResult:
        upto = "" if self.last is None else f" (0 to {self.last})"
        with Vertical(id="goto-dialog"):
            yield Static(f"Go to step{upto}", classes="dialog-title")
            yield Input(placeholder="step number", id="goto-step", type="integer",
                        validators=[Integer(minimum=0, maximum=self.last)])
            yield Static("", id="goto-error")

    @on(Input.Submitted)
    def _go(self, event: Input.Submitted) -> None:
        if not event.validation_result or not event.validation_result.is_valid:
            upto = "a whole number ≥ 0" if self.last is None else f"a whole number from 0 to {self.last}"
            self.query_one("#goto-error", Static).update(f"Type {upto}.")
            return
        self.dismiss(int(event.value))

    def action_cancel(self) -> None:
        self.dismiss(None)
