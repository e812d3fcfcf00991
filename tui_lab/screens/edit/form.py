"""Edit a scenario's parameters: a form generated from the lab's Param table, with the same
params as raw TOML in an "advanced" tab for what a grid cannot hold.

ctrl+s (or Apply) checks everything with the lab's own validator in a thread worker, so a
huge request never freezes the screen, and dismisses with the validated params; escape
dismisses with None. A problem is shown beside its field in the words `tui-lab check` uses,
and the form stays as typed.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.message import Message
from textual.screen import ModalScreen
from textual.widget import Widget
from textual.widgets import Button, Input, Static, TabbedContent, TabPane, TextArea

from engine.core.fmt import visible
from engine.core.params import Param, ParamError, validate
from engine.registry import lab_class
from scenarios.loader import resolve_paths
from scenarios.scenario import Scenario
from scenarios.writer import literal

from . import nested
from .codec import MISSING, document, field_of, locate, read_document
from .fields import Field, InputField, SelectField, SwitchField
from .tables import TablesField
from .tensor import TensorField

FIELDS = {"bool": SwitchField, "choice": SelectField, "tensor": TensorField, "tables": TablesField}
FORM, RAW = "edit-form-tab", "edit-raw-tab"
# A value longer than this is left out of the raw tab (named in a comment) and kept as it is.
RAW_VALUE_MAX = 20_000


def make_field(p: Param, value: Any, spec: Any) -> Field:
    return FIELDS.get(p.kind, InputField)(p, value, spec)


@dataclass
class Checked(Message):
    """The validator's answer, from the worker: params, or the error to show."""

    token: int
    params: dict[str, Any] | None
    error: ParamError | None
    raw: bool


