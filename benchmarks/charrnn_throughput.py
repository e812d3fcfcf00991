"""Char-RNN speed: the lab's training loop against a plain PyTorch loop and a numpy min-char-rnn.

    python benchmarks/charrnn_throughput.py [--device cpu|cuda] [--iterations 60]

1. Characters per second of the lab's loop (frames included) and of a plain loop of the
   same model (Embedding + nn.LSTM + Linear, truncated BPTT with carried state,
   clip_grad_norm_, Adam), same size, batch and device, run alternately in one process.
2. The lab as a vanilla one-hot RNN with Adagrad and clamped gradients against a numpy
   min-char-rnn of the same size (hidden 100, seq_len 25, batch 1).
3. Iterations and seconds for the bundled sonnets to fall below 1.0 nats/char with the
   lab's default settings.
Timings are wall clock; best of `--repeats` runs.
"""

from __future__ import annotations

import argparse
import math
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402
from torch import nn  # noqa: E402

from engine.charrnn.lab import BUNDLED_TEXT, SMALL_WORK, CharRNNLab  # noqa: E402


def sync(device: str) -> None:
    if device == "cuda":
        torch.cuda.synchronize()


def lab_rate(params: dict, device: str, iterations: int) -> float:
    """Characters per second of the lab's own frames (frame 0, the untrained set-up, not timed)."""
    torch.manual_seed(0)
    lab = CharRNNLab(CharRNNLab.validate({**params, "iterations": iterations, "sample_every": 0, "generate": 0}),
                     seed=0, device=device)
    frames = lab.frames()
    next(frames)
    sync(device)
    start = time.perf_counter()
    for _ in frames:
        pass
    sync(device)
    return iterations * params["batch"] * params["seq_len"] / (time.perf_counter() - start)


class Plain(nn.Module):
    def __init__(self, vocab: int, embedding: int, hidden: int, layers: int) -> None:
        super().__init__()
        self.embed = nn.Embedding(vocab, embedding)
        self.rnn = nn.LSTM(embedding, hidden, layers, batch_first=True)
        self.head = nn.Linear(hidden, vocab)

    def forward(self, x, state):
        out, state = self.rnn(self.embed(x), state)
        return self.head(out), state


def plain_rate(params: dict, device: str, iterations: int, threads: int | None) -> float:
    """The textbook loop, logging loss.item() each iteration as a training script would."""
    text = BUNDLED_TEXT.read_text(encoding="utf-8")
    vocab = sorted(set(text))
    ids = torch.tensor([vocab.index(c) for c in text])
    B, T = params["batch"], params["seq_len"]
    S = (len(ids) - 1) // B
    x, y = ids[: B * S].view(B, S).to(device), ids[1: B * S + 1].view(B, S).to(device)
    torch.manual_seed(0)
    model = Plain(len(vocab), params["embedding"], params["hidden_size"], params["layers"]).to(device)
    opt = torch.optim.Adam(model.parameters(), lr=params["lr"])
    before = torch.get_num_threads()
    if threads:
        torch.set_num_threads(threads)
    try:
        sync(device)
        start = time.perf_counter()
        state, pos = None, 0
        for _ in range(iterations):
            if pos + T > S:
                state, pos = None, 0
            logits, state = model(x[:, pos:pos + T], state)
            loss = F.cross_entropy(logits.reshape(-1, len(vocab)), y[:, pos:pos + T].reshape(-1))
            opt.zero_grad(set_to_none=True)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), params["clip"])
            opt.step()
            state = tuple(s.detach() for s in state)
            pos += T
            loss.item()
        sync(device)
        return iterations * B * T / (time.perf_counter() - start)
    finally:
        torch.set_num_threads(before)


def min_char_rnn_rate(iterations: int, hidden: int = 100, T: int = 25, lr: float = 0.1) -> float:
    """The classic numpy min-char-rnn: one-hot input, tanh RNN, softmax, Adagrad, gradients clamped to ±5."""
    text = BUNDLED_TEXT.read_text(encoding="utf-8")
    vocab = sorted(set(text))
    ix = {c: i for i, c in enumerate(vocab)}
    V = len(vocab)
    rng = np.random.default_rng(0)
    Wxh, Whh, Why = (rng.standard_normal(s) * 0.01 for s in ((hidden, V), (hidden, hidden), (V, hidden)))
    bh, by = np.zeros((hidden, 1)), np.zeros((V, 1))
    params = [Wxh, Whh, Why, bh, by]
    mem = [np.zeros_like(p) for p in params]
    h, p = np.zeros((hidden, 1)), 0
    start = time.perf_counter()
    for _ in range(iterations):
        if p + T + 1 > len(text):
            h, p = np.zeros((hidden, 1)), 0
        inputs = [ix[c] for c in text[p:p + T]]
        targets = [ix[c] for c in text[p + 1:p + T + 1]]
        xs, hs, ps = {}, {-1: h}, {}
        for t in range(T):
            xs[t] = np.zeros((V, 1))
            xs[t][inputs[t]] = 1
            hs[t] = np.tanh(Wxh @ xs[t] + Whh @ hs[t - 1] + bh)
            ys = Why @ hs[t] + by
            ps[t] = np.exp(ys - ys.max()) / np.exp(ys - ys.max()).sum()
        grads = [np.zeros_like(q) for q in params]
        dWxh, dWhh, dWhy, dbh, dby = grads
        dhnext = np.zeros_like(h)
        for t in reversed(range(T)):
            dy = ps[t].copy()
            dy[targets[t]] -= 1
            dWhy += dy @ hs[t].T
            dby += dy
            dh = Why.T @ dy + dhnext
            dhraw = (1 - hs[t] ** 2) * dh
            dbh += dhraw
            dWxh += dhraw @ xs[t].T
            dWhh += dhraw @ hs[t - 1].T
            dhnext = Whh.T @ dhraw
        for q, g, m in zip(params, grads, mem):
            np.clip(g, -5, 5, out=g)
            m += g * g
            q -= lr * g / np.sqrt(m + 1e-8)
        h, p = hs[T - 1], p + T
    return iterations * T / (time.perf_counter() - start)


