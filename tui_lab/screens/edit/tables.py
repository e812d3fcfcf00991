"""A list of tables (the optimizers racing, the layers of a network): one grid row per table."""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual import on
from textual.binding import Binding
from textual.widgets import DataTable, Static

from tui_lab.widgets.grid_editor import GridEditor

from .codec import MISSING, from_text, not_given, to_text
from .fields import Field, ToolLine, kept, problem

TABLES_MAX = 200


class TablesField(Field):
    """A list of tables (the optimizers racing, the layers of a network): one row each, one
    column per key; rows added, removed and moved."""

    BINDINGS = [
        Binding("ctrl+down", "op('add')", "add a row", show=False),
        Binding("ctrl+up", "op('remove')", "remove the row", show=False),
        Binding("shift+up", "op('up')", "move the row up", show=False),
        Binding("shift+down", "op('down')", "move the row down", show=False),
    ]

    def __init__(self, *args: Any, **kw: Any) -> None:
        super().__init__(*args, **kw)
        self.rows: list[list[str]] = []
        self.fields = self.param.fields

    def editors(self):
        yield GridEditor(id=f"param-{self.param.name}")
        yield ToolLine(classes="grid-tools")
        yield Static("", classes="column-doc")

    @property
    def grid(self) -> GridEditor:
        return self.query_one(GridEditor)

    def show(self, value: Any) -> str | None:
        if value is MISSING:
            value = []
        known = {f.name for f in self.fields}
        if not isinstance(value, list) or not all(isinstance(t, dict) and set(t) <= known for t in value):
            return kept(problem(self.param, value))
        if len(value) > TABLES_MAX:
            return kept(f"{len(value):,} tables: too many for a grid here")
        try:
            self.rows = [[to_text(f, t.get(f.name)) for f in self.fields] for t in value]
        except TypeError as exc:
            return kept(str(exc))
        self._draw()
        return None

    def edited_value(self) -> Any:
        self.grid.commit()  # a cell typed into and not yet entered counts (ctrl+s, ctrl+t)
        tables = []
        for texts in self.rows:
            table = {f.name: from_text(f, t) for f, t in zip(self.fields, texts)}
            tables.append({k: v for k, v in table.items() if v is not MISSING})
        return MISSING if not_given(self.param, tables) else tables

    def _draw(self, cursor: tuple[int, int] | None = None) -> None:
        cycles = {}
        for i, f in enumerate(self.fields):
            blank = ("",) if f.default is None else ()
            if f.kind == "bool":
                cycles[i] = blank + ("true", "false")
            elif f.kind == "choice":
                cycles[i] = blank + f.choices
        self.grid.load([f.name for f in self.fields], self.rows, row_labels=[str(i) for i in range(len(self.rows))],
                       cycles=cycles, cursor=cursor)
        self.query_one(ToolLine).show([("add", "+ row"), ("remove", "− row"), ("up", "↑"), ("down", "↓")],
                                      "ctrl+↓ ↑ add / remove · shift+↑ ↓ move · space: next value",
                                      cells=bool(self.rows))
        self._describe_column()

    def _describe_column(self) -> None:
        if not self.fields:
            return
        f = self.fields[min(self.grid.cursor_coordinate.column, len(self.fields) - 1)]
        parts = [f.name, f.doc, f.allowed()] + (["blank: not set"] if f.default is None else [])
        self.query_one(".column-doc", Static).update(Text(" · ".join(p for p in parts if p)))

    @on(DataTable.CellHighlighted)
    def _moved(self, event: DataTable.CellHighlighted) -> None:
        event.stop()
        self._describe_column()

    @on(GridEditor.Edited)
    def _cell(self, event: GridEditor.Edited) -> None:
        event.stop()
        self.changed()  # the grid has written the text into self.rows already

    def action_op(self, op: str) -> None:
        """Add (a copy of the row at the cursor), remove, or move a row."""
        self.grid.commit()
        row, column = self.grid.cursor_coordinate
        rows = self.rows
        if op == "add" and len(rows) < TABLES_MAX:
            blank = [f.choices[0] if f.kind == "choice" and f.required else "" for f in self.fields]
            rows.insert(row + 1 if rows else 0, list(rows[row]) if rows else blank)
            row = row + 1 if len(rows) > 1 else 0
        elif op == "remove" and rows:
            del rows[row]
            row = max(0, min(row, len(rows) - 1))
        elif op in ("up", "down") and rows and 0 <= (to := row + (1 if op == "down" else -1)) < len(rows):
            rows[row], rows[to] = rows[to], rows[row]
            row = to
        else:
            return
        self._draw(cursor=(row, column))
        self.changed()

    def focus_at(self, index: int | None = None, column: str = "") -> None:
        if self.held is MISSING:
            self.grid.focus()
            if index is not None and index < len(self.rows):
                names = [f.name for f in self.fields]
                self.grid.move_cursor(row=index, column=names.index(column) if column in names else 0)
        self.reveal()