class EditScreen(ModalScreen[dict[str, Any] | None]):
    """Keys: ctrl+s apply · escape cancel · ctrl+t form / raw TOML · tab between fields."""

    CSS_PATH = "form.tcss"
    BINDINGS = [
        Binding("escape", "cancel", "Cancel", id="cancel"),
        Binding("ctrl+s", "apply", "Apply", id="apply"),
        Binding("ctrl+t", "switch_tab", "Form / raw TOML", id="switch-tab"),
    ]

    def __init__(self, scenario: Scenario) -> None:
        super().__init__()
        self.scenario = scenario
        self.lab = lab_class(scenario.lab)
        self.spec = tuple(self.lab.PARAMS)
        self.token = 0  # bumped per apply: an older check's answer is dropped
        self.raw_written: str | None = None  # the raw text as last written from the form
        self.raw_kept: dict[str, Any] = {}  # values too large for the raw tab, kept as they are
        self.bounce = False  # going back to the raw tab because its text cannot fill the form
        self.form_focus: Widget | None = None  # what had focus on the form when ctrl+t left it

    def compose(self) -> ComposeResult:
        with Vertical(id="edit-dialog"):
            yield Static(Text.assemble(("Edit parameters: ", "bold"), (visible(self.scenario.title), "bold")),
                         id="edit-title")
            with TabbedContent(id="edit-tabs"):
                with TabPane("Form", id=FORM):
                    with VerticalScroll(id="edit-fields"):
                        for p in self.spec:
                            yield make_field(p, self.scenario.params.get(p.name, MISSING), self.spec)
                with TabPane("Raw TOML (advanced)", id=RAW):
                    yield TextArea(id="edit-raw", show_line_numbers=True, soft_wrap=False)
                    yield Static("", id="edit-raw-error")
            yield Static("", id="edit-error")
            with Horizontal(classes="dialog-buttons"):
                yield Static(Text("ctrl+s apply · esc cancel · ctrl+t raw TOML", style="dim"), id="edit-keys")
                yield Button("Apply", variant="primary", id="apply", compact=True)
                yield Button("Cancel", id="cancel", compact=True)

    def on_mount(self) -> None:
        first = next(iter(self.fields.values()), None)
        if first is not None:
            self.call_after_refresh(first.focus_at)

    @property
    def fields(self) -> dict[str, Field]:
        return {f.param.name: f for f in self.query(Field)}

    # --- the two tabs -------------------------------------------------------------------
    def form_values(self) -> dict[str, Any]:
        values = {name: f.value() for name, f in self.fields.items()}
        return {k: v for k, v in values.items() if v is not MISSING}

    def raw_values(self) -> dict[str, Any]:
        """The raw tab's params (ParamError worded like `check`), with the values kept aside."""
        params = read_document(self.query_one("#edit-raw", TextArea).text)
        return {**{k: v for k, v in self.raw_kept.items() if k not in params}, **params}

    def write_raw(self) -> None:
        values, notes, self.raw_kept = self.form_values(), [], {}
        for name, value in list(values.items()):
            text = literal(value) if value is not None else ""
            if len(text) > RAW_VALUE_MAX:
                dims = nested.shape(value)
                size = f"{nested.size(dims):,} numbers" if dims and isinstance(value, list) else f"{len(text):,} characters"
                notes.append(f"{name}: {size}, kept as it is (too large to show here; write {name} = ... to replace it)")
                self.raw_kept[name] = values.pop(name)
        text = document(self.scenario, values, notes)
        self.raw_written = text
        self.query_one("#edit-raw", TextArea).load_text(text)

    def fill_form(self) -> bool:
        """The raw tab's params into the form; False (and why, on the raw tab) if they cannot go there."""
        if self.raw_written in (None, self.query_one("#edit-raw", TextArea).text):
            return True  # never shown, or unchanged since it was written: the form holds it all
        try:
            params = self.raw_values()
            for key in params:
                if key not in self.fields:
                    validate(self.spec, {key: params[key]})  # the validator's own "unknown key" words
        except ParamError as exc:
            self.report(exc, raw=True)
            return False
        for name, field in self.fields.items():
            field.load(params.get(name, MISSING))
        self.raw_written = None
        return True

    @on(TabbedContent.TabActivated)
    def _tab(self, event: TabbedContent.TabActivated) -> None:
        if event.pane.id == RAW:
            if self.bounce:
                self.bounce = False
            else:
                self.write_raw()
            self.query_one("#edit-raw", TextArea).focus()  # typing goes into the text at once
        elif not self.fill_form():
            self.bounce = True
            self.query_one(TabbedContent).active = RAW
        else:
            self._focus_form()

    def _focus_form(self) -> None:
        """Back on the form: focus where it was when ctrl+t left it, else the first field."""
        widget, self.form_focus = self.form_focus, None
        if widget is not None and widget.is_attached and widget.display:
            widget.focus()
        elif (first := next(iter(self.fields.values()), None)) is not None:
            first.focus_at()

    def action_switch_tab(self) -> None:
        tabs = self.query_one(TabbedContent)
        if tabs.active == FORM:
            self.form_focus = self.focused
        tabs.active = FORM if tabs.active == RAW else RAW

    # --- apply ----------------------------------------------------------------------------
    @on(Button.Pressed, "#apply")
    @on(Input.Submitted)
    def action_apply(self) -> None:
        raw = self.query_one(TabbedContent).active == RAW
        try:
            values = self.raw_values() if raw else self.form_values()
        except ParamError as exc:
            self.report(exc, raw)
            return
        self.token += 1
        self.status(Text("checking…", style="dim"))
        self.check(self.token, values, raw)

    @work(thread=True, exclusive=True, group="edit-check", exit_on_error=False)
    def check(self, token: int, values: dict[str, Any], raw: bool) -> None:
        """The lab's validator, with its size budgets, off the UI thread."""
        try:
            params = self.lab.validate(resolve_paths(self.spec, values, self.scenario.path))
        except ParamError as exc:
            self.post_message(Checked(token, None, exc, raw))
        except Exception as exc:  # MemoryError, RecursionError …: a message, never a crash
            self.post_message(Checked(token, None, ParamError("params", f"cannot check: {type(exc).__name__}: {exc}"), raw))
        else:
            self.post_message(Checked(token, params, None, raw))

    @on(Checked)
    def _checked(self, message: Checked) -> None:
        if message.token != self.token:
            return
        if message.error is None:
            self.dismiss(message.params)
        else:
            self.report(message.error, message.raw)

    def report(self, exc: ParamError, raw: bool) -> None:
        """Beside the field (or under the raw text, with its line), and on the dialog's last line."""
        if raw:
            area = self.query_one("#edit-raw", TextArea)
            if not exc.key.startswith("line "):
                exc = locate(area.text, exc)
            box = self.query_one("#edit-raw-error", Static)
            box.update(Text(str(exc)))
            box.display = True
            area.focus()
            self.status(Text(""))  # said once, under the text it is about
            return
        else:
            name, index, column = field_of(exc.key)
            field = self.fields.get(name)
            if field is not None:
                field.show_error(str(exc))
                field.focus_at(index, column)
        self.status(Text(str(exc), style="bold"), error=True)

    def status(self, text: Text, error: bool = False) -> None:
        box = self.query_one("#edit-error", Static)
        box.update(text)
        box.set_class(error, "-error")

    @on(TextArea.Changed, "#edit-raw")
    def _raw_edited(self) -> None:
        """An error under the raw text is about the text as it was: gone once it is edited."""
        self.query_one("#edit-raw-error", Static).display = False

    @on(Button.Pressed, "#cancel")
    def action_cancel(self) -> None:
        self.dismiss(None)
