"""One form field per parameter: its label with the allowed range, an editor, and its error beside it.

A field shows what its editor can hold; anything else it is given (from the raw TOML tab: a
tensor too large for a grid, a string with a line break, a word where true/false belongs) it
keeps as given, says so, and hands back unchanged, so nothing typed is ever lost.
"""

from __future__ import annotations

from typing import Any, Sequence

from rich.text import Text
from textual import on
from textual.containers import Vertical
from textual.message import Message
from textual.validation import ValidationResult, Validator
from textual.content import Content
from textual.widgets import Input, Select, Static, Switch

from engine.core.fmt import visible
from engine.core.params import REQUIRED, Param, ParamError

from .codec import MISSING, check_one, from_text, to_text

# Longer than this, a value is the raw tab's (or the file's) job, not a one-line box's.
INPUT_MAX = 2000


def problem(p: Param, value: Any, where: str = "params") -> str | None:
    """The validator's message for one value, exactly as `tui-lab check` words it; None if fine."""
    try:
        check_one(p, value, where)
    except ParamError as exc:
        return str(exc)
    return None


# Kinds whose editor already shows what is allowed (the choices, the switch, the grid's shape).
SELF_EXPLAINED = ("bool", "choice", "str", "tensor", "tables")


def label(p: Param) -> Text:
    """Name, doc and the allowed range; literal text (docs hold shapes such as [C][H][W], never markup)."""
    words = [w for w in (p.doc, "" if p.kind in SELF_EXPLAINED else p.allowed()) if w]
    return Text.assemble((p.name, "bold"), "  ", (" · ".join(words), "dim"))


def kept(why: str | None) -> str:
    """The note of a field that keeps a value its editor cannot show."""
    return f"{why}; kept as given (change it in the raw TOML tab)"


def initial(p: Param, value: Any) -> Any:
    """MISSING (from a raw tab that leaves a key out) stands for the default."""
    if value is MISSING:
        return MISSING if p.default is REQUIRED else p.default
    return value


class Field(Vertical):
    """Base: subclasses yield their editor and implement `show` (put a value in the editor, or
    say why it cannot hold it) and `edited_value`."""

    COMPONENT_CLASSES = {"field--note", "field--error"}

    class Changed(Message):
        """A person changed this field."""

    def __init__(self, param: Param, value: Any, spec: Sequence[Param]) -> None:
        super().__init__(classes="field", id=f"field-{param.name}")
        self.param = param
        self.spec = spec
        self.held: Any = MISSING  # a value the editor cannot show, handed back as given
        self.note = ""  # why it is held
        self.error = ""
        self._first = value

    def compose(self):
        yield Static(label(self.param), classes="field-label")
        yield from self.editors()
        # One line (or a few) under the editor: why a value is held, and the field's problem.
        yield Static("", classes="field-message")

    def editors(self):
        raise NotImplementedError

    def on_mount(self) -> None:
        self.load(self._first)

    # --- value in, value out -------------------------------------------------------
    def load(self, value: Any) -> None:
        """Show `value` (MISSING: the default); keep it as given where the editor cannot."""
        value = initial(self.param, value)
        reason = self.show(value)
        self.held = value if reason else MISSING
        self.note = reason or ""
        for editor in self.editor_widgets():
            editor.display = not reason
        self.show_error(None if reason else problem(self.param, self.edited_value()))

    def show(self, value: Any) -> str | None:
        """Put `value` in the editor; a reason when it cannot hold it."""
        raise NotImplementedError

    def edited_value(self) -> Any:
        raise NotImplementedError

    def value(self) -> Any:
        """The raw value for the validator (MISSING: leave it to the default)."""
        return self.held if self.held is not MISSING else self.edited_value()

    def editor_widgets(self) -> list:
        return [w for w in self.children if not w.has_class("field-label", "field-message")]

    # --- errors beside the field -----------------------------------------------------
    def show_error(self, message: str | None) -> None:
        """The validator's words under the editor (wrapped, never cut), after any note."""
        self.error = message or ""
        parts = [(self.note, "field--note")] if self.note else []
        parts += [(self.error, "field--error")] if self.error else []
        box = self.query_one(".field-message", Static)
        box.update(Text("\n").join(Text(t, style=self.get_component_rich_style(c)) for t, c in parts))
        box.display = bool(parts)
        self.set_class(bool(message), "-invalid")

    def changed(self) -> None:
        """After a person's edit: check this field alone (cheap) and tell the form."""
        self.show_error(problem(self.param, self.value()))
        self.post_message(self.Changed())

    def focus_at(self, index: int | None = None, column: str = "") -> None:
        editors = [w for w in self.editor_widgets() if w.display and w.can_focus]
        if editors:
            editors[0].focus()
        self.reveal()

    def reveal(self) -> None:
        """Scroll so the field's last line (its message, when it has one) is in view, once laid out."""
        self.call_after_refresh(self._scroll_to_message)

    def _scroll_to_message(self) -> None:
        # Runs after a refresh: by then keys may have closed the form and taken the field down.
        for box in self.query(".field-message"):
            box.scroll_visible(animate=False)


