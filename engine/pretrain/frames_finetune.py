"""Fine-tuning: a net trained on one set of digits (0–4) relearns its last layers for new
ones (5–9) from few labels, its first layers frozen, against the same net trained from
scratch on the same labels. Which weights moved, and the test error of each.

Yields (caption, values); the lab numbers the frames.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any, Iterator

import numpy as np

from . import net as N
from .common import one_blas_thread, pct, thin
from .config import Config
from .data import Data, labelled_subset
from .frames_stack import labelled_digits
from ..core.check import record
from ..core.fmt import num


def digits_list(classes: tuple[int, ...]) -> str:
    c = list(classes)
    if c == list(range(c[0], c[-1] + 1)) and len(c) > 2:
        return f"{c[0]}–{c[-1]}"
    return ", ".join(map(str, c))


class FinetuneRun:
    def __init__(self, cfg: Config, seed: int) -> None:
        self.cfg = cfg
        self.rng = np.random.default_rng(seed)
        self.first = labelled_digits(cfg, seed, False)
        new = labelled_digits(replace(cfg, classes=cfg.target), seed, False)
        few = labelled_subset(new.train, cfg.labels, self.rng)
        self.new = Data(few, new.valid, new.test, new.side, new.name, new.binary)
        self.sizes = [64, *cfg.hidden]
        # σ + SGD as in 2007, or ReLU + He + Adam (`modern`), for both tasks and both nets.
        self.act, self.init = ("relu", "he") if cfg.modern else ("sigmoid", "default")
        lr = cfg.adam_lr if cfg.modern else cfg.finetune_lr
        self.fit = N.Fit(lr, cfg.batch, "adam" if cfg.modern else "sgd")
        self.base = {"model": "finetune", "sizes": self.sizes, "classes": list(cfg.classes),
                     "first_task": digits_list(cfg.classes), "new_task": digits_list(cfg.target),
                     "units": "ReLU + Adam" if cfg.modern else "σ + SGD",
                     "target": list(cfg.target), "frozen": cfg.frozen, "labels": cfg.labels,
                     "new_rows": len(few)}

    def frames(self) -> Iterator[tuple[str, dict[str, Any]]]:
        cfg = self.cfg
        a, b = digits_list(cfg.classes), digits_list(cfg.target)
        yield (f"a net {' → '.join(map(str, self.sizes))} → softmax learns digits {a} ({len(self.first.train)} "
               f"labelled images); then digits {b} from {cfg.labels} labels per class, its first {cfg.frozen} "
               f"layer(s) frozen, against the same net from scratch", {**self.base, "phase": "setup"})
        with one_blas_thread():
            layers = N.init_layers(self.sizes + [len(cfg.classes)], self.init, self.rng)
        curve: list[list[float]] = []
        gen = N.fit(layers, self.first, self.fit, cfg.epochs, self.act, self.rng)
        done = 0
        while done < cfg.epochs:
            with one_blas_thread():
                for _ in range(min(cfg.per_step, cfg.epochs - done)):
                    done, layers, loss, errs = next(gen)
                    curve.append([done, *errs])
            yield (f"first task, digits {a}, epoch {done} of {cfg.epochs}: errors train {pct(errs[0])}, valid "
                   f"{pct(errs[1])}, test {pct(errs[2])}",
                   {**self.base, "phase": "first", "epoch": done, "errors": list(errs), "curve": thin(curve)})
        yield from self.relearn(layers[:-1], a, b)

    def relearn(self, hidden: list[N.Layer], a: str, b: str) -> Iterator[tuple[str, dict[str, Any]]]:
        cfg, k = self.cfg, len(self.cfg.target)
        with one_blas_thread():
            tuned = N.copy(hidden) + [N.init_layer(self.sizes[-1], k, self.init, self.rng)]
            scratch = N.init_layers(self.sizes + [k], self.init, self.rng)
        starts = {"finetuned": N.copy(tuned), "scratch": N.copy(scratch)}
        frozen = ", ".join(f"W{i + 1}" for i in range(cfg.frozen)) or "none"
        yield (f"digits {b}: the hidden layers kept, a new softmax for {k} classes; frozen: {frozen}; "
               f"{cfg.labels} labels per class ({self.base['new_rows']} images) for both nets",
               {**self.base, "phase": "relearn"})
        runs = {"finetuned": N.fit(tuned, self.new, replace(self.fit, frozen=cfg.frozen), cfg.finetune_epochs,
                                   self.act, self.rng),
                "scratch": N.fit(scratch, self.new, self.fit, cfg.finetune_epochs, self.act, self.rng)}
        now = {"finetuned": tuned, "scratch": scratch}
        errs = {name: N.errors(layers, self.new, self.act) for name, layers in now.items()}
        curve = [[0, errs["finetuned"][2], errs["scratch"][2]]]
        done = 0
        while done < cfg.finetune_epochs:
            with one_blas_thread():
                for _ in range(min(cfg.per_step, cfg.finetune_epochs - done)):
                    for name in runs:
                        done, now[name], _loss, errs[name] = next(runs[name])
                    curve.append([done, errs["finetuned"][2], errs["scratch"][2]])
            yield self.progress(done, starts, now, errs, curve, b)

    def progress(self, done: int, starts: dict, now: dict, errs: dict, curve: list, b: str) -> tuple[str, dict[str, Any]]:
        cfg = self.cfg
        changed = N.change_norms(starts["finetuned"], now["finetuned"])
        v: dict[str, Any] = {**self.base, "phase": "finetune", "epoch": done, "curve": thin(curve),
                             "test_error": {"finetuned": errs["finetuned"][2], "scratch": errs["scratch"][2]},
                             "errors": {name: list(e) for name, e in errs.items()}, "changed": changed,
                             "changed_scratch": N.change_norms(starts["scratch"], now["scratch"])}
        if cfg.frozen:
            kept = max(changed[: cfg.frozen])
            v["check"] = record("the frozen layers' weights before fine-tuning", kept, 0.0)
        moved = ", ".join(f"W{i + 1} {num(c, 3)}" for i, c in enumerate(changed))
        text = (f"digits {b}, epoch {done} of {cfg.finetune_epochs}: test error fine-tuned "
                f"{pct(errs['finetuned'][2])}, from scratch {pct(errs['scratch'][2])}; weights moved ‖ΔW‖: {moved}")
        if done == cfg.finetune_epochs:
            text += "; " + verdict(errs["finetuned"][2], errs["scratch"][2], len(self.new.test))
        return text, v


def verdict(tuned: float, scratch: float, n: int) -> str:
    images = round(abs(tuned - scratch) * n)
    if images == 0:
        return "a tie on the test images"
    who = "fine-tuning" if tuned < scratch else "training from scratch"
    return f"{who} wins by {images} of {n} test images"
