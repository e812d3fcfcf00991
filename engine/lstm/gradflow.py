"""Gradient mode: the lecture's "vanilla RNN gradient flow" slides, then clipping and truncated BPTT.

‖∂h_T/∂h_0‖ against T for W_hh = σ·Q with every singular value σ above 1 (exploding) and
below 1 (vanishing), and for an LSTM; then gradient clipping, done right and as the
slide's code does it; then truncated backpropagation through time, chunk by chunk.
Everything is computed once when the lab opens (a few hundred small matrices); the frames
show it a step at a time.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Any, Iterator

import numpy as np

from ..core.frame import Frame
from ..core.lazy import LazyFrame
from . import captions
from .config import FlowConfig
from .math import GATES, clip_as_slide, clip_gradient, lstm_jacobian, lstm_step, orthogonal, rnn_jacobian, rnn_step, spectral_norm
from .reference import flow_check

RUNS = ("rnn_explode", "rnn_vanish", "lstm")


def setup(cfg: FlowConfig, seed: int) -> dict[str, Any]:
    """The matrices and inputs of gradient mode, all drawn from the seed."""
    rng = np.random.default_rng(seed)
    H, In = cfg.hidden, cfg.inputs
    Q = orthogonal(rng, H)
    W_xh = rng.normal(0, 1 / np.sqrt(In), (H, In))
    bound = 1 / np.sqrt(H)
    W = {g: rng.uniform(-bound, bound, (H, H + In)) for g in GATES}
    # The inputs last, row by row: a longer horizon only appends to them, so turning T extends
    # the same experiment (the weights and the first inputs stay).
    xs = cfg.input_scale * rng.normal(size=(cfg.horizon, In))  # (T, In)
    b = {g: np.zeros(H) for g in GATES}
    b["f"] = np.full(H, cfg.forget_bias)
    return {"Q": Q, "W_xh": W_xh, "xs": xs, "W": W, "b": b}


@dataclass(frozen=True)
class Flow:
    """Every number gradient mode shows."""

    norms: dict[str, list[float]]  # ‖∂h_T/∂h_0‖ per run, T = 1 … horizon
    jacobians: dict[str, np.ndarray]  # ∂state_T/∂state_0 at T = horizon (the LSTM's state is (h, C))
    history: list[dict[str, np.ndarray]]  # the LSTM's gates and states per step
    grad: np.ndarray  # g = ∂(Σh_T)/∂h_0 in the exploding RNN
    clipped: np.ndarray
    clipped_slide: np.ndarray
    bounds: list[tuple[int, int]]  # each chunk's [start, end) steps
    chunk_norms: dict[str, list[float]]  # ‖∂h_end/∂h_start‖ within each chunk


def product(jacobians: list[np.ndarray], size: int) -> np.ndarray:
    """J_n ⋯ J_2 J_1: the chain rule through the steps, first step rightmost."""
    out = np.eye(size)
    for J in jacobians:
        out = J @ out
    return out


def run(cfg: FlowConfig, draws: dict[str, Any]) -> Flow:
    H = cfg.hidden
    sv = {"rnn_explode": cfg.sv_explode, "rnn_vanish": cfg.sv_vanish}
    h = {k: np.zeros(H) for k in sv}
    hl, cl = np.zeros(H), np.zeros(H)
    J = {k: np.eye(H) for k in sv} | {"lstm": np.eye(2 * H)}
    steps: dict[str, list[np.ndarray]] = {k: [] for k in RUNS}  # each step's own Jacobian, for the chunks
    norms: dict[str, list[float]] = {k: [] for k in RUNS}
    history: list[dict[str, np.ndarray]] = []
    for x in draws["xs"]:
        for k, s in sv.items():
            W_hh = s * draws["Q"]
            h[k] = rnn_step(W_hh, draws["W_xh"], np.zeros(H), h[k], x)["h"]
            steps[k].append(rnn_jacobian(W_hh, h[k]))
        st = lstm_step(draws["W"], draws["b"], hl, cl, x)
        steps["lstm"].append(lstm_jacobian(draws["W"], H, cl, st))
        hl, cl = st["h"], st["c"]
        history.append({k: st[k] for k in ("f", "i", "g", "o", "c", "h")})
        for k in RUNS:
            J[k] = steps[k][-1] @ J[k]
            norms[k].append(spectral_norm(J[k][:H, :H]))  # the h_T-from-h_0 block
    grad = J["rnn_explode"].T @ np.ones(H)  # L = Σ h_T
    bounds = [(a, min(a + cfg.chunk, cfg.horizon)) for a in range(0, cfg.horizon, cfg.chunk)]
    chunk_norms = {k: [spectral_norm(product(steps[k][a:e], J[k].shape[0])[:H, :H]) for a, e in bounds] for k in RUNS}
    return Flow(norms, J, history, grad, clip_gradient(grad, cfg.threshold), clip_as_slide(grad, cfg.threshold),
                bounds, chunk_norms)


def frames(cfg: FlowConfig, draws: dict[str, Any], flow: Flow) -> Iterator[Frame]:
    """Frame 0, one per T, the two clipping frames and one per chunk, each built when first shown."""
    T_max = cfg.horizon
    base = {"mode": "gradient", "cell": "rnn and lstm", "hidden_size": cfg.hidden, "input_size": cfg.inputs,
            "horizon": T_max, "sv": {"rnn_explode": cfg.sv_explode, "rnn_vanish": cfg.sv_vanish},
            "clip": cfg.threshold, "chunk": cfg.chunk, "input_scale": cfg.input_scale, "forget_bias": cfg.forget_bias}

    def upto(t: int) -> dict[str, Any]:
        values = {**base, "t": t, "history": flow.history[:t], "T": list(range(1, t + 1)),
                  "norms": {k: v[:t] for k, v in flow.norms.items()}}
        if t == T_max:  # from T = horizon on, every frame carries the check against autograd
            values["check"] = check()
        return values

    @functools.cache
    def check() -> dict[str, Any]:
        return flow_check(cfg, draws, flow.jacobians)

    def at(t: int) -> Frame:
        if t == 0:
            return Frame(0, captions.flow_intro(cfg), {**upto(0), "stage": "start"})
        return Frame(t, captions.flow(cfg, t, flow.norms), {**upto(t), "stage": "flow"}, {"T": t})

    def clipping(slide: bool) -> Frame:
        g = flow.grad
        size, squared = float(np.linalg.norm(g)), float(np.sum(g * g))
        values = {"grad": g, "clipped": flow.clipped, "clipped_slide": flow.clipped_slide, "grad_norm": size,
                  "clipped_norm": float(np.linalg.norm(flow.clipped)), "slide_grad_norm": squared,
                  "clipped_slide_norm": float(np.linalg.norm(flow.clipped_slide))}
        if slide:
            caption = captions.clipping_slide(cfg, squared, values["clipped_slide_norm"])
        else:
            caption = captions.clipping(cfg, size, values["clipped_norm"])
        return Frame(T_max + 1 + slide, caption, {**upto(T_max), "stage": "clip_slide" if slide else "clip", **values})

    def chunk(n: int) -> Frame:
        """Truncated BPTT: the gradient flows back only to the start of its own chunk."""
        a, e = flow.bounds[n]
        within = {k: v[: n + 1] for k, v in flow.chunk_norms.items()}
        caption = captions.chunk(cfg, n, a, e, within["rnn_explode"][-1], flow.norms["rnn_explode"][e - 1])
        # `chunk` stays the chunk length (as in every frame); `chunk_index` is which chunk this is.
        return Frame(T_max + 3 + n, caption, {**upto(T_max), "stage": "tbptt", "chunks": flow.bounds, "chunk_index": n,
                                              "chunk_norms": within}, {"chunk_index": n})

    for t in range(T_max + 1):
        yield LazyFrame(t, functools.partial(at, t))
    yield LazyFrame(T_max + 1, functools.partial(clipping, False))
    yield LazyFrame(T_max + 2, functools.partial(clipping, True))
    for n in range(len(flow.bounds)):
        yield LazyFrame(T_max + 3 + n, functools.partial(chunk, n))


def summary(flow: Flow) -> dict[str, float]:
    """The figures a knob turn changes: the norms at T = horizon, the gradient and its clipped
    norm, the number of chunks."""
    return {"rnn_explode": flow.norms["rnn_explode"][-1], "rnn_vanish": flow.norms["rnn_vanish"][-1],
            "lstm": flow.norms["lstm"][-1], "grad": float(np.linalg.norm(flow.grad)),
            "clipped": float(np.linalg.norm(flow.clipped)), "chunks": float(len(flow.bounds))}
