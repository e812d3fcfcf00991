"""Char-RNN checkpoints: one versioned file with the model, vocabulary, optimizer and settings.

Format (torch.save of a plain dict, so `torch.load(weights_only=True)` reads it):

    {"format": "tui-lab/charrnn", "version": 1, "cell": "lstm" | "rnn",
     "vocab": [characters; index = token id],
     "settings": {"hidden_size": H, "layers": L, "embedding": E (0 = one-hot), ...,
                  "iteration": n, "valid_loss": the validation loss of these weights or None},
     "model": state_dict, "optimizer": state_dict or None}

Reading trusts nothing in the file. It opens only a regular file (a FIFO would block), and
only a zip archive whose entries are stored, not compressed (torch.save never compresses;
a compressed entry could inflate to any size). It then reads the header with every tensor
on the meta device (shapes, no data), checks the keys, the settings, the size budget and
every tensor's shape against the model the settings describe, and only then loads the
weights. Any problem is a `CheckpointError` with one line that says what is wrong.

Writes go through engine/core/files.AtomicFile (a temporary file, then a rename), and never
replace an existing file that is not itself a checkpoint of this format.
"""

from __future__ import annotations

import os
import stat
import warnings
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

from ..core import budget
from ..core.files import AtomicFile
from ..core.fmt import clip
from .model import CELLS, build_model, expected_shapes, parameter_count

FORMAT = "tui-lab/charrnn"
VERSION = 1
KEYS = ("format", "version", "cell", "vocab", "settings", "model", "optimizer")
# Sane maxima: the lab's own limits on these settings.
LIMITS = {"hidden_size": (1, 4096), "layers": (1, 8), "embedding": (0, 4096)}
# What else a checkpoint's settings may hold (what the lab writes, for the person reading it).
SETTINGS = {*LIMITS, "dropout", "seq_len", "batch", "optimizer", "lr", "decay", "decay_after", "clip", "clip_mode",
            "iteration", "valid_loss", "text", "val_frac"}
MAX_PICKLE = 4_000_000  # the header: vocabulary, settings and the optimizer's groups
OPTIMIZER_NUMBERS = ("lr", "eps", "weight_decay", "momentum", "dampening", "alpha", "lr_decay",
                     "initial_accumulator_value")


class CheckpointError(ValueError):
    """A checkpoint that cannot be used; the message is one line for the person."""


@dataclass
class CharRNNCheckpoint:
    """A loaded checkpoint: the model is built and on the device, ready to train or sample."""

    path: Path
    cell: str
    vocab: list[str]
    settings: dict[str, Any]
    model: Any
    optimizer: dict[str, Any] | None


# --- writing ------------------------------------------------------------------------------------
def save(path: str | os.PathLike, *, cell: str, vocab: list[str] | tuple[str, ...], settings: dict[str, Any],
         model_state: dict[str, Any], optimizer: dict[str, Any] | None = None) -> Path:
    """Write atomically, never over a file that is not a checkpoint; returns the path written."""
    import torch

    path = Path(path).expanduser()
    if not path.parent.is_dir():
        raise CheckpointError(f"{path}: cannot save, the folder {path.parent} does not exist")
    if (path.exists() or path.is_symlink()) and not is_checkpoint(path):
        raise CheckpointError(f"{path} exists and is not a tui-lab checkpoint, so it is not replaced: set save to "
                              "another file name (e to edit), or move that file away")
    state = {"format": FORMAT, "version": VERSION, "cell": cell, "vocab": list(vocab), "settings": dict(settings),
             "model": model_state, "optimizer": optimizer}
    try:
        with AtomicFile(path, binary=True) as fh:
            torch.save(state, fh)
    except OSError as exc:
        raise CheckpointError(f"{path}: cannot save: {exc.strerror or exc}") from None
    return path


def is_checkpoint(path: Path) -> bool:
    """Whether `path` is a regular file holding a checkpoint of this format (any version)."""
    try:
        with _open_regular(path) as fh:
            return _raw_header(fh, path).get("format") == FORMAT
    except (CheckpointError, AttributeError):
        return False


# --- reading --------------------------------------------------------------------------------------
def read_header(path: str | os.PathLike) -> dict[str, Any]:
    """The checked dict with every tensor on the meta device: shapes and settings, no weights read."""
    path = Path(path).expanduser()
    with _open_regular(path) as fh:
        return _checked_header(fh, path)


def read(path: str | os.PathLike, device: str = "cpu") -> dict[str, Any]:
    """The checked dict from a file, tensors on `device`; the model is not built."""
    path = Path(path).expanduser()
    with _open_regular(path) as fh:
        _checked_header(fh, path)
        fh.seek(0)
        return _check(_torch_load(fh, path, device), path)


def load(path: str | os.PathLike, device: str = "cpu") -> CharRNNCheckpoint:
    """Read a checkpoint and build its model on `device` (CheckpointError if anything does not fit)."""
    raw = read(path, device)
    s = raw["settings"]
    model = build_model(raw["cell"], len(raw["vocab"]), s["hidden_size"], s["layers"], s["embedding"], device,
                        s.get("dropout", 0.0) or 0.0)
    load_weights(model, raw, Path(path))
    return CharRNNCheckpoint(Path(path), raw["cell"], list(raw["vocab"]), dict(s), model, raw.get("optimizer"))


