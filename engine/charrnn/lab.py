"""Char-RNN: train a character-level model on a text and watch it learn to write.

Training (the lecture's "during training: learning sequence of characters"): the text
is cut into `batch` streams; each iteration reads the next `seq_len` characters of
every stream, predicts each following character, and backpropagates through those
steps only (truncated BPTT). The hidden state is carried from chunk to chunk and reset
when the streams reach the text's end. Loss = mean cross-entropy per character, in
nats; an untrained model guesses uniformly, so it starts near ln(vocabulary).

Sampling ("during testing: sample characters feed back to model one at a time"): after
training, each step draws one character from softmax(logits / temperature), optionally
only among the top-k, and feeds it back.

Frames: 0 is the set-up (with an untrained sample: "at first"); then one frame per
`per_step` training iterations; then one frame per sampled character.
"""

from __future__ import annotations

import contextlib
import math
import threading
import time
from pathlib import Path
from typing import Any, Iterator

import numpy as np

from .model import CELLS, build_model, detach, draw, next_distribution
from ..core.fmt import count, num
from ..core.frame import Frame
from ..core.lab import Lab
from ..core.knobs import Knob
from ..core.params import Param, ParamError

BUNDLED_TEXT = Path(__file__).resolve().parents[2] / "scenarios" / "data" / "sonnets.txt"
OPTIMIZERS = ("adam", "sgd", "rmsprop", "adagrad")
TOP_SHOWN = 10  # sampling frames list at most this many [character, probability] pairs
CURVE_POINTS = 60  # the loss curve a frame carries is averaged down to this many points
TIMELINE = 4  # samples a training frame carries (the newest last)
TOP_K_STEPS = (0, 1, 2, 3, 5, 10, 20)  # what the top-k key cycles through
SMALL_WORK = 128 * 64  # hidden_size × batch at or below which a CPU step runs on one thread

PARAMS = (
    Param("cell", "choice", "lstm", "the recurrent cell", choices=CELLS),
    Param("hidden_size", "int", 128, "units in each recurrent layer", min=1, max=4096),
    Param("layers", "int", 1, "stacked recurrent layers", min=1, max=8),
    Param("embedding", "int", 32, "size of the character embedding; 0 = one-hot input", min=0, max=4096),
    Param("seq_len", "int", 32, "characters per chunk: how far back each update propagates", min=1, max=100000),
    Param("batch", "int", 8, "streams trained side by side", min=1, max=4096),
    Param("optimizer", "choice", "adam", "the update rule", choices=OPTIMIZERS),
    Param("lr", "float", 0.003, "learning rate", min=1e-7, max=10),
    Param("clip", "float", 5.0, "gradient clipping threshold; 0 = off", min=0, max=1e6),
    Param("clip_mode", "choice", "norm", "rescale the whole gradient to this norm, or clamp each element (char-rnn)",
          choices=("norm", "value")),
    Param("iterations", "int", 500, "training iterations before sampling", min=0, max=10_000_000),
    Param("per_step", "int", 1, "training iterations per step", min=1, max=100000),
    Param("text", "path", "", "a UTF-8 text file to learn; empty = the lecture's two sonnets"),
    Param("sample_every", "int", 50, "take a sample every this many iterations; 0 = never", min=0, max=10_000_000),
    Param("sample_len", "int", 160, "characters in each training-time sample", min=1, max=10000),
    Param("temperature", "float", 1.0, "divides the logits before the softmax: < 1 sharper, > 1 flatter",
          min=0.05, max=10),
    Param("top_k", "int", 0, "draw only among the k most likely characters; 0 = all", min=0, max=100000),
    Param("greedy", "bool", False, "always take the most likely character instead of drawing"),
    Param("prime", "str", "", "text fed in before sampling; empty = the text's first character"),
    Param("generate", "int", 60, "characters sampled one per step after training", min=0, max=100000),
    Param("checkpoint", "path", "", "a checkpoint to start from (its model, vocabulary and optimizer)"),
    Param("save", "str", "charrnn.pt", "where the w key writes a checkpoint"),
)


# --- text and paths ------------------------------------------------------------
def resolve_path(name: str) -> Path:
    """A path as the loader left it (it already reads relative names from the scenario's folder)."""
    return Path(name).expanduser()


