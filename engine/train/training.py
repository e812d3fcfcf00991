"""Step 5, repeated: minibatch training, one frame per epoch, on the lab's device.

Each frame carries the epoch's mean minibatch loss and, measured after it in evaluation
mode, the training and validation loss and error; the last frame adds the test error and
the confusion matrix. A loss that turns non-finite stops the run with one frame that says
where and why.
"""

from __future__ import annotations

import math
import time
from typing import Any, Iterator

import numpy as np

from ..core.fmt import num
from . import model as tm
from .config import CLASSES
from .steps import pictures

# A minibatch loss this many times the untrained model's (or ln 10's, if larger) means the
# steps overshoot: with ReLU a huge learning rate kills the units and the loss stays finite
# but enormous, so waiting for NaN would never stop such a run.
DIVERGED = 10


def percent(fraction: float) -> str:
    return f"{num(100 * fraction, 3)}%"


def measure(lab) -> dict[str, Any]:
    """Loss and error on the training and validation images, in evaluation mode."""
    train_loss, train_error, _ = tm.evaluate(lab.trainer.model, lab.x_train, lab.y_train)
    valid_loss, valid_error, _ = tm.evaluate(lab.trainer.model, lab.x_valid, lab.y_valid)
    return {"train_loss": train_loss, "train_error": train_error, "valid_loss": valid_loss, "valid_error": valid_error}


def setup_values(lab) -> dict[str, Any]:
    """Frame 0 of a training run: the network, the split and the untrained model's numbers."""
    cfg = lab.cfg
    m = measure(lab)
    lab.curve.append([0, m["train_loss"], m["valid_loss"], m["train_error"], m["valid_error"]])
    d = lab.data
    rows = [{"name": q.name, "kind": q.kind, "out_shape": list(q.out_shape), "params": q.params} for q in cfg.plans]
    return {"mode": cfg.mode, "phase": "setup", "device": lab.device, "network": rows, "parameters": cfg.parameters,
            "split": {"train": len(d.y_train), "valid": len(d.y_valid), "test": len(d.y_test)},
            "init": cfg.init, "optimizer": cfg.optimizer, "lr": lab.trainer.lr, "batch": lab.trainer.batch,
            "iteration": 0, "epoch": 0, "epochs": cfg.epochs, "loss": m["train_loss"], **m,
            "curve": list(lab.curve), "pictures": pictures(cfg.layers, lab.weights)}


def setup_caption(v: dict[str, Any]) -> str:
    return (f"{v['parameters']:,} parameters, {v['split']['train']:,} training images; untrained: training loss "
            f"{num(v['train_loss'])} (guessing: ln 10 = {num(math.log(10))}), validation error {percent(v['valid_error'])}")


def epochs(lab) -> Iterator[tuple[str, dict[str, Any]]]:
    """One frame per epoch, until `epochs` or a non-finite loss."""
    cfg, tr = lab.cfg, lab.trainer
    while lab.epoch < cfg.epochs:
        lab.epoch += 1
        first = tr.iteration + 1
        started = time.perf_counter()
        losses = tr.epoch().double().cpu().numpy()  # the one copy back per epoch
        elapsed = time.perf_counter() - started
        values: dict[str, Any] = {
            "mode": cfg.mode, "phase": "train", "device": lab.device, "epoch": lab.epoch, "epochs": cfg.epochs,
            "iteration": tr.iteration, "lr": tr.lr, "batch": tr.batch, "optimizer": cfg.optimizer,
            "loss": float(losses.mean()),
        }
        # Wall-clock, so never in a frame (replays stay byte-identical): the app shows it
        # through Lab.live_facts().
        lab.samples_per_s = len(lab.y_train) / elapsed if elapsed > 0 else None
        limit = DIVERGED * max(lab.curve[0][1], math.log(CLASSES))
        with np.errstate(invalid="ignore"):
            bad = np.flatnonzero(~(losses <= limit))  # NaN compares false: caught too
        if bad.size:
            at, loss = first + int(bad[0]), losses[bad[0]]
            values.update(diverged=True, diverged_at=at, diverged_loss=float(loss), limit=limit, curve=list(lab.curve))
            why = "not a finite number" if not math.isfinite(loss) else \
                f"{num(loss)}, over {DIVERGED}× the untrained model's {num(lab.curve[0][1])}"
            yield (f"diverged at iteration {at}: the loss is {why}; training stops here. Lower lr (now {num(tr.lr)}), "
                   "then r or e to start again"), values
            return
        m = measure(lab)
        lab.curve.append([lab.epoch, values["loss"], m["valid_loss"], m["train_error"], m["valid_error"]])
        values.update(m, curve=list(lab.curve))
        caption = (f"epoch {lab.epoch}/{cfg.epochs} (iteration {tr.iteration}): loss {num(values['loss'])}, "
                   f"validation loss {num(m['valid_loss'])}, error train {percent(m['train_error'])} · "
                   f"validation {percent(m['valid_error'])}")
        if lab.epoch == cfg.epochs:
            caption += "; " + finish(lab, values)
        yield caption, values


def finish(lab, values: dict[str, Any]) -> str:
    """The last frame: learned filters, the test error (measured once, at the end) and the confusion matrix."""
    lab.weights = tm.weights_of(lab.trainer.model, lab.cfg.layers)
    test_loss, test_error, pred = tm.evaluate(lab.trainer.model, lab.x_test, lab.y_test)
    matrix = tm.confusion(lab.data.y_test, pred.cpu().numpy(), CLASSES)
    values.update(test_loss=test_loss, test_error=test_error, confusion=matrix, final=True,
                  pictures=pictures(lab.cfg.layers, lab.weights))
    wrong = int(matrix.sum() - np.trace(matrix))
    return f"test error {percent(test_error)} ({wrong} of {int(matrix.sum())})"
