"""The independent references the lab checks itself against: torch's own cells, and autograd.

Both sides compute in float64, so the differences are rounding (about 1e−16 per step);
the tolerances leave room for long sequences and large weights and nothing more.
"""

from __future__ import annotations

from typing import Any, Sequence

import numpy as np

from ..core.check import max_diff, record
from .config import CellArrays, FlowConfig, StepConfig
from .math import TORCH_ORDER

CELL_TOLERANCE = 1e-9  # on h_t and C_t, which stay within ±1 and ±T
FLOW_TOLERANCE = 1e-9  # relative to the largest entry of ∂h_T/∂h_0


def cell_check(cfg: StepConfig, arrays: CellArrays, history: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """Run the same sequence through nn.LSTMCell / nn.RNNCell; the largest difference in h (and C)."""
    import torch

    H, In, w = cfg.hidden, cfg.inputs, arrays.weights
    t = torch.from_numpy
    with torch.no_grad():
        if cfg.cell == "lstm":
            W, b = arrays.gates()
            cell = torch.nn.LSTMCell(In, H, dtype=torch.float64)
            cell.weight_hh.copy_(t(np.concatenate([W[k][:, :H] for k in TORCH_ORDER])))
            cell.weight_ih.copy_(t(np.concatenate([W[k][:, H:] for k in TORCH_ORDER])))
            cell.bias_ih.copy_(t(np.concatenate([b[k] for k in TORCH_ORDER])))
            cell.bias_hh.zero_()
            state: Any = (t(arrays.h0)[None], t(arrays.c0)[None])
        else:
            cell = torch.nn.RNNCell(In, H, nonlinearity="tanh", dtype=torch.float64)
            cell.weight_hh.copy_(t(w["W_hh"]))
            cell.weight_ih.copy_(t(w["W_xh"]))
            cell.bias_ih.copy_(t(w["b_h"]))
            cell.bias_hh.zero_()
            state = t(arrays.h0)[None]
        diff = 0.0
        for x, step in zip(arrays.xs, history):
            state = cell(t(np.ascontiguousarray(x))[None], state)
            if isinstance(state, tuple):
                diff = max(diff, max_diff(state[0][0].numpy(), step["h"]), max_diff(state[1][0].numpy(), step["c"]))
            else:
                diff = max(diff, max_diff(state[0].numpy(), step["h"]))
    return record("nn.LSTMCell" if cfg.cell == "lstm" else "nn.RNNCell", diff, CELL_TOLERANCE)


def flow_check(cfg: FlowConfig, draws: dict[str, Any], jacobians: dict[str, np.ndarray]) -> dict[str, Any]:
    """∂h_T/∂h_0 at T = horizon for the three runs, by autograd through the plain recurrences,
    against the lab's products of per-step Jacobians."""
    import torch

    H = cfg.hidden
    t = torch.from_numpy
    xs = [t(x) for x in draws["xs"]]
    zero = torch.zeros(H, dtype=torch.float64)

    def rnn(sv: float):
        W_hh, W_xh = sv * t(draws["Q"]), t(draws["W_xh"])

        def run(h0):
            h = h0
            for x in xs:
                h = torch.tanh(W_hh @ h + W_xh @ x)
            return h
        return run

    W = {k: t(v) for k, v in draws["W"].items()}
    b = {k: t(v) for k, v in draws["b"].items()}

    def lstm(h0):
        h, c = h0, zero
        for x in xs:
            hx = torch.cat([h, x])
            f, i, o = (torch.sigmoid(W[k] @ hx + b[k]) for k in "fio")
            c = f * c + i * torch.tanh(W["g"] @ hx + b["g"])
            h = o * torch.tanh(c)
        return h

    runs = {"rnn_explode": rnn(cfg.sv_explode), "rnn_vanish": rnn(cfg.sv_vanish), "lstm": lstm}
    diff, scale = 0.0, 1.0
    for k, run in runs.items():
        ref = torch.autograd.functional.jacobian(run, zero.clone()).numpy()
        diff = max(diff, max_diff(jacobians[k][:H, :H], ref))
        if np.isfinite(ref).any():
            scale = max(scale, float(np.max(np.abs(ref[np.isfinite(ref)]))))
    return record("autograd", diff, FLOW_TOLERANCE * scale)
