"""What each LSTM-lab frame says, in the lecture's notation.

Every scalar carries its unit index on both sides (`h_1[0] = o_1[0]·tanh(C_1[0])`); the
renderer's line for another unit uses the same functions, so the two never disagree.
"""

from __future__ import annotations

from typing import Any

from pathlib import Path

import numpy as np

from ..core.fmt import factor, num
from .config import SUFFIX, FlowConfig, StepConfig

GATE = {"f": ("f", "σ"), "i": ("i", "σ"), "g": ("C̃", "tanh"), "o": ("o", "σ")}  # gate -> (symbol, function)
DOT_TERMS = 8  # past this many products a dot product is shown by its value


def vector_head(a: Any, limit: int = 8) -> str:
    """The first `limit` entries in brackets, `…` for the rest: [0.1, −0.2, …]."""
    a = list(np.asarray(a, dtype=float))
    body = ", ".join(num(v, 3) for v in a[:limit])
    return f"[{body}{', …' if len(a) > limit else ''}]"


def dot_terms(w: np.ndarray, v: np.ndarray, limit: int = DOT_TERMS) -> str:
    """w·v written out term by term, or as its value when too long to read."""
    if len(w) <= limit:
        return " + ".join(f"{factor(a, 3)}·{factor(b, 3)}" for a, b in zip(w, v))
    return f"{num(float(w @ v))} ({len(w)} products)"


# --- step mode -----------------------------------------------------------------------------
def intro(cfg: StepConfig, state: str, source: str) -> str:
    what = "LSTM cell" if cfg.cell == "lstm" else "Vanilla RNN"
    inputs = f'text "{cfg.text}"' if cfg.text else f"{cfg.steps} input vectors"
    return f"{what}: hidden {cfg.hidden}, input {cfg.inputs}, {inputs}; {state}; {source}"


def source(cfg: StepConfig, checkpoint: str, drawn: tuple[str, ...], seed: int) -> str:
    """Where the numbers came from."""
    ckpt = cfg.checkpoint
    if ckpt is not None:
        layer = f" (layer 0 of {ckpt.layers}: its h_t feeds layer 1, not the output)" if ckpt.layers > 1 else ""
        # The file's name, not where it lies: a replay reads the same on every machine.
        return f"checkpoint {Path(checkpoint).name}{layer}"
    return f"{', '.join(drawn)} drawn from seed {seed}" if drawn else "weights and inputs from the scenario"


def concat(t: int, hx: np.ndarray, H: int, In: int, token: str | None) -> str:
    char = f" (x_{t} is {token!r})" if token is not None else ""
    return f"t = {t}: [h_{t - 1}, x_{t}] = {vector_head(hx, 10)}: {H} + {In} = {H + In} numbers{char}"


def gate(k: str, t: int, u: int, z: float, value: float, terms: str = "") -> str:
    """f_t[u] = σ(W_f[u]·[h_{t−1}, x_t] + b_f[u]) = σ(terms) = σ(z) = value; without `terms`,
    the short form f_t[u] = σ(z) = value."""
    name, fn = GATE[k]
    if not terms:
        return f"{name}_{t}[{u}] = {fn}({num(z)}) = {num(value)}"
    w = SUFFIX[k]
    return (f"{name}_{t}[{u}] = {fn}(W_{w}[{u}]·[h_{t - 1}, x_{t}] + b_{w}[{u}]) = "
            f"{fn}({terms}) = {fn}({num(z)}) = {num(value)}")


def gate_terms(k: str, u: int, W: dict[str, np.ndarray], b: dict[str, np.ndarray], hx: np.ndarray) -> str:
    return f"{dot_terms(W[k][u], hx)} + {factor(b[k][u], 3)}"


def cell_state(t: int, u: int, s: dict[str, Any], c_prev: np.ndarray) -> str:
    """C_t[u] = f_t[u]·C_{t−1}[u] + i_t[u]·C̃_t[u], with what was forgotten and written."""
    f, i, g, kept, wrote = (s[k][u] for k in ("f", "i", "g", "kept", "written"))
    return (f"C_{t}[{u}] = f_{t}[{u}]·C_{t - 1}[{u}] + i_{t}[{u}]·C̃_{t}[{u}] = {factor(f)}·{factor(c_prev[u])} + "
            f"{factor(i)}·{factor(g)} = {num(kept)} + {factor(wrote)} = {num(s['c'][u])}"
            f"  (forgot {num(c_prev[u] - kept)}, wrote {num(wrote)})")


