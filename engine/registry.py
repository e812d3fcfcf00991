"""Lab name -> engine module. Imported lazily, so listing scenarios loads no lab."""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the home screen lists labs without importing numpy or any lab
    from .core.lab import Lab

# One module per lab; each defines `LAB`, its Lab subclass.
LABS: dict[str, str] = {
    "conv": "engine.conv.lab",
    "arch": "engine.arch.lab",
    "optim": "engine.optim.lab",
    "lstm": "engine.lstm.lab",
    "charrnn": "engine.charrnn.lab",
    "pretrain": "engine.pretrain.lab",
    "train": "engine.train.lab",
}

LAB_TITLES: dict[str, str] = {
    "conv": "Convolution arithmetic",
    "arch": "Architectures: shapes, parameters, memory",
    "optim": "Optimizer paths on 2-D loss surfaces",
    "lstm": "LSTM gates and RNN gradient flow",
    "charrnn": "Char-RNN: a model learning to write",
    "pretrain": "Unsupervised pretraining: RBMs, autoencoders, the 2007 table",
    "train": "Training: a small CNN learns the digits",
}


def lab_class(name: str) -> "type[Lab]":
    module = importlib.import_module(LABS[name])
    return module.LAB
