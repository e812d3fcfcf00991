"""Training and validation: one iteration of truncated BPTT, the held-out loss, the curves.

Training (the lecture's "during training: learning sequence of characters"): the training
text is cut into `batch` streams; each iteration reads the next `seq_len` characters of
every stream, predicts each following character, and backpropagates through those steps
only. The hidden state is carried from chunk to chunk and reset when the streams reach the
end of the training text. Loss = mean cross-entropy per character, in nats.

Validation: the held-out text, read the same way (from a zero state, the state carried
across windows) with the model in eval mode (no dropout) and no gradient; the loss is the
mean over every held-out character.
"""

from __future__ import annotations

import contextlib
import math
import os
import threading
from typing import Any, Iterator

from ..core.device import cpu_threads  # noqa: F401 - shared with the training lab
from .config import CharRNNConfig
from .data import Block
from .model import detach

CURVE_POINTS = 60  # a curve a frame carries holds between this many and twice as many points
GRAD_CHECK = 1e-4  # ‖g‖ in float32 against float64: relative


class Curve:
    """[[iteration, mean], ...] in at most 2·CURVE_POINTS buckets of equal width (the last may be
    partial); when full, neighbours merge and the width doubles. Memory and the points a frame
    carries stay the same however many iterations are added."""

    def __init__(self, points: int = CURVE_POINTS) -> None:
        self.points, self.width = points, 1
        self.buckets: list[list[float]] = []  # [sum, count, last iteration]

    def add(self, iteration: int, value: float) -> None:
        if self.buckets and self.buckets[-1][1] < self.width:
            last = self.buckets[-1]
            last[0] += value
            last[1] += 1
            last[2] = iteration
            return
        if len(self.buckets) == 2 * self.points:
            self.buckets = [[a[0] + b[0], a[1] + b[1], b[2]] for a, b in zip(self.buckets[::2], self.buckets[1::2])]
            self.width *= 2
            return self.add(iteration, value)
        self.buckets.append([value, 1, iteration])

    def values(self) -> list[list[float]]:
        return [[int(it), s / n] for s, n, it in self.buckets]


def make_optimizer(name: str, params: Any, lr: float):
    """The rule, as torch.optim writes it; fused into one kernel where torch has one (the same
    update, a few times faster than a loop over the tensors for a model this small)."""
    import torch

    params = list(params)
    if name == "rmsprop":
        return torch.optim.RMSprop(params, lr=lr, alpha=0.95)  # char-rnn's decay rate
    if name == "adagrad":  # min-char-rnn's rule; torch fuses it on the CPU only
        return torch.optim.Adagrad(params, lr=lr, fused=params[0].device.type == "cpu" or None)
    return (torch.optim.SGD if name == "sgd" else torch.optim.Adam)(params, lr=lr, fused=True)


def optimizer_matches(state: Any, optimizer: Any) -> bool:
    """A saved optimizer state is reused only if it is for the same rule (Adam moments are not RMSprop's)."""
    try:
        return set(state["param_groups"][0]) == set(optimizer.state_dict()["param_groups"][0])
    except (KeyError, IndexError, TypeError):
        return False


def token_streams(ids: Any, block: Block) -> tuple[Any, Any]:
    """Inputs and targets of a block's streams, time first: (length, rows) each."""
    import torch

    pos = torch.from_numpy(block.positions().T.copy()).to(ids.device)  # (length, rows)
    return ids[pos], ids[pos + 1]


@contextlib.contextmanager
def evaluating(model: Any) -> Iterator[None]:
    """Eval mode (no dropout) and no gradient, then back to how the model was."""
    import torch

    was = model.training
    model.eval()
    try:
        with torch.no_grad():
            yield
    finally:
        model.train(was)