def hidden(t: int, u: int, s: dict[str, Any]) -> str:
    o, c = s["o"][u], s["c"][u]
    return (f"h_{t}[{u}] = o_{t}[{u}]·tanh(C_{t}[{u}]) = {factor(o)}·tanh({num(c)}) = "
            f"{factor(o)}·{factor(np.tanh(c))} = {num(s['h'][u])}")


def rnn_pre(t: int, u: int, a: float, terms: str = "", token: str | None = None) -> str:
    char = f"; x_{t} is {token!r}" if token is not None else ""
    body = f" = {terms}" if terms else ""
    return f"a_{t}[{u}] = W_hh[{u}]·h_{t - 1} + W_xh[{u}]·x_{t} + b_h[{u}]{body} = {num(a)}{char}"


def rnn_pre_terms(u: int, w: dict[str, np.ndarray], h: np.ndarray, x: np.ndarray) -> str:
    return f"{dot_terms(w['W_hh'][u], h, 5)} + {dot_terms(w['W_xh'][u], x, 5)} + {factor(w['b_h'][u], 3)}"


def rnn_hidden(t: int, u: int, a: float, h: float) -> str:
    return f"h_{t}[{u}] = tanh(a_{t}[{u}]) = tanh({num(a)}) = {num(h)}"


def rnn_output(t: int, y: np.ndarray, likeliest: str | None) -> str:
    caption = f"y_{t} = W_hy·h_{t} + b_y = {vector_head(y)}"
    return caption + (f"; most likely next character {likeliest!r}" if likeliest is not None else "")


def done(check: dict[str, Any]) -> str:
    return f"  (sequence done; largest difference from torch {check['reference']}: {num(check['max_diff'])})"


# --- gradient mode -------------------------------------------------------------------------
def flow_intro(cfg: FlowConfig) -> str:
    return (f"Vanilla RNN gradient flow: ∂h_T/∂h_0 = Π_t diag(1 − h_t²)·W_hh, with W_hh = σ·Q (every singular "
            f"value σ = {num(cfg.sv_explode)}, then {num(cfg.sv_vanish)}), and an LSTM with b_f = {num(cfg.forget_bias)}")


def flow(cfg: FlowConfig, t: int, norms: dict[str, list[float]]) -> str:
    return (f"T = {t}: ‖∂h_{t}/∂h_0‖ = {num(norms['rnn_explode'][t - 1])} (σ = {num(cfg.sv_explode)}, exploding), "
            f"{num(norms['rnn_vanish'][t - 1])} (σ = {num(cfg.sv_vanish)}, vanishing), {num(norms['lstm'][t - 1])} (LSTM)")


def clipping(cfg: FlowConfig, size: float, clipped: float) -> str:
    thr = cfg.threshold
    verdict = f"> {num(thr)}: scale by {num(thr)}/{num(size)}" if size > thr else f"≤ {num(thr)}: left as is"
    return (f"Gradient clipping: g = ∂(Σh_{cfg.horizon})/∂h_0 (σ = {num(cfg.sv_explode)}), ‖g‖ = √Σg² = {num(size)} "
            f"{verdict} → ‖g‖ = {num(clipped)}")


def clipping_slide(cfg: FlowConfig, squared: float, clipped: float) -> str:
    thr = cfg.threshold
    verdict = (f"> {num(thr)}: g·({num(thr)}/{num(squared)}) → ‖g‖ = {num(clipped)}, not {num(thr)}"
               if squared > thr else f"≤ {num(thr)}: left as is")
    return f"As the slide's code: grad_norm = Σg² = {num(squared)} is the squared norm; {verdict}"


def chunk(cfg: FlowConfig, n: int, a: int, e: int, within: float, whole: float) -> str:
    return (f"Truncated BPTT, chunk {n + 1} of {cfg.chunks}: steps {a + 1}–{e}, backward to h_{a} only: "
            f"‖∂h_{e}/∂h_{a}‖ = {num(within)} (σ = {num(cfg.sv_explode)}), "
            f"where the whole sequence gives ‖∂h_{e}/∂h_0‖ = {num(whole)}")
