"""A tensor field: a grid of its last two axes (one cell per number), a slice chooser for the rest."""

from __future__ import annotations

import itertools
import re
from typing import Any

from rich.text import Text
from textual import on
from textual.binding import Binding
from textual.widgets import Select

from engine.core.params import Param
from tui_lab.widgets.grid_editor import GridEditor

from . import nested
from .codec import MISSING, not_given, number, to_text
from .fields import Field, ToolLine, kept, problem

# "Up to a few hundred numbers": past this a grid is a wall to scroll, not a thing to edit.
GRID_MAX = 400


def axis_names(p: Param, depth: int) -> list[str]:
    """[F][C][kh][kw] -> F, C, kh, kw (generic names where the lab gives none for this depth)."""
    names = re.findall(r"\[(\w+)\]", p.shapes.get(depth, ""))
    return names if len(names) == depth else [f"axis {i}" for i in range(depth)]


class TensorField(Field):
    """A tensor of up to GRID_MAX numbers: a grid of its last two axes, a slice chooser for the rest."""

    BINDINGS = [
        Binding("ctrl+down", "op('row+')", "add a row", show=False),
        Binding("ctrl+up", "op('row-')", "remove the row", show=False),
        Binding("ctrl+right", "op('col+')", "add a column", show=False),
        Binding("ctrl+left", "op('col-')", "remove the column", show=False),
        Binding("ctrl+pagedown", "op('lead+0')", "add a slice along the first axis", show=False),
        Binding("ctrl+pageup", "op('lead-0')", "remove the slice along the first axis", show=False),
        Binding("shift+pagedown", "op('lead+1')", "add a slice along the second axis", show=False),
        Binding("shift+pageup", "op('lead-1')", "remove the slice along the second axis", show=False),
    ]

    def __init__(self, *args: Any, **kw: Any) -> None:
        super().__init__(*args, **kw)
        self.cells: Any = []  # nested lists of cell texts; [] = empty (the default "not given")
        self.lead: tuple[int, ...] = ()  # which slice of the leading axes is on show

    def editors(self):
        yield GridEditor(id=f"param-{self.param.name}")
        yield ToolLine(classes="grid-tools")

    @property
    def grid(self) -> GridEditor:
        return self.query_one(GridEditor)

    @property
    def depth(self) -> int:
        return len(nested.shape(self.cells)) if self.cells else 0

    # --- value in, value out -------------------------------------------------------
    def show(self, value: Any) -> str | None:
        if value is MISSING or value == []:
            self.cells, self.lead = [], ()
            self._draw()
            return None
        message = problem(self.param, value)
        if not isinstance(value, list) or (message and ("ragged" in message or "shaped" in message)):
            return kept(message)
        dims = nested.shape(value)
        if nested.size(dims) > GRID_MAX or len(dims) > 4:
            return self._too_large(dims)
        self.cells = nested.leaves(value, lambda x: x if isinstance(x, str) else to_text(self.param, x))
        self.lead = tuple(0 for _ in dims[:-2])
        self._draw()
        return None

    def _too_large(self, dims: tuple[int, ...]) -> str:
        random = f"random_{self.param.name}"
        other = f"set {random} for a seeded random one, or " if any(q.name == random for q in self.spec) else ""
        return (f"{nested.size(dims):,} numbers ({' × '.join(map(str, dims))}): too many for a grid here; "
                f"{other}change them in the raw TOML tab. Kept as they are.")

    def edited_value(self) -> Any:
        self.grid.commit()  # a cell typed into and not yet entered counts (ctrl+s, ctrl+t)
        if not self.cells:
            return MISSING if not_given(self.param, []) else []
        return nested.leaves(self.cells, number)

    # --- drawing ---------------------------------------------------------------------
    def _draw(self, cursor: tuple[int, int] | None = None) -> None:
        depth, dims = self.depth, nested.shape(self.cells)
        names = axis_names(self.param, depth) if depth else []
        self._chooser(names, dims)
        if depth:
            rows = [self.cells] if depth == 1 else nested.at(self.cells, self.lead)
            self.grid.load([str(c) for c in range(len(rows[0]))], rows,
                           row_labels=None if depth == 1 else [str(r) for r in range(len(rows))], cursor=cursor)
        else:
            self.grid.load(["empty: ctrl+↓ adds a row"], [])
        ops, keys = [("row+", "+ row")], ["ctrl+↓"]
        if depth:
            ops = ([] if depth == 1 else [("row+", "+ row"), ("row-", "− row")]) + [("col+", "+ col"), ("col-", "− col")]
            keys = ["ctrl+→ ←" if depth == 1 else "ctrl+arrows"]
        for axis, name in enumerate(names[:-2]):
            ops += [(f"lead+{axis}", f"+ {name}"), (f"lead-{axis}", f"− {name}")]
            keys.append(f"{('ctrl', 'shift')[axis]}+pgdn pgup")
        if depth and not_given(self.param, []):
            ops.append(("clear", "empty"))
        self.query_one(ToolLine).show(ops, " · ".join(keys), cells=bool(depth))

    def _chooser(self, names: list[str], dims: tuple[int, ...]) -> None:
        """The slice on show, for three or four axes (mounted only where needed: it is four widgets)."""
        found = self.query(".slice").results(Select)
        chooser = next(found, None)
        if len(dims) < 3:
            if chooser is not None:
                chooser.display = False
            return
        slices = list(itertools.product(*(range(d) for d in dims[:-2])))
        options = [(Text(", ".join(f"{n} = {i}" for n, i in zip(names, s))), s) for s in slices]
        if chooser is None:
            chooser = Select(options, value=self.lead, allow_blank=False, compact=True, classes="slice")
            self.mount(chooser, before=self.grid)
        else:
            with chooser.prevent(Select.Changed):
                chooser.set_options(options)
                chooser.value = self.lead
        chooser.display = True

    # --- edits -----------------------------------------------------------------------
    @on(GridEditor.Edited)
    def _cell(self, event: GridEditor.Edited) -> None:
        event.stop()
        self.changed()  # the grid has written the text into self.cells already

    @on(Select.Changed, ".slice")
    def _slice(self, event: Select.Changed) -> None:
        event.stop()
        if isinstance(event.value, tuple) and event.value != self.lead:
            self.grid.commit()
            self.lead = event.value
            self._draw()

    def action_op(self, op: str) -> None:
        """Change the shape: rows and columns at the cursor, leading axes at the slice on show."""
        self.grid.commit()
        row, column = self.grid.cursor_coordinate
        if op == "clear":
            self.cells, self.lead = [], ()
        elif not self.cells:
            if op != "row+":
                return
            depth = 2 if 2 in self.param.ndims or not self.param.ndims else max(self.param.ndims)
            self.cells, self.lead = nested.full((1,) * depth, "0"), (0,) * max(0, depth - 2)
        else:
            moved = self._reshape(op, row, column)
            if moved is None:
                return
            row, column = moved
        self._draw(cursor=(row, column))
        self.changed()

    def _reshape(self, op: str, row: int, column: int) -> tuple[int, int] | None:
        """Add or remove one layer; the new cursor, or None when the shape cannot change so."""
        depth, dims = self.depth, nested.shape(self.cells)
        kind, sign = op[:-2] if op.startswith("lead") else op[:-1], op[4] if op.startswith("lead") else op[-1]
        if kind == "lead":
            axis = int(op[-1])
            if axis >= depth - 2:
                return None
            at = self.lead[axis]
        elif kind == "row":
            if depth < 2:
                return None
            axis, at = depth - 2, row
        else:
            axis, at = depth - 1, column
        if sign == "+":
            if nested.size(dims) // dims[axis] * (dims[axis] + 1) > GRID_MAX:
                self.show_error(f"at most {GRID_MAX} numbers in a grid here; the raw TOML tab takes more")
                return None
            self.cells, at = nested.insert(self.cells, axis, at + 1, "0"), at + 1
        elif dims[axis] > 1:
            self.cells, at = nested.remove(self.cells, axis, at), min(at, dims[axis] - 2)
        else:
            return None
        if kind == "lead":
            self.lead = self.lead[:axis] + (at,) + self.lead[axis + 1:]
        return (at, column) if kind == "row" else (row, at) if kind == "col" else (row, column)

    def focus_at(self, index: int | None = None, column: str = "") -> None:
        if self.held is MISSING:
            self.grid.focus()
        self.reveal()
