"""Frame 0: the text and the model before a weight exists — arithmetic on the text and the
settings, no torch, so the lab opens while torch still loads (CharRNNLab.torch_from).

What min-char-rnn prints before it trains ("data has N characters, V unique"), then how
a character enters the model (its index in the sorted vocabulary, a one-hot vector of V
entries, or that row of the embedding) and what it must predict (the next character),
the weight matrices with their shapes and count, and how many iterations one pass over
the training text takes. The untrained loss, a forward pass, is frame 1's.
"""

from __future__ import annotations

import math
from typing import Any

from .config import CharRNNConfig
from .data import encode
from .model import expected_shapes

SHOWN = 6  # input → target pairs shown from the start of the first stream


def values(cfg: CharRNNConfig) -> dict[str, Any]:
    """The frame's numbers: counts, indices and shapes, each the one the model then uses."""
    start = cfg.train.start  # stream 0 reads the training text from its first character
    k = min(SHOWN, cfg.seq_len)
    ids = encode(cfg.text[start: start + k + 1], cfg.vocab)
    pairs = [[cfg.text[start + i], int(ids[i]), cfg.text[start + i + 1], int(ids[i + 1])] for i in range(k)]
    shapes = expected_shapes(cfg.cell, len(cfg.vocab), cfg.hidden_size, cfg.layers, cfg.embedding)
    out = {"phase": "data", "iteration": cfg.start_iteration, "vocab": "".join(cfg.vocab), "text_chars": len(cfg.text),
           "streams": cfg.batch, "stream_chars": cfg.train.length, "seq_len": cfg.seq_len,
           "pass_iterations": cfg.train.length // cfg.seq_len, "pairs": pairs, "input_width": cfg.embedding or len(cfg.vocab),
           "weights": [[name, list(shape), math.prod(shape)] for name, shape in shapes.items()],
           "parameters": cfg.parameters, "lr": cfg.lr,
           # torch keeps two biases per layer (b_ih, b_hh) where the lecture and min-char-rnn have one
           "second_bias": sum(math.prod(shape) for name, shape in shapes.items() if "bias_hh" in name)}
    if cfg.valid is not None:
        out["held_out"] = cfg.valid.chars
    return out
