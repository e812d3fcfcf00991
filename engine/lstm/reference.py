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
    X = t(draws["xs"])  # (T, In)
    Wx = X @ t(draws["W_xh"]).T  # (T, H): the inputs' share, the same in every copy

    def rnn(sv: float):
        W_hh = sv * t(draws["Q"])

        def run(h):
            for k in range(len(X)):
                h = torch.tanh(h @ W_hh.T + Wx[k])
            return h
        return run

    W = {k: t(v) for k, v in draws["W"].items()}
    b = {k: t(v) for k, v in draws["b"].items()}

    def lstm(h):
        c = torch.zeros_like(h)
        for x in X:
            hx = torch.cat([h, x.expand(h.shape[0], -1)], dim=1)
            f, i, o = (torch.sigmoid(hx @ W[k].T + b[k]) for k in "fio")
            c = f * c + i * torch.tanh(hx @ W["g"].T + b["g"])
            h = o * torch.tanh(c)
        return h

    runs = {"rnn_explode": rnn(cfg.sv_explode), "rnn_vanish": rnn(cfg.sv_vanish), "lstm": lstm}
    diff, scale = 0.0, 1.0
    for k, run in runs.items():
        # H copies of the run side by side, one per output: row j of the Jacobian is the gradient
        # of output j of copy j (the copies share no numbers, so nothing else reaches it).
        h0 = torch.zeros(H, H, dtype=torch.float64, requires_grad=True)
        ref = torch.autograd.grad(run(h0).diagonal().sum(), h0)[0].numpy()
        diff = max(diff, max_diff(jacobians[k][:H, :H], ref))
        finite = np.abs(ref[np.isfinite(ref)])
        if finite.size:
            scale = max(scale, float(finite.max()))
    return record("autograd", diff, FLOW_TOLERANCE * scale)