# A text is read whole and encoded once per run: 10 MB keeps an iteration quick.
MAX_TEXT_BYTES = 10_000_000


def read_text(name: str, key: str = "params.text") -> str:
    """The training text, or ParamError if it is missing, binary or too short."""
    path = resolve_path(name) if name else BUNDLED_TEXT
    shown = name or str(BUNDLED_TEXT)
    if not path.exists():
        raise ParamError(key, f"no such file: {shown}")
    if path.is_dir():
        raise ParamError(key, f"{shown} is a folder, expected a UTF-8 text file")
    try:
        if not path.is_file():  # a device (/dev/zero), a pipe or a socket: no end, or no size
            raise ParamError(key, f"{shown} is not a regular file, expected a UTF-8 text file")
        size = path.stat().st_size
        if size > MAX_TEXT_BYTES:
            raise ParamError(key, f"{shown} is {size / 1e6:.1f} MB; at most {MAX_TEXT_BYTES // 1_000_000} MB of text "
                             "is read: use a shorter excerpt")
        with path.open("rb") as fh:
            data = fh.read(MAX_TEXT_BYTES + 1)  # the file may grow between stat and read
        if len(data) > MAX_TEXT_BYTES:
            raise ParamError(key, f"{shown} is larger than {MAX_TEXT_BYTES // 1_000_000} MB; "
                             "use a shorter excerpt")
    except OSError as exc:
        raise ParamError(key, f"cannot read {shown}: {exc.strerror or exc}") from None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise ParamError(key, f"{shown} is not UTF-8 text (a binary file?)") from None
    if "\x00" in text:
        raise ParamError(key, f"{shown} is not UTF-8 text (it holds NUL bytes: a binary file?)")
    text = text.replace("\r\n", "\n")
    if len(set(text)) < 2:
        what = "empty" if not text else "a single repeated character"
        raise ParamError(key, f"{shown} is {what}; the model needs a text with at least 2 different characters")
    return text


def streams_length(n_chars: int, batch: int) -> int:
    """Characters per stream: the text (less its last character, which is only a target) split `batch` ways."""
    return (n_chars - 1) // batch


def shown_char(c: str) -> str:
    """A character as a caption shows it: spaces and line ends made visible."""
    return {" ": "␣", "\n": "⏎", "\t": "⇥"}.get(c, c)


def curve(losses: list[float], points: int = CURVE_POINTS) -> list[list[float]]:
    """[[iteration, loss], ...]; averaged over equal runs of iterations when there are more than `points`."""
    n = len(losses)
    if n <= points:
        return [[i + 1, v] for i, v in enumerate(losses)]
    edges = np.linspace(0, n, points + 1).round().astype(int)
    return [[int(b), float(np.mean(losses[a:b]))] for a, b in zip(edges[:-1], edges[1:])]


