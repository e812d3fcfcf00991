"""The texts a char-RNN learns and how they are cut: corpora, the train/validation split, streams.

A text is read once. Its last `val_frac` is held out as one contiguous block the model never
trains on; the rest is the training text. Both are read the same way, as `rows` parallel
streams of consecutive characters (the inputs) and the characters that follow them (the
targets), so the two positions of every pair lie inside their own block: no character of
the held-out block is ever an input or a target of a training batch.

Positions are numpy arrays of indices into the text (no torch here): the lab turns them
into token tensors once, and the tests check the split on them.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..core.files import not_a_file
from ..core.fmt import counted
from ..core.params import ParamError

SONNETS = Path(__file__).resolve().parents[2] / "scenarios" / "data" / "sonnets.txt"
CORPORA = ("sonnets", "python-docs")
# A text is read whole and encoded once per run: 10 MB keeps an iteration quick.
MAX_TEXT_BYTES = 10_000_000
# Below this many held-out characters a validation loss is a noisy estimate (the sonnets hold out ~124).
FEW_HELD_OUT = 2_000


@dataclass(frozen=True)
class Corpus:
    text: str
    source: str  # what captions call it: "the lecture's two sonnets", "Python's documentation", a file name


def load_corpus(corpus: str, text: str) -> Corpus:
    """`text` (a file) when given, else the named corpus; ParamError names the key at fault."""
    if text:
        if corpus == "python-docs":
            raise ParamError("params.text", 'give either a text file or corpus = "python-docs", not both')
        return Corpus(read_text(text), text)
    if corpus == "python-docs":
        return Corpus(python_docs(), "Python's documentation (pydoc_data)")
    return Corpus(read_text(str(SONNETS), shown="the bundled sonnets"), "the lecture's two sonnets")


def python_docs() -> str:
    """The English reference text of Python's documentation, as this Python ships it.

    Its content changes between Python releases, so nothing checked in depends on it.
    """
    try:
        from pydoc_data.topics import topics
    except ImportError:
        raise ParamError("params.corpus", 'this Python has no pydoc_data (some distributions leave it out); '
                         'use corpus = "sonnets" or a text file') from None
    return "\n".join(topics[k] for k in sorted(topics))


def read_text(name: str, key: str = "params.text", shown: str = "") -> str:
    """A UTF-8 text file, or ParamError if it is missing, not a regular file, binary or too short."""
    path = Path(name).expanduser()
    shown = shown or name
    try:
        problem = not_a_file(path, shown)
        if problem:
            raise ParamError(key, f"{problem}; expected a UTF-8 text file")
        size = path.stat().st_size
        if size > MAX_TEXT_BYTES:
            raise ParamError(key, f"{shown} is {size / 1e6:.1f} MB; at most {MAX_TEXT_BYTES // 1_000_000} MB of text "
                             "is read: use a shorter excerpt")
        with path.open("rb") as fh:
            data = fh.read(MAX_TEXT_BYTES + 1)  # the file may grow between stat and read
        if len(data) > MAX_TEXT_BYTES:
            raise ParamError(key, f"{shown} is larger than {MAX_TEXT_BYTES // 1_000_000} MB; use a shorter excerpt")
    except OSError as exc:
        raise ParamError(key, f"cannot read {shown}: {exc.strerror or exc}") from None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise ParamError(key, f"{shown} is not UTF-8 text (a binary file?)") from None
    if "\x00" in text:
        raise ParamError(key, f"{shown} is not UTF-8 text (it holds NUL bytes: a binary file?)")
    text = text.replace("\r\n", "\n")
    if len(set(text)) < 2:
        what = "empty" if not text else "a single repeated character"
        raise ParamError(key, f"{shown} is {what}; the model needs a text with at least 2 different characters")
    return text


# --- the split ------------------------------------------------------------------------------
@dataclass(frozen=True)
class Block:
    """A contiguous part of the text, [start, stop), read as `rows` streams of `length` characters."""

    start: int
    stop: int
    rows: int

    @property
    def length(self) -> int:
        """Characters per stream: the block (less its last character, only ever a target) split `rows` ways."""
        return (self.stop - self.start - 1) // self.rows

    @property
    def chars(self) -> int:
        return self.stop - self.start

    def positions(self) -> np.ndarray:
        """(rows, length) text indices of the inputs; the targets are these + 1 (all inside the block)."""
        return self.start + np.arange(self.rows)[:, None] * self.length + np.arange(self.length)[None, :]


def held_out(n_chars: int, val_frac: float) -> int:
    """Characters held out for validation: the last val_frac of the text, 0 when off."""
    return int(round(n_chars * val_frac)) if val_frac > 0 else 0


def split(n_chars: int, val_frac: float, batch: int, seq_len: int) -> tuple[Block, Block | None]:
    """The training block (`batch` streams) and the held-out block (None when val_frac = 0).

    The held-out block is read as at most `batch` streams of at least `seq_len` characters
    each (one stream when it is shorter), every stream from a zero state, as training reads
    its own: on the sonnets that is 3 streams of 40 characters; on a large text, `batch`.
    """
    valid = held_out(n_chars, val_frac)
    cut = n_chars - valid
    train = Block(0, cut, batch)
    if val_frac <= 0:
        return train, None
    rows = max(1, min(batch, (valid - 1) // max(1, seq_len)))
    return train, Block(cut, n_chars, rows)


def check_split(n_chars: int, val_frac: float, batch: int, seq_len: int) -> tuple[Block, Block | None]:
    """`split`, or ParamError when a block is too short to read."""
    train, valid = split(n_chars, val_frac, batch, seq_len)
    if valid is not None and valid.chars < 2:
        raise ParamError("params.val_frac", f"val_frac = {val_frac} holds out {valid.chars} character(s) of "
                         f"{n_chars:,}; at least 2 are needed (raise val_frac, or 0 turns validation off)")
    if train.length < seq_len:
        kept = f" ({train.chars:,} after holding out {n_chars - train.chars:,} for validation)" if valid else ""
        raise ParamError("params.seq_len", f"the text has {n_chars:,} characters{kept}, so {counted(batch, 'stream')} of "
                         f"{max(0, train.length):,} each; seq_len must be ≤ {max(0, train.length):,} (or lower batch)")
    return train, valid


def encode(text: str, vocab: tuple[str, ...]) -> np.ndarray:
    """Token ids (int64) of every character: its index in `vocab`, which holds them all."""
    points = np.frombuffer(text.encode("utf-32-le"), dtype=np.uint32)
    table = np.frombuffer("".join(vocab).encode("utf-32-le"), dtype=np.uint32)
    order = np.argsort(table, kind="stable")  # a checkpoint's vocabulary need not be sorted
    return order[np.searchsorted(table[order], points)].astype(np.int64)
