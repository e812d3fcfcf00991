"""Char-RNN checkpoints: one versioned file with the model, vocabulary, optimizer and settings.

Format (torch.save of a plain dict, so `torch.load(weights_only=True)` reads it):

    {"format": "tui-lab/charrnn", "version": 1, "cell": "lstm" | "rnn",
     "vocab": [characters; index = token id],
     "settings": {"hidden_size": H, "layers": L, "embedding": E (0 = one-hot), ...},
     "model": state_dict, "optimizer": state_dict or None}

Writes go to a temporary file in the same folder and then `os.replace`, so a crash
mid-write never leaves a half-written checkpoint under the real name. Reads map every
tensor to the asked device, so a file written on a GPU loads on a CPU. Any problem is
a `CheckpointError` with one line that says what is wrong.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..core.fmt import clip
from .model import CELLS, build_model

FORMAT = "tui-lab/charrnn"
VERSION = 1


class CheckpointError(ValueError):
    """A checkpoint that cannot be used; the message is one line for the person."""


@dataclass
class Checkpoint:
    """A loaded checkpoint: the model is built and on the device, ready to train or sample."""

    path: Path
    cell: str
    vocab: list[str]
    settings: dict[str, Any]
    model: Any
    optimizer: dict[str, Any] | None


def save(path: str | os.PathLike, *, cell: str, vocab: list[str], settings: dict[str, Any], model: Any,
         optimizer: Any = None) -> Path:
    """Write atomically; returns the path written."""
    import torch

    path = Path(path)
    state = {
        "format": FORMAT,
        "version": VERSION,
        "cell": cell,
        "vocab": list(vocab),
        "settings": dict(settings),
        "model": model.state_dict(),
        "optimizer": optimizer.state_dict() if optimizer is not None else None,
    }
    if path.parent and not path.parent.exists():
        raise CheckpointError(f"{path}: cannot save, the folder {path.parent} does not exist")
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        torch.save(state, tmp)
        os.replace(tmp, path)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise CheckpointError(f"{path}: cannot save: {exc.strerror or exc}") from None
    return path


def read(path: str | os.PathLike, device: str = "cpu") -> dict[str, Any]:
    """The checked dict from a file, tensors on `device`; the model is not built."""
    import torch

    path = Path(path)
    if not path.exists():
        raise CheckpointError(f"{path}: no such checkpoint file")
    if path.is_dir():
        raise CheckpointError(f"{path}: is a folder, expected a checkpoint file")
    try:
        raw = torch.load(path, map_location=device, weights_only=True)
    except Exception as exc:  # corrupt, truncated, not torch at all, or unsafe pickles
        if "Weights only load failed" in str(exc):
            why = "it holds Python objects, which are not loaded for safety; or it is not a torch file"
        else:
            why = "corrupt, truncated, or not a torch file"
        raise CheckpointError(f"{path}: not a readable torch checkpoint ({why})") from None
    if not isinstance(raw, dict) or raw.get("format") != FORMAT:
        got = raw.get("format") if isinstance(raw, dict) else type(raw).__name__
        raise CheckpointError(f'{path}: not a char-RNN checkpoint: expected format "{FORMAT}", got {got!r}')
    version = raw.get("version")
    if version != VERSION:
        raise CheckpointError(f"{path}: checkpoint version {version!r}; this lab reads version {VERSION}")
    if raw.get("cell") not in CELLS:
        raise CheckpointError(f"{path}: cell {raw.get('cell')!r}; expected one of {', '.join(CELLS)}")
    vocab = raw.get("vocab")
    if (not isinstance(vocab, list) or len(vocab) < 2 or len(set(vocab)) != len(vocab)
            or not all(isinstance(c, str) and len(c) == 1 for c in vocab)):
        raise CheckpointError(f"{path}: the vocabulary must be a list of at least 2 distinct single characters")
    settings = raw.get("settings")
    if not isinstance(settings, dict):
        raise CheckpointError(f"{path}: settings missing")
    for key, (least, most) in LIMITS.items():
        v = settings.get(key)
        if not _is_int(v) or not least <= v <= most:
            raise CheckpointError(f"{path}: settings.{key} is {_short(v)}; expected an integer from {least} to {most}")
    if "iteration" in settings and (not _is_int(settings["iteration"]) or settings["iteration"] < 0):
        raise CheckpointError(f"{path}: settings.iteration is {_short(settings['iteration'])}; "
                              "expected a whole number of iterations ≥ 0")
    model = raw.get("model")
    if not isinstance(model, dict):
        raise CheckpointError(f"{path}: the model's weights are missing")
    want = expected_shapes(raw["cell"], len(vocab), settings["hidden_size"], settings["layers"], settings["embedding"])
    for name, shape in want.items():
        if name not in model:
            raise CheckpointError(f"{path}: its weights do not fit a {describe(raw)} model: no {name}")
        t = model[name]
        if not isinstance(t, torch.Tensor) or not t.is_floating_point():
            raise CheckpointError(f"{path}: weight {name} is {_short(t)}, not a tensor of floats")
        if tuple(t.shape) != shape:
            raise CheckpointError(f"{path}: its weights do not fit a {describe(raw)} model: {name} has shape "
                                  f"{list(t.shape)}, expected {list(shape)}")
    extra = sorted(str(k) for k in model if k not in want)
    if extra:
        raise CheckpointError(f"{path}: its weights do not fit a {describe(raw)} model: unexpected "
                              f"{_short(', '.join(extra))}")
    _check_optimizer(raw.get("optimizer"), len(want), path)
    return raw


# Sane maxima: the lab's own limits on these settings.
LIMITS = {"hidden_size": (1, 4096), "layers": (1, 8), "embedding": (0, 4096)}


def _is_int(v: Any) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


def _is_number(v: Any) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def _short(v: Any, most: int = 40) -> str:
    """A value for a message: repr, cut to `most` characters."""
    text = repr(v)
    return text if len(text) <= most else text[: most - 1] + "…"


def expected_shapes(cell: str, vocab: int, hidden: int, layers: int, embedding: int) -> dict[str, tuple[int, ...]]:
    """The state_dict names and shapes of build_model(cell, vocab, hidden, layers, embedding)."""
    gates = 4 if cell == "lstm" else 1
    shapes: dict[str, tuple[int, ...]] = {}
    if embedding:
        shapes["embed.weight"] = (vocab, embedding)
    for n in range(layers):
        inp = (embedding or vocab) if n == 0 else hidden
        shapes[f"rnn.weight_ih_l{n}"] = (gates * hidden, inp)
        shapes[f"rnn.weight_hh_l{n}"] = (gates * hidden, hidden)
        shapes[f"rnn.bias_ih_l{n}"] = (gates * hidden,)
        shapes[f"rnn.bias_hh_l{n}"] = (gates * hidden,)
    shapes["head.weight"] = (vocab, hidden)
    shapes["head.bias"] = (vocab,)
    return shapes


def _check_optimizer(opt: Any, n_params: int, path: Path) -> None:
    """An optimizer state_dict whose groups hold numbers and cover the model's parameters once each."""
    import torch

    if opt is None:
        return
    bad = f"{path}: the optimizer state is damaged"
    if not isinstance(opt, dict) or not isinstance(opt.get("param_groups"), list) or not isinstance(opt.get("state"), dict):
        raise CheckpointError(f"{bad}: expected a dict with param_groups and state")
    ids: list[Any] = []
    for group in opt["param_groups"]:
        if not isinstance(group, dict) or not isinstance(group.get("params"), list):
            raise CheckpointError(f"{bad}: a parameter group has no list of params")
        ids += group["params"]
        for key, v in group.items():
            if key in ("lr", "eps", "weight_decay", "momentum", "dampening", "alpha", "lr_decay",
                       "initial_accumulator_value"):
                if not _is_number(v) or v != v or v < 0:
                    raise CheckpointError(f"{bad}: {key} is {_short(v)}; expected a number ≥ 0")
            elif key == "betas":
                if (not isinstance(v, (tuple, list)) or len(v) != 2
                        or not all(_is_number(b) and 0 <= b < 1 for b in v)):
                    raise CheckpointError(f"{bad}: betas is {_short(v)}; expected two numbers in [0, 1)")
    if sorted(ids, key=repr) != list(range(n_params)) or not all(_is_int(i) for i in ids):
        raise CheckpointError(f"{bad}: its parameter groups cover {len(ids)} parameter(s); the model has {n_params}")
    for k, st in opt["state"].items():
        if k not in range(n_params) or not isinstance(st, dict):
            raise CheckpointError(f"{bad}: state for an unknown parameter {_short(k)}")
        for name, v in st.items():
            if not isinstance(v, torch.Tensor) and not _is_number(v):
                raise CheckpointError(f"{bad}: state {name} of parameter {k} is {_short(v)}, not a tensor or number")


