"""Unsupervised pretraining: RBMs, sparse autoencoders, greedy stacking, the 2007 table,
fine-tuning, and gradient dilution, each stepped (see help.md for the lecture's idea).

This module only orchestrates: the params and their rules are in config.py, the math in
rbm.py, autoencoder.py, net.py, classify.py and table.py, and what each model shows frame
by frame in frames_<model>.py.
"""

from __future__ import annotations

import math
from typing import Any, Iterator

from . import config
from .config import PARAMS, Config, Live
from .frames_autoencoder import AERun
from .frames_dilution import NETS, DilutionRun
from .frames_finetune import FinetuneRun
from .frames_rbm import GIBBS_SHOWN, RBMRun
from .frames_stack import StackRun
from .frames_table import TableRun
from . import table
from ..core.fmt import num
from ..core.frame import Frame
from ..core.knobs import Knob
from ..core.lab import Lab

HIDDEN = Knob("hidden units", "hidden[0]", step=1, big=10, low=1, high=4096)
KNOBS = {
    "rbm": (HIDDEN, Knob("CD-k", "k", 1, 5, 1, 1000, live=True),
            Knob("α", "lr", 2, 10, 1e-6, 100, live=True, integer=False, log=True)),
    "autoencoder": (HIDDEN, Knob("β (sparsity)", "sparsity", 0.5, 2.5, 0, 1000, live=True, integer=False),
                    Knob("ρ (target)", "rho", 0.01, 0.05, 0.001, 0.999, live=True, integer=False)),
    "stack": (HIDDEN, Knob("CD-k", "k", 1, 5, 1, 1000, live=True)),
    "table": (Knob("deep nets: ReLU + Adam", "modern", choices=(False, True)), Knob("seeds", "seeds", 1, 2, 1, 10)),
    "finetune": (Knob("frozen layers", "frozen", 1, 1, 0, 20), Knob("labels per class", "labels", 10, 50, 1, 10_000)),
    "dilution": (Knob("RBM epochs per layer", "epochs", 1, 5, 0, 1000),),
}
LIVE_KEYS = {"k", "lr", "sparsity", "rho"}


class PretrainLab(Lab):
    name = "pretrain"
    title = "Unsupervised pretraining: RBMs, autoencoders, the 2007 table"
    live = True
    uses_torch = False  # numpy throughout; torch only checks the gradients (imported then)
    PARAMS = PARAMS

    @classmethod
    def check(cls, params: dict[str, Any]) -> None:
        config.build(params)

    def __init__(self, params: dict[str, Any], *, seed: int = 0, device: str = "cpu") -> None:
        super().__init__(params, seed=seed, device=device)
        self.cfg: Config = config.build(params)
        self.live_values = Live.of(self.cfg)
        self.run = self._run()

    def _run(self):
        cfg, live, seed = self.cfg, self.live_values, self.seed
        if cfg.model == "rbm":
            return RBMRun(cfg, live, seed)
        if cfg.model == "autoencoder":
            return AERun(cfg, live, seed)
        if cfg.model == "stack":
            return StackRun(cfg, live, seed)
        if cfg.model == "table":
            return TableRun(cfg, seed)
        if cfg.model == "finetune":
            return FinetuneRun(cfg, seed)
        return DilutionRun(cfg, seed)

    def frames(self) -> Iterator[Frame]:
        for index, (caption, values) in enumerate(self.run.frames()):
            yield Frame(index, caption, values)

    def length(self) -> int | None:
        """Frames in all, known before training for every model (a live k changes none)."""
        cfg = self.cfg
        chunks = lambda n: math.ceil(n / cfg.per_step)  # noqa: E731 - epochs shown per frame
        if cfg.model == "rbm":
            if cfg.epochs == 0:
                return 1
            k = self.run.walk_k or self.live_values.k
            walk = 4 + min(k, GIBBS_SHOWN + 1)
            return 1 + walk + 1 + chunks(cfg.epochs - 1) + (1 if cfg.digits else 0)
        if cfg.model == "autoencoder":
            n = len(cfg.hidden)
            per_layer = (1 + chunks(cfg.epochs - 1)) if cfg.epochs else 0
            return 1 + (n - 1) + n * per_layer + (3 if cfg.epochs else 0)
        if cfg.model == "stack":
            n = len(cfg.hidden)
            return 1 + (n - 1) + n * chunks(cfg.epochs) + 1 + chunks(cfg.finetune_epochs)
        if cfg.model == "table":
            return 2 + len(table.ROWS) * cfg.seeds
        if cfg.model == "finetune":
            return 2 + chunks(cfg.epochs) + chunks(cfg.finetune_epochs)
        return 2 + len(NETS) * (len(cfg.hidden) + 1)

    # --- knobs ---------------------------------------------------------------------
    def knobs(self) -> list[Knob]:
        out = list(KNOBS[self.cfg.model])
        if self.cfg.model == "finetune":
            out[0] = Knob("frozen layers", "frozen", 1, 1, 0, len(self.cfg.hidden))
        return out

    def turn(self, key: str, value: Any) -> str:
        if key not in LIVE_KEYS:
            raise KeyError(key)
        validated = self.validate({**self.params, key: value})[key]
        setattr(self.live_values, key, validated)
        self.params = {**self.params, key: validated}
        names = {"k": "CD-k: k", "lr": "α", "sparsity": "β", "rho": "ρ"}
        return f"{names[key]} = {num(validated)} from the next epoch on; the frames already made stay as they were"


LAB = PretrainLab
