"""The LSTM lab's knobs, and what a turn changed in consequence.

Step mode: the weights and bias of each gate for the unit the captions spell out (`unit`),
the input x_1, and the unit itself. A knob turns a number the scenario writes out; numbers
drawn from the seed have none (write them into the scenario to turn them). The weight knob
of a gate takes the column of x_1's first non-zero entry: at t = 1, h_0 multiplies the
other columns, and h_0 is usually 0.

Gradient mode: what the lesson turns on: the singular values of W_hh, the forget bias,
the sequence length T, the input scale, the clipping threshold and the chunk length.
"""

from __future__ import annotations

from typing import Any, Mapping

import numpy as np

from ..core.fmt import num
from ..core.knobs import Knob
from .config import SUFFIX, FlowConfig, StepConfig
from .math import GATES

NUMBER = {"step": 0.1, "big": 1.0, "low": -10.0, "high": 10.0, "integer": False}  # weights, biases, inputs
INPUT_KNOBS = 4  # x_1[j] for the first few j
NOTE_ITEMS = 2  # changed values a note names before "… n more"


def step_knobs(cfg: StepConfig, p: Mapping[str, Any]) -> list[Knob]:
    u, H = cfg.unit, cfg.hidden
    x1 = np.asarray(p["x"][0], dtype=float) if p["x"] else np.zeros(0)
    j0 = int(np.flatnonzero(x1)[0]) if np.any(x1) else 0
    out: list[Knob] = []
    if cfg.cell == "lstm":
        for g in GATES:
            w, b = f"W_{SUFFIX[g]}", f"b_{SUFFIX[g]}"
            if p[b]:
                out.append(Knob(f"{b}[{u}]", f"{b}[{u}]", **NUMBER))
            if p[w]:
                out.append(Knob(f"{w}[{u}, {H + j0}]", f"{w}[{u}][{H + j0}]", **NUMBER))
    else:
        if p["b_h"]:
            out.append(Knob(f"b_h[{u}]", f"b_h[{u}]", **NUMBER))
        if p["W_hh"]:
            out.append(Knob(f"W_hh[{u}, {u}]", f"W_hh[{u}][{u}]", **NUMBER))
        if p["W_xh"]:
            out.append(Knob(f"W_xh[{u}, {j0}]", f"W_xh[{u}][{j0}]", **NUMBER))
    out += [Knob(f"x_1[{j}]", f"x[0][{j}]", **NUMBER) for j in range(min(len(x1), INPUT_KNOBS))]
    if p["c0"]:
        out.append(Knob(f"C_0[{u}]", f"c0[{u}]", **NUMBER))
    if H > 1:
        out.append(Knob("unit", "unit", low=0, high=H - 1))
    return out


def flow_knobs(cfg: FlowConfig) -> list[Knob]:
    out = [Knob("σ>1", "sv_explode", step=0.05, big=0.25, low=1, high=4, integer=False),
           Knob("σ<1", "sv_vanish", step=0.05, big=0.2, low=0.05, high=1, integer=False),
           Knob("forget bias b_f", "forget_bias", step=0.5, big=2, low=-10, high=10, integer=False),
           Knob("T", "horizon", step=1, big=10, low=1, high=200),
           Knob("clip threshold", "clip", step=1, big=10, low=1, high=1000, integer=False),
           Knob("chunk length", "chunk", step=1, big=5, low=1, high=200)]
    scale = Knob("input scale", "input_scale", step=0.25, big=1, low=0, high=10, integer=False)
    # Inputs are the lesson of a scenario that has them; elsewhere they come last.
    return [scale, *out] if cfg.input_scale else [*out, scale]


# --- what changed --------------------------------------------------------------------------
SYMBOL = {"f": "f", "i": "i", "g": "C̃", "c": "C", "o": "o", "h": "h", "a": "a"}
FLOW_LABEL = {"rnn_explode": "RNN σ>1", "rnn_vanish": "RNN σ<1", "lstm": "LSTM"}


def _short(x: float) -> str:
    return num(x, 3)  # the frame shows every digit; a note fits one line


def _listed(changes: list[str]) -> str:
    more = len(changes) - NOTE_ITEMS
    return ", ".join(changes[:NOTE_ITEMS]) + (f", … {more} more" if more > 0 else "")


def step_note(cfg: StepConfig, before: list[dict[str, Any]], after: list[dict[str, Any]], unit_before: int) -> str:
    """The values of the captions' unit that changed, in time order: "f_1[0] 0.786 → 0.802, …"."""
    u = cfg.unit
    if u != unit_before:
        return f"the captions and knobs now follow unit {u}"
    keys = ("f", "i", "g", "c", "o", "h") if cfg.cell == "lstm" else ("a", "h")
    changes = [f"{SYMBOL[k]}_{t}[{u}] {_short(a[k][u])} → {_short(b[k][u])}"
               for t, (a, b) in enumerate(zip(before, after), 1) for k in keys
               if _short(a[k][u]) != _short(b[k][u])]
    return _listed(changes) if changes else f"no value of unit {u} changes"


def flow_note(cfg: FlowConfig, before: Mapping[str, float], after: Mapping[str, float]) -> str:
    """The ends of the curves, the gradient and its clipped norm, the chunks, where they changed."""
    names = FLOW_LABEL | {"grad": "‖g‖", "clipped": "clipped ‖g‖", "chunks": "chunks"}
    changed = [k for k in names if _short(before[k]) != _short(after[k])]
    if not changed:
        return "the plot is unchanged"
    at = f"at T = {cfg.horizon}: " if any(k in FLOW_LABEL for k in changed) else ""
    return at + _listed([f"{names[k]} {_short(before[k])} → {_short(after[k])}" for k in changed])
