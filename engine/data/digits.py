"""The 8×8 handwritten digits that scikit-learn ships inside its package (no download).

One seeded, stratified 60/20/20 split into train / validation / test, shared by the
pretraining and training labs, so a digit the training lab tests on is never one the
pretraining lab trained on under the same seed.

The file is read straight from the installed package (a gzip'd CSV, 1,797 rows of 64
pixels in 0..16 and a label): importing scikit-learn itself costs about a second, and
nothing else of it is needed. Where a future release moves the file, `load_digits` is
the fallback.
"""

from __future__ import annotations

import gzip
import importlib.util
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

# Pixels are 0..16; a pixel at or above this counts as ink when binarised for an RBM.
BINARY_THRESHOLD = 8
SIDE = 8
CLASSES = tuple(range(10))
FRACTIONS = (0.6, 0.2, 0.2)


class DigitsUnavailable(RuntimeError):
    """scikit-learn is not installed, so its bundled digits cannot be read."""


def _csv_path() -> Path | None:
    spec = importlib.util.find_spec("sklearn")
    if spec is None or spec.origin is None:
        return None
    path = Path(spec.origin).parent / "datasets" / "data" / "digits.csv.gz"
    return path if path.is_file() else None


@lru_cache(maxsize=1)
def raw() -> tuple[np.ndarray, np.ndarray]:
    """(images [1797, 64] as float64 in 0..16, labels [1797] as int64), read once."""
    path = _csv_path()
    if path is not None:
        with gzip.open(path, "rt") as fh:
            table = np.loadtxt(fh, delimiter=",")
        x, y = table[:, :-1], table[:, -1].astype(np.int64)
    else:
        try:
            from sklearn.datasets import load_digits
        except ImportError:
            raise DigitsUnavailable("the digits come with scikit-learn, which is not installed: "
                                    "pip install scikit-learn") from None
        d = load_digits()
        x, y = d.data.astype(np.float64), d.target.astype(np.int64)
    x.setflags(write=False)
    y.setflags(write=False)
    return x, y


@dataclass(frozen=True)
class Split:
    """Row indices into `raw()` for each part; disjoint, stratified by class, seeded."""

    train: np.ndarray
    valid: np.ndarray
    test: np.ndarray


def split(seed: int = 0, fractions: tuple[float, float, float] = FRACTIONS) -> Split:
    """A stratified split: each class is shuffled with `seed` and cut 60/20/20, so every
    part has each digit in (nearly) the same proportion as the whole set."""
    _, y = raw()
    rng = np.random.default_rng(seed)
    parts: list[list[np.ndarray]] = [[], [], []]
    for c in CLASSES:
        rows = np.flatnonzero(y == c)
        rows = rows[rng.permutation(len(rows))]
        n_train = int(round(fractions[0] * len(rows)))
        n_valid = int(round(fractions[1] * len(rows)))
        parts[0].append(rows[:n_train])
        parts[1].append(rows[n_train:n_train + n_valid])
        parts[2].append(rows[n_train + n_valid:])
    # Sorted within each part so the order does not depend on the class loop; shuffling
    # for minibatches is the trainer's business, with its own seed.
    train, valid, test = (np.sort(np.concatenate(p)) for p in parts)
    return Split(train, valid, test)


def scaled(rows: np.ndarray) -> np.ndarray:
    """Pixels scaled to [0, 1] (autoencoders, classifiers)."""
    x, _ = raw()
    return x[rows] / 16.0


def binarised(rows: np.ndarray, threshold: int = BINARY_THRESHOLD) -> np.ndarray:
    """Pixels as 0/1: ink where the pixel is at least `threshold` of 16 (RBMs)."""
    x, _ = raw()
    return (x[rows] >= threshold).astype(np.float64)


def labels(rows: np.ndarray) -> np.ndarray:
    _, y = raw()
    return y[rows]


def of_classes(rows: np.ndarray, classes: tuple[int, ...] | list[int]) -> np.ndarray:
    """The rows whose label is one of `classes` (fine-tuning: 0–4, then 5–9)."""
    return rows[np.isin(labels(rows), list(classes))]
