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

from .charrnn_model import CELLS, build_model

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
    for key, least in (("hidden_size", 1), ("layers", 1), ("embedding", 0)):
        v = settings.get(key)
        if not isinstance(v, int) or isinstance(v, bool) or v < least:
            raise CheckpointError(f"{path}: settings.{key} is {v!r}; expected an integer ≥ {least}")
    if not isinstance(raw.get("model"), dict):
        raise CheckpointError(f"{path}: the model's weights are missing")
    return raw


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
        raise CheckpointError(f"{path}: its weights do not fit a {describe(raw)} model ({detail[:160]})") from None