class Trainer:
    """The model, its optimizer and the streams it reads: one iteration at a time."""

    def __init__(self, cfg: CharRNNConfig, model: Any, optimizer: Any, ids: Any) -> None:
        self.cfg, self.model, self.optimizer = cfg, model, optimizer
        self.inputs, self.targets = token_streams(ids, cfg.train)  # (S, B)
        self.valid = token_streams(ids, cfg.valid) if cfg.valid is not None else None
        self.pos, self.state = 0, None  # carried hidden state; None = zeros
        self.iteration = cfg.start_iteration

    def step(self, check: bool = False):
        """One iteration; returns a (4,) tensor on the device: loss, ‖g‖ before clipping, elements
        clamped, and ‖g‖ again in float64 when `check` (else NaN). One copy to the CPU per frame."""
        import torch
        import torch.nn.functional as F

        cfg = self.cfg
        T, clip = cfg.seq_len, cfg.clip
        if self.pos + T > self.inputs.shape[0]:
            self.pos, self.state = 0, None  # the streams reached the training text's end: start again from zeros
        x, y = self.inputs[self.pos: self.pos + T], self.targets[self.pos: self.pos + T]  # (T, B)
        self.pos += T
        self.iteration += 1
        if cfg.decay < 1 and self.iteration > cfg.decay_after:
            for group in self.optimizer.param_groups:
                group["lr"] *= cfg.decay
        logits, state = self.model(x, self.state)  # (T, B, V)
        loss = F.cross_entropy(logits.reshape(-1, logits.shape[-1]), y.reshape(-1))
        self.optimizer.zero_grad(set_to_none=True)
        loss.backward()
        grads = [q.grad for q in self.model.parameters() if q.grad is not None]
        ref = torch.sqrt(sum((g.double() ** 2).sum() for g in grads)).to(loss.dtype) if check else loss.new_tensor(math.nan)
        clamped = loss.new_zeros(())
        if cfg.clip_mode == "norm":
            norm = torch.nn.utils.clip_grad_norm_(self.model.parameters(), clip if clip > 0 else math.inf)
        else:
            norm = torch.nn.utils.get_total_norm(grads)
            if clip > 0:
                clamped = sum((g.abs() > clip).sum() for g in grads).to(loss.dtype)
                torch._foreach_clamp_min_(grads, -clip)
                torch._foreach_clamp_max_(grads, clip)
        self.optimizer.step()
        self.state = detach(state)
        return torch.stack([loss.detach(), norm.detach().to(loss.dtype), clamped, ref])

    def first_loss(self) -> float:
        """The model's loss on the first training chunk, no update: the start of the curve."""
        import torch.nn.functional as F

        T = self.cfg.seq_len
        with evaluating(self.model):
            logits, _ = self.model(self.inputs[:T])
            return float(F.cross_entropy(logits.reshape(-1, logits.shape[-1]), self.targets[:T].reshape(-1)))

    def evaluate(self, model: Any = None) -> float:
        """Mean cross-entropy over every held-out character, in nats (eval mode, no gradient)."""
        import torch.nn.functional as F

        model = self.model if model is None else model
        x, y = self.valid
        rows = x.shape[1]
        # Windows as wide as a training step in characters: the activations stay within its budget.
        window = self.cfg.seq_len * max(1, self.cfg.batch // rows)
        total, state = 0.0, None
        with evaluating(model):
            for a in range(0, x.shape[0], window):
                logits, state = model(x[a: a + window], state)
                total += F.cross_entropy(logits.reshape(-1, logits.shape[-1]), y[a: a + window].reshape(-1),
                                         reduction="sum")
        return float(total) / y.numel()

    @property
    def lr(self) -> float:
        return float(self.optimizer.param_groups[0]["lr"])

    def set_lr(self, value: float) -> None:
        for group in self.optimizer.param_groups:
            group["lr"] = value


# --- threads --------------------------------------------------------------------------------------
def cpu_thread_count(device: str, default: int) -> int | None:
    """The CPU threads training uses (None off the CPU): torch's default, less one core for the
    interface when an interface shares this process (frames are made off its main thread) on a
    machine of 4 cores or fewer."""
    if device != "cpu":
        return None
    in_app = threading.current_thread() is not threading.main_thread()
    return max(1, default - 1) if in_app and (os.cpu_count() or 1) <= 4 else default


