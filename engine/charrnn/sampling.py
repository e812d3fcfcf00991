"""The sampler's arithmetic: p = softmax(logits / T) among the top k, one draw, and its check.

Float64 on the CPU: this is what the screen shows and what the draw uses. Each sampling
frame checks its distribution against torch.softmax on the same logits.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..core.check import compare
from ..core.fmt import visible

TOP_SHOWN = 10  # sampling frames list at most this many [character, probability] pairs
TOP_K_STEPS = (0, 1, 2, 3, 5, 10, 20)  # what the top-k knob turns through
CHECK_TOLERANCE = 1e-12  # both sides compute a float64 softmax of the same numbers


def next_distribution(logits: np.ndarray, temperature: float, top_k: int = 0) -> np.ndarray:
    """p = softmax(logits / temperature), keeping only the top_k largest (renormalised) when top_k > 0."""
    z = np.asarray(logits, dtype=np.float64) / temperature
    if 0 < top_k < z.size:
        keep = np.argsort(-z, kind="stable")[:top_k]
        masked = np.full_like(z, -np.inf)
        masked[keep] = z[keep]
        z = masked
    e = np.exp(z - z.max())
    return e / e.sum()


def draw(p: np.ndarray, rng: np.random.Generator, greedy: bool) -> int:
    """The most likely index (greedy), or one drawn from p by inverting its CDF with one uniform number."""
    if greedy:
        return int(np.argmax(p))
    cdf = np.cumsum(p)
    return int(min(np.searchsorted(cdf, rng.random() * cdf[-1], side="right"), p.size - 1))


def top(probs: np.ndarray, vocab: tuple[str, ...], top_k: int) -> list[list[Any]]:
    """Up to TOP_SHOWN [character, probability] pairs, most likely first, none with p = 0."""
    order = np.argsort(-probs, kind="stable")[: min(TOP_SHOWN, top_k or TOP_SHOWN)]
    return [[vocab[j], float(probs[j])] for j in order if probs[j] > 0]


def softmax_check(logits: np.ndarray, probs: np.ndarray, temperature: float, top_k: int) -> dict[str, Any]:
    """The check record: our distribution against torch.softmax of the kept logits over T."""
    import torch

    z = torch.from_numpy(np.asarray(logits, dtype=np.float64))
    want = torch.zeros_like(z)
    if 0 < top_k < z.numel():
        vals, idx = torch.topk(z, top_k)
        want[idx] = torch.softmax(vals / temperature, 0)
    else:
        want = torch.softmax(z / temperature, 0)
    return compare("torch.softmax", probs, want.numpy(), CHECK_TOLERANCE)


def shown_char(c: str) -> str:
    """A character as a caption shows it: spaces and line ends made visible."""
    return {" ": "␣", "\n": "⏎", "\t": "⇥"}.get(c) or visible(c)


class Sampler:
    """Characters drawn from a model under the controls the knobs turn (temperature, top-k,
    greedy), from one seeded generator, so a replay draws the same characters."""

    def __init__(self, vocab: tuple[str, ...], device: str, temperature: float, top_k: int, greedy: bool,
                 seed: int) -> None:
        self.vocab, self.device = vocab, device
        self.index_of = {c: i for i, c in enumerate(vocab)}
        self.temperature, self.top_k, self.greedy = temperature, top_k, greedy
        self.rng = np.random.default_rng(seed)

    def prime(self, model: Any, text: str):
        """Feed `text` through a zero state; the logits after it (V,) and the state. Call under no_grad, eval mode."""
        import torch

        ids = torch.tensor([[self.index_of[c]] for c in text], device=self.device)  # (P, 1): time first
        logits, state = model(ids)  # (P, 1, V)
        return logits[-1, 0], state

    def feed(self, model: Any, index: int, state: Any):
        import torch

        logits, state = model(torch.tensor([[index]], device=self.device), state)
        return logits[-1, 0], state

    def distribution(self, logits: Any) -> tuple[np.ndarray, np.ndarray]:
        """The logits as float64 on the CPU, and p under the current temperature and top-k."""
        z = logits.double().cpu().numpy()
        return z, next_distribution(z, self.temperature, self.top_k)

    def text(self, model: Any, prime: str, n: int) -> str:
        """n characters after `prime` (not repeated), with the current controls. Call under no_grad, eval mode."""
        out = []
        logits, state = self.prime(model, prime)
        for _ in range(n):
            i = draw(self.distribution(logits)[1], self.rng, self.greedy)
            out.append(self.vocab[i])
            logits, state = self.feed(model, i, state)
        return "".join(out)
