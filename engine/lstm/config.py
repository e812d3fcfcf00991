"""The LSTM lab's parameters, and the one plan built from them.

`plan(params)` applies every cross-field rule and the size budget from shapes alone (a
checkpoint is read once and cached by path, size and time), so `tui-lab check` is cheap;
`cell_arrays(cfg, params, seed)` then builds the step mode's numbers once, when the lab
opens. Gradient mode draws its own numbers from the seed (gradflow.setup).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping

import numpy as np

from ..core import budget
from ..core.params import Param, ParamError
from . import checkpoint as cell_checkpoint
from .checkpoint import CellCheckpoint
from .math import GATES

LSTM_W = ("W_f", "W_i", "W_C", "W_o")
LSTM_B = ("b_f", "b_i", "b_C", "b_o")
RNN_W = ("W_hh", "W_xh", "W_hy")
RNN_B = ("b_h", "b_y")
SUFFIX = {"f": "f", "i": "i", "g": "C", "o": "o"}  # gate -> the lecture's suffix (W_C, b_C)
LSTM_STAGES = ("concat", "f", "i", "g", "c", "o", "h")
RNN_STAGES = ("a", "h", "y")
MAX_STEPS = 64
# Weights ride along in every frame only while they are small enough to draw.
MAX_SHOWN_WEIGHTS = 600

_MATRIX = {2: "[hidden][hidden + input]"}
PARAMS = (
    Param("mode", "choice", "step", "step through the cell, or plot gradient flow", choices=("step", "gradient")),
    Param("cell", "choice", "lstm", "which cell to step", choices=("lstm", "rnn")),
    Param("hidden_size", "int", 0, "units in h and C; 0 = from the weights, else 3 (step) or 8 (gradient)", min=0, max=64),
    Param("input_size", "int", 0, "length of x_t; 0 = from x, text or the weights, else 2 (step) or 4 (gradient)", min=0, max=128),
    Param("x", "tensor", [], "the inputs x_1..x_T as [T][input]; empty = drawn from the seed", ndims=(2,), shapes={2: "[T][input]"}),
    Param("text", "str", "", "characters that become one-hot inputs (or embedding rows with a checkpoint)"),
    Param("steps", "int", 4, "how many inputs to draw when neither x nor text is given", min=1, max=MAX_STEPS),
    *(Param(k, "tensor", [], f"{k} over [h, x], hidden × (hidden + input); empty = drawn from the seed",
            ndims=(2,), shapes=_MATRIX) for k in LSTM_W),
    *(Param(k, "floats", [], f"{k}, one per hidden unit; empty = zeros") for k in LSTM_B),
    Param("W_hh", "tensor", [], "RNN hidden-to-hidden, [hidden][hidden]; empty = drawn", ndims=(2,), shapes={2: "[hidden][hidden]"}),
    Param("W_xh", "tensor", [], "RNN input-to-hidden, [hidden][input]; empty = drawn", ndims=(2,), shapes={2: "[hidden][input]"}),
    Param("W_hy", "tensor", [], "RNN hidden-to-output, [output][hidden]; empty = drawn with output = input", ndims=(2,), shapes={2: "[output][hidden]"}),
    Param("b_h", "floats", [], "RNN hidden bias; empty = zeros"),
    Param("b_y", "floats", [], "RNN output bias; empty = zeros"),
    Param("h0", "floats", [], "initial hidden state h_0; empty = zeros"),
    Param("c0", "floats", [], "initial cell state C_0; empty = zeros"),
    Param("unit", "int", 0, "which hidden unit the captions spell out (and the knobs turn)", min=0),
    Param("checkpoint", "path", "", "a char-RNN checkpoint (.pt) whose layer 0 runs on `text`"),
    Param("horizon", "int", 30, "gradient mode: the largest T", min=1, max=200),
    Param("sv_explode", "float", 1.25, "gradient mode: singular value of W_hh above 1", min=1, max=4),
    Param("sv_vanish", "float", 0.8, "gradient mode: singular value of W_hh below 1", min=0.01, max=1),
    Param("input_scale", "float", 0.0, "gradient mode: size of the random inputs (0 = pure factors of W)", min=0, max=10),
    Param("forget_bias", "float", 3.0, "gradient mode: the LSTM's forget-gate bias b_f", min=-10, max=10),
    Param("clip", "float", 5.0, "gradient mode: the gradient-clipping threshold", min=1e-9),
    Param("chunk", "int", 10, "gradient mode: truncated BPTT chunk length", min=1, max=200),
)


@dataclass(frozen=True)
class StepConfig:
    """Step mode: one cell stepped through a sequence, one gate per frame."""

    cell: str  # lstm | rnn
    hidden: int
    inputs: int  # length of x_t
    outputs: int  # RNN: rows of W_hy (y_t's length); LSTM: 0
    steps: int  # T, the sequence length
    unit: int  # the unit the captions spell out
    text: str
    checkpoint: CellCheckpoint | None

    @property
    def stages(self) -> tuple[str, ...]:
        return LSTM_STAGES if self.cell == "lstm" else RNN_STAGES

    @property
    def length(self) -> int:
        return 1 + self.steps * len(self.stages)


@dataclass(frozen=True)
class FlowConfig:
    """Gradient mode: ‖∂h_T/∂h_0‖ for T = 1 … horizon, then clipping and truncated BPTT."""

    hidden: int
    inputs: int
    horizon: int
    sv_explode: float
    sv_vanish: float
    input_scale: float
    forget_bias: float
    threshold: float  # the clipping threshold (the `clip` param)
    chunk: int

    @property
    def chunks(self) -> int:
        return -(-self.horizon // self.chunk)

    @property
    def length(self) -> int:
        return 1 + self.horizon + 2 + self.chunks


LSTMConfig = StepConfig | FlowConfig


def unset_empty(raw: Mapping[str, Any]) -> dict[str, Any]:
    """An empty tensor means "not given" (drawn from the seed), as when the key is left out;
    the generic tensor check would refuse it, and every set or knob turn passes all params."""
    tensors = {q.name for q in PARAMS if q.kind == "tensor"}
    return {k: v for k, v in raw.items() if not (k in tensors and isinstance(v, list) and not v)}


def check_ragged_x(raw: Mapping[str, Any]) -> None:
    """An input vector of the wrong length, named by its index, before the generic shape check."""
    x = raw.get("x")
    if not (isinstance(x, list) and x and all(isinstance(r, list) for r in x)):
        return
    size = raw.get("input_size")
    n = size if isinstance(size, int) and size else len(x[0])
    for i, row in enumerate(x):
        if len(row) != n:
            why = "input_size" if size else "like x[0]"
            raise ParamError(f"params.x[{i}]", f"expected an input vector of {n} numbers ({why}), got {len(row)}")


def plan(p: Mapping[str, Any]) -> LSTMConfig:
    """All the cross-field rules and the size budget, in one place; ParamError names the key."""
    if p["mode"] == "gradient":
        cfg = FlowConfig(p["hidden_size"] or 8, p["input_size"] or 4, p["horizon"], p["sv_explode"], p["sv_vanish"],
                         p["input_scale"], p["forget_bias"], p["clip"], p["chunk"])
        _flow_budget(cfg)
        return cfg
    ckpt = _checked_checkpoint(p)
    H, In = _sizes(p, ckpt)
    _check_step(p, H, In)
    outputs = (_shape(p, "W_hy")[0] if p["W_hy"] else In) if p["cell"] == "rnn" else 0
    if ckpt is not None and p["cell"] == "rnn":
        outputs = len(ckpt.vocab)
    steps = len(p["x"]) if p["x"] else len(p["text"]) if p["text"] else p["steps"]
    cfg = StepConfig(p["cell"], H, In, outputs, steps, p["unit"], p["text"], ckpt)
    _step_budget(cfg, p)
    return cfg


# --- step mode -----------------------------------------------------------------------------
def _given(p: Mapping[str, Any], names: tuple[str, ...]) -> list[str]:
    return [k for k in names if len(p[k])]


def _shape(p: Mapping[str, Any], k: str) -> tuple[int, int]:
    return len(p[k]), len(p[k][0])


def _sizes(p: Mapping[str, Any], ckpt: CellCheckpoint | None) -> tuple[int, int]:
    """(hidden, input): from the params, the checkpoint, the weights, x or text, in that order.

    The weights come before x so that a wrong input vector is the one named in the message.
    """
    H = p["hidden_size"]
    if not H:
        if ckpt is not None:
            H = ckpt.hidden
        elif p["cell"] == "lstm" and _given(p, LSTM_W):
            H = _shape(p, _given(p, LSTM_W)[0])[0]
        elif p["cell"] == "rnn" and _given(p, ("W_hh", "W_xh")):
            H = _shape(p, _given(p, ("W_hh", "W_xh"))[0])[0]
    H = H or 3
    In = p["input_size"]
    if not In:
        if ckpt is not None:
            In = ckpt.input_size
        elif p["cell"] == "lstm" and _given(p, LSTM_W):
            widths = [_shape(p, k)[1] - H for k in _given(p, LSTM_W)]
            # Two or more that agree outvote x, so a wrong input vector is the one named.
            agreed = widths[0] if (len(widths) > 1 and len(set(widths)) == 1) or not p["x"] else len(p["x"][0])
            In = max(1, agreed)
        elif p["cell"] == "rnn" and p["W_xh"]:
            In = _shape(p, "W_xh")[1]
        elif p["x"]:
            In = len(p["x"][0])
        elif p["text"]:
            In = len(set(p["text"]))
    return H, In or 2


def _need_length(p: Mapping[str, Any], k: str, n: int, what: str) -> None:
    if p[k] and len(p[k]) != n:
        raise ParamError(f"params.{k}", f"expected {n} numbers ({what}), got {len(p[k])}")


def _need_shape(p: Mapping[str, Any], k: str, rows: int, cols: int, what: str) -> None:
    if p[k] and _shape(p, k) != (rows, cols):
        r, c = _shape(p, k)
        raise ParamError(f"params.{k}", f"expected shape [{rows}][{cols}] ({what}), got [{r}][{c}]")


def _check_step(p: Mapping[str, Any], H: int, In: int) -> None:
    cell = p["cell"]
    wrong = RNN_W + RNN_B if cell == "lstm" else LSTM_W + LSTM_B
    for k in _given(p, wrong):
        raise ParamError(f"params.{k}", f'belongs to the other cell; with cell = "{cell}" use '
                         + ", ".join(LSTM_W + LSTM_B if cell == "lstm" else RNN_W + RNN_B))
    if p["x"] and p["text"]:
        raise ParamError("params.text", "give either x or text, not both")
    if p["x"]:
        T, n = _shape(p, "x")
        if n != In:
            raise ParamError("params.x", f"expected input vectors of {In} numbers (input_size), shape [T][{In}]; got shape [{T}][{n}]")
        if T > MAX_STEPS:
            raise ParamError("params.x", f"expected at most {MAX_STEPS} time steps, got {T}")
    text = p["text"]
    if text:
        if len(text) > MAX_STEPS:
            raise ParamError("params.text", f"expected at most {MAX_STEPS} characters, got {len(text)}")
        distinct = len(set(text))
        if not p["checkpoint"] and distinct != In:
            raise ParamError("params.input_size", f"the text has {distinct} distinct characters, so its one-hot "
                             f"vectors have {distinct} entries; set input_size = {distinct} or 0")
    if cell == "lstm":
        for k in LSTM_W:
            _need_shape(p, k, H, H + In, f"hidden × (hidden + input) = {H} × ({H} + {In}), over [h, x]")
        for k in LSTM_B:
            _need_length(p, k, H, "hidden_size")
    else:
        _need_shape(p, "W_hh", H, H, "hidden × hidden")
        _need_shape(p, "W_xh", H, In, "hidden × input")
        out = _shape(p, "W_hy")[0] if p["W_hy"] else In
        _need_shape(p, "W_hy", out, H, "output × hidden")
        _need_length(p, "b_h", H, "hidden_size")
        _need_length(p, "b_y", out, "one per output, the rows of W_hy")
    _need_length(p, "h0", H, "hidden_size")
    _need_length(p, "c0", H, "hidden_size")
    if cell == "rnn" and p["c0"]:
        raise ParamError("params.c0", 'only the LSTM has a cell state; remove c0 or set cell = "lstm"')
    if p["unit"] >= H:
        raise ParamError("params.unit", f"expected a unit from 0 to {H - 1} (hidden_size = {H}), got {p['unit']}")


def _checked_checkpoint(p: Mapping[str, Any]) -> CellCheckpoint | None:
    if not p["checkpoint"]:
        return None
    ckpt = cell_checkpoint.load(p["checkpoint"])
    if ckpt.cell != p["cell"]:
        raise ParamError("params.checkpoint", f'the checkpoint holds a {ckpt.cell} cell, but cell = "{p["cell"]}"; '
                         f'set cell = "{ckpt.cell}" to step it')
    for k in _given(p, LSTM_W + LSTM_B + RNN_W + RNN_B) + _given(p, ("x",)):
        raise ParamError(f"params.{k}", "not allowed with a checkpoint: its weights and the text's characters are used")
    if not p["text"]:
        raise ParamError("params.text", "required with a checkpoint: the characters to run through it")
    for n, ch in enumerate(p["text"]):
        if ch not in ckpt.vocab:
            raise ParamError("params.text", f"character {ch!r} (position {n}) is not in the checkpoint's vocabulary "
                             f"of {len(ckpt.vocab)} characters")
    if p["hidden_size"] and p["hidden_size"] != ckpt.hidden:
        raise ParamError("params.hidden_size", f"the checkpoint has hidden size {ckpt.hidden}; set {ckpt.hidden} or 0")
    if p["input_size"] and p["input_size"] != ckpt.input_size:
        raise ParamError("params.input_size", f"the checkpoint's inputs have {ckpt.input_size} numbers; set {ckpt.input_size} or 0")
    return ckpt


def step_numbers(cfg: StepConfig) -> int:
    """The numbers all the frames hold together: each repeats the inputs and the weights while
    they are drawn, and the history grows by one time step every len(stages) frames."""
    H, In, T = cfg.hidden, cfg.inputs, cfg.steps
    per_step = 6 * H + (H + cfg.outputs if cfg.cell == "rnn" else 0)  # one history entry
    weights = weight_count(cfg)
    fixed = T * In + 10 * H + In + (weights if weights <= MAX_SHOWN_WEIGHTS else 0)
    history = len(cfg.stages) * per_step * T * (T + 1) // 2
    return cfg.length * fixed + history


def weight_count(cfg: StepConfig) -> int:
    H, In = cfg.hidden, cfg.inputs
    if cfg.cell == "lstm":
        return 4 * (H * (H + In) + H)
    return H * H + H * In + cfg.outputs * H + H + cfg.outputs


def _step_budget(cfg: StepConfig, p: Mapping[str, Any]) -> None:
    key = "params.text" if p["text"] else "params.x" if p["x"] else "params.steps"
    budget.require(key, f"the numbers the {cfg.length} frames hold (hidden {cfg.hidden}, input {cfg.inputs}, "
                   f"{cfg.steps} time steps)", step_numbers(cfg), budget.VALUES, "use a shorter sequence")


def _flow_budget(cfg: FlowConfig) -> None:
    H, T = cfg.hidden, cfg.horizon
    history = 6 * H * (T * (T + 1) // 2 + T * (2 + cfg.chunks))  # the LSTM's run, repeated per frame
    per_frame = 3 * T + 3 * H + 3 * cfg.chunks
    budget.require("params.horizon", f"the numbers the {cfg.length} frames hold (hidden {H}, horizon {T}, "
                   f"{cfg.chunks} chunks)", history + cfg.length * per_frame, budget.VALUES,
                   "use a shorter horizon, fewer hidden units or longer chunks")


# --- the numbers, once -------------------------------------------------------------------
@dataclass(frozen=True)
class CellArrays:
    """The step mode's numbers: weights by the lecture's names, inputs, initial state."""

    weights: dict[str, np.ndarray]  # W_f.. b_f.. (lstm) or W_hh W_xh W_hy b_h b_y (rnn)
    xs: np.ndarray  # (T, In)
    h0: np.ndarray
    c0: np.ndarray
    tokens: tuple[str, ...]
    drawn: tuple[str, ...]  # which of them came from the seed

    def gates(self) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
        """W and b by gate letter (f, i, g, o), as lstm_step takes them."""
        return ({g: self.weights[f"W_{SUFFIX[g]}"] for g in GATES},
                {g: self.weights[f"b_{SUFFIX[g]}"] for g in GATES})


def cell_arrays(cfg: StepConfig, p: Mapping[str, Any], seed: int) -> CellArrays:
    rng = np.random.default_rng(seed)
    H, In, ckpt = cfg.hidden, cfg.inputs, cfg.checkpoint
    drawn: list[str] = []

    def matrix(k: str, rows: int, cols: int) -> np.ndarray:
        if ckpt is not None:
            return ckpt.weights[k]
        if p[k]:
            return np.asarray(p[k], dtype=np.float64)
        drawn.append(k)
        bound = 1 / np.sqrt(H)  # torch's own initialisation, U(−1/√H, 1/√H)
        return rng.uniform(-bound, bound, (rows, cols))

    def vector(k: str, n: int) -> np.ndarray:
        if ckpt is not None and k in ckpt.weights:
            return ckpt.weights[k]
        return np.asarray(p[k], dtype=np.float64) if p[k] else np.zeros(n)

    weights: dict[str, np.ndarray] = {}
    if cfg.cell == "lstm":
        weights |= {k: matrix(k, H, H + In) for k in LSTM_W}
        weights |= {k: vector(k, H) for k in LSTM_B}
    else:
        weights |= {"W_hh": matrix("W_hh", H, H), "W_xh": matrix("W_xh", H, In), "W_hy": matrix("W_hy", cfg.outputs, H)}
        weights |= {"b_h": vector("b_h", H), "b_y": vector("b_y", cfg.outputs)}
    tokens: tuple[str, ...] = ()
    if ckpt is not None:
        xs, tokens = ckpt.inputs(cfg.text), tuple(cfg.text)
    elif cfg.text:
        vocab = sorted(set(cfg.text))
        xs, tokens = np.eye(In)[[vocab.index(ch) for ch in cfg.text]], tuple(cfg.text)
    elif p["x"]:
        xs = np.asarray(p["x"], dtype=np.float64)
    else:
        drawn.append("x")
        xs = rng.normal(size=(cfg.steps, In)).round(2)  # short numbers read better in captions
    return CellArrays(weights, xs, vector("h0", H), vector("c0", H), tokens, tuple(drawn))
