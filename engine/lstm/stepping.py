"""Step mode: the LSTM one gate per frame, in the lecture's order, or the vanilla RNN's a, h, y.

Per time step an LSTM shows [h_{t−1}, x_t], f_t, i_t, C̃_t, C_t, o_t and h_t; the last
frame runs the same sequence through torch's own cell and carries the check record.
"""

from __future__ import annotations

import functools
from typing import Any, Iterator

import numpy as np

from ..core.frame import Frame
from . import captions
from .config import LSTM_STAGES, MAX_SHOWN_WEIGHTS, RNN_STAGES, CellArrays, StepConfig
from ..core.lazy import LazyFrame
from .math import GATES, lstm_step, rnn_step
from .reference import cell_check

HISTORY = ("f", "i", "g", "o", "c", "h")


def partial(s: dict[str, Any], stage: str, c_prev: np.ndarray) -> dict[str, Any]:
    """What is known once `stage` is done: the vectors so far, their pre-activations, and from
    C_t on what the forget gate kept of C_{t−1} and what the input gate wrote."""
    done = LSTM_STAGES[: LSTM_STAGES.index(stage) + 1]
    out = {k: s[k] for k in done}
    out["pre"] = {k: s["pre"][k] for k in GATES if k in done}
    if "c" in done:
        out["kept"], out["written"] = s["f"] * c_prev, s["i"] * s["g"]
    return out


def base(cfg: StepConfig, arrays: CellArrays) -> dict[str, Any]:
    """What every frame carries."""
    values: dict[str, Any] = {"mode": "step", "cell": cfg.cell, "unit": cfg.unit, "hidden_size": cfg.hidden,
                              "input_size": cfg.inputs, "steps": cfg.steps, "tokens": arrays.tokens,
                              "h0": arrays.h0, "inputs": arrays.xs}
    if cfg.cell == "lstm":
        values["c0"] = arrays.c0
    if sum(np.size(w) for w in arrays.weights.values()) <= MAX_SHOWN_WEIGHTS:
        values["weights"] = arrays.weights
    return values


def _token(arrays: CellArrays, t: int) -> str | None:
    return arrays.tokens[t - 1] if arrays.tokens else None


def trace(cfg: StepConfig, arrays: CellArrays) -> list[dict[str, Any]]:
    """Every time step's intermediates, computed once: lstm_step's, or the RNN's a, h and y."""
    out: list[dict[str, Any]] = []
    h, c, w = arrays.h0, arrays.c0, arrays.weights
    W, b = arrays.gates() if cfg.cell == "lstm" else ({}, {})
    for x in arrays.xs:
        if cfg.cell == "lstm":
            s = lstm_step(W, b, h, c, x)
            c = s["c"]
        else:
            s = rnn_step(w["W_hh"], w["W_xh"], w["b_h"], h, x)
            s["y"] = w["W_hy"] @ s["h"] + w["b_y"]  # (out,)
        out.append(s)
        h = s["h"]
    return out


def frames(cfg: StepConfig, arrays: CellArrays, steps: list[dict[str, Any]], source: str) -> Iterator[Frame]:
    """Frame 0, then one frame per stage per time step, each built when first shown."""
    common = base(cfg, arrays)
    lstm = cfg.cell == "lstm"
    # One history entry per completed time step; the gates' keys stay, empty, in an RNN's, so
    # one history shape serves both cells.
    entries = [{k: s[k] for k in HISTORY} if lstm else {k: [] for k in HISTORY[:-1]} | {k: s[k] for k in ("h", "a", "y")}
               for s in steps]
    state = f"h_0 = {captions.vector_head(arrays.h0)}" + (f", C_0 = {captions.vector_head(arrays.c0)}" if lstm else "")
    start = {**common, "t": 0, "stage": "start", "history": [], "current": {}, "h_prev": arrays.h0, "x": []}
    if lstm:
        start["c_prev"] = arrays.c0
    yield Frame(0, captions.intro(cfg, state, source), start)
    build = _lstm_frame if lstm else _rnn_frame
    index = 0
    for t in range(1, cfg.steps + 1):
        for stage in cfg.stages:
            index += 1
            done = t if stage == cfg.stages[-1] else t - 1  # the last stage completes the step
            yield LazyFrame(index, functools.partial(build, cfg, arrays, steps, common, entries[:done], index, t, stage))


def _lstm_frame(cfg: StepConfig, arrays: CellArrays, steps: list[dict[str, Any]], common: dict[str, Any],
                history: list[dict[str, Any]], index: int, t: int, stage: str) -> Frame:
    u, s, x = cfg.unit, steps[t - 1], arrays.xs[t - 1]
    h, c = (arrays.h0, arrays.c0) if t == 1 else (steps[t - 2]["h"], steps[t - 2]["c"])
    current = partial(s, stage, c)
    if stage == "concat":
        caption = captions.concat(t, s["concat"], cfg.hidden, cfg.inputs, _token(arrays, t))
    elif stage in GATES:
        W, b = arrays.gates()
        caption = captions.gate(stage, t, u, s["pre"][stage][u], s[stage][u], captions.gate_terms(stage, u, W, b, s["concat"]))
    elif stage == "c":
        caption = captions.cell_state(t, u, current, c)
    else:
        caption = captions.hidden(t, u, s)
    values = {**common, "t": t, "stage": stage, "history": history, "current": current, "h_prev": h, "c_prev": c, "x": x}
    if index == cfg.length - 1:
        caption += _checked(values, cell_check(cfg, arrays, history))
    return Frame(index, caption, values, {"stage": stage, "unit": u})


def _rnn_frame(cfg: StepConfig, arrays: CellArrays, steps: list[dict[str, Any]], common: dict[str, Any],
               history: list[dict[str, Any]], index: int, t: int, stage: str) -> Frame:
    u, s, x = cfg.unit, steps[t - 1], arrays.xs[t - 1]
    h = arrays.h0 if t == 1 else steps[t - 2]["h"]
    current = {k: s[k] for k in RNN_STAGES[: RNN_STAGES.index(stage) + 1]}
    if stage == "a":
        caption = captions.rnn_pre(t, u, s["a"][u], captions.rnn_pre_terms(u, arrays.weights, h, x), _token(arrays, t))
    elif stage == "h":
        caption = captions.rnn_hidden(t, u, s["a"][u], s["h"][u])
    else:
        ckpt = cfg.checkpoint
        caption = captions.rnn_output(t, s["y"], ckpt.vocab[int(np.argmax(s["y"]))] if ckpt is not None else None)
    values = {**common, "t": t, "stage": stage, "history": history, "current": current, "h_prev": h, "x": x}
    if index == cfg.length - 1:
        caption += _checked(values, cell_check(cfg, arrays, history))
    return Frame(index, caption, values, {"stage": stage, "unit": u})


def _checked(values: dict[str, Any], check: dict[str, Any]) -> str:
    """The last frame carries the cross-check against torch's own cell."""
    values["check"] = check
    values["torch_max_diff"] = check["max_diff"]  # the JSON key of earlier releases, kept one more
    return captions.done(check)
