"""The pretraining lab's parameters: one table (validation, help, the writer) and the typed
config built from it once, with every rule that ties keys together."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from .autoencoder import LOSSES
from .data import TOY_NAMES, bars_and_stripes, class_counts
from ..core.params import Param, ParamError, tensor_shape
from ..data.digits import BINARY_THRESHOLD

MODELS = ("rbm", "autoencoder", "stack", "table", "finetune", "dilution")
LABELLED = ("stack", "table", "finetune", "dilution")  # models that need the digits' labels
MAX_VISIBLE = 1024
MAX_ROWS = 10_000

PARAMS = (
    Param("model", "choice", "rbm", "what to run: one RBM, sparse autoencoders, a stack of RBMs fine-tuned "
          "with labels, the 2007 table, fine-tuning on new classes, or gradient dilution", choices=MODELS),
    Param("data", "any", "digits", '"digits" (8×8, from scikit-learn), "bars" (3×3 bars and stripes, 14 '
          "patterns) or an inline list of 0/1 rows"),
    Param("hidden", "ints", [100], "hidden layer sizes, bottom first", min=1, max=4096),
    Param("k", "int", 1, "Gibbs steps down and up in CD-k", min=1, max=1000),
    Param("lr", "float", 0.1, "learning rate α of the unsupervised training (RBM, autoencoder)", min=1e-6, max=100),
    Param("epochs", "int", 10, "epochs of the first phase: per RBM / autoencoder layer; the first task "
          "when fine-tuning; RBM pre-training for dilution", min=0, max=100_000),
    Param("batch", "int", 10, "rows per minibatch (≥ the rows: full batch)", min=1, max=100_000),
    Param("per_step", "int", 1, "epochs per frame while training", min=1, max=100_000),
    Param("threshold", "int", BINARY_THRESHOLD, "a pixel (0..16) at or above this is ink when binarised",
          min=1, max=16),
    Param("sparsity", "float", 3.0, "β: weight of the sparsity penalty Σ KL(ρ ‖ ρ̂_j)", min=0, max=1000),
    Param("rho", "float", 0.05, "ρ: the target mean activation of each hidden unit", min=0.001, max=0.999),
    Param("decay", "float", 0.0, "λ: weight decay of the autoencoder", min=0, max=10),
    Param("loss", "choice", "squared", "the autoencoder's reconstruction loss", choices=LOSSES),
    Param("classes", "ints", list(range(10)), "digit classes used (fine-tuning: the first task; by default the "
          "digits not in target)", min=0, max=9),
    Param("target", "ints", [5, 6, 7, 8, 9], "fine-tuning: the new task's digit classes", min=0, max=9),
    Param("labels", "int", 50, "fine-tuning: labelled training images per new class", min=1, max=10_000),
    Param("frozen", "int", 1, "fine-tuning: hidden layers kept as pretrained, counted from the bottom",
          min=0, max=20),
    Param("finetune_epochs", "int", 30, "epochs of supervised training with labels (softmax on top)",
          min=0, max=100_000),
    Param("finetune_lr", "float", 0.5, "learning rate of supervised training with SGD", min=1e-6, max=100),
    Param("seeds", "int", 3, "table: seeds each row is run with (mean ± sd over them)", min=1, max=10),
    Param("modern", "bool", False, "table and fine-tuning: ReLU units, He initialisation and Adam instead of σ "
          "units and SGD"),
    Param("adam_lr", "float", 0.001, "Adam's learning rate when modern", min=1e-6, max=10),
)


@dataclass(frozen=True)
class Config:
    """Validated params, typed: cfg.k, not p["k"]."""

    model: str
    data: str  # "digits", "bars" or "rows"
    rows: tuple[tuple[float, ...], ...]  # the inline rows (data = "rows")
    hidden: tuple[int, ...]
    k: int
    lr: float
    epochs: int
    batch: int
    per_step: int
    threshold: int
    sparsity: float
    rho: float
    decay: float
    loss: str
    classes: tuple[int, ...]
    target: tuple[int, ...]
    labels: int
    frozen: int
    finetune_epochs: int
    finetune_lr: float
    seeds: int
    modern: bool
    adam_lr: float

    @property
    def digits(self) -> bool:
        return self.data == "digits"

    def toy_rows(self) -> np.ndarray:
        return bars_and_stripes() if self.data == "bars" else np.array(self.rows, dtype=np.float64)


def _data(value: Any, model: str) -> tuple[str, tuple[tuple[float, ...], ...]]:
    key = "params.data"
    if isinstance(value, str):
        if value != "digits" and value not in TOY_NAMES:
            raise ParamError(key, f'expected "digits", "bars" or a list of 0/1 rows, got the string "{value}"')
        return value, ()
    if not isinstance(value, list):
        raise ParamError(key, 'expected "digits", "bars" or a list of 0/1 rows')
    shape = tensor_shape(key, value, (2,), {2: "[rows][visible]"})
    if shape[0] < 2 or shape[0] > MAX_ROWS:
        raise ParamError(key, f"expected 2 to {MAX_ROWS:,} rows, got {shape[0]}")
    if shape[1] > MAX_VISIBLE:
        raise ParamError(key, f"rows of {shape[1]} values are too long; at most {MAX_VISIBLE}")
    arr = np.asarray(value, dtype=np.float64)
    if model == "autoencoder":
        if arr.min() < 0 or arr.max() > 1:
            raise ParamError(key, "an autoencoder's rows hold values from 0 to 1")
    elif not np.isin(arr, (0.0, 1.0)).all():
        bad = np.argwhere(~np.isin(arr, (0.0, 1.0)))[0]
        raise ParamError(key, f"row {bad[0]} holds {arr[tuple(bad)]:g}; an RBM's rows are 0/1")
    return "rows", tuple(map(tuple, arr.tolist()))


def _distinct(key: str, values: list[int]) -> tuple[int, ...]:
    seen = set()
    for i, v in enumerate(values):
        if v in seen:
            raise ParamError(f"{key}[{i}]", f"digit {v} is listed twice")
        seen.add(v)
    return tuple(values)


def build(p: dict[str, Any]) -> Config:
    """The typed config, or ParamError naming the key that breaks a rule."""
    model = p["model"]
    data, rows = _data(p["data"], model)
    classes = _distinct("params.classes", p["classes"])
    target = _distinct("params.target", p["target"])
    if model == "finetune" and list(classes) == list(range(10)):
        # Left at its default, the first task is every digit the new task does not have.
        classes = tuple(c for c in range(10) if c not in target)
    hidden = tuple(p["hidden"])
    if not hidden:
        raise ParamError("params.hidden", "expected at least one hidden layer size")
    if len(hidden) > 10:
        raise ParamError("params.hidden", f"{len(hidden)} layers; at most 10")
    if model == "rbm" and len(hidden) != 1:
        raise ParamError("params.hidden", f'an RBM has one hidden layer, got {len(hidden)} sizes; model = "stack" '
                         "stacks several")
    if model in LABELLED and data != "digits":
        raise ParamError("params.data", f'model "{model}" trains with labels, so it needs data = "digits"')
    if data == "digits" and len(classes) < 2:
        raise ParamError("params.classes", "expected at least 2 digit classes")
    if model == "finetune":
        _check_finetune(p, classes, target, hidden)
    return Config(model, data, rows, hidden, p["k"], p["lr"], p["epochs"], p["batch"], p["per_step"], p["threshold"],
                  p["sparsity"], p["rho"], p["decay"], p["loss"], classes, target, p["labels"], p["frozen"],
                  p["finetune_epochs"], p["finetune_lr"], p["seeds"], p["modern"], p["adam_lr"])


def _check_finetune(p: dict[str, Any], classes: tuple[int, ...], target: tuple[int, ...], hidden: tuple[int, ...]) -> None:
    if len(target) < 2:
        raise ParamError("params.target", "expected at least 2 digit classes for the new task")
    both = sorted(set(classes) & set(target))
    if both:
        raise ParamError("params.target", f"digit {both[0]} is in both classes and target; the new task's classes "
                         "must be new")
    if p["frozen"] > len(hidden):
        raise ParamError("params.frozen", f"the net has {len(hidden)} hidden layer(s); frozen must be ≤ {len(hidden)}")
    fewest = min(class_counts(0, target).values())
    if p["labels"] > fewest:
        raise ParamError("params.labels", f"a new class has only {fewest} training images; labels must be ≤ {fewest}")


@dataclass
class Live:
    """What the live knobs turn: read by the training loop at every epoch, so a change
    applies from the next one and nothing already shown is recomputed."""

    k: int
    lr: float
    sparsity: float
    rho: float

    @classmethod
    def of(cls, cfg: Config) -> "Live":
        return cls(cfg.k, cfg.lr, cfg.sparsity, cfg.rho)
