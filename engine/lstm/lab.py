"""LSTM gates, one gate per step; the vanilla RNN the same way; and RNN gradient flow.

Step mode follows the lecture's LSTM slides in order: the concatenation [h_{t−1}, x_t],
the forget gate f_t, the input gate i_t, the candidate C̃_t, the new cell state C_t,
the output gate o_t and h_t, then the next time step. cell = "rnn" steps
h_t = tanh(W_hh·h_{t−1} + W_xh·x_t) and y_t = W_hy·h_t instead.

Gradient mode follows the "vanilla RNN gradient flow" slides: ‖∂h_T/∂h_0‖ against T for
W_hh with every singular value above 1 (exploding) and below 1 (vanishing), and for an
LSTM; then gradient clipping, done right and as the slide's code does it; then truncated
backpropagation through time, chunk by chunk.
"""

from __future__ import annotations

from typing import Any, Iterator

import numpy as np

from . import checkpoint as lstm_checkpoint
from ..core.fmt import factor, num
from ..core.frame import Frame
from ..core.lab import Lab
from .math import (GATES, TORCH_ORDER, clip, clip_as_slide, lstm_jacobian, lstm_step, orthogonal,
                        rnn_jacobian, rnn_step, spectral_norm)
from ..core.params import Param, ParamError

LSTM_W = ("W_f", "W_i", "W_C", "W_o")
LSTM_B = ("b_f", "b_i", "b_C", "b_o")
RNN_W = ("W_hh", "W_xh", "W_hy")
RNN_B = ("b_h", "b_y")
NAME = {"f": "f", "i": "i", "g": "C", "o": "o"}  # gate -> the lecture's suffix (W_C, b_C)
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
    Param("unit", "int", 0, "which hidden unit the captions spell out", min=0),
    Param("checkpoint", "path", "", "a char-RNN checkpoint (.pt) whose layer 0 runs on `text`"),
    Param("horizon", "int", 30, "gradient mode: the largest T", min=1, max=200),
    Param("sv_explode", "float", 1.25, "gradient mode: singular value of W_hh above 1", min=1, max=4),
    Param("sv_vanish", "float", 0.8, "gradient mode: singular value of W_hh below 1", min=0.01, max=1),
    Param("input_scale", "float", 0.0, "gradient mode: size of the random inputs (0 = pure factors of W)", min=0, max=10),
    Param("forget_bias", "float", 3.0, "gradient mode: the LSTM's forget-gate bias b_f", min=-10, max=10),
    Param("clip", "float", 5.0, "gradient mode: the clipping threshold", min=1e-9),
    Param("chunk", "int", 10, "gradient mode: truncated BPTT chunk length", min=1, max=200),
)


# --- captions -------------------------------------------------------------------------
def vec(a: Any, limit: int = 8) -> str:
    """[0.1, −0.2, …] with at most `limit` entries."""
    a = list(np.asarray(a, dtype=float))
    body = ", ".join(num(v, 3) for v in a[:limit])
    return f"[{body}{', …' if len(a) > limit else ''}]"


def dot_terms(w: np.ndarray, v: np.ndarray, limit: int = 8) -> str:
    """w·v written out term by term, or as its value when too long to read."""
    if len(w) <= limit:
        return " + ".join(f"{factor(a, 3)}·{factor(b, 3)}" for a, b in zip(w, v))
    return f"{num(float(w @ v))} ({len(w)} products)"


def gate_caption(k: str, t: int, u: int, s: dict, W: dict, b: dict) -> str:
    name, fn = ("C̃", "tanh") if k == "g" else (k, "σ")
    w = NAME[k]
    z, val = s["pre"][k][u], s[k][u]
    return (f"{name}_{t}[{u}] = {fn}(W_{w}[{u}]·[h_{t - 1}, x_{t}] + b_{w}[{u}]) = "
            f"{fn}({dot_terms(W[k][u], s['concat'])} + {factor(b[k][u], 3)}) = {fn}({num(z)}) = {num(val)}")


# --- validation -----------------------------------------------------------------------
def _given(p: dict[str, Any], names: tuple[str, ...]) -> list[str]:
    return [k for k in names if len(p[k])]


