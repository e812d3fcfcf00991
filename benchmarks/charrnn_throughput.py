"""Char-RNN speed: the lab's training loop against a plain PyTorch loop, at torch's default threads.

    python benchmarks/charrnn_throughput.py [--device cpu|cuda] [--iterations 60] [--repeats 7]
                                            [--python-docs 400]

1. Characters per second of the lab's own frames (headless, as `tui-lab replay` runs it: torch's
   default thread count) and of a plain loop of the same model (Embedding + nn.LSTM + Linear,
   batch first, truncated BPTT with carried state, clip_grad_norm_, Adam, loss.item() logged each
   iteration, as a training script does), same size, batch, device and threads. The two are run
   interleaved, `--repeats` times each, alternating which goes first; the figure is the median of
   the per-pair ratios lab ÷ plain. The lab runs with val_frac = 0 (the plain loop measures no
   held-out loss); the cost of validation is reported on its own line. On cuda the plain loop is
   nn.LSTM on cuDNN, and the lab is timed with one frame per iteration and with 10.
2. On the CPU: the lab as min-char-rnn (one-hot tanh RNN 100, Adagrad, clamped gradients) against
   the numpy min-char-rnn of the same size.
3. Iterations and seconds for the sonnets to fall below 1.0 nats/char with the lab's defaults.
4. With --python-docs N: N iterations of the default LSTM on Python's documentation, the training
   and validation losses as they fall (the corpus differs between Python releases: these figures
   are this Python's).
Timings are wall clock.
"""

from __future__ import annotations

import argparse
import math
import os
import statistics
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402
from torch import nn  # noqa: E402

from engine.charrnn.data import SONNETS  # noqa: E402
from engine.charrnn.lab import CharRNNLab  # noqa: E402


def sync(device: str) -> None:
    if device.startswith("cuda"):
        torch.cuda.synchronize()


def lab_rate(params: dict, device: str, iterations: int) -> float:
    """Characters per second of the lab's own frames (frames 0 and 1, the overview and the untrained set-up, not timed)."""
    raw = {"val_frac": 0, "sample_every": 0, "generate": 0, **params, "iterations": iterations}
    lab = CharRNNLab(CharRNNLab.validate(raw), seed=0, device=device)
    frames = lab.frames()
    next(frames), next(frames)  # the overview (no model yet) and the untrained set-up
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


def plain_rate(params: dict, device: str, iterations: int, threads: int | None = None) -> float:
    """The textbook loop, logging loss.item() each iteration as a training script would; on `threads`
    CPU threads (None: torch's default, as the lab uses headless)."""
    before = torch.get_num_threads()
    if threads:
        torch.set_num_threads(threads)
    try:
        return _plain_rate(params, device, iterations)
    finally:
        torch.set_num_threads(before)


def _plain_rate(params: dict, device: str, iterations: int) -> float:
    text = SONNETS.read_text(encoding="utf-8")
    vocab = sorted(set(text))
    ids = torch.tensor([vocab.index(c) for c in text])
    B, T = params["batch"], params["seq_len"]
    S = (len(ids) - 1) // B
    x, y = ids[: B * S].view(B, S).to(device), ids[1: B * S + 1].view(B, S).to(device)
    torch.manual_seed(0)
    model = Plain(len(vocab), params["embedding"], params["hidden_size"], params["layers"]).to(device)
    opt = torch.optim.Adam(model.parameters(), lr=params["lr"])
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


def interleaved(first, second, repeats: int) -> tuple[float, float, float]:
    """Median rates of two timed functions run alternately (the order swapped each round), and the
    median of the per-round ratios first ÷ second."""
    a, b, ratios = [], [], []
    for r in range(repeats):
        if r % 2:
            y, x = second(), first()
        else:
            x, y = first(), second()
        a.append(x)
        b.append(y)
        ratios.append(x / y)
    return statistics.median(a), statistics.median(b), statistics.median(ratios)


def min_char_rnn_rate(iterations: int, hidden: int = 100, T: int = 25, lr: float = 0.1) -> float:
    """The classic numpy min-char-rnn: one-hot input, tanh RNN, softmax, Adagrad, gradients clamped to ±5."""
    text = SONNETS.read_text(encoding="utf-8")
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
    lab = CharRNNLab(CharRNNLab.validate({"iterations": limit, "sample_every": 0, "generate": 0}), seed=0, device=device)
    frames = lab.frames()
    next(frames), next(frames)  # the overview (no model yet) and the untrained set-up
    first, recent = None, []
    start = time.perf_counter()
    for f in frames:
        it = f.values["iteration"]
        recent = (recent + [f.values["loss"]])[-20:]
        if first is None and f.values["loss"] < 1.0:
            first = it
        if len(recent) == 20 and np.mean(recent) < 1.0:
            return first, it, time.perf_counter() - start
    return first, None, time.perf_counter() - start