def _open_regular(path: Path) -> BinaryIO:
    """The file, opened only if it is a regular file (never a FIFO, a device or a socket)."""
    try:
        st = os.stat(path)
    except FileNotFoundError:
        raise CheckpointError(f"{path}: no such checkpoint file") from None
    except OSError as exc:
        raise CheckpointError(f"{path}: cannot read: {exc.strerror or exc}") from None
    if stat.S_ISDIR(st.st_mode):
        raise CheckpointError(f"{path}: is a folder, expected a checkpoint file")
    if not stat.S_ISREG(st.st_mode):
        raise CheckpointError(f"{path}: not a regular file (a pipe, a device or a socket?); checkpoints are read "
                              "only from regular files")
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))  # never waits for a writer
    except OSError as exc:
        raise CheckpointError(f"{path}: cannot read: {exc.strerror or exc}") from None
    if not stat.S_ISREG(os.fstat(fd).st_mode):  # replaced between the look and the open
        os.close(fd)
        raise CheckpointError(f"{path}: not a regular file; checkpoints are read only from regular files")
    return os.fdopen(fd, "rb")


def _raw_header(fh: BinaryIO, path: Path) -> Any:
    """The unpickled dict with tensors on the meta device, after the archive's own checks."""
    unreadable = f"{path}: not a readable torch checkpoint"
    if fh.read(4) != b"PK\x03\x04":
        raise CheckpointError(f"{unreadable} (not the zip archive torch.save writes: a raw pickle, or another format)")
    fh.seek(0)
    try:
        entries = zipfile.ZipFile(fh).infolist()
    except (zipfile.BadZipFile, OSError, ValueError):
        raise CheckpointError(f"{unreadable} (corrupt or truncated)") from None
    if any(e.compress_type != zipfile.ZIP_STORED for e in entries):
        raise CheckpointError(f"{unreadable}: it holds compressed entries, which torch.save never writes "
                              "(they could inflate to any size)")
    if any(e.filename.endswith("data.pkl") and e.file_size > MAX_PICKLE for e in entries):
        raise CheckpointError(f"{unreadable}: its header is larger than {MAX_PICKLE:,} bytes")
    fh.seek(0)
    return _torch_load(fh, path, "meta")


def _torch_load(fh: BinaryIO, path: Path, device: str) -> Any:
    import torch

    try:
        with warnings.catch_warnings():  # torch warns before it refuses; the one line below says it all
            warnings.simplefilter("ignore")
            return torch.load(fh, map_location=device, weights_only=True)
    except Exception as exc:  # corrupt, truncated, not torch at all, or unsafe pickles
        if "Weights only load failed" in str(exc):
            why = "it holds Python objects, which are not loaded for safety; or it is not a torch file"
        else:
            why = "corrupt, truncated, or not a torch file"
        raise CheckpointError(f"{path}: not a readable torch checkpoint ({why})") from None


def _checked_header(fh: BinaryIO, path: Path) -> dict[str, Any]:
    """The header, checked; then the file's size against what its model can hold."""
    raw = _check(_raw_header(fh, path), path)
    s = raw["settings"]
    n = parameter_count(raw["cell"], len(raw["vocab"]), s["hidden_size"], s["layers"], s["embedding"])
    if n > budget.PARAMETERS:
        raise CheckpointError(f"{path}: its model has {n:,} parameters; at most {budget.PARAMETERS:,}")
    # Weights and up to two optimizer moments each, in float64 at most, plus the header.
    most = 3 * n * 8 + MAX_PICKLE
    size = os.fstat(fh.fileno()).st_size
    if size > most:
        raise CheckpointError(f"{path}: {size:,} bytes, more than a {describe(raw)} model's weights and optimizer "
                              f"state can fill ({most:,}); refused")
    return raw


def _check(raw: Any, path: Path) -> dict[str, Any]:
    """Every key, setting and tensor shape against the model the settings describe."""
    if not isinstance(raw, dict) or raw.get("format") != FORMAT:
        got = raw.get("format") if isinstance(raw, dict) else type(raw).__name__
        raise CheckpointError(f'{path}: not a char-RNN checkpoint: expected format "{FORMAT}", got {_short(got)}')
    version = raw.get("version")
    if version != VERSION:
        raise CheckpointError(f"{path}: checkpoint version {_short(version)}; this lab reads version {VERSION}")
    unknown = sorted(str(k) for k in raw if k not in KEYS)
    if unknown:
        raise CheckpointError(f"{path}: unknown key(s) {_short(', '.join(unknown))}; a checkpoint holds "
                              + ", ".join(KEYS))
    if raw.get("cell") not in CELLS:
        raise CheckpointError(f"{path}: cell {_short(raw.get('cell'))}; expected one of {', '.join(CELLS)}")
    vocab = raw.get("vocab")
    if (not isinstance(vocab, list) or not 2 <= len(vocab) <= budget.VOCABULARY or len(set(vocab)) != len(vocab)
            or not all(isinstance(c, str) and len(c) == 1 for c in vocab)):
        raise CheckpointError(f"{path}: the vocabulary must be a list of 2 to {budget.VOCABULARY:,} distinct "
                              "single characters")
    _check_settings(raw.get("settings"), path)
    want = expected_shapes(raw["cell"], len(vocab), *(raw["settings"][k] for k in ("hidden_size", "layers", "embedding")))
    _check_model(raw.get("model"), want, raw, path)
    _check_optimizer(raw.get("optimizer"), list(want.values()), path)
    return raw


