"""The lecture's 2007 table (Bengio et al., NIPS 2007), run on the digits.

Five ways to get a deep net's first layers, each followed by the same supervised training
with a softmax on top; same data, budget and seeds for every row:

- DBN: greedy RBMs (CD-k), each trained on the hidden probabilities of the one below.
- auto-associator: greedy autoencoders with cross-entropy reconstruction (no sparsity).
- supervised pre-training: each new layer trained as the hidden layer of a one-hidden-layer
  classifier on the layer below's output; its output layer is thrown away.
- deep net, no pre-training; shallow net (one hidden layer), no pre-training.

Errors are taken at the epoch with the lowest validation error (early stopping). With
`modern`, supervised training uses Adam, and the nets not pretrained as RBMs or
autoencoders use ReLU units with He initialisation (an RBM's or autoencoder's hidden
units are sigmoid by construction, so those two rows keep them).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from . import autoencoder as ae_math
from . import net as nets
from . import rbm as rbm_math

ROWS = ("dbn", "autoassociator", "supervised", "deep", "shallow")
NAMES = {
    "dbn": "DBN, unsupervised pre-training",
    "autoassociator": "Deep net, auto-associator pre-training",
    "supervised": "Deep net, supervised pre-training",
    "deep": "Deep net, no pre-training",
    "shallow": "Shallow net, no pre-training",
}
# The lecture's numbers (MNIST, 50k/10k/10k), as fractions: train, valid, test.
PAPER = {
    "dbn": (0.0, 0.012, 0.012),
    "autoassociator": (0.0, 0.014, 0.014),
    "supervised": (0.0, 0.017, 0.020),
    "deep": (0.00004, 0.021, 0.024),
    "shallow": (0.00004, 0.018, 0.019),
}
CLASSES = 10


@dataclass(frozen=True)
class Budget:
    """What every row gets: the same layers, epochs, rates and batch."""

    hidden: tuple[int, ...]
    pre_epochs: int
    pre_lr: float
    k: int
    epochs: int
    lr: float
    batch: int
    modern: bool = False


@dataclass(frozen=True)
class Result:
    row: str
    seed: int
    train: float
    valid: float
    test: float
    epoch: int  # the epoch chosen by the validation error


def activation(row: str, b: Budget) -> str:
    return "relu" if b.modern and row not in ("dbn", "autoassociator") else "sigmoid"


def pretrain_rbms(x: np.ndarray, b: Budget, rng: np.random.Generator) -> list[nets.Layer]:
    layers = []
    for h in b.hidden:
        m = rbm_math.init(x.shape[1], h, rng)
        for _ in range(b.pre_epochs):
            m = rbm_math.epoch(m, x, b.k, b.pre_lr, b.batch, rng)
        layers.append((m.W, m.c))
        x = rbm_math.hidden_probs(m, x)
    return layers


def pretrain_autoassociators(x: np.ndarray, b: Budget, rng: np.random.Generator) -> list[nets.Layer]:
    s = ae_math.Settings(loss="cross-entropy")
    layers = []
    for h in b.hidden:
        m = ae_math.init(x.shape[1], h, rng)
        for _ in range(b.pre_epochs):
            m = ae_math.epoch(m, x, s, b.pre_lr, b.batch, rng)
        layers.append((m.W, m.b))
        x = ae_math.encode(m, x)
    return layers


def pretrain_supervised(x: np.ndarray, y: np.ndarray, b: Budget, rng: np.random.Generator) -> list[nets.Layer]:
    """Each layer: the hidden layer of a one-hidden-layer classifier on the layer below."""
    act = activation("supervised", b)
    how = init_of(act)
    layers = []
    for h in b.hidden:
        pair = [nets.init_layer(x.shape[1], h, how, rng), nets.init_layer(h, CLASSES, how, rng)]
        opt = nets.Optimizer(_fit(b))
        for _ in range(b.pre_epochs):
            pair, _loss = nets.train_epoch(pair, opt, x, y, act, rng)
        layers.append(pair[0])
        x = nets.forward(pair, x, act)[1]
    return layers


def init_of(act: str) -> str:
    return "he" if act == "relu" else "default"


def _fit(b: Budget) -> nets.Fit:
    return nets.Fit(lr=b.lr, batch=b.batch, optimizer="adam" if b.modern else "sgd")


def first_layers(row: str, data, b: Budget, rng: np.random.Generator) -> list[nets.Layer]:
    """The hidden layers a row starts its supervised training from."""
    x, y = data.train.x, data.train.y
    if row == "dbn":
        return pretrain_rbms(x, b, rng)
    if row == "autoassociator":
        return pretrain_autoassociators(x, b, rng)
    if row == "supervised":
        return pretrain_supervised(x, y, b, rng)
    sizes = [x.shape[1]] + list(b.hidden if row == "deep" else b.hidden[:1])
    return nets.init_layers(sizes, init_of(activation(row, b)), rng)


def run(row: str, data, b: Budget, seed: int) -> Result:
    """One row, one seed: pretrain (or initialise), add a softmax layer, train with labels."""
    rng = np.random.default_rng([seed, ROWS.index(row)])
    layers = first_layers(row, data, b, rng)
    act = activation(row, b)
    layers = layers + [nets.init_layer(layers[-1][0].shape[0], CLASSES, init_of(act), rng)]
    best = nets.Best()
    best.offer(0, nets.errors(layers, data, act))
    for e, _layers, _loss, errs in nets.fit(layers, data, _fit(b), b.epochs, act, rng):
        best.offer(e, errs)
    return Result(row, seed, best.train, best.valid, best.test, best.epoch)


def summary(results: list[Result], rows: tuple[str, ...] = ROWS) -> list[dict]:
    """One entry per row: means over the seeds run so far and the test error's sample sd."""
    out = []
    for row in rows:
        rs = [r for r in results if r.row == row]
        entry: dict = {"name": NAMES[row], "row": row, "seeds": len(rs),
                       "paper": dict(zip(("train", "valid", "test"), PAPER[row]))}
        for part in ("train", "valid", "test"):
            vals = np.array([getattr(r, part) for r in rs], dtype=float)
            entry[f"{part}_error"] = float(vals.mean()) if len(vals) else None
            entry[f"{part}_error_sd"] = float(vals.std(ddof=1)) if len(vals) > 1 else None
        entry["test_errors"] = [r.test for r in rs]
        out.append(entry)
    return out


def chance(classes: int = CLASSES) -> float:
    return 1.0 - 1.0 / classes


def stuck(result: Result) -> bool:
    """A net that learned little: it still gets at least half its own training images wrong
    (guessing gets 90% wrong), where every other row gets under 1% wrong."""
    return math.isfinite(result.train) and result.train >= 0.5
