"""The char-RNN model and the sampler's arithmetic, shared by the lab and checkpoints.

The model is the lecture's: h_t = f_W(h_{t−1}, x_t), y_t = W_hy·h_t, one character in,
a distribution over the next character out. Its parts are attributes named `embed`,
`rnn` and `head`, so a state_dict reads "embed.weight", "rnn.weight_ih_l0", ...,
"head.weight", "head.bias" (the checkpoint format depends on these names).
Torch is imported inside functions: importing this module must not load it.
"""

from __future__ import annotations

import functools
from typing import Any

import numpy as np

CELLS = ("rnn", "lstm")


@functools.cache
def _model_class() -> type:
    import torch.nn.functional as F
    from torch import nn

    class CharRNN(nn.Module):
        """Embedding (or one-hot) → nn.RNN / nn.LSTM → Linear head."""

        def __init__(self, cell: str, vocab_size: int, hidden_size: int, layers: int, embedding: int) -> None:
            super().__init__()
            self.cell, self.vocab_size = cell, vocab_size
            # embedding = 0 feeds one-hot vectors, as min-char-rnn does; then there is no embed.weight.
            self.embed = nn.Embedding(vocab_size, embedding) if embedding else None
            rnn = nn.LSTM if cell == "lstm" else nn.RNN
            self.rnn = rnn(embedding or vocab_size, hidden_size, layers, batch_first=True)
            self.head = nn.Linear(hidden_size, vocab_size)

        def forward(self, ids, state=None):
            # ids (B, T) int64
            x = self.embed(ids) if self.embed is not None else F.one_hot(ids, self.vocab_size).float()  # (B, T, E)
            out, state = self.rnn(x, state)  # (B, T, H)
            return self.head(out), state  # (B, T, V)

    return CharRNN


def build_model(cell: str, vocab_size: int, hidden_size: int, layers: int, embedding: int, device: str = "cpu") -> Any:
    """A fresh model on `device`, initialised from torch's global generator (seed it first)."""
    return _model_class()(cell, vocab_size, hidden_size, layers, embedding).to(device)


def detach(state: Any) -> Any:
    """Cut the graph behind a carried hidden state (truncated BPTT): values kept, history dropped."""
    if state is None:
        return None
    if isinstance(state, tuple):  # LSTM: (h, c)
        return tuple(s.detach() for s in state)
    return state.detach()


def next_distribution(logits: np.ndarray, temperature: float, top_k: int = 0) -> np.ndarray:
    """p = softmax(logits / temperature), keeping only the top_k largest (renormalised) when top_k > 0.

    Float64 on the CPU: this is what the screen shows and what the draw uses.
    """
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
