"""The char-RNN lab's captions, one line each, in the lecture's terms (losses in nats/char)."""

from __future__ import annotations

from typing import Any

from ..core.fmt import count, counted, num, visible
from .config import CharRNNConfig
from .data import FEW_HELD_OUT
from .sampling import shown_char


def overview(cfg: CharRNNConfig, v: dict[str, Any]) -> str:
    V, start = v["vocab_size"], "the checkpoint's model" if cfg.checkpoint else "before training"
    enters = f"a row of the {V}×{cfg.embedding} embedding" if cfg.embedding else f"a one-hot vector of {V} entries"
    return (f"The text and the model, {start}: {count(v['text_chars'])} characters in {cfg.source}, {V} distinct; "
            f"each character goes in as {enters}, and the model must predict the next one. {cfg.describe()}: "
            f"{count(v['parameters'])} parameters; {counted(v['streams'], 'stream')} of {count(v['stream_chars'])} characters, "
            f"{count(v['pass_iterations'])} iterations of {v['seq_len']} per pass. Guessing uniformly scores "
            f"ln {V} = {num(v['ln_vocab'])} nats/char")


def setup(cfg: CharRNNConfig, v: dict[str, Any]) -> str:
    V = v["vocab_size"]
    start = f" from {cfg.checkpoint} (iteration {cfg.start_iteration})" if cfg.checkpoint else ", untrained"
    text = (f"{cfg.describe()}, {count(cfg.parameters)} parameters{start}; {V} characters in {cfg.source}: "
            f"loss {num(v['loss'])} nats/char (uniform guessing: ln {V} = {num(v['ln_vocab'])})")
    if cfg.valid is not None:
        text += f"; {count(cfg.valid.chars)} characters held out: validation {num(v['valid_loss'])}"
        if cfg.valid.chars < FEW_HELD_OUT:
            text += " (so few that the validation curve will be noisy)"
    return text


def train(cfg: CharRNNConfig, v: dict[str, Any], k: int) -> str:
    its = f"iterations {v['iteration'] - k + 1}–{v['iteration']}" if k > 1 else f"iteration {v['iteration']}"
    mean = "mean loss" if k > 1 else "loss"
    text = f"{its}: {mean} {num(v['loss'])} nats/char"
    if "valid_loss" not in v:
        text += f" (ln {v['vocab_size']} = {num(v['ln_vocab'])} at the start)"
    text += f", ‖g‖ = {num(v['grad_norm'])}"
    if v["clipped"] and cfg.clip_mode == "norm":
        text += f" > {num(cfg.clip)}: rescaled to norm {num(cfg.clip)}"
    elif v["clipped"]:
        text += f"; {count(v['clamped'])} gradient elements clamped to ±{num(cfg.clip)}"
    if cfg.decay < 1 and v["iteration"] > cfg.decay_after:
        text += f"; lr decayed to {num(v['lr'], 3)}"
    if v["reset"]:
        text += "; end of text: hidden state reset"
    if "sample" in v:
        text += "; sample taken"
    if "valid_loss" in v:
        text += f"; validation {num(v['valid_loss'])}" + (" (few held out: noisy)" if cfg.valid.chars < FEW_HELD_OUT else "")
        text += _best(v)
    return text


def _best(v: dict[str, Any]) -> str:
    best = v["best_valid"]
    if best["iteration"] == v["iteration"]:
        return " (the best so far)"
    note = f" (best {num(best['valid_loss'])} at iteration {best['iteration']})"
    if v["overfitting"]:
        note = (f": rising since its best {num(best['valid_loss'])} at iteration {best['iteration']} while the "
                "training loss falls: overfitting, the model memorises its training text")
    return note


def diverged(v: dict[str, Any], lr: float) -> str:
    return (f"diverged at iteration {v['iteration']}: the loss is {num(v['loss'])} and ‖g‖ = {num(v['grad_norm'])}; "
            f"training stops here. Lower lr (now {num(lr)}) or clip the gradient (clip > 0), then r or e to start again.")


def sample(v: dict[str, Any]) -> str:
    tail = visible(v["context"][-12:].replace("\n", "⏎"))
    rule = "greedy (argmax)" if v["greedy"] else f"T = {num(v['temperature'])}" + (f", top-{v['top_k']}" if v["top_k"] else "")
    best = ", ".join(f"{shown_char(c)} {num(q, 2)}" for c, q in v["top"][:3])
    verb = "took" if v["greedy"] else "drew"
    text = f"after “{tail}”: p(next) with {rule}: {best}, …; {verb} {shown_char(v['char'])} (p = {num(v['prob'], 3)})"
    if v["position"] == 1:
        text += f"; {sampled_from(v['model'])}"
    return text


def sampled_from(model: dict[str, Any]) -> str:
    """Which weights the samples come from, and the validation loss they scored."""
    what = {"best": "the best model by validation", "last": "the last model", "loaded": "the loaded checkpoint",
            "checkpoint": "the checkpoint's model"}[model["kind"]]
    loss = f", validation loss {num(model['valid_loss'])} nats/char" if model.get("valid_loss") is not None else ""
    return f"sampling from {what} (iteration {model['iteration']}{loss})"
