"""A grid of short texts edited in place, spreadsheet-style: a matrix's numbers or a list of tables.

One widget draws every cell (a DataTable underneath), so a grid of a few hundred cells costs
no more than one field. The grid holds text only; its owner turns the text into values,
changes the shape, and says what each column means.

Keys: arrows move · typing replaces the cell · enter edits the cell's text (enter again keeps
it) · backspace / delete · escape drops an unfinished edit · space steps through a column's
values where it has a short list (true / false, the choices).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

from rich.text import Text
from textual import events
from textual.coordinate import Coordinate
from textual.message import Message
from textual.widgets import DataTable

from engine.core.fmt import visible

# Keys that leave a cell: an unfinished edit is kept first, then the key does its usual work.
MOVES = {"up": "cursor_up", "down": "cursor_down", "left": "cursor_left", "right": "cursor_right",
         "pageup": "page_up", "pagedown": "page_down"}
LEAVING = ("up", "down", "left", "right", "tab", "shift+tab", "pageup", "pagedown", "home", "end")


class GridEditor(DataTable):
    """Editable cells of text; posts `Edited` after each change a person makes."""

    DEFAULT_CSS = Path(__file__).with_suffix(".tcss").read_text(encoding="utf-8")

    @dataclass
    class Edited(Message):
        grid: "GridEditor"
        row: int
        column: int
        text: str

        @property
        def control(self) -> "GridEditor":
            return self.grid

    def __init__(self, *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes, cursor_type="cell")
        self.cells: list[list[str]] = []
        # Column -> the values space steps through (e.g. ("", "true", "false")).
        self.cycles: dict[int, Sequence[str]] = {}
        # The text being typed into the cursor's cell, or None when not editing.
        self.buffer: str | None = None

    # --- contents ----------------------------------------------------------------
    def load(self, columns: Sequence[str], rows: list[list[str]], row_labels: Sequence[str] | None = None,
             cycles: dict[int, Sequence[str]] | None = None, cursor: tuple[int, int] | None = None) -> None:
        """Show `rows` and edit them in place (the owner's lists: an edit is in them before `Edited`
        arrives), keeping the cursor where it was (or at `cursor`) when it still fits."""
        row, column = cursor if cursor is not None else self.cursor_coordinate
        self.buffer = None
        self.cells = rows
        self.cycles = dict(cycles or {})
        self.clear(columns=True)
        for label in columns:
            self.add_column(Text(label))
        for i, texts in enumerate(self.cells):
            label = Text(row_labels[i]) if row_labels is not None else None
            self.add_row(*(self._shown(t) for t in texts), label=label)
        if self.cells and columns:
            self.move_cursor(row=max(0, min(row, len(self.cells) - 1)),
                             column=max(0, min(column, len(columns) - 1)), animate=False)

    def set_text(self, row: int, column: int, text: str) -> None:
        """Change one cell as a person would (posts `Edited`)."""
        self.cells[row][column] = text
        self.update_cell_at(Coordinate(row, column), self._shown(text), update_width=True)
        self.post_message(self.Edited(self, row, column, text))

    def _shown(self, text: str, editing: bool = False) -> Text:
        # Literal text, never markup; control characters made visible.
        if editing:
            return Text(visible(text) + "▏", style="underline")
        return Text(visible(text))

    # --- editing -------------------------------------------------------------------
    @property
    def _here(self) -> tuple[int, int]:
        return self.cursor_coordinate.row, self.cursor_coordinate.column

    def _show_buffer(self) -> None:
        row, column = self._here
        shown = self._shown(self.buffer, editing=True) if self.buffer is not None else self._shown(self.cells[row][column])
        self.update_cell_at(Coordinate(row, column), shown, update_width=True)

    def commit(self) -> None:
        """Keep what was typed into the cell (nothing to do when not editing)."""
        if self.buffer is None or not self.cells:
            return
        text, self.buffer = self.buffer, None
        row, column = self._here
        self.set_text(row, column, text)

    def on_key(self, event: events.Key) -> None:
        if not self.cells or not self.columns:
            return
        key = event.key
        if key in MOVES:  # moved here and now: a binding runs only after the key has bubbled,
            self.commit()  # so a key typed right after it would land in the old cell
            getattr(self, f"action_{MOVES[key]}")()
            event.stop()
            event.prevent_default()
            return
        row, column = self._here
        if self.buffer is not None:
            if key == "escape":
                self.buffer = None
                self._show_buffer()
            elif key == "enter":
                self.commit()
            elif key == "backspace":
                self.buffer = self.buffer[:-1]
                self._show_buffer()
            elif event.is_printable and event.character:
                self.buffer += event.character
                self._show_buffer()
            else:
                if key in LEAVING:
                    self.commit()
                return  # let the key do its usual work (move, leave the grid)
            event.stop()
            event.prevent_default()
            return
        if key == "space" and column in self.cycles:
            values = list(self.cycles[column])
            current = self.cells[row][column]
            step = values.index(current) + 1 if current in values else 0
            self.set_text(row, column, values[step % len(values)])
        elif event.is_printable and event.character:
            self.buffer = event.character
            self._show_buffer()
        elif key == "enter":
            self.buffer = self.cells[row][column]
            self._show_buffer()
        elif key == "backspace":
            self.buffer = self.cells[row][column][:-1]
            self._show_buffer()
        elif key == "delete":
            self.set_text(row, column, "")
        else:
            return
        event.stop()
        event.prevent_default()

    def on_paste(self, event: events.Paste) -> None:
        if self.cells and self.columns:
            first_line = event.text.splitlines()[0] if event.text.strip() else ""
            self.buffer = (self.buffer or "") + first_line.strip()
            self._show_buffer()
        event.stop()

    def on_blur(self) -> None:
        self.commit()