def _check_settings(settings: Any, path: Path) -> None:
    if not isinstance(settings, dict):
        raise CheckpointError(f"{path}: settings missing")
    unknown = sorted(str(k) for k in settings if k not in SETTINGS)
    if unknown:
        raise CheckpointError(f"{path}: unknown setting(s) {_short(', '.join(unknown))}")
    for key, (least, most) in LIMITS.items():
        v = settings.get(key)
        if not _is_int(v) or not least <= v <= most:
            raise CheckpointError(f"{path}: settings.{key} is {_short(v)}; expected an integer from {least} to {most}")
    if "iteration" in settings and (not _is_int(settings["iteration"]) or settings["iteration"] < 0):
        raise CheckpointError(f"{path}: settings.iteration is {_short(settings['iteration'])}; "
                              "expected a whole number of iterations ≥ 0")
    for key, most in (("valid_loss", float("inf")), ("dropout", 1.0)):
        v = settings.get(key)
        if v is not None and (not _is_number(v) or not 0 <= v < most):
            raise CheckpointError(f"{path}: settings.{key} is {_short(v)}; expected a number ≥ 0"
                                  + (f" and < {most:g}" if most < float("inf") else ""))


def _check_model(model: Any, want: dict[str, tuple[int, ...]], raw: dict[str, Any], path: Path) -> None:
    import torch

    if not isinstance(model, dict):
        raise CheckpointError(f"{path}: the model's weights are missing")
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


def _check_optimizer(opt: Any, shapes: list[tuple[int, ...]], path: Path) -> None:
    """An optimizer state_dict whose groups hold numbers and cover the model's parameters once
    each, and whose per-parameter state is numbers or tensors of that parameter's shape."""
    import torch

    if opt is None:
        return
    n_params = len(shapes)
    bad = f"{path}: the optimizer state is damaged"
    if not isinstance(opt, dict) or not isinstance(opt.get("param_groups"), list) or not isinstance(opt.get("state"), dict):
        raise CheckpointError(f"{bad}: expected a dict with param_groups and state")
    ids: list[Any] = []
    for group in opt["param_groups"]:
        if not isinstance(group, dict) or not isinstance(group.get("params"), list):
            raise CheckpointError(f"{bad}: a parameter group has no list of params")
        ids += group["params"]
        for key, v in group.items():
            if key in OPTIMIZER_NUMBERS:
                if not _is_number(v) or v != v or v < 0:
                    raise CheckpointError(f"{bad}: {key} is {_short(v)}; expected a number ≥ 0")
            elif key == "betas":
                if (not isinstance(v, (tuple, list)) or len(v) != 2
                        or not all(_is_number(b) and 0 <= b < 1 for b in v)):
                    raise CheckpointError(f"{bad}: betas is {_short(v)}; expected two numbers in [0, 1)")
    if not all(_is_int(i) for i in ids) or sorted(ids) != list(range(n_params)):
        raise CheckpointError(f"{bad}: its parameter groups cover {len(ids)} parameter(s); the model has {n_params}")
    for k, st in opt["state"].items():
        if not _is_int(k) or k not in range(n_params) or not isinstance(st, dict):
            raise CheckpointError(f"{bad}: state for an unknown parameter {_short(k)}")
        for name, v in st.items():
            if isinstance(v, torch.Tensor):
                if v.dim() and tuple(v.shape) != shapes[k]:
                    raise CheckpointError(f"{path}: its optimizer state does not fit this model (state {name} has "
                                          f"shape {list(v.shape)}, its parameter {list(shapes[k])})")
            elif not _is_number(v):
                raise CheckpointError(f"{bad}: state {name} of parameter {k} is {_short(v)}, not a tensor or number")


def check_vocab(vocab: list[str], text: str, name: str) -> list[str]:
    """A checkpoint's vocabulary must hold every character of the text (the token ids are its)."""
    missing = sorted(set(text) - set(vocab))
    if missing:
        shown = " ".join(repr(c) for c in missing[:8]) + (" …" if len(missing) > 8 else "")
        raise CheckpointError(f"{name}: another vocabulary: {len(missing)} character(s) of the text are not in the "
                              f"checkpoint's {len(vocab)}: {shown}")
    return vocab


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


def _is_int(v: Any) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


def _is_number(v: Any) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def _short(v: Any, most: int = 40) -> str:
    """A value for a message: repr, cut to `most` characters."""
    text = repr(v)
    return text if len(text) <= most else text[: most - 1] + "…"
