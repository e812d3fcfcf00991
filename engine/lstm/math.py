"""The LSTM and vanilla-RNN cells in numpy, one time step at a time, and their Jacobians.

Notation follows the lecture (colah's post): the gates read the concatenation
[h_{t−1}, x_t], in that order, and each gate has its own W (hidden × (hidden + input))
and b (hidden). Everything is float64 so the frames can be compared with torch to 1e-6
and beyond.
"""

from __future__ import annotations

from typing import Mapping

import numpy as np

GATES = ("f", "i", "g", "o")  # forget, input, candidate C̃, output
# torch stacks the gate rows of nn.LSTM / nn.LSTMCell as i, f, g, o.
TORCH_ORDER = ("i", "f", "g", "o")


def sigmoid(z: np.ndarray) -> np.ndarray:
    # The tanh form never overflows, unlike 1 / (1 + exp(−z)) for large negative z.
    return 0.5 * (1.0 + np.tanh(0.5 * z))


def lstm_step(W: Mapping[str, np.ndarray], b: Mapping[str, np.ndarray],
              h: np.ndarray, c: np.ndarray, x: np.ndarray) -> dict[str, np.ndarray]:
    """One LSTM step; returns every intermediate the lab shows.

    W[k]: (H, H + In), b[k]: (H,), h, c: (H,), x: (In,).
    """
    hx = np.concatenate([h, x])  # (H + In,)
    # Huge weights overflow to ±inf, which σ and tanh saturate as they should; the frame shows
    # the inf, so numpy's warning on stderr would only repeat it.
    with np.errstate(over="ignore", invalid="ignore"):
        pre = {k: W[k] @ hx + b[k] for k in GATES}  # each (H,)
    f, i, o = sigmoid(pre["f"]), sigmoid(pre["i"]), sigmoid(pre["o"])
    g = np.tanh(pre["g"])
    c_new = f * c + i * g
    h_new = o * np.tanh(c_new)
    return {"concat": hx, "pre": pre, "f": f, "i": i, "g": g, "o": o, "c": c_new, "h": h_new}


def rnn_step(W_hh: np.ndarray, W_xh: np.ndarray, b: np.ndarray, h: np.ndarray, x: np.ndarray) -> dict[str, np.ndarray]:
    """h_t = tanh(W_hh·h_{t−1} + W_xh·x_t + b); returns the pre-activation `a` and `h`."""
    with np.errstate(over="ignore", invalid="ignore"):  # as in lstm_step: ±inf saturates tanh
        a = W_hh @ h + W_xh @ x + b  # (H,)
    return {"a": a, "h": np.tanh(a)}


def rnn_jacobian(W_hh: np.ndarray, h_new: np.ndarray) -> np.ndarray:
    """∂h_t/∂h_{t−1} = diag(1 − h_t²)·W_hh: one factor of W and one of tanh′ per step."""
    return (1.0 - h_new ** 2)[:, None] * W_hh


def lstm_jacobian(W: Mapping[str, np.ndarray], H: int, c_prev: np.ndarray, s: Mapping[str, np.ndarray]) -> np.ndarray:
    """∂(h_t, C_t)/∂(h_{t−1}, C_{t−1}) as one (2H, 2H) block matrix, from step output `s`.

    The state is the pair (h, C): a change in h_0 reaches h_T through both.
    """
    f, i, g, o, c = s["f"], s["i"], s["g"], s["o"], s["c"]
    Wh = {k: W[k][:, :H] for k in GATES}  # the columns that multiply h_{t−1}
    df = (f * (1 - f))[:, None] * Wh["f"]
    di = (i * (1 - i))[:, None] * Wh["i"]
    dg = (1 - g ** 2)[:, None] * Wh["g"]
    do = (o * (1 - o))[:, None] * Wh["o"]
    dc_dh = c_prev[:, None] * df + g[:, None] * di + i[:, None] * dg  # C_t = f·C + i·C̃
    dc_dc = np.diag(f)
    tc = np.tanh(c)
    through_c = (o * (1 - tc ** 2))[:, None]  # h_t = o·tanh(C_t)
    dh_dh = tc[:, None] * do + through_c * dc_dh
    dh_dc = through_c * dc_dc
    return np.block([[dh_dh, dh_dc], [dc_dh, dc_dc]])


def spectral_norm(J: np.ndarray) -> float:
    """‖J‖₂, the largest singular value: how much J can stretch any vector."""
    return float(np.linalg.svd(J, compute_uv=False)[0])


def clip_gradient(grad: np.ndarray, threshold: float) -> np.ndarray:
    """Rescale so that ‖grad‖ ≤ threshold (what torch.nn.utils.clip_grad_norm_ does)."""
    norm = float(np.sqrt(np.sum(grad * grad)))
    return grad * (threshold / norm) if norm > threshold else grad.copy()


def clip_as_slide(grad: np.ndarray, threshold: float) -> np.ndarray:
    """The slide's code verbatim: its `grad_norm` is the squared norm Σ grad²."""
    grad_norm = float(np.sum(grad * grad))
    return grad * (threshold / grad_norm) if grad_norm > threshold else grad.copy()


def orthogonal(rng: np.random.Generator, n: int) -> np.ndarray:
    """A random orthogonal matrix: every singular value 1, so σ·Q has all of them σ."""
    q, r = np.linalg.qr(rng.normal(size=(n, n)))
    return q * np.sign(np.diag(r))  # sign fix: the same Q for the same draw, everywhere