def _shape(p: dict[str, Any], k: str) -> tuple[int, int]:
    a = np.asarray(p[k], dtype=float)
    return a.shape[0], a.shape[1]


def sizes(p: dict[str, Any], ckpt: lstm_checkpoint.Checkpoint | None) -> tuple[int, int]:
    """(hidden, input): from the params, the checkpoint, the weights, x or text, in that order.

    The weights come before x so that a wrong input vector is the one named in the message.
    """
    gradient = p["mode"] == "gradient"
    H = p["hidden_size"]
    if not H and not gradient:
        if ckpt is not None:
            H = ckpt.hidden
        elif p["cell"] == "lstm" and _given(p, LSTM_W):
            H = _shape(p, _given(p, LSTM_W)[0])[0]
        elif p["cell"] == "rnn" and _given(p, ("W_hh", "W_xh")):
            H = _shape(p, _given(p, ("W_hh", "W_xh"))[0])[0]
    H = H or (8 if gradient else 3)
    In = p["input_size"]
    if not In and not gradient:
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
    return H, In or (4 if gradient else 2)


def _need_length(p: dict[str, Any], k: str, n: int, what: str) -> None:
    if p[k] and len(p[k]) != n:
        raise ParamError(f"params.{k}", f"expected {n} numbers ({what}), got {len(p[k])}")


def _need_shape(p: dict[str, Any], k: str, rows: int, cols: int, what: str) -> None:
    if p[k] and _shape(p, k) != (rows, cols):
        r, c = _shape(p, k)
        raise ParamError(f"params.{k}", f"expected shape [{rows}][{cols}] ({what}), got [{r}][{c}]")


