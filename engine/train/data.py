"""The digits for this lab: the shared stratified 60/20/20 split (engine/data/digits.py), pixels in [0, 1]."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..data import digits
from .config import INPUT


@dataclass(frozen=True)
class Digits:
    """Images (N, 1, 8, 8) float64 in [0, 1] and labels (N,) for each part of the split."""

    x_train: np.ndarray
    y_train: np.ndarray
    x_valid: np.ndarray
    y_valid: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray


def load(seed: int, train_images: int) -> Digits:
    """The split for `seed`; with fewer `train_images` than the split has, a seeded subset of them."""
    s = digits.split(seed)
    train = s.train
    if train_images < len(train):
        train = np.sort(np.random.default_rng(seed).permutation(train)[:train_images])
    img = lambda rows: digits.scaled(rows).reshape(-1, *INPUT)
    return Digits(img(train), digits.labels(train), img(s.valid), digits.labels(s.valid), img(s.test), digits.labels(s.test))
