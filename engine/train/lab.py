"""Training: a small CNN learns the digits, the five steps, gradient dilution and hyperparameter search.

Four modes of one lab (engine/train/help.md says what each shows):
  steps     the lecture's "putting it all together" on one image (steps.py), then training
  train     minibatch training, one frame per epoch, on the session's device (training.py)
  dilution  per-layer gradient norms of a deep net under three cures (dilution.py)
  search    grid against random search with equal budgets, over many seeds (search.py)

Training, dilution and search open with the data and the model (overview.py: frame 0, no
torch, so it shows while torch loads); their torch work starts at frame 1.

The gradients a frame shows are the lab's own numpy backward formulas (backward.py), checked
against torch autograd (reference.py); training itself runs in torch (model.py).
"""

from __future__ import annotations

import contextlib

from typing import Any, Iterator

import numpy as np

from ..core.fmt import num
from ..core.frame import Frame
from ..core.knobs import Knob
from ..core.lab import Lab
from ..core.params import validate
from . import config, data, dilution, overview, search, steps, training
from . import init as rules
from . import model as tm
from .config import TrainConfig


class TrainLab(Lab):
    name = "train"
    title = "Training: a small CNN learns the digits"
    live = True
    PARAMS = config.PARAMS

    @classmethod
    def validate(cls, raw: dict[str, Any]) -> dict[str, Any]:
        params = config.normalise(validate(cls.PARAMS, raw))
        config.check(params)
        return params

    def __init__(self, params: dict[str, Any], *, seed: int = 0, device: str = "cpu") -> None:
        super().__init__(params, seed=seed, device=device)
        self.cfg = cfg = TrainConfig.of(params)
        self.data = data.load(seed, cfg.train_images)
        rng = np.random.default_rng(seed)
        self.weights = rules.initialise(cfg.layers, cfg.shapes, cfg.init, cfg.init_std, rng)
        self.running = rules.running_stats(cfg.layers, cfg.shapes)
        # Live knobs: read by the trainer at every iteration, so a turn applies from the next one.
        self.lr, self.batch = cfg.lr, cfg.batch
        self.trainer: tm.Trainer | None = None
        self.epoch = 0
        self.curve: list[list[float]] = []  # [epoch, loss, valid_loss, train_error, valid_error]
        self.samples_per_s: float | None = None  # measured while training; never in a frame

    def live_facts(self) -> dict[str, Any]:
        return {"samples_per_s": self.samples_per_s}

    def length(self) -> int:
        cfg = self.cfg
        n = len(cfg.layers)
        return {"steps": 4 + 2 * n + cfg.epochs, "train": 2 + cfg.epochs,  # the overview, then the untrained model
                "dilution": 1 + dilution.length(cfg), "search": 1 + search.length(cfg)}[cfg.mode]

    # --- frames --------------------------------------------------------------------
    @classmethod
    def torch_from(cls, params: dict[str, Any]) -> int | None:
        """The five steps show the network, the initial weights, the forward pass layer by layer
        and the error in numpy (frames 0 to n + 2, of n layers) before the backward pass is
        checked against autograd; the other modes show the data and the model (frame 0,
        overview.py) before their first torch frame."""
        return len(params["layers"]) + 3 if params["mode"] == "steps" else 1

    def frames(self) -> Iterator[Frame]:
        pages, index = self._pages(), 0
        first_torch = self.torch_from(self.params)
        while True:
            # Only while computing torch frames (the app's own threads are untouched); the numpy
            # frames before them are computed while torch may still be loading.
            with tm.cpu_threads(self.device) if index >= first_torch else contextlib.nullcontext():
                try:
                    caption, values = next(pages)
                except StopIteration:
                    return
            yield Frame(index, caption, values)
            index += 1

    def _pages(self) -> Iterator[tuple[str, dict[str, Any]]]:
        mode = self.cfg.mode
        if mode != "steps":
            values = overview.values(self)
            yield overview.caption(values), values
        if mode == "dilution":
            yield from dilution.pages(self)
        elif mode == "search":
            yield from search.pages(self)
        elif mode == "steps":
            yield self.steps_setup()
            yield from steps.walkthrough(self)
            if self.cfg.epochs:
                self.start_training()
                training.setup_values(self)  # the untrained point of the curves, no frame of its own
                yield from training.epochs(self)
        else:
            self.start_training()
            values = training.setup_values(self)
            if self.cfg.epochs == 0:
                training.finish(self, values)
            yield training.setup_caption(values), values
            yield from training.epochs(self)

    def steps_setup(self) -> tuple[str, dict[str, Any]]:
        cfg, d = self.cfg, self.data
        label = int(d.y_train[cfg.image])
        rows = [{"name": q.name, "kind": q.kind, "out_shape": list(q.out_shape), "params": q.params} for q in cfg.plans]
        values = {"mode": "steps", "phase": "setup", "network": rows, "parameters": cfg.parameters,
                  "image": d.x_train[cfg.image, 0], "label": label, "image_index": cfg.image, "init": cfg.init,
                  "lr": cfg.lr, "split": {"train": len(d.y_train), "valid": len(d.y_valid), "test": len(d.y_test)}}
        names = " → ".join(q.name for q in cfg.plans)
        return (f"The five steps on training image {cfg.image}, a {label}: {names}, "
                f"{cfg.parameters:,} parameters"), values

    def start_data(self) -> None:
        """The images on the device, once."""
        d = self.data
        self.x_train, self.y_train = tm.to_device(d.x_train, d.y_train, self.device)
        self.x_valid, self.y_valid = tm.to_device(d.x_valid, d.y_valid, self.device)
        self.x_test, self.y_test = tm.to_device(d.x_test, d.y_test, self.device)

    def start_training(self) -> None:
        """The torch model from the current weights, on the device."""
        self.start_data()
        model = tm.build(self.cfg.layers, self.weights, self.device, self.running)
        self.trainer = tm.Trainer(model, self.cfg.optimizer, self.lr, self.batch, self.x_train, self.y_train, self.seed)

    # --- knobs -----------------------------------------------------------------------
    def knobs(self) -> list[Knob]:
        cfg = self.cfg
        if cfg.mode == "search":
            return [Knob("grid levels", "levels", 1, 1, 1, 6), Knob("seeds", "seeds", 1, 5, 1, 1000),
                    Knob("epochs per run", "epochs", 1, 5, 1, 100)]
        live = cfg.mode == "train"
        batch = Knob("batch size", "batch", 2, 8, 1, cfg.train_images, live=live, log=True)
        if cfg.mode == "dilution":
            return [batch]
        return [Knob("learning rate", "lr", 2, 10, 1e-6, 1e4, live=live, integer=False, log=True), batch,
                Knob("initialisation", "init", choices=rules.RULES),
                Knob("activation", "activation", choices=("relu", "sigmoid"))]

    def turn(self, key: str, value: Any) -> str:
        if key not in ("lr", "batch") or self.cfg.mode != "train":
            raise KeyError(key)
        old = getattr(self, key)
        setattr(self, key, value)
        if self.trainer is not None:
            setattr(self.trainer, key, value)
        at = (self.trainer.iteration if self.trainer else 0) + 1
        return f"{'learning rate' if key == 'lr' else 'batch size'} {num(old)} → {num(value)} from iteration {at}"


LAB = TrainLab
