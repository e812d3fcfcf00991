"""Edit the parameters in a validated form: one TOML literal per key, checked as a whole."""

from __future__ import annotations

from typing import Any

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from rich.text import Text
from textual.widgets import Button, Input, Static

from engine.core.params import ParamError
from engine.registry import lab_class
from scenarios.scenario import Scenario

from scenarios.writer import literal, parse_literal

# Past this, an edit box would hold a wall of numbers: edit the file instead.
MAX_LITERAL = 2000


class EditScreen(ModalScreen[dict[str, Any] | None]):
    """Keys: ctrl+s or Apply to validate and apply; escape to cancel; tab between fields."""

    BINDINGS = [
        Binding("escape", "cancel", "Cancel", id="cancel"),
        Binding("ctrl+s", "apply", "Apply", id="apply"),
    ]

    def __init__(self, scenario: Scenario) -> None:
        super().__init__()
        self.scenario = scenario
        self.spec = lab_class(scenario.lab).PARAMS
        self.fixed: dict[str, Any] = {}

    def compose(self) -> ComposeResult:
        with Vertical(id="edit-dialog"):
            yield Static(f"Edit parameters: {self.scenario.title}", classes="dialog-title")
            with VerticalScroll(id="edit-fields"):
                for p in self.spec:
                    value = self.scenario.params.get(p.name)
                    text = literal(value)
                    # Text, not markup: docs hold shapes such as [C][H][W].
                    label = Text.assemble((p.name, "bold"), "  ", (f"{p.doc}; {p.allowed()}", "dim"))
                    yield Static(label, classes="field-label")
                    if len(text) > MAX_LITERAL:
                        self.fixed[p.name] = value
                        yield Static(f"  (too large to edit here: {len(text):,} characters; edit the scenario file)", classes="dim")
                    else:
                        yield Input(text, id=f"param-{p.name}")
            yield Static("", id="edit-error")
            with Horizontal(classes="dialog-buttons"):
                yield Button("Apply", variant="primary", id="apply")
                yield Button("Cancel", id="cancel")

    def _collect(self) -> dict[str, Any]:
        raw: dict[str, Any] = dict(self.fixed)
        for p in self.spec:
            if p.name in self.fixed:
                continue
            box = self.query_one(f"#param-{p.name}", Input)
            try:
                raw[p.name] = parse_literal(box.value)
            except ValueError as exc:
                if p.kind in ("str", "choice", "path"):
                    raw[p.name] = box.value.strip()  # a bare word is meant as the string
                    continue
                box.focus()
                hint = '; text needs "quotes", lists [brackets]' if p.kind not in ("int", "float", "bool") else ""
                raise ParamError(f"params.{p.name}", f"{exc}{hint}") from None
        return lab_class(self.scenario.lab).validate(raw)

    @on(Button.Pressed, "#apply")
    @on(Input.Submitted)
    def action_apply(self) -> None:
        try:
            params = self._collect()
        except ParamError as exc:
            self.query_one("#edit-error", Static).update(f"[b red]{exc}[/]")
            name = exc.key.split(".")[1].split("[")[0] if "." in exc.key else ""
            if name and name not in self.fixed:
                self.query_one(f"#param-{name}", Input).focus()
            return
        self.dismiss(params)

    @on(Button.Pressed, "#cancel")
    def action_cancel(self) -> None:
        self.dismiss(None)