def python_docs(device: str, iterations: int) -> None:
    raw = {"corpus": "python-docs", "hidden_size": 256, "layers": 2, "dropout": 0.2, "embedding": 64, "seq_len": 64,
           "batch": 32, "lr": 0.003, "iterations": iterations, "per_step": 10, "eval_every": max(10, iterations // 8),
           "sample_every": iterations, "sample_len": 200, "generate": 0}
    lab = CharRNNLab(CharRNNLab.validate(raw), seed=0, device=device)
    cfg = lab.cfg
    print(f"python-docs: {len(cfg.text):,} characters, {len(cfg.vocab)} distinct, {cfg.valid.chars:,} held out "
          f"({cfg.valid.rows} streams); {cfg.describe()}, batch 32, seq_len 64, Adam 0.003; {iterations} iterations")
    start = time.perf_counter()
    for f in lab.frames():
        v = f.values
        if "valid_loss" in v:
            print(f"  iteration {v['iteration']:>5}: training {v['loss']:.3f}, validation {v['valid_loss']:.3f} nats/char "
                  f"({v['valid_loss'] / math.log(2):.3f} bits), {time.perf_counter() - start:.0f} s")
        if "sample" in v and v["iteration"]:
            print("  sample: " + v["sample"].replace("\n", "⏎")[:160])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--device", default="cpu")
    ap.add_argument("--iterations", type=int, default=60)
    ap.add_argument("--repeats", type=int, default=7)
    ap.add_argument("--hidden", type=int, default=128)
    ap.add_argument("--batch", type=int, default=32)
    ap.add_argument("--seq-len", type=int, default=32)
    ap.add_argument("--python-docs", type=int, default=0, help="also train this many iterations on python-docs")
    ap.add_argument("--skip-extras", action="store_true", help="no min-char-rnn comparison, no time to 1 nat")
    args = ap.parse_args()
    dev, n = args.device, args.iterations
    if dev.startswith("cuda"):
        torch.backends.cudnn.benchmark = False  # as the lab runs it (deterministic), and the plain loop too
    params = {"cell": "lstm", "hidden_size": args.hidden, "layers": 1, "embedding": 32, "seq_len": args.seq_len,
              "batch": args.batch, "lr": 0.003, "clip": 5.0, "clip_mode": "norm", "optimizer": "adam"}
    name = torch.cuda.get_device_name() if dev.startswith("cuda") else f"{os.cpu_count()} CPU cores"
    print(f"device {dev} ({name}) · torch {torch.__version__} · torch's default {torch.get_num_threads()} CPU threads, "
          "used by both loops")
    print(f"model: LSTM 1×{args.hidden}, embedding 32, batch {args.batch}, seq_len {args.seq_len}, Adam, "
          f"clip_grad_norm_ 5; {n} iterations per run, median of {args.repeats} interleaved runs each")
    lab_rate(params, dev, 5), plain_rate(params, dev, 5)  # warm-up
    ours, plain, ratio = interleaved(lambda: lab_rate(params, dev, n), lambda: plain_rate(params, dev, n), args.repeats)
    print(f"  lab loop        {ours:>10,.0f} chars/s (a frame per iteration)")
    print(f"  plain loop      {plain:>10,.0f} chars/s   lab ÷ plain = {ratio:.2f} (median of the paired ratios)")
    grouped = {**params, "per_step": 10}
    ours10, plain10, ratio10 = interleaved(lambda: lab_rate(grouped, dev, n), lambda: plain_rate(params, dev, n),
                                           args.repeats)
    print(f"  lab, per_step 10 {ours10:>9,.0f} chars/s   lab ÷ plain = {ratio10:.2f} (one copy to the CPU per 10 iterations)")
    with_valid = {**params, "val_frac": 0.1, "eval_every": 20}
    print(f"  lab, validating every 20 iterations (val_frac 0.1): {lab_rate(with_valid, dev, n):,.0f} chars/s")
    if dev == "cpu" and not args.skip_extras:
        rnn = {"cell": "rnn", "hidden_size": 100, "layers": 1, "embedding": 0, "seq_len": 25, "batch": 1,
               "optimizer": "adagrad", "lr": 0.1, "clip": 5.0, "clip_mode": "value"}
        ours_rnn, numpy_rnn, r = interleaved(lambda: lab_rate(rnn, dev, 200), lambda: min_char_rnn_rate(200),
                                             args.repeats)
        print("min-char-rnn set-up: tanh RNN 100, one-hot, seq_len 25, batch 1, Adagrad 0.1, clamp ±5; 200 iterations")
        print(f"  lab loop        {ours_rnn:>10,.0f} chars/s")
        print(f"  numpy           {numpy_rnn:>10,.0f} chars/s   lab ÷ numpy = {r:.2f}")
    if not args.skip_extras:
        first, steady, seconds = time_to_one_nat(dev, 3000)
        print("sonnets below 1.0 nats/char with the lab's defaults (LSTM 1×128, embedding 32, seq_len 32, batch 8, "
              "Adam 0.003):")
        print(f"  first iteration under 1.0: {first}; mean of the last 20 under 1.0 at iteration {steady}, "
              f"{seconds:.1f} s (ln 42 = {math.log(42):.2f} at the start)")
    if args.python_docs:
        python_docs(dev, args.python_docs)


if __name__ == "__main__":
    main()