class CharRNNLab(Lab):
    name = "charrnn"
    title = "Char-RNN: a model learning to write"
    live = True
    help = (
        "A character-level language model: h_t = f_W(h_{t−1}, x_t), y_t = W_hy·h_t, one character in, "
        "a probability for every next character out.\n\n"
        "**Training.** The text is cut into `batch` streams. Each step reads the next `seq_len` characters "
        "of each, and the loss is the mean cross-entropy per character in nats: an untrained model guesses "
        "uniformly, so it starts near ln(vocabulary), the dashed line. Gradients flow back through those "
        "`seq_len` steps only (truncated backpropagation through time), while the hidden state is carried "
        "forward from chunk to chunk and reset at the text's end.\n\n"
        "**Clipping.** `clip_mode = \"norm\"` rescales the whole gradient when its norm ‖g‖ exceeds `clip` "
        "(the direction is kept); `\"value\"` clamps each element to ±clip, as the original char-rnn does "
        "(cheap, but it bends the direction). The caption says when it triggers.\n\n"
        "**Sampling.** Every `sample_every` iterations a sample is written, so stepping back through the "
        "steps shows the progression from noise to words. After training, each step draws one character "
        "from p = softmax(logits / T), only among the top-k when k > 0, and feeds it back. The temperature, "
        "top-k and greedy keys change the samples still to be drawn; frames already made never change. "
        "`a` trains in a background worker; the characters per second are measured live, never replayed.\n"
    )
    PARAMS = PARAMS
    # Temperature and top-k are knobs (`[` `]` choose, `,` `.` turn); these are the lab's own keys.
    KEYS = (
        ("g", "greedy", "greedy (always the most likely character) / sampled"),
        ("w", "save", "save a checkpoint (to the path in the save parameter, default charrnn.pt)"),
        ("l", "load", "load a checkpoint into the running lab (from the checkpoint parameter's path, "
                      "else the save parameter's)"),
    )

    @classmethod
    def check(cls, p: dict[str, Any]) -> None:
        text = read_text(p["text"])
        vocab = sorted(set(text))
        if p["checkpoint"]:
            vocab = cls._checkpoint_vocab(p["checkpoint"], text)
        per_stream = streams_length(len(text), p["batch"])
        if per_stream < p["seq_len"]:
            raise ParamError("params.seq_len", f"the text has {count(len(text))} characters, so {p['batch']} stream(s) "
                             f"of {per_stream} each; seq_len must be ≤ {per_stream} (or lower batch)")
        missing = sorted(set(p["prime"]) - set(vocab))
        if missing:
            raise ParamError("params.prime", "these characters are not in the text's vocabulary: "
                             + " ".join(repr(c) for c in missing))
        if p["top_k"] > len(vocab):
            raise ParamError("params.top_k", f"the vocabulary has {len(vocab)} characters; top_k must be ≤ {len(vocab)} (0 = all)")

    @staticmethod
    def _checkpoint_vocab(name: str, text: str) -> list[str]:
        """The checkpoint's vocabulary, which must hold every character of the text."""
        from .checkpoint import CheckpointError, read

        try:
            return check_vocab(read(resolve_path(name))["vocab"], text, name)
        except CheckpointError as exc:
            raise ParamError("params.checkpoint", str(exc)) from None

    # --- set-up ------------------------------------------------------------------
    def __init__(self, params: dict[str, Any], *, seed: int = 0, device: str = "cpu") -> None:
        import torch

        super().__init__(params, seed=seed, device=device)
        p = params
        self.text = read_text(p["text"])
        self.source = p["text"] or "the lecture's two sonnets"
        self.optimizer_state = None
        torch.manual_seed(seed)
        if p["checkpoint"]:
            from .checkpoint import CheckpointError, load

            try:
                ck = load(resolve_path(p["checkpoint"]), device)
                check_vocab(ck.vocab, self.text, p["checkpoint"])
            except CheckpointError as exc:
                raise ParamError("params.checkpoint", str(exc)) from None
            self.cell, self.vocab, self.model = ck.cell, ck.vocab, ck.model
            self.hidden_size, self.layers, self.embedding = (ck.settings[k] for k in ("hidden_size", "layers", "embedding"))
            self.start_iteration = int(ck.settings.get("iteration", 0))
            self.optimizer_state = ck.optimizer
        else:
            self.cell, self.vocab = p["cell"], sorted(set(self.text))
            self.hidden_size, self.layers, self.embedding = p["hidden_size"], p["layers"], p["embedding"]
            self.model = build_model(self.cell, len(self.vocab), self.hidden_size, self.layers, self.embedding, device)
            self.start_iteration = 0
        self.index_of = {c: i for i, c in enumerate(self.vocab)}
        self.optimizer = self._make_optimizer()
        if self.optimizer_state is not None and self._optimizer_matches(self.optimizer_state):
            from .checkpoint import CheckpointError, load_optimizer

            try:
                load_optimizer(self.optimizer, self.optimizer_state, p["checkpoint"])
            except CheckpointError as exc:
                raise ParamError("params.checkpoint", str(exc)) from None

        # Streams: (B, S) inputs and the characters that follow them, on the device once.
        ids = torch.tensor([self.index_of[c] for c in self.text], dtype=torch.long)
        B, S = p["batch"], streams_length(len(self.text), p["batch"])
        self.inputs = ids[: B * S].view(B, S).to(device)  # (B, S)
        self.targets = ids[1: B * S + 1].view(B, S).to(device)  # (B, S)
        self.pos = 0
        self.state = None  # carried hidden state; None = zeros
        self.iteration = self.start_iteration

        # Controls the keys change; the generator reads them at its next frame.
        self.temperature, self.top_k, self.greedy = p["temperature"], p["top_k"], p["greedy"]
        self.rng = np.random.default_rng(seed)
        self.losses: list[float] = []
        self.samples: list[list[Any]] = []  # [iteration, loss, text]
        # How far the frames made so far (not necessarily shown) have got: training over, characters drawn after it.
        self.trained, self.drawn = False, 0
        # The model is used by the generator (worker thread) and by the save/load keys (UI thread).
        self.lock = threading.Lock()
        # Measured, never put in a frame (replays stay byte-identical): see live_facts().
        self.chars_per_s: float | None = None

    def _make_optimizer(self, model: Any = None):
        import torch

        p, params = self.params, (model if model is not None else self.model).parameters()
        if p["optimizer"] == "sgd":
            return torch.optim.SGD(params, lr=p["lr"])
        if p["optimizer"] == "rmsprop":
            return torch.optim.RMSprop(params, lr=p["lr"], alpha=0.95)  # char-rnn's decay rate
        if p["optimizer"] == "adagrad":
            return torch.optim.Adagrad(params, lr=p["lr"])  # min-char-rnn's rule
        return torch.optim.Adam(params, lr=p["lr"])

    def _optimizer_matches(self, state: Any, optimizer: Any = None) -> bool:
        """A saved optimizer state is reused only if it is for the same rule (Adam moments are not RMSprop's)."""
        try:
            saved = state["param_groups"][0]
            return set(saved) == set((optimizer if optimizer is not None else self.optimizer).state_dict()["param_groups"][0])
        except (KeyError, IndexError, TypeError):
            return False

    def length(self) -> int:
        p = self.params
        return 1 + math.ceil(p["iterations"] / p["per_step"]) + p["generate"]

    def settings(self) -> dict[str, Any]:
        p = self.params
        return {"hidden_size": self.hidden_size, "layers": self.layers, "embedding": self.embedding,
                "seq_len": p["seq_len"], "batch": p["batch"], "optimizer": p["optimizer"], "lr": p["lr"],
                "clip": p["clip"], "clip_mode": p["clip_mode"], "iteration": self.iteration, "text": self.source}

    def live_facts(self) -> dict[str, Any]:
        return {"chars_per_s": self.chars_per_s, "threads": cpu_thread_count(self.device, self.hidden_size * self.params["batch"])}

    def threads(self):
        return cpu_threads(self.device, self.hidden_size * self.params["batch"])

    def describe(self) -> str:
        inp = f"{self.embedding}-dim embedding" if self.embedding else "one-hot input"
        return f"{self.cell.upper()} {self.layers}×{self.hidden_size}, {inp}"

    # --- training ----------------------------------------------------------------
    def train_one(self):
        """One iteration of truncated BPTT; returns a (3,) tensor: loss, ‖g‖ before clipping, elements clamped."""
        import torch
        import torch.nn.functional as F

        p = self.params
        T, clip = p["seq_len"], p["clip"]
        if self.pos + T > self.inputs.shape[1]:
            self.pos, self.state = 0, None  # the streams reached the text's end: start again from zeros
        x = self.inputs[:, self.pos: self.pos + T]  # (B, T)
        y = self.targets[:, self.pos: self.pos + T]  # (B, T)
        self.pos += T
        logits, state = self.model(x, detach(self.state))  # (B, T, V)
        loss = F.cross_entropy(logits.reshape(-1, logits.shape[-1]), y.reshape(-1))
        self.optimizer.zero_grad(set_to_none=True)
        loss.backward()
        params = [q for q in self.model.parameters() if q.grad is not None]
        clamped = torch.zeros((), device=loss.device)
        if p["clip_mode"] == "norm":
            norm = torch.nn.utils.clip_grad_norm_(params, clip if clip > 0 else math.inf)
        else:
            norm = torch.nn.utils.get_total_norm([q.grad for q in params])
            if clip > 0:
                clamped = sum((q.grad.abs() > clip).sum() for q in params).float()
                for q in params:
                    q.grad.clamp_(-clip, clip)
        self.optimizer.step()
        self.state = detach(state)
        self.iteration += 1
        return torch.stack([loss.detach(), norm.detach().to(loss.dtype), clamped.to(loss.dtype)])

    def first_loss(self) -> float:
        """The untrained model's loss on the first chunk, no update: the start of the curve."""
        import torch
        import torch.nn.functional as F

        T = self.params["seq_len"]
        with torch.no_grad():
            logits, _ = self.model(self.inputs[:, :T])
            return float(F.cross_entropy(logits.reshape(-1, logits.shape[-1]), self.targets[:, :T].reshape(-1)))

    # --- sampling ----------------------------------------------------------------
    def prime_text(self) -> str:
        return self.params["prime"] or self.text[0]

    def prime_state(self, prime: str):
        """Feed the prime through a zero state; returns the logits after it (V,) and the state."""
        import torch

        ids = torch.tensor([[self.index_of[c] for c in prime]], device=self.device)  # (1, P)
        logits, state = self.model(ids)  # (1, P, V)
        return logits[0, -1], state

    def distribution(self, logits) -> np.ndarray:
        """The next-character probabilities under the current temperature and top-k (float64, CPU)."""
        return next_distribution(logits.double().cpu().numpy(), self.temperature, self.top_k)

    def feed(self, index: int, state):
        import torch

        logits, state = self.model(torch.tensor([[index]], device=self.device), state)
        return logits[0, -1], state

    def sample(self, n: int) -> str:
        """n characters from the prime, with the current controls (the prime is not repeated)."""
        import torch

        out = []
        with torch.no_grad():
            logits, state = self.prime_state(self.prime_text())
            for _ in range(n):
                i = draw(self.distribution(logits), self.rng, self.greedy)
                out.append(self.vocab[i])
                logits, state = self.feed(i, state)
        return "".join(out)

    # --- frames --------------------------------------------------------------------
    def frames(self) -> Iterator[Frame]:
        p = self.params
        V = len(self.vocab)
        ln_v = math.log(V)
        base = {"device": self.device, "cell": self.cell, "vocab_size": V, "ln_vocab": ln_v}
        with self.lock, self.threads():
            loss0 = self.first_loss()
            n_params = sum(q.numel() for q in self.model.parameters())
            values: dict[str, Any] = {
                **base, "phase": "setup", "iteration": self.iteration, "loss": loss0, "grad_norm": None,
                "vocab": "".join(self.vocab), "text_chars": len(self.text), "parameters": n_params,
                "streams": p["batch"], "stream_chars": self.inputs.shape[1], "curve": [], "timeline": [],
            }
            if p["sample_every"]:
                values["sample"] = self.sample(p["sample_len"])
                self.samples.append([self.iteration, loss0, values["sample"]])
                values["timeline"] = self.samples[-TIMELINE:]
        start = f" from {p['checkpoint']} (iteration {self.start_iteration})" if p["checkpoint"] else ", untrained"
        self.trained = p["iterations"] == 0
        yield Frame(0, f"{self.describe()}, {count(n_params)} parameters{start}; {V} characters in "
                       f"{self.source}: loss {num(loss0)} nats/char (uniform guessing: ln {V} = {num(ln_v)})", values)

        index, done = 0, 0
        while done < p["iterations"]:
            k = min(p["per_step"], p["iterations"] - done)
            with self.lock, self.threads():
                started = time.perf_counter()
                reset = False
                stats = []
                for _ in range(k):
                    reset |= self.pos + p["seq_len"] > self.inputs.shape[1]
                    stats.append(self.train_one())
                rows = _stack(stats).tolist()  # the one copy to the CPU this step: k × (loss, ‖g‖, clamped)
                elapsed = time.perf_counter() - started
                if elapsed > 0:
                    self.chars_per_s = k * p["batch"] * p["seq_len"] / elapsed
                done += k
                index += 1
                losses = [r[0] for r in rows]
                self.losses.extend(losses)
                loss, norm = float(np.mean(losses)), max(r[1] for r in rows)
                clipped = sum(1 for r in rows if (r[1] > p["clip"] if p["clip_mode"] == "norm" else r[2] > 0)) if p["clip"] else 0
                values = {**base, "phase": "train", "iteration": self.iteration, "loss": loss, "grad_norm": norm,
                          "clipped": clipped, "clamped": int(sum(r[2] for r in rows)), "reset": reset,
                          "curve": curve(self.losses)}
                due = p["sample_every"] and (self.iteration // p["sample_every"] > (self.iteration - k) // p["sample_every"]
                                             or done == p["iterations"])
                if due:
                    values["sample"] = self.sample(p["sample_len"])
                    self.samples.append([self.iteration, loss, values["sample"]])
                values["timeline"] = self.samples[-TIMELINE:]
            if not (math.isfinite(loss) and math.isfinite(norm)):
                # Past here the weights are NaN/inf: every later step and sample would be noise.
                values["diverged"] = True
                yield Frame(index, f"diverged at iteration {self.iteration}: the loss is {num(loss)} and ‖g‖ = "
                                   f"{num(norm)}; training stops here. Lower lr (now {num(p['lr'])}) or clip the "
                                   "gradient (clip > 0), then r or e to start again.", values)
                return
            self.trained = done >= p["iterations"]
            yield Frame(index, self.train_caption(values, k), values)

        yield from self.sampling_frames(index, base)

    def train_caption(self, v: dict[str, Any], k: int) -> str:
        p = self.params
        its = f"iterations {v['iteration'] - k + 1}–{v['iteration']}" if k > 1 else f"iteration {v['iteration']}"
        mean = "mean loss" if k > 1 else "loss"
        text = f"{its}: {mean} {num(v['loss'])} nats/char (ln {v['vocab_size']} = {num(v['ln_vocab'])} at the start), ‖g‖ = {num(v['grad_norm'])}"
        if v["clipped"] and p["clip_mode"] == "norm":
            text += f" > {num(p['clip'])}: rescaled to norm {num(p['clip'])}"
        elif v["clipped"]:
            text += f"; {count(v['clamped'])} gradient elements clamped to ±{num(p['clip'])}"
        if v["reset"]:
            text += "; end of text: hidden state reset"
        if "sample" in v:
            text += "; sample taken"
        return text

    def sampling_frames(self, index: int, base: dict[str, Any]) -> Iterator[Frame]:
        import torch

        prime = self.prime_text()
        written = prime
        with self.lock, self.threads(), torch.no_grad():
            model = self.model
            logits, state = self.prime_state(prime)
        for position in range(self.params["generate"]):
            with self.lock, self.threads(), torch.no_grad():
                if self.model is not model:  # the l key swapped in a checkpoint: read the context again
                    model = self.model
                    logits, state = self.prime_state(written)
                probs = self.distribution(logits)
                i = draw(probs, self.rng, self.greedy)
                order = np.argsort(-probs, kind="stable")[: min(TOP_SHOWN, self.top_k or TOP_SHOWN)]
                top = [[self.vocab[j], float(probs[j])] for j in order if probs[j] > 0]
                char = self.vocab[i]
                logits, state = self.feed(i, state)
            index += 1
            values = {**base, "phase": "sample", "iteration": self.iteration, "position": position + 1,
                      "char": char, "prob": float(probs[i]), "top": top, "temperature": self.temperature,
                      "top_k": self.top_k, "greedy": self.greedy, "prime": prime, "context": written}
            written += char
            self.drawn = position + 1
            yield Frame(index, self.sample_caption(values), values)

    def sample_caption(self, v: dict[str, Any]) -> str:
        tail = v["context"][-12:].replace("\n", "⏎")
        rule = "greedy (argmax)" if v["greedy"] else f"T = {num(v['temperature'])}" + (f", top-{v['top_k']}" if v["top_k"] else "")
        best = ", ".join(f"{shown_char(c)} {num(q, 2)}" for c, q in v["top"][:3])
        verb = "took" if v["greedy"] else "drew"
        return f"after “{tail}”: p(next) with {rule}: {best}, …; {verb} {shown_char(v['char'])} (p = {num(v['prob'], 3)})"

    # --- keys ------------------------------------------------------------------------
    def knobs(self) -> list[Knob]:
        """Sampling knobs apply to the samples still to be drawn; lr from the next iteration."""
        return [
            Knob("temperature", "temperature", step=0.1, big=0.5, low=0.05, high=10, integer=False, live=True),
            Knob("top-k", "top_k", choices=tuple(k for k in TOP_K_STEPS if k <= len(self.vocab)), live=True),
            Knob("learning rate", "lr", step=2, big=10, low=1e-7, high=10, integer=False, log=True, live=True),
        ]

    def turn(self, key: str, value: Any) -> str:
        if key == "temperature":
            self.temperature = float(value)
            return self._for_samples("temperature").strip()
        if key == "top_k":
            self.top_k = int(value)
            return ("off: all characters; " if not self.top_k else "") + self._for_samples("top_k").strip()
        if key == "lr":
            with self.lock:  # never mid-iteration
                for group in self.optimizer.param_groups:
                    group["lr"] = float(value)
            return f"from iteration {self.iteration + 1}"
        raise KeyError(key)

    def adjust(self, name: str) -> str:
        if name == "greedy":
            self.greedy = not self.greedy
            return (("greedy: always the most likely character" if self.greedy else "sampled: drawn from the distribution")
                    + self._for_samples("greedy", left_note=""))
        if name == "save":
            return self.save_checkpoint(resolve_path(self.params["save"]))
        if name == "load":
            return self.load_checkpoint(resolve_path(self.params["checkpoint"] or self.params["save"]))
        raise KeyError(name)

    def _for_samples(self, key: str, left_note: str = " for the samples still to come") -> str:
        """What a sampling key changes: the samples still to be drawn, or nothing once all are drawn."""
        n, every = self.params["generate"], self.params["sample_every"]
        if (not self.trained and every) or self.drawn < n:
            return left_note
        # Reset (r) starts again from the scenario's own value, so only editing the key keeps it.
        drawn = f"all {n} characters are drawn" if n else "generate = 0" + ("" if every else " and sample_every = 0")
        return f" (no samples left to draw: {drawn}; e sets {key} and starts again)"

    def save_checkpoint(self, path: Path) -> str:
        from .checkpoint import CheckpointError, save

        with self.lock:  # never mid-iteration
            try:
                save(path, cell=self.cell, vocab=self.vocab, settings=self.settings(), model=self.model, optimizer=self.optimizer)
            except CheckpointError as exc:
                return str(exc)
        return f"saved iteration {self.iteration} to {path.resolve()}"

    def load_checkpoint(self, path: Path) -> str:
        """Swap in a checkpoint's model and optimizer; on any problem keep the current ones."""
        from .checkpoint import CheckpointError, load, load_optimizer

        try:
            ck = load(path, self.device)
            if ck.vocab != self.vocab:
                raise CheckpointError(f"{path}: its vocabulary ({len(ck.vocab)} characters) is not this text's ({len(self.vocab)})")
            optimizer = self._make_optimizer(ck.model)
            if ck.optimizer is not None and self._optimizer_matches(ck.optimizer, optimizer):
                load_optimizer(optimizer, ck.optimizer, path)
        except CheckpointError as exc:
            return f"{exc}; the current model is kept"
        with self.lock:
            self.cell, self.model, self.optimizer = ck.cell, ck.model, optimizer
            self.hidden_size, self.layers, self.embedding = (ck.settings[k] for k in ("hidden_size", "layers", "embedding"))
            self.state = None
        return f"loaded {path.resolve()}: {self.describe()}, trained {ck.settings.get('iteration', '?')} iterations"