class LSTMLab(Lab):
    name = "lstm"
    title = "LSTM gates and RNN gradient flow"
    help = (
        "**Step mode** shows one gate per step, as the lecture's LSTM slides do:\n\n"
        "- [h_{t−1}, x_t]: the previous hidden state and the input, concatenated\n"
        "- f_t = σ(W_f·[h_{t−1}, x_t] + b_f): what to throw away from the cell state\n"
        "- i_t = σ(W_i·[h_{t−1}, x_t] + b_i) and C̃_t = tanh(W_C·[h_{t−1}, x_t] + b_C): what to write\n"
        "- C_t = f_t * C_{t−1} + i_t * C̃_t: the cell state, the belt running across time\n"
        "- o_t = σ(W_o·[h_{t−1}, x_t] + b_o) and h_t = o_t * tanh(C_t): the output\n\n"
        "With cell = \"rnn\": h_t = tanh(W_hh·h_{t−1} + W_xh·x_t), y_t = W_hy·h_t.\n\n"
        "The caption spells out one unit (`unit`); the key u shows the next unit.\n\n"
        "**Gradient mode**: ‖∂h_T/∂h_0‖ against T. For a vanilla RNN it holds T factors of W_hh "
        "(and of tanh′): largest singular value > 1 explodes, < 1 vanishes; the LSTM's cell state "
        "with its forget gate keeps it near 1. Then gradient clipping (the slide's code compares the "
        "*squared* norm with the threshold) and truncated backpropagation through time."
    )
    PARAMS = PARAMS

    @classmethod
    def validate(cls, raw: dict[str, Any]) -> dict[str, Any]:
        _check_ragged_x(raw)
        return super().validate(raw)

    @classmethod
    def check(cls, p: dict[str, Any]) -> None:
        if p["mode"] == "gradient":
            return  # gradient mode draws its own weights and inputs from the seed
        ckpt = _checked_checkpoint(p)
        H, In = sizes(p, ckpt)
        wrong = RNN_W + RNN_B if p["cell"] == "lstm" else LSTM_W + LSTM_B
        for k in _given(p, wrong):
            raise ParamError(f"params.{k}", f'belongs to the other cell; with cell = "{p["cell"]}" use '
                             + ", ".join(LSTM_W + LSTM_B if p["cell"] == "lstm" else RNN_W + RNN_B))
        if p["x"] and p["text"]:
            raise ParamError("params.text", "give either x or text, not both")
        if p["x"]:
            T, n = _shape(p, "x")
            if n != In:
                raise ParamError("params.x", f"expected input vectors of {In} numbers (input_size), shape [T][{In}]; got shape [{T}][{n}]")
            if T > MAX_STEPS:
                raise ParamError("params.x", f"expected at most {MAX_STEPS} time steps, got {T}")
        if p["text"]:
            if len(p["text"]) > MAX_STEPS:
                raise ParamError("params.text", f"expected at most {MAX_STEPS} characters, got {len(p['text'])}")
            if ckpt is None and len(set(p["text"])) != In:
                raise ParamError("params.input_size", f"the text has {len(set(p['text']))} distinct characters, so its one-hot "
                                 f"vectors have {len(set(p['text']))} entries; set input_size = {len(set(p['text']))} or 0")
        if p["cell"] == "lstm":
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
        if p["cell"] == "rnn" and p["c0"]:
            raise ParamError("params.c0", 'only the LSTM has a cell state; remove c0 or set cell = "lstm"')
        if p["unit"] >= H:
            raise ParamError("params.unit", f"expected a unit from 0 to {H - 1} (hidden_size = {H}), got {p['unit']}")

    def __init__(self, params: dict[str, Any], *, seed: int = 0, device: str = "cpu") -> None:
        super().__init__(params, seed=seed, device=device)
        self.rng = np.random.default_rng(seed)
        self.gradient = params["mode"] == "gradient"
        if not self.gradient:
            self._setup_step()

    # --- step mode: set-up ----------------------------------------------------------
    def _setup_step(self) -> None:
        p, rng = self.params, self.rng
        self.ckpt = lstm_checkpoint.load(p["checkpoint"]) if p["checkpoint"] else None
        H, In = self.H, self.In = sizes(p, self.ckpt)
        drawn: list[str] = []

        def matrix(k: str, rows: int, cols: int, fan: int) -> np.ndarray:
            if self.ckpt is not None:
                return self.ckpt.weights[k]
            if p[k]:
                return np.asarray(p[k], dtype=np.float64)
            drawn.append(k)
            bound = 1 / np.sqrt(fan)  # torch's own initialisation, U(−1/√H, 1/√H)
            return rng.uniform(-bound, bound, (rows, cols))

        def vector(k: str, n: int) -> np.ndarray:
            if self.ckpt is not None and k in self.ckpt.weights:
                return self.ckpt.weights[k]
            return np.asarray(p[k], dtype=np.float64) if p[k] else np.zeros(n)

        if p["cell"] == "lstm":
            self.W = {g: matrix(f"W_{NAME[g]}", H, H + In, H) for g in GATES}
            self.b = {g: vector(f"b_{NAME[g]}", H) for g in GATES}
        else:
            self.W_hh = matrix("W_hh", H, H, H)
            self.W_xh = matrix("W_xh", H, In, H)
            out = len(p["W_hy"]) if p["W_hy"] else In
            self.W_hy = matrix("W_hy", out, H, H)
            self.b_h = vector("b_h", H)
            self.b_y = vector("b_y", self.W_hy.shape[0])
        self.tokens: list[str] = []
        if self.ckpt is not None:
            self.xs = self.ckpt.inputs(p["text"])
            self.tokens = list(p["text"])
        elif p["text"]:
            vocab = sorted(set(p["text"]))
            self.xs = np.eye(In)[[vocab.index(ch) for ch in p["text"]]]
            self.tokens = list(p["text"])
        elif p["x"]:
            self.xs = np.asarray(p["x"], dtype=np.float64)
        else:
            drawn.append("x")
            self.xs = rng.normal(size=(p["steps"], In)).round(2)  # short numbers read better in captions
        self.h0 = vector("h0", H)
        self.c0 = vector("c0", H)
        self.drawn = drawn
        self.T = len(self.xs)

    def length(self) -> int:
        p = self.params
        if self.gradient:
            return 1 + p["horizon"] + 2 + -(-p["horizon"] // p["chunk"])
        return 1 + self.T * len(LSTM_STAGES if p["cell"] == "lstm" else RNN_STAGES)

    def frames(self) -> Iterator[Frame]:
        if self.gradient:
            yield from self._gradient_frames()
        elif self.params["cell"] == "lstm":
            yield from self._lstm_frames()
        else:
            yield from self._rnn_frames()

    # --- step mode: frames ----------------------------------------------------------------
    def _base(self) -> dict[str, Any]:
        p = self.params
        base: dict[str, Any] = {"mode": "step", "cell": p["cell"], "unit": p["unit"], "hidden_size": self.H,
                                "input_size": self.In, "steps": self.T, "tokens": self.tokens,
                                "h0": self.h0, "inputs": self.xs}
        if p["cell"] == "lstm":
            base["c0"] = self.c0
            weights = {f"W_{NAME[g]}": self.W[g] for g in GATES} | {f"b_{NAME[g]}": self.b[g] for g in GATES}
        else:
            weights = {"W_hh": self.W_hh, "W_xh": self.W_xh, "W_hy": self.W_hy, "b_h": self.b_h, "b_y": self.b_y}
        if sum(np.size(w) for w in weights.values()) <= MAX_SHOWN_WEIGHTS:
            base["weights"] = weights
        return base

    def _intro(self, what: str, state: str) -> str:
        p = self.params
        src = f"checkpoint {p['checkpoint']}" if self.ckpt is not None else (
            "weights and inputs from the scenario" if not self.drawn else f"{', '.join(self.drawn)} drawn from seed {self.seed}")
        inputs = f'text "{p["text"]}"' if self.tokens else f"{self.T} input vectors"
        return f"{what}: hidden {self.H}, input {self.In}, {inputs}; {state}; {src}"

    def _lstm_frames(self) -> Iterator[Frame]:
        u, base = self.params["unit"], self._base()
        history: list[dict[str, list[float]]] = []
        yield Frame(0, self._intro("LSTM cell", f"h_0 = {vec(self.h0)}, C_0 = {vec(self.c0)}"),
                    {**base, "t": 0, "stage": "start", "history": [], "current": {}, "h_prev": self.h0, "c_prev": self.c0, "x": []})
        h, c, index = self.h0, self.c0, 0
        for t in range(1, self.T + 1):
            x = self.xs[t - 1]
            s = lstm_step(self.W, self.b, h, c, x)
            for stage in LSTM_STAGES:
                index += 1
                current = _partial(s, stage)
                if stage == "h":
                    history.append({k: s[k].tolist() for k in ("f", "i", "g", "o", "c", "h")})
                caption = self._lstm_caption(stage, t, u, s, h, c, x)
                values = {**base, "t": t, "stage": stage, "history": history, "current": current,
                          "h_prev": h, "c_prev": c, "x": x}
                if index == self.length() - 1:
                    values["torch_max_diff"] = self._torch_diff(history)
                    caption += f"  (sequence done; largest difference from torch nn.LSTMCell: {num(values['torch_max_diff'])})"
                yield Frame(index, caption, values, {"stage": stage, "unit": u})
            h, c = s["h"], s["c"]

    def _lstm_caption(self, stage: str, t: int, u: int, s: dict, h: np.ndarray, c: np.ndarray, x: np.ndarray) -> str:
        if stage == "concat":
            char = f" (x_{t} is {self.tokens[t - 1]!r})" if self.tokens else ""
            return f"t = {t}: [h_{t - 1}, x_{t}] = {vec(s['concat'], 10)}: {self.H} + {self.In} = {self.H + self.In} numbers{char}"
        if stage in GATES:
            return gate_caption(stage, t, u, s, self.W, self.b)
        if stage == "c":
            kept, wrote = s["f"][u] * c[u], s["i"][u] * s["g"][u]
            return (f"C_{t}[{u}] = f_{t}·C_{t - 1} + i_{t}·C̃_{t} = {factor(s['f'][u])}·{factor(c[u])} + "
                    f"{factor(s['i'][u])}·{factor(s['g'][u])} = {num(kept)} + {factor(wrote)} = {num(s['c'][u])}"
                    f"  (forgot {num(c[u] - kept)}, wrote {num(wrote)})")
        tc = np.tanh(s["c"][u])
        return (f"h_{t}[{u}] = o_{t}·tanh(C_{t}) = {factor(s['o'][u])}·tanh({num(s['c'][u])}) = "
                f"{factor(s['o'][u])}·{factor(tc)} = {num(s['h'][u])}")

    def _rnn_frames(self) -> Iterator[Frame]:
        u, base = self.params["unit"], self._base()
        history: list[dict[str, list[float]]] = []
        yield Frame(0, self._intro("Vanilla RNN", f"h_0 = {vec(self.h0)}"), {**base, "t": 0, "stage": "start", "history": [], "current": {},
                                                     "h_prev": self.h0, "x": []})
        h, index = self.h0, 0
        for t in range(1, self.T + 1):
            x = self.xs[t - 1]
            s = rnn_step(self.W_hh, self.W_xh, self.b_h, h, x)
            s["y"] = self.W_hy @ s["h"] + self.b_y  # (out,)
            for stage in RNN_STAGES:
                index += 1
                current = {k: s[k] for k in RNN_STAGES[: RNN_STAGES.index(stage) + 1]}
                if stage == "y":
                    history.append({"f": [], "i": [], "g": [], "o": [], "c": [], "h": s["h"].tolist(),
                                    "a": s["a"].tolist(), "y": s["y"].tolist()})
                caption = self._rnn_caption(stage, t, u, s, h, x)
                values = {**base, "t": t, "stage": stage, "history": history, "current": current, "h_prev": h, "x": x}
                if index == self.length() - 1:
                    values["torch_max_diff"] = self._torch_diff(history)
                    caption += f"  (sequence done; largest difference from torch nn.RNNCell: {num(values['torch_max_diff'])})"
                yield Frame(index, caption, values, {"stage": stage, "unit": u})
            h = s["h"]

    def _rnn_caption(self, stage: str, t: int, u: int, s: dict, h: np.ndarray, x: np.ndarray) -> str:
        if stage == "a":
            char = f"; x_{t} is {self.tokens[t - 1]!r}" if self.tokens else ""
            return (f"a_{t}[{u}] = W_hh[{u}]·h_{t - 1} + W_xh[{u}]·x_{t} + b_h[{u}] = {dot_terms(self.W_hh[u], h, 5)} + "
                    f"{dot_terms(self.W_xh[u], x, 5)} + {factor(self.b_h[u], 3)} = {num(s['a'][u])}{char}")
        if stage == "h":
            return f"h_{t}[{u}] = tanh(a_{t}[{u}]) = tanh({num(s['a'][u])}) = {num(s['h'][u])}"
        caption = f"y_{t} = W_hy·h_{t} + b_y = {vec(s['y'])}"
        if self.ckpt is not None:
            caption += f"; most likely next character {self.ckpt.vocab[int(np.argmax(s['y']))]!r}"
        return caption

    def _torch_diff(self, history: list[dict[str, list[float]]]) -> float:
        """Run the same sequence through torch's own cell; the largest difference in h (and C)."""
        import torch

        with torch.no_grad():
            if self.params["cell"] == "lstm":
                cell = torch.nn.LSTMCell(self.In, self.H, dtype=torch.float64)
                cell.weight_hh.copy_(torch.from_numpy(np.concatenate([self.W[k][:, :self.H] for k in TORCH_ORDER])))
                cell.weight_ih.copy_(torch.from_numpy(np.concatenate([self.W[k][:, self.H:] for k in TORCH_ORDER])))
                cell.bias_ih.copy_(torch.from_numpy(np.concatenate([self.b[k] for k in TORCH_ORDER])))
                cell.bias_hh.zero_()
                state = (torch.from_numpy(self.h0)[None], torch.from_numpy(self.c0)[None])
            else:
                cell = torch.nn.RNNCell(self.In, self.H, nonlinearity="tanh", dtype=torch.float64)
                cell.weight_hh.copy_(torch.from_numpy(self.W_hh))
                cell.weight_ih.copy_(torch.from_numpy(self.W_xh))
                cell.bias_ih.copy_(torch.from_numpy(self.b_h))
                cell.bias_hh.zero_()
                state = torch.from_numpy(self.h0)[None]
            diff = 0.0
            for x, step in zip(self.xs, history):
                state = cell(torch.from_numpy(x)[None], state)
                h = state[0] if isinstance(state, tuple) else state
                diff = max(diff, float(np.max(np.abs(h[0].numpy() - step["h"]))))
                if isinstance(state, tuple):
                    diff = max(diff, float(np.max(np.abs(state[1][0].numpy() - step["c"]))))
        return diff

    # --- gradient mode ------------------------------------------------------------------
    def gradient_setup(self) -> dict[str, Any]:
        """The matrices and inputs of gradient mode, all drawn from the seed."""
        p, rng = self.params, self.rng
        H, In = sizes(p, None)
        Q = orthogonal(rng, H)
        W_xh = rng.normal(0, 1 / np.sqrt(In), (H, In))
        xs = p["input_scale"] * rng.normal(size=(p["horizon"], In))  # (T, In)
        bound = 1 / np.sqrt(H)
        W = {g: rng.uniform(-bound, bound, (H, H + In)) for g in GATES}
        b = {g: np.zeros(H) for g in GATES}
        b["f"] = np.full(H, p["forget_bias"])
        return {"H": H, "In": In, "Q": Q, "W_xh": W_xh, "xs": xs, "W": W, "b": b}

    def _gradient_frames(self) -> Iterator[Frame]:
        p = self.params
        g = self.gradient_setup()
        H, xs, T_max = g["H"], g["xs"], p["horizon"]
        sv = {"rnn_explode": p["sv_explode"], "rnn_vanish": p["sv_vanish"]}
        h = {k: np.zeros(H) for k in sv}
        J = {k: np.eye(H) for k in sv} | {"lstm": np.eye(2 * H)}
        steps: dict[str, list[np.ndarray]] = {k: [] for k in J}  # each step's own Jacobian, for the chunks
        norms: dict[str, list[float]] = {k: [] for k in J}
        hl, cl = np.zeros(H), np.zeros(H)
        history: list[dict[str, list[float]]] = []
        base = {"mode": "gradient", "cell": "rnn and lstm", "hidden_size": H, "input_size": g["In"], "horizon": T_max,
                "sv": sv, "clip": p["clip"], "chunk": p["chunk"], "input_scale": p["input_scale"], "forget_bias": p["forget_bias"]}
        yield Frame(0, f"Vanilla RNN gradient flow: ∂h_T/∂h_0 = Π_t diag(1 − h_t²)·W_hh, with W_hh = σ·Q (every singular "
                       f"value σ = {num(sv['rnn_explode'])}, then {num(sv['rnn_vanish'])}), and an LSTM with b_f = {num(p['forget_bias'])}",
                    {**base, "t": 0, "stage": "start", "history": [], "T": [], "norms": norms})
        for t in range(1, T_max + 1):
            x = xs[t - 1]
            for k, s in sv.items():
                W_hh = s * g["Q"]
                h[k] = rnn_step(W_hh, g["W_xh"], np.zeros(H), h[k], x)["h"]
                steps[k].append(rnn_jacobian(W_hh, h[k]))
            st = lstm_step(g["W"], g["b"], hl, cl, x)
            steps["lstm"].append(lstm_jacobian(g["W"], H, cl, st))
            hl, cl = st["h"], st["c"]
            history.append({k: st[k].tolist() for k in ("f", "i", "g", "o", "c", "h")})
            for k in J:
                J[k] = steps[k][-1] @ J[k]
                norms[k].append(spectral_norm(J[k][:H, :H]))  # the h_T-from-h_0 block
            caption = (f"T = {t}: ‖∂h_{t}/∂h_0‖ = {num(norms['rnn_explode'][-1])} (σ = {num(sv['rnn_explode'])}, exploding), "
                       f"{num(norms['rnn_vanish'][-1])} (σ = {num(sv['rnn_vanish'])}, vanishing), {num(norms['lstm'][-1])} (LSTM)")
            yield Frame(t, caption, {**base, "t": t, "stage": "flow", "history": history, "T": list(range(1, t + 1)), "norms": norms},
                        {"T": t})
        done = {**base, "t": T_max, "history": history, "T": list(range(1, T_max + 1)), "norms": norms}
        # Clipping: the gradient of L = Σ h_T with respect to h_0 in the exploding RNN.
        grad = J["rnn_explode"].T @ np.ones(H)  # (H,)
        size, thr = float(np.linalg.norm(grad)), p["clip"]
        right, slide = clip(grad, thr), clip_as_slide(grad, thr)
        clipping = {"grad": grad, "clipped": right, "clipped_slide": slide, "grad_norm": size,
                    "clipped_norm": float(np.linalg.norm(right)), "slide_grad_norm": float(np.sum(grad * grad)),
                    "clipped_slide_norm": float(np.linalg.norm(slide))}
        verdict = f"> {num(thr)}: scale by {num(thr)}/{num(size)}" if size > thr else f"≤ {num(thr)}: left as is"
        yield Frame(T_max + 1, f"Gradient clipping: g = ∂(Σh_{T_max})/∂h_0 (σ = {num(sv['rnn_explode'])}), ‖g‖ = √Σg² = {num(size)} "
                               f"{verdict} → ‖g‖ = {num(clipping['clipped_norm'])}",
                    {**done, "stage": "clip", **clipping})
        sq = clipping["slide_grad_norm"]
        verdict = (f"> {num(thr)}: g·({num(thr)}/{num(sq)}) → ‖g‖ = {num(clipping['clipped_slide_norm'])}, not {num(thr)}"
                   if sq > thr else f"≤ {num(thr)}: left as is")
        yield Frame(T_max + 2, f"As the slide's code: grad_norm = Σg² = {num(sq)} is the squared norm; {verdict}",
                    {**done, "stage": "clip_slide", **clipping})
        # Truncated BPTT: the gradient flows back only to the start of its own chunk.
        bounds = [(a, min(a + p["chunk"], T_max)) for a in range(0, T_max, p["chunk"])]
        chunk_norms: dict[str, list[float]] = {k: [] for k in J}
        for n, (a, e) in enumerate(bounds):
            for k in J:
                Jc = np.eye(J[k].shape[0])
                for Js in steps[k][a:e]:
                    Jc = Js @ Jc
                chunk_norms[k].append(spectral_norm(Jc[:H, :H]))
            caption = (f"Truncated BPTT, chunk {n + 1} of {len(bounds)}: steps {a + 1}–{e}, backward to h_{a} only: "
                       f"‖∂h_{e}/∂h_{a}‖ = {num(chunk_norms['rnn_explode'][-1])} (σ = {num(sv['rnn_explode'])}), "
                       f"where the whole sequence gives ‖∂h_{e}/∂h_0‖ = {num(norms['rnn_explode'][e - 1])}")
            # `chunk` stays the chunk length (as in every frame); `chunk_index` is which chunk this is.
            yield Frame(T_max + 3 + n, caption, {**done, "stage": "tbptt", "chunks": bounds, "chunk_index": n,
                                                 "chunk_norms": chunk_norms},
                        {"chunk_index": n})


def _partial(s: dict[str, Any], stage: str) -> dict[str, Any]:
    """What is known once `stage` is done: the vectors so far and their pre-activations."""
    done = LSTM_STAGES[: LSTM_STAGES.index(stage) + 1]
    out = {k: s[k] for k in done}
    out["pre"] = {k: s["pre"][k] for k in GATES if k in done}
    return out


def _checked_checkpoint(p: dict[str, Any]) -> lstm_checkpoint.Checkpoint | None:
    if not p["checkpoint"]:
        return None
    ckpt = lstm_checkpoint.load(p["checkpoint"])
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


def _check_ragged_x(raw: dict[str, Any]) -> None:
    """An input vector of the wrong length, named by its index, before the generic shape check."""
    x = raw.get("x")
    if not (isinstance(x, list) and x and all(isinstance(r, list) for r in x)):
        return
    n = raw.get("input_size") if isinstance(raw.get("input_size"), int) and raw.get("input_size") else len(x[0])
    for i, row in enumerate(x):
        if len(row) != n:
            why = "input_size" if raw.get("input_size") else "like x[0]"
            raise ParamError(f"params.x[{i}]", f"expected an input vector of {n} numbers ({why}), got {len(row)}")


LAB = LSTMLab