def load_optimizer(optimizer: Any, state: dict[str, Any], path: str | os.PathLike) -> None:
    """optimizer.load_state_dict(state), or CheckpointError (the optimizer is then unchanged)."""
    import copy

    before = copy.deepcopy(optimizer.state_dict())
    try:
        optimizer.load_state_dict(state)
        for group in optimizer.param_groups:  # moments must have their parameter's shape
            for p in group["params"]:
                for name, v in optimizer.state.get(p, {}).items():
                    if hasattr(v, "shape") and v.dim() > 0 and tuple(v.shape) != tuple(p.shape):
                        raise ValueError(f"state {name} has shape {list(v.shape)}, its parameter {list(p.shape)}")
    except (ValueError, KeyError, TypeError, IndexError, RuntimeError) as exc:
        optimizer.load_state_dict(before)
        raise CheckpointError(clip(f"{path}: its optimizer state does not fit this model ({exc})")) from None


def load(path: str | os.PathLike, device: str = "cpu") -> Checkpoint:
    """Read a checkpoint and build its model on `device` (CheckpointError if anything does not fit)."""
    raw = read(path, device)
    s = raw["settings"]
    model = build_model(raw["cell"], len(raw["vocab"]), s["hidden_size"], s["layers"], s["embedding"], device)
    load_weights(model, raw, Path(path))
    return Checkpoint(Path(path), raw["cell"], list(raw["vocab"]), dict(s), model, raw.get("optimizer"))


def describe(raw: dict[str, Any]) -> str:
    s = raw["settings"]
    inp = f"{s['embedding']}-dim embedding" if s["embedding"] else "one-hot input"
    return f"{raw['cell']} {s['layers']}×{s['hidden_size']}, {inp}, {len(raw['vocab'])} characters"


def load_weights(model: Any, raw: dict[str, Any], path: Path) -> None:
    """Copy the weights into `model`; the model is unchanged if they do not fit."""
    try:
        model.load_state_dict(raw["model"], strict=True)
    except (RuntimeError, KeyError, TypeError) as exc:
        detail = " ".join(str(exc).split())
        raise CheckpointError(f"{path}: its weights do not fit a {describe(raw)} model ({clip(detail)})") from None
