"""Frame 0 of training, dilution and search: the data and the model before torch is needed.

Arithmetic on the settings and the numpy digits alone, so the lab opens while torch still
loads (TrainLab.torch_from): the split and the input, each layer's parameter tensors with
their shapes and sizes and the initialisation rule that fills them, what one epoch is in
iterations, the loss and the optimizer with its settings; for dilution the set-ups compared,
for search the runs. The untrained model's numbers are frame 1's: a forward pass in torch.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ..core.fmt import count, num
from ..data import digits
from . import dilution, search
from . import init as rules
from . import model as tm
from .config import CLASSES, TRAIN_IMAGES, plan


def values(lab) -> dict[str, Any]:
    cfg = lab.cfg
    out: dict[str, Any] = {"mode": cfg.mode, "phase": "data", "device": lab.device, "data": data_facts(lab.data),
                           "layers": [[q.name, q.kind, list(q.out_shape)] for q in cfg.plans],
                           "weights": weight_rows(cfg.layers, cfg.shapes, None if cfg.mode == "dilution" else cfg),
                           "parameters": cfg.parameters, "guess": math.log(CLASSES)}
    if cfg.mode == "train":
        per, last = tm.iterations(cfg.train_images, cfg.batch)
        out.update(batch=cfg.batch, epoch_iterations=per, last_batch=last, epochs=cfg.epochs,
                   iterations=per * cfg.epochs, optimizer=optimizer_facts(cfg.optimizer, cfg.lr), init=cfg.init)
    elif cfg.mode == "dilution":
        out.update(batch=cfg.batch, variants=[variant_facts(cfg, v) for v in cfg.variants])
    else:
        n = search.budget(cfg)
        lo, hi = cfg.batch_range
        out.update(budget=n, seeds=cfg.seeds, runs=2 * n * cfg.seeds, epochs=cfg.epochs, levels=cfg.levels,
                   space={"lr": list(cfg.lr_range), "batch": [lo, hi], "dropout": list(cfg.dropout_range)},
                   epoch_iterations=[tm.iterations(cfg.train_images, hi)[0], tm.iterations(cfg.train_images, lo)[0]],
                   optimizers=[optimizer_facts(o, None) for o in cfg.optimizers], init=cfg.init)
    return out


def data_facts(d) -> dict[str, Any]:
    """The split's sizes, the input and the classes, read off the arrays the lab trains on."""
    per_class = np.bincount(d.y_train, minlength=CLASSES)
    return {"images": len(digits.raw()[1]), "split_train": TRAIN_IMAGES, "train": len(d.y_train), "valid": len(d.y_valid), "test": len(d.y_test),
            "input": list(d.x_train.shape[1:]), "pixels": [float(d.x_train.min()), float(d.x_train.max())],
            "classes": CLASSES, "per_class": [int(per_class.min()), int(per_class.max())]}


def weight_rows(layers, shapes, cfg) -> list[dict[str, Any]]:
    """One row per layer with parameters: its tensors [name, shape, size] and, given the config, how step 1 fills them."""
    rows = []
    for layer, shape in zip(layers, shapes):
        tensors = rules.tensor_shapes(layer, shape)
        if not tensors:
            continue
        row = {"layer": layer["name"], "kind": layer["kind"],
               "tensors": [[k, list(s), math.prod(s)] for k, s in tensors.items()],
               "count": sum(math.prod(s) for s in tensors.values())}
        if cfg is not None:
            row["init"] = init_words(layer, shape, cfg)
        rows.append(row)
    return rows


def init_words(layer, shape, cfg) -> str:
    """The rule with its number: 'N(0, σ 0.4714)' or 'U(±0.3333)'; biases 0 unless torch's rule.
    σ by name, not as '0.4714²': the ASCII look writes ² as 2 (one cell), 'N(0, 0.47142)'."""
    if layer["kind"] == "batchnorm":
        return "γ = 1, β = 0"
    form, s = rules.spread(cfg.init, *rules.fans(layer, shape), cfg.init_std)
    w = f"N(0, σ {num(s)})" if form == "normal" else f"U(±{num(s)})"
    return w + (", b the same" if cfg.init == "torch" else ", b = 0") if layer["bias"] else w


def optimizer_facts(name: str, lr: float | None) -> dict[str, Any]:
    cls, settings = tm.OPTIMIZERS[name]
    return {"name": name, "torch": cls, "lr": lr, "settings": {k: list(v) if isinstance(v, tuple) else v
                                                               for k, v in settings.items()}}


def optimizer_words(o: dict[str, Any]) -> str:
    """'SGD, momentum 0.9' or 'Adam, betas (0.9, 0.999), eps 1e-08', the learning rate first where there is one."""
    parts = [f"lr {num(o['lr'])}"] if o["lr"] is not None else []
    for k, v in o["settings"].items():
        parts.append(f"{k} ({', '.join(num(x) for x in v)})" if isinstance(v, (list, tuple)) else f"{k} {num(v)}")
    return o["torch"] + (", " + ", ".join(parts) if parts else "")


def variant_facts(cfg, v: dict[str, Any]) -> dict[str, Any]:
    layers = dilution.variant_layers(cfg.layers, v)
    return {"label": dilution.label(v, cfg.init_std), "activation": v["activation"], "init": v["init"],
            "batchnorm": v["batchnorm"], "weight_layers": len(dilution.weight_layers(layers)),
            "parameters": sum(q.params for q in plan(layers))}


def caption(v: dict[str, Any]) -> str:
    d, mode = v["data"], v["mode"]
    digits_used = f"{count(d['train'])} training digits ({'×'.join(map(str, d['input']))})"
    if mode == "train":
        return (f"Before training: {digits_used}, {count(v['parameters'])} parameters; one epoch is "
                f"{v['epoch_iterations']} iterations of {v['batch']} images, {v['epochs']} epochs; "
                f"{optimizer_words(v['optimizer'])}")
    if mode == "dilution":
        depth = max(s["weight_layers"] for s in v["variants"])
        return (f"Before measuring: {len(v['variants'])} set-ups of one net compared on a batch of {v['batch']} of the "
                f"{digits_used}: ‖∂L/∂W‖ of each of its {depth} weight layers, no training")
    return (f"Before searching: grid against random search, {v['budget']} runs each per seed, {v['seeds']} seeds "
            f"({count(v['runs'])} runs), {v['epochs']} epoch(s) each on {digits_used}")