class FieldCheck(Validator):
    """Checks a field's text as it is typed, with the lab's own validator and words."""

    def __init__(self, param: Param) -> None:
        super().__init__()
        self.param = param

    def validate(self, value: str) -> ValidationResult:
        message = problem(self.param, from_text(self.param, value))
        return self.failure(message) if message else self.success()


class InputField(Field):
    """Numbers, text, paths and short lists, typed on one line."""

    def editors(self):
        p = self.param
        default = "" if p.default in (REQUIRED, None) else to_text(p, p.default)
        # The first value goes in here: setting it after mounting costs a second validation and paint.
        first = initial(p, self._first)
        try:
            text = "" if first is MISSING else to_text(p, first)
        except TypeError:
            text = ""
        yield Input(text if len(text) <= INPUT_MAX and visible(text) == text else "",
                    id=f"param-{p.name}", compact=True, max_length=INPUT_MAX, validators=[FieldCheck(p)],
                    validate_on=["changed", "submitted"], valid_empty=False,
                    placeholder=f"default: {default}" if default else "blank: not given")

    @property
    def box(self) -> Input:
        return self.query_one(Input)

    def show(self, value: Any) -> str | None:
        try:
            text = "" if value is MISSING else to_text(self.param, value)
        except TypeError as exc:
            return kept(str(exc))
        if len(text) > INPUT_MAX:
            return kept(f"{len(text):,} characters: too long for a one-line box")
        if visible(text) != text:
            return kept(f"{visible(text)}: holds a line break or control character")
        self.box.value = text
        return None

    def edited_value(self) -> Any:
        return from_text(self.param, self.box.value)

    def on_input_changed(self, event: Input.Changed) -> None:
        event.stop()
        if self.held is MISSING:
            self.changed()


class ValueField(Field):
    """A field whose one editor has a `value` (a Switch, a Select) and holds only some values."""

    def holds(self, value: Any) -> bool:
        raise NotImplementedError

    @property
    def editor(self) -> Any:
        return self.query_one(f"#param-{self.param.name}")

    def show(self, value: Any) -> str | None:
        if not self.holds(value):
            return kept(problem(self.param, value))
        self.editor.value = value
        return None

    def edited_value(self) -> Any:
        return self.editor.value

    @on(Switch.Changed)
    @on(Select.Changed)
    def _edited(self, event: Message) -> None:
        event.stop()
        self.changed()


class SwitchField(ValueField):
    """true / false."""

    def editors(self):
        yield Switch(id=f"param-{self.param.name}")

    def holds(self, value: Any) -> bool:
        return isinstance(value, bool)


class SelectField(ValueField):
    """One of the lab's choices."""

    def editors(self):
        yield Select([(Text(c), c) for c in self.param.choices], id=f"param-{self.param.name}",
                     allow_blank=False, compact=True)

    def holds(self, value: Any) -> bool:
        return value in self.param.choices


class ToolLine(Static):
    """The grid's shape operations as clickable words, with their keys (one widget, not a row of
    buttons: a form holds many grids), then how a cell is edited (nothing else on screen says
    so). A click runs the field's `op`."""

    EDIT_HINT = "type or enter: edit"  # short: at 80 columns a tensor grid's line holds it

    def show(self, ops: Sequence[tuple[str, str]], hint: str, cells: bool = True) -> None:
        links = [Content.from_markup(f"[@click=op({op!r})]{label}[/]") for op, label in ops]
        hint = " · ".join(h for h in (hint, self.EDIT_HINT if cells else "") if h)
        self.update(Content(" ").join([Content("[") + link + Content("]") for link in links]
                                      + [Content(hint).stylize("dim")]))

    def action_op(self, op: str) -> None:
        field = next((a for a in self.ancestors if isinstance(a, Field)), None)
        if field is not None:
            field.action_op(op)
