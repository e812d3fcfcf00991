"""The lab's data: the shared digits split (binarised or scaled), or a small toy set of 0/1 rows.

Digits come only through engine/data/digits.py, so a digit the training lab tests on is
never one this lab trained on under the same seed.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import numpy as np

from ..data import digits

TOY_NAMES = ("bars",)


def bars_and_stripes(side: int = 3) -> np.ndarray:
    """Every side×side picture whose rows are all equal or whose columns are all equal
    (2·2^side − 2 patterns: 14 for 3×3, all-dark and all-ink counted once), sorted."""
    patterns = set()
    for bits in itertools.product((0.0, 1.0), repeat=side):
        a = np.array(bits)
        patterns.add(tuple(np.repeat(a[:, None], side, 1).ravel()))
        patterns.add(tuple(np.repeat(a[None, :], side, 0).ravel()))
    return np.array(sorted(patterns))


@dataclass(frozen=True)
class Part:
    """One part of a split: inputs [n][visible] and labels [n] (−1 where there are none)."""

    x: np.ndarray
    y: np.ndarray

    def __len__(self) -> int:
        return len(self.y)


@dataclass(frozen=True)
class Data:
    """train / valid / test parts, the picture side (0 = not square) and what they are."""

    train: Part
    valid: Part
    test: Part
    side: int
    name: str
    binary: bool


def side_of(visible: int) -> int:
    s = int(round(visible ** 0.5))
    return s if s * s == visible else 0


def toy(rows: np.ndarray, name: str) -> Data:
    """A toy set is its own train, validation and test set (the point is the likelihood)."""
    part = Part(rows, np.full(len(rows), -1))
    return Data(part, part, part, side_of(rows.shape[1]), name, True)


def load_digits(seed: int, binary: bool, threshold: int = digits.BINARY_THRESHOLD,
                classes: tuple[int, ...] = digits.CLASSES) -> Data:
    """The shared stratified 60/20/20 split of the chosen classes: 0/1 pixels (ink where a
    pixel is ≥ threshold of 16) for RBMs, or pixels scaled to [0, 1]."""
    split = digits.split(seed)

    def part(rows: np.ndarray) -> Part:
        rows = digits.of_classes(rows, classes)
        x = digits.binarised(rows, threshold) if binary else digits.scaled(rows)
        return Part(x, digits.labels(rows))

    how = f"binarised at {threshold}/16" if binary else "scaled to [0, 1]"
    return Data(part(split.train), part(split.valid), part(split.test), digits.SIDE, f"digits {how}", binary)


def labelled_subset(part: Part, per_class: int, rng: np.random.Generator) -> Part:
    """`per_class` examples of each class present, drawn with `rng` (few labels, as in fine-tuning)."""
    keep = []
    for c in np.unique(part.y):
        rows = np.flatnonzero(part.y == c)
        keep.append(rng.choice(rows, size=per_class, replace=False))
    rows = np.sort(np.concatenate(keep))
    return Part(part.x[rows], part.y[rows])


def class_counts(seed: int, classes: tuple[int, ...]) -> dict[int, int]:
    """Training images of each class under this seed's split (for checking `labels`)."""
    y = digits.labels(digits.split(seed).train)
    return {c: int(np.sum(y == c)) for c in classes}


def relabel(y: np.ndarray, classes: tuple[int, ...]) -> np.ndarray:
    """Digit labels → 0..len(classes)−1, in the order the classes are listed."""
    index = {c: i for i, c in enumerate(classes)}
    return np.array([index[int(v)] for v in y], dtype=np.int64)