def check_vocab(vocab: list[str], text: str, name: str) -> list[str]:
    """A checkpoint's vocabulary must hold every character of the text (the token ids are its)."""
    from .checkpoint import CheckpointError

    missing = sorted(set(text) - set(vocab))
    if missing:
        shown = " ".join(repr(c) for c in missing[:8]) + (" …" if len(missing) > 8 else "")
        raise CheckpointError(f"{name}: another vocabulary: {len(missing)} character(s) of the text are not in the "
                              f"checkpoint's {len(vocab)}: {shown}")
    return vocab


@contextlib.contextmanager
def cpu_threads(device: str, work: int):
    """One CPU thread for small models while a step runs, then back to torch's setting.

    A char-RNN step is a chain of small matrix products, one per character; sharing each
    across cores costs more in hand-offs than it gains (about 6× slower on a busy 2-core
    machine for hidden 64 × batch 16), so below SMALL_WORK the step runs on one thread.
    """
    import torch

    if cpu_thread_count(device, work) != 1:
        yield
        return
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(before)


def cpu_thread_count(device: str, work: int) -> int | None:
    """The CPU threads a training step uses (None off the CPU)."""
    import torch

    if device != "cpu":
        return None
    return 1 if work <= SMALL_WORK else torch.get_num_threads()


def _stack(rows: list):
    import torch

    return torch.stack(rows)


LAB = CharRNNLab
