"""The char-RNN lab's parameters, and the one plan built from them.

`plan(params)` reads the text once (or names the corpus), reads a checkpoint's header (its
settings and tensor shapes, no weights), applies every cross-field rule and the size budgets
of engine/core/budget.py, and returns a frozen `CharRNNConfig`. Nothing is allocated but
the text, so `tui-lab check` is cheap and refuses a model too large for any machine in a
line; the lab then builds from the same config without reading anything twice.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from ..core import budget
from ..core.params import Param, ParamError
from . import data
from .model import CELLS, activations, parameter_count

OPTIMIZERS = ("adam", "sgd", "rmsprop", "adagrad")

PARAMS = (
    Param("cell", "choice", "lstm", "the recurrent cell", choices=CELLS),
    Param("hidden_size", "int", 128, "units in each recurrent layer", min=1, max=4096),
    Param("layers", "int", 1, "stacked recurrent layers", min=1, max=8),
    Param("dropout", "float", 0.0, "between stacked layers, the fraction of each layer's output zeroed while "
          "training (layers > 1)", min=0, max=0.9),
    Param("embedding", "int", 32, "size of the character embedding; 0 = one-hot input", min=0, max=4096),
    Param("seq_len", "int", 32, "characters per chunk: how far back each update propagates", min=1, max=100000),
    Param("batch", "int", 8, "streams trained side by side", min=1, max=4096),
    Param("optimizer", "choice", "adam", "the update rule", choices=OPTIMIZERS),
    Param("lr", "float", 0.003, "learning rate", min=1e-7, max=10),
    Param("decay", "float", 1.0, "from iteration decay_after on, each iteration multiplies lr by this; 1 = constant",
          min=0.5, max=1),
    Param("decay_after", "int", 0, "the iteration after which the learning rate decays", min=0, max=10_000_000),
    Param("clip", "float", 5.0, "gradient clipping threshold; 0 = off", min=0, max=1e6),
    Param("clip_mode", "choice", "norm", "rescale the whole gradient to this norm, or clamp each element (char-rnn)",
          choices=("norm", "value")),
    Param("iterations", "int", 500, "training iterations before sampling", min=0, max=10_000_000),
    Param("per_step", "int", 1, "training iterations per step", min=1, max=100000),
    Param("corpus", "choice", "sonnets", "the text to learn when no text file is given: the lecture's two sonnets, "
          "or Python's own documentation (about 465,000 characters, read from the standard library)",
          choices=data.CORPORA),
    Param("text", "path", "", "a UTF-8 text file to learn instead of the corpus"),
    Param("val_frac", "float", 0.1, "the fraction of the text held out (its end) to measure a validation loss; "
          "0 = none", min=0, max=0.5),
    Param("eval_every", "int", 20, "measure the validation loss every this many iterations (and at the end)",
          min=1, max=10_000_000),
    Param("sample_every", "int", 50, "take a sample every this many iterations; 0 = never", min=0, max=10_000_000),
    Param("sample_len", "int", 160, "characters in each training-time sample", min=1, max=10000),
    Param("sample_from", "choice", "best", "after training, sample from the model with the best validation loss, "
          "or the last one", choices=("best", "last")),
    Param("temperature", "float", 1.0, "divides the logits before the softmax: < 1 sharper, > 1 flatter",
          min=0.05, max=10),
    Param("top_k", "int", 0, "draw only among the k most likely characters; 0 = all", min=0, max=100000),
    Param("greedy", "bool", False, "always take the most likely character instead of drawing"),
    Param("prime", "str", "", "text fed in before sampling; empty = the text's first character"),
    Param("generate", "int", 60, "characters sampled one per step after training", min=0, max=100000),
    Param("checkpoint", "path", "", "a checkpoint to start from (its model, vocabulary and optimizer)"),
    Param("save", "str", "charrnn.pt", "where the w key writes a checkpoint (and <save>.best, the best by validation)"),
)


@dataclass(frozen=True)
class CharRNNConfig:
    """Everything the lab needs before it holds a weight; built once by `plan`."""

    cell: str
    hidden_size: int
    layers: int
    embedding: int  # 0 = one-hot input
    dropout: float
    seq_len: int
    batch: int
    optimizer: str
    lr: float
    decay: float
    decay_after: int
    clip: float
    clip_mode: str
    iterations: int
    per_step: int
    eval_every: int
    sample_every: int
    sample_len: int
    sample_from: str
    prime: str
    generate: int
    checkpoint: str
    save: str
    vocab: tuple[str, ...]
    source: str  # what captions call the text
    train: data.Block
    valid: data.Block | None
    parameters: int
    start_iteration: int  # 0, or the checkpoint's
    text: str = field(repr=False)

    @property
    def frames(self) -> int:
        """The overview, the set-up, one per `per_step` iterations, one per character generated."""
        return 2 + math.ceil(self.iterations / self.per_step) + self.generate

    def describe(self) -> str:
        inp = f"{self.embedding}-dim embedding" if self.embedding else "one-hot input"
        drop = f", dropout {self.dropout:g}" if self.dropout and self.layers > 1 else ""
        return f"{self.cell.upper()} {self.layers}×{self.hidden_size}, {inp}{drop}"


def plan(p: dict[str, Any]) -> CharRNNConfig:
    """All the cross-field rules and size budgets, in one place; ParamError names the key."""
    corpus = data.load_corpus(p["corpus"], p["text"])
    text = corpus.text
    text_key = "params.text" if p["text"] else "params.corpus"
    arch = {k: p[k] for k in ("cell", "hidden_size", "layers", "embedding")}
    start = 0
    if p["checkpoint"]:
        header = _checkpoint_header(p["checkpoint"], text)
        vocab = tuple(header["vocab"])
        arch = {"cell": header["cell"], **{k: header["settings"][k] for k in ("hidden_size", "layers", "embedding")}}
        start = int(header["settings"].get("iteration", 0))
    else:
        n_distinct = len(set(text))
        budget.require(text_key, "the text's vocabulary (distinct characters)", n_distinct, budget.VOCABULARY)
        vocab = tuple(sorted(set(text)))
    n_params = _check_budget(p, arch, len(vocab))
    train, valid = data.check_split(len(text), p["val_frac"], p["batch"], p["seq_len"])
    missing = sorted(set(p["prime"]) - set(vocab))
    if missing:
        raise ParamError("params.prime", "these characters are not in the text's vocabulary: "
                         + " ".join(repr(c) for c in missing))
    if p["top_k"] > len(vocab):
        raise ParamError("params.top_k", f"the vocabulary has {len(vocab)} characters; top_k must be ≤ {len(vocab)} (0 = all)")
    if p["dropout"] and arch["layers"] == 1:
        why = "the checkpoint's model has 1 layer" if p["checkpoint"] else "layers = 1"
        raise ParamError("params.dropout", f"dropout acts between stacked layers and {why}: set layers ≥ 2, "
                         "or dropout = 0")
    cfg = CharRNNConfig(
        **arch, dropout=p["dropout"], **{k: p[k] for k in (
            "seq_len", "batch", "optimizer", "lr", "decay", "decay_after", "clip", "clip_mode", "iterations",
            "per_step", "eval_every", "sample_every", "sample_len", "sample_from", "prime", "generate",
            "checkpoint", "save")},
        vocab=vocab, source=corpus.source, train=train, valid=valid, parameters=n_params, start_iteration=start,
        text=text)
    budget.require("params.iterations", "the number of steps (frames)", cfg.frames, budget.STEPS,
                   "raise per_step (iterations per step) or lower generate")
    return cfg


def _check_budget(p: dict[str, Any], arch: dict[str, Any], V: int) -> int:
    """The model's parameters, one-hot width and activations per step against engine/core/budget.py."""
    key = "params.checkpoint" if p["checkpoint"] else "params.hidden_size"
    if not arch["embedding"]:
        budget.require("params.embedding", "the one-hot input's width (one entry per character)", V, budget.ONE_HOT,
                       "set embedding > 0 for a vocabulary this large")
    n = parameter_count(arch["cell"], V, arch["hidden_size"], arch["layers"], arch["embedding"])
    budget.require(key, "the model's parameter count", n, budget.PARAMETERS, "lower hidden_size, layers or embedding")
    acts = activations(arch["cell"], V, arch["hidden_size"], arch["layers"], arch["embedding"], p["batch"], p["seq_len"])
    budget.require(key if p["checkpoint"] else "params.batch", "the values one training step keeps (batch × seq_len × "
                   "(input + layers × gates and states + 2 × vocabulary))", acts, budget.ACTIVATIONS,
                   "lower batch, seq_len, hidden_size or layers")
    return n


def _checkpoint_header(name: str, text: str) -> dict[str, Any]:
    """The checkpoint's checked header (no weights read); its vocabulary must hold the text's characters."""
    from .checkpoint import CheckpointError, check_vocab, read_header

    try:
        header = read_header(name)
        check_vocab(header["vocab"], text, name)
    except CheckpointError as exc:
        raise ParamError("params.checkpoint", str(exc)) from None
    return header
