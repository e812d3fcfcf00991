"""LSTM / RNN frames: the gate vectors with their values, the cell-state belt, the gradient-flow plot."""

from __future__ import annotations

import math
from typing import Any, Callable

import numpy as np
from rich.console import Group, RenderableType
from rich.color import Color
from rich.style import Style
from rich.text import Text

from engine.core.fmt import num
from engine.core.frame import Frame
from engine.lstm import captions

from . import ViewKey
from .common import OKABE_ITO, CellGrid, Series, check_line, grid, labelled, plot

PLOT_VIEWS = ("ylog",)  # the plot keys (y, b) this lab's plots honour

CELL = 8  # columns one number takes in a grid, with its padding
ROWS = {  # current-step vectors, in the lecture's order: (key in `current`, label)
    "lstm": (("f", "f_t forget"), ("i", "i_t input"), ("g", "C̃_t cand."), ("c", "C_t cell"), ("o", "o_t output"), ("h", "h_t")),
    "rnn": (("a", "a_t"), ("h", "h_t")),
}
# Gradient mode's three runs: (key, colour, marker). Each keeps its colour and its marker
# wherever it appears (plot, figures line, chunk table), so it reads without colour too.
SERIES = (("rnn_explode", OKABE_ITO["vermillion"], "x"),
          ("rnn_vanish", OKABE_ITO["blue"], "o"),
          ("lstm", OKABE_ITO["bluish green"], "+"))
GHOST = OKABE_ITO["grey"]


def next_unit(view: dict[str, Any]) -> None:
    view["unit_shift"] = view.get("unit_shift", 0) + 1


VIEW_KEYS = (ViewKey("u", "unit", "look at the next hidden unit (a line for it, the window of units); the knobs stay on the caption's unit",
                      next_unit),)


def render(frame: Frame, width: int, view: dict) -> RenderableType:
    if frame.values["mode"] == "gradient":
        return _gradient(frame, width, view)
    return _step(frame, width, view)


def _plain(labels: list[str]) -> list[Text]:
    """Labels as Text, so brackets such as [0] or [h, x] are never read as Rich markup."""
    return [Text(label) for label in labels]