def time_to_one_nat(device: str, limit: int) -> tuple[int | None, int | None, float]:
    """First iteration whose loss < 1.0, first whose mean over the last 20 < 1.0, and the seconds to the latter."""
    torch.manual_seed(0)
    lab = CharRNNLab(CharRNNLab.validate({"iterations": limit, "sample_every": 0, "generate": 0}), seed=0, device=device)
    frames = lab.frames()
    next(frames)
    first = None
    start = time.perf_counter()
    for f in frames:
        it = f.values["iteration"]
        if first is None and f.values["loss"] < 1.0:
            first = it
        if len(lab.losses) >= 20 and np.mean(lab.losses[-20:]) < 1.0:
            return first, it, time.perf_counter() - start
    return first, None, time.perf_counter() - start


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--device", default="cpu")
    ap.add_argument("--iterations", type=int, default=60)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--hidden", type=int, default=128)
    ap.add_argument("--batch", type=int, default=32)
    ap.add_argument("--seq-len", type=int, default=32)
    args = ap.parse_args()
    dev, n = args.device, args.iterations
    params = {"cell": "lstm", "hidden_size": args.hidden, "layers": 1, "embedding": 32, "seq_len": args.seq_len,
              "batch": args.batch, "lr": 0.003, "clip": 5.0, "clip_mode": "norm", "optimizer": "adam"}
    one = dev == "cpu" and args.hidden * args.batch <= SMALL_WORK
    print(f"device {dev} · torch {torch.__version__} · {torch.get_num_threads()} CPU threads by default · "
          f"lab trains on {'1 thread' if one else 'torch default threads'} at this size")
    print(f"model: LSTM 1×{args.hidden}, embedding 32, batch {args.batch}, seq_len {args.seq_len}, "
          f"Adam, clip_grad_norm_ 5; {n} iterations, best of {args.repeats}")
    lab_rate(params, dev, 5), plain_rate(params, dev, 5, 1 if one else None)  # warm-up
    ours, same, default = [], [], []
    for _ in range(args.repeats):
        ours.append(lab_rate(params, dev, n))
        same.append(plain_rate(params, dev, n, 1 if one else None))
        if one:
            default.append(plain_rate(params, dev, n, None))
    print(f"  lab loop        {max(ours):>10,.0f} chars/s")
    print(f"  plain loop      {max(same):>10,.0f} chars/s (same threads)   ratio lab/plain = {max(ours) / max(same):.2f}")
    if default:
        print(f"  plain, default  {max(default):>10,.0f} chars/s (torch's {torch.get_num_threads()} threads)"
              f"   ratio = {max(ours) / max(default):.2f}")

    if dev == "cpu":
        rnn = {"cell": "rnn", "hidden_size": 100, "layers": 1, "embedding": 0, "seq_len": 25, "batch": 1,
               "optimizer": "adagrad", "lr": 0.1, "clip": 5.0, "clip_mode": "value"}
        ours_rnn = max(lab_rate(rnn, dev, 200) for _ in range(args.repeats))
        numpy_rnn = max(min_char_rnn_rate(200) for _ in range(args.repeats))
        print("min-char-rnn set-up: tanh RNN 100, one-hot, seq_len 25, batch 1, Adagrad 0.1, clamp ±5; 200 iterations")
        print(f"  lab loop        {ours_rnn:>10,.0f} chars/s")
        print(f"  numpy           {numpy_rnn:>10,.0f} chars/s   ratio lab/numpy = {ours_rnn / numpy_rnn:.2f}")

    first, steady, seconds = time_to_one_nat(dev, 3000)
    print("sonnets below 1.0 nats/char with the lab's defaults (LSTM 1×128, embedding 32, seq_len 32, batch 8, Adam 0.003):")
    print(f"  first iteration under 1.0: {first}; mean of the last 20 under 1.0 at iteration {steady}, "
          f"{seconds:.1f} s (ln 42 = {math.log(42):.2f} at the start)")


if __name__ == "__main__":
    main()
