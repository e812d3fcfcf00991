"""Reading a char-RNN checkpoint (format "tui-lab/charrnn", version 1) into layer-0 cell weights.

The char-RNN lab saves nn.LSTM / nn.RNN state dicts (engine/charrnn/checkpoint.py checks
the file); this turns layer 0 into the lecture's per-gate matrices over [h, x], so the
LSTM lab can show real gate values on real text. An LSTM of several layers is stepped at
layer 0 (its inputs are the characters); a vanilla RNN must have one layer, because its
y_t = W_hy·h_t reads the top layer. Every way a file can be wrong is a ParamError on
`params.checkpoint` (or `params.text`), never a traceback.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any

import numpy as np

from .math import TORCH_ORDER
from ..core.fmt import clip
from ..core.params import ParamError

KEY = "params.checkpoint"


@dataclass(frozen=True)
class CellCheckpoint:
    """Layer 0 of a char-RNN checkpoint, as the cell this lab steps."""

    cell: str  # "lstm" | "rnn"
    vocab: tuple[str, ...]
    hidden: int
    layers: int  # how many the model has; this is layer 0
    embed: np.ndarray | None  # (V, E), None for one-hot input
    weights: dict[str, np.ndarray]  # the lab's own names: W_f.. b_f.. or W_hh, W_xh, b_h, W_hy, b_y

    @property
    def input_size(self) -> int:
        return len(self.vocab) if self.embed is None else self.embed.shape[1]

    def inputs(self, text: str) -> np.ndarray:
        """x_t for each character: its embedding row, or its one-hot vector. (T, In)"""
        ids = [self.vocab.index(ch) for ch in text]
        if self.embed is not None:
            return self.embed[ids]
        return np.eye(len(self.vocab))[ids]


_cache: dict[tuple[str, int, int], CellCheckpoint] = {}


def load(path: str) -> CellCheckpoint:
    """Load and check a checkpoint; cached by path, size and modification time."""
    full = os.path.expanduser(path)
    try:
        st = os.stat(full)
    except OSError:
        raise ParamError(KEY, f"no such file: {path}") from None
    if not os.path.isfile(full):
        raise ParamError(KEY, f"{path} is not a file")
    key = (os.path.abspath(full), st.st_size, st.st_mtime_ns)
    if key not in _cache:
        _cache[key] = _read(full, path)
    return _cache[key]


def _read(full: str, path: str) -> CellCheckpoint:
    """The char-RNN lab's reader checks the file; this turns its layer 0 into per-gate matrices."""
    from ..charrnn import checkpoint

    try:
        raw = checkpoint.read(full)
    except checkpoint.CheckpointError as exc:
        raise ParamError(KEY, str(exc).replace(full, path, 1)) from None
    layers = raw["settings"]["layers"]
    if raw["cell"] == "rnn" and layers > 1:
        raise ParamError(KEY, f"{path}: a vanilla RNN of {layers} layers; this lab steps layer 0, and its y_t = "
                         "W_hy·h_t would need the top layer: use a one-layer RNN (an LSTM is stepped at layer 0)")
    try:
        return _weights(raw["cell"], tuple(raw["vocab"]), raw["settings"], raw["model"])
    except (KeyError, ValueError, TypeError, AttributeError, RuntimeError) as exc:
        raise ParamError(KEY, clip(f"{path}: model state_dict does not match its settings ({exc})")) from None


def _array(state: dict[str, Any], name: str, shape: tuple[int, ...]) -> np.ndarray:
    if name not in state:
        raise KeyError(f"no {name}")
    t = state[name]
    if not hasattr(t, "detach") or not hasattr(t, "is_floating_point") or not t.is_floating_point():
        raise TypeError(f"{name} is {type(t).__name__}, not a tensor of floats")
    a = t.detach().cpu().double().numpy()
    if a.shape != shape:
        raise ValueError(f"{name} has shape {list(a.shape)}, expected {list(shape)}")
    return a


def _weights(cell: str, vocab: tuple[str, ...], settings: dict[str, Any], state: dict[str, Any]) -> CellCheckpoint:
    H, E, V = int(settings["hidden_size"]), int(settings.get("embedding", 0)), len(vocab)
    layers = int(settings.get("layers", 1))
    embed = _array(state, "embed.weight", (V, E)) if E > 0 else None
    In = E if E > 0 else V
    gates = 4 if cell == "lstm" else 1
    w_ih = _array(state, "rnn.weight_ih_l0", (gates * H, In))
    w_hh = _array(state, "rnn.weight_hh_l0", (gates * H, H))
    bias = _array(state, "rnn.bias_ih_l0", (gates * H,)) + _array(state, "rnn.bias_hh_l0", (gates * H,))
    weights: dict[str, np.ndarray] = {}
    if cell == "lstm":
        for n, k in enumerate(TORCH_ORDER):
            rows = slice(n * H, (n + 1) * H)
            name = "C" if k == "g" else k
            weights[f"W_{name}"] = np.concatenate([w_hh[rows], w_ih[rows]], axis=1)  # over [h, x]
            weights[f"b_{name}"] = bias[rows]
    else:
        weights.update(W_hh=w_hh, W_xh=w_ih, b_h=bias)
        weights["W_hy"] = _array(state, "head.weight", (V, H))
        weights["b_y"] = _array(state, "head.bias", (V,))
    return CellCheckpoint(cell, vocab, H, layers, embed, weights)