# --- step mode ------------------------------------------------------------------------
def _window(n: int, centre: int, fits: int) -> range:
    """Which of `n` entries to draw when only `fits` fit, keeping `centre` in view."""
    if n <= fits:
        return range(n)
    start = max(0, min(centre - fits // 2, n - fits))
    return range(start, start + fits)


def _fitting(build: Callable[[int], CellGrid], most: int, width: int) -> tuple[CellGrid, int]:
    """build(n) with the largest n ≤ `most` whose grid fits in `width` columns (at least n = 1),
    and that n: a number such as −0.000425 takes more than CELL columns."""
    for n in range(max(1, most), 0, -1):
        table = build(n)
        if table.width <= width:
            break
    return table, n


def _row(values: Any, shown: range) -> list[float]:
    if values is None or len(values) == 0:
        return [math.nan] * len(shown)
    return [float(values[j]) for j in shown]


def _step(frame: Frame, width: int, view: dict) -> RenderableType:
    v = frame.values
    H, t, cell, stage = v["hidden_size"], v["t"], v["cell"], v["stage"]
    u = (v["unit"] + view.get("unit_shift", 0)) % H
    fits = max(3, (width - 14) // CELL)  # columns of numbers, a first guess
    cur = v["current"]
    parts: list[RenderableType] = []
    if stage != "start" and u != v["unit"]:  # the caption already spells out the scenario's own unit
        parts.append(Text(_formula(v, u), style="bold cyan"))
    # The current step's vectors, one row each; '·' where not computed yet.
    labels = [f"h_{t - 1}" if t else "h_0"] + (["C_" + str(max(t - 1, 0))] if cell == "lstm" else [])
    vectors = [v["h_prev"]] + ([v["c_prev"]] if cell == "lstm" else [])
    for key, label in ROWS[cell]:
        labels.append(label)
        vectors.append(cur.get(key))
    if cell == "lstm" and "c" in cur:
        labels += ["f·C_{t−1} kept", "i·C̃ written"]
        vectors += [cur["kept"], cur["written"]]
    now = [n for n, (key, _) in enumerate(ROWS[cell]) if key == stage]
    row_now = len(labels) - len(ROWS[cell]) - (2 if "c" in cur and cell == "lstm" else 0) + now[0] if now else None

    def units_grid(n: int) -> CellGrid:
        units = _window(H, u, n)
        col = [f"[{j}]" + ("◀" if j == u else "") for j in units]
        marks = [(row_now, units.index(u))] if row_now is not None else []
        return grid(np.array([_row(r, units) for r in vectors]), row_labels=_plain(labels), col_labels=_plain(col),
                    marked=marks)

    table, n_units = _fitting(units_grid, min(fits, H), width - 1)
    units = _window(H, u, n_units)
    more = f" (units {units.start}–{units.stop - 1} of {H}; u shows the next)" if len(units) < H else ""
    parts.append(labelled(f"t = {t}, unit by unit{more}", table))
    if stage in ("concat", "f", "i", "g", "o", "a") and t:
        x = np.asarray(v["x"])
        shown = _window(len(x), int(np.argmax(np.abs(x))) if len(x) else 0, fits)
        token = f"  ({v['tokens'][t - 1]!r})" if v["tokens"] else ""
        extra = f", entries {shown.start}–{shown.stop - 1} of {len(x)}" if len(shown) < len(x) else ""
        parts.append(labelled(f"x_{t}{token}{extra}", grid(np.array([_row(x, shown)]), row_labels=_plain(["x_t"]),
                                                            col_labels=[str(j) for j in shown])))
    if cell == "rnn" and "y" in cur:
        y = np.asarray(cur["y"])
        shown = _window(len(y), int(np.argmax(y)), fits)
        parts.append(labelled(f"y_{t} = W_hy·h_{t} + b_y", grid(np.array([_row(y, shown)]), row_labels=_plain(["y_t"]),
                                                                 col_labels=[str(j) for j in shown])))
    parts.append(_belt(v, units, u, fits))
    if "weights" in v and stage in ("f", "i", "g", "o"):
        name = {"f": "W_f", "i": "W_i", "g": "W_C", "o": "W_o"}[stage]
        W = np.asarray(v["weights"][name])
        if W.shape[1] * CELL + 10 <= width:
            marks = [(u, j) for j in range(W.shape[1])]
            parts.append(labelled(f"{name} over [h_{t - 1}, x_{t}] (row {u} gives unit {u})", grid(W, marked=marks)))
    if "check" in v:
        parts.append(check_line(v["check"]))
    return Group(*parts)


def _formula(v: Any, u: int) -> str:
    """The current stage for the unit on view, in the caption's own words (the caption and the
    knobs follow the scenario's `unit`; `u` only looks at another)."""
    cur, t, stage = v["current"], v["t"], v["stage"]
    if stage == "concat":
        line = f"reads [h_{t - 1}, x_{t}], {len(cur['concat'])} numbers"
    elif stage in captions.GATE:
        line = captions.gate(stage, t, u, cur["pre"][stage][u], cur[stage][u])
    elif stage == "c":
        line = captions.cell_state(t, u, cur, v["c_prev"])
    elif stage == "h" and v["cell"] == "lstm":
        line = captions.hidden(t, u, cur)
    elif stage == "a":
        line = captions.rnn_pre(t, u, cur["a"][u])
    elif stage == "h":
        line = captions.rnn_hidden(t, u, cur["a"][u], cur["h"][u])
    else:
        line = f"h_{t}[{u}] = {num(cur['h'][u])}; y_{t} has {len(cur['y'])} outputs"
    return f"unit {u}: {line}"


def _belt(v: Any, units: range, u: int, fits: int) -> RenderableType:
    """The cell state (LSTM) or hidden state (RNN) across the time steps so far, units down, time across."""
    lstm = v["cell"] == "lstm"
    key = "c" if lstm else "h"
    start = v["c0"] if lstm else v["h0"]
    cols = [list(start)] + [step[key] for step in v["history"]]
    names = ["0"] + [str(n + 1) for n in range(len(v["history"]))]
    if key in v["current"] and len(v["history"]) < v["t"]:
        cols.append(list(v["current"][key]))  # this step's value before the step completes
        names.append(str(v["t"]))
    keep = max(2, fits)
    cols, names = cols[-keep:], names[-keep:]
    if v["tokens"]:
        names = [n if n == "0" else f"{n} {v['tokens'][int(n) - 1]!r}"[:CELL - 1] for n in names]
    arr = np.array([[c[j] for c in cols] for j in units])
    title = "cell state C_t, the belt across time" if lstm else "hidden state h_t across time"
    return labelled(title, grid(arr, row_labels=_plain([f"[{j}]" for j in units]), col_labels=_plain(names)))


# --- gradient mode ----------------------------------------------------------------------
def _names(v: Any) -> dict[str, str]:
    sv = v["sv"]
    return {"rnn_explode": f"RNN σ={num(sv['rnn_explode'])}", "rnn_vanish": f"RNN σ={num(sv['rnn_vanish'])}", "lstm": "LSTM"}


def _gradient(frame: Frame, width: int, view: dict) -> RenderableType:
    v = frame.values
    stage = v["stage"]
    parts: list[RenderableType] = []
    names = _names(v)
    log = not view.get("ylog", False)  # this plot spans decades: log unless `y` switches it
    scale = "log scale" if log else "linear scale"
    if v["T"]:
        # The ghost first, so that the curves of now are drawn over it where they meet.
        series = _ghost(view.get("ghost"), v)
        series += [Series(names[k], list(v["T"]), list(v["norms"][k]), colour, mark) for k, colour, mark in SERIES]
        parts.append(plot(series, width - 2, 16, title=f"‖∂h_T/∂h_0‖ against T ({scale})", xlabel="T", ylog=log))
        line = Text()
        for k, colour, mark in SERIES:
            line.append(f"{mark} {names[k]}: {num(v['norms'][k][-1])}   ", style=Style(color=Color.from_rgb(*colour), bold=True))
        line.append(f"at T = {v['T'][-1]}", style="bold")
        parts.append(line)
    else:
        # common.plot draws a dummy point when it has none, which says nothing.
        parts.append(Text(f"‖∂h_T/∂h_0‖ against T, T = 1 … {v['horizon']}: step to draw it", style="italic"))
    if "check" in v:
        parts.append(check_line(v["check"]))
    # Clipping and the chunks go first: the plot below them no longer changes.
    if stage in ("clip", "clip_slide"):
        parts.insert(0, _clipping(v, width))
    if stage == "tbptt":
        parts.insert(0, _chunks(v, width))
    return Group(*parts)


def _ghost(ghost: Frame | None, v: Any) -> list[Series]:
    """The curves a knob turn changed, as they were before it, grey with '·'."""
    if ghost is None or ghost.values.get("mode") != "gradient" or not ghost.values.get("T"):
        return []
    g = ghost.values
    old = _names(g)
    return [Series(f"before: {old[k]}", list(g["T"]), list(g["norms"][k]), GHOST, "·") for k, *_ in SERIES
            if list(g["norms"][k]) != list(v["norms"][k]) or list(g["T"]) != list(v["T"])]


def _clipping(v: Any, width: int) -> RenderableType:
    g = np.asarray(v["grad"])
    labels = [f"g ‖{num(v['grad_norm'], 3)}‖", f"clipped ‖{num(v['clipped_norm'], 3)}‖", f"slide ‖{num(v['clipped_slide_norm'], 3)}‖"]

    def table(n: int) -> CellGrid:
        shown = range(min(len(g), n))
        rows = [_row(g, shown), _row(v["clipped"], shown), _row(v["clipped_slide"], shown)]
        return grid(np.array(rows), row_labels=_plain(labels), col_labels=[str(j) for j in shown])

    body, n = _fitting(table, len(g), width - 1)
    note = Text(
        "The slide's code: grad_norm = np.sum(grad * grad) is the squared norm, so it clips when ‖g‖² > threshold "
        "and scales to ‖g‖ = threshold/‖g‖. Correct: ‖g‖ = √Σg², scale by threshold/‖g‖ (torch's clip_grad_norm_).",
        style="italic")
    more = f" (first {n} of {len(g)})" if n < len(g) else ""
    return Group(labelled(f"gradient clipping, threshold {num(v['clip'])}, of g in {_names(v)['rnn_explode']}{more}", body),
                 note)


def _chunks(v: Any, width: int) -> RenderableType:
    """The sequence cut into chunks; the current one is where the gradient flows now."""
    line = Text("h_0 ")
    for n, (a, e) in enumerate(v["chunks"]):
        seg = f"│ {a + 1}…{e} "
        line.append(seg, style="bold reverse" if n == v["chunk_index"] else "dim")
    line.append("│")
    a, e = v["chunks"][v["chunk_index"]]
    arrow = Text(f"gradient flows from h_{e} back to h_{a} only; the hidden state itself is carried forward", style="italic")
    n = len(v["chunk_norms"]["rnn_explode"])
    rows = [list(v["chunk_norms"][k]) + [math.nan] * (len(v["chunks"]) - n) for k, *_ in SERIES]
    names = [f"{a + 1}–{e}" for a, e in v["chunks"]]
    labels = _plain([f"{mark} {_names(v)[k]}" for k, _, mark in SERIES])
    body, _ = _fitting(lambda n: grid(np.array(rows)[:, :n], row_labels=labels, col_labels=_plain(names[:n])),
                       len(names), width - 1)
    table = labelled("‖∂h_end/∂h_start‖ within each chunk", body)
    return Group(line, arrow, table)
