"""The char-RNN model, and its sizes worked out from the settings alone (for budgets and checkpoints).

The model is the lecture's: h_t = f_W(h_{t−1}, x_t), y_t = W_hy·h_t, one character in,
a distribution over the next character out. Its parts are attributes named `embed`,
`rnn` and `head`, so a state_dict reads "embed.weight", "rnn.weight_ih_l0", ...,
"head.weight", "head.bias" (the checkpoint format depends on these names). With
layers > 1, `dropout` zeroes each layer's output to the next at that rate while training
(torch's nn.LSTM(num_layers, dropout), as char-rnn does); evaluation and sampling run
without it (model.eval()).
Torch is imported inside functions: importing this module must not load it.
"""

from __future__ import annotations

import functools
import math
from typing import Any

CELLS = ("rnn", "lstm")


@functools.cache
def _model_class() -> type:
    import torch.nn.functional as F
    from torch import nn

    class CharRNN(nn.Module):
        """Embedding (or one-hot) → nn.RNN / nn.LSTM → Linear head."""

        def __init__(self, cell: str, vocab_size: int, hidden_size: int, layers: int, embedding: int,
                     dropout: float = 0.0) -> None:
            super().__init__()
            self.cell, self.vocab_size = cell, vocab_size
            # embedding = 0 feeds one-hot vectors, as min-char-rnn does; then there is no embed.weight.
            self.embed = nn.Embedding(vocab_size, embedding) if embedding else None
            rnn = nn.LSTM if cell == "lstm" else nn.RNN
            self.rnn = rnn(embedding or vocab_size, hidden_size, layers, dropout=dropout if layers > 1 else 0.0)
            self.head = nn.Linear(hidden_size, vocab_size)

        def forward(self, ids, state=None):
            # ids (T, B) int64, time first: nn.LSTM's own layout, so no transposes.
            x = self.embed(ids) if self.embed is not None else F.one_hot(ids, self.vocab_size).float()  # (T, B, E)
            out, state = self.rnn(x, state)  # (T, B, H)
            return self.head(out), state  # (T, B, V)

    return CharRNN


def build_model(cell: str, vocab_size: int, hidden_size: int, layers: int, embedding: int, device: str = "cpu",
                dropout: float = 0.0) -> Any:
    """A fresh model on `device`, initialised from torch's global generator (seed it first)."""
    return _model_class()(cell, vocab_size, hidden_size, layers, embedding, dropout).to(device)


def architecture(model: Any) -> dict[str, Any]:
    """What a checkpoint's settings say of a built model (the sizes its weights have)."""
    return {"hidden_size": model.rnn.hidden_size, "layers": model.rnn.num_layers, "dropout": float(model.rnn.dropout),
            "embedding": model.embed.embedding_dim if model.embed is not None else 0}


def detach(state: Any) -> Any:
    """Cut the graph behind a carried hidden state (truncated BPTT): values kept, history dropped."""
    if state is None:
        return None
    if isinstance(state, tuple):  # LSTM: (h, c)
        return tuple(s.detach() for s in state)
    return state.detach()


# --- sizes from the settings alone ---------------------------------------------------------------
def gates(cell: str) -> int:
    return 4 if cell == "lstm" else 1


def expected_shapes(cell: str, vocab: int, hidden: int, layers: int, embedding: int) -> dict[str, tuple[int, ...]]:
    """The state_dict names and shapes of build_model(cell, vocab, hidden, layers, embedding)."""
    g = gates(cell)
    shapes: dict[str, tuple[int, ...]] = {}
    if embedding:
        shapes["embed.weight"] = (vocab, embedding)
    for n in range(layers):
        inp = (embedding or vocab) if n == 0 else hidden
        shapes[f"rnn.weight_ih_l{n}"] = (g * hidden, inp)
        shapes[f"rnn.weight_hh_l{n}"] = (g * hidden, hidden)
        shapes[f"rnn.bias_ih_l{n}"] = (g * hidden,)
        shapes[f"rnn.bias_hh_l{n}"] = (g * hidden,)
    shapes["head.weight"] = (vocab, hidden)
    shapes["head.bias"] = (vocab,)
    return shapes


def parameter_count(cell: str, vocab: int, hidden: int, layers: int, embedding: int) -> int:
    return sum(math.prod(s) for s in expected_shapes(cell, vocab, hidden, layers, embedding).values())


def activations(cell: str, vocab: int, hidden: int, layers: int, embedding: int, batch: int, seq_len: int) -> int:
    """Values one training step keeps for backpropagation, per character: the input vector,
    each layer's gates and states (an LSTM keeps its 4 gates, C, tanh C and h; an RNN its
    pre-activation and h), and the logits with their softmax."""
    per_layer = (gates(cell) + 3 if cell == "lstm" else 2) * hidden
    return batch * seq_len * ((embedding or vocab) + layers * per_layer + 2 * vocab)
