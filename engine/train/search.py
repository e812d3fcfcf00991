"""Grid against random search (Bergstra & Bengio 2012), with the same budget of short runs.

Four hyperparameters: the learning rate (log scale), the batch size (log scale), dropout and
the optimizer. The grid takes `levels` values of each (the centres of equal cells, so it never
sits on a range's edge) and every optimizer: levels³ · optimizers runs. Random search draws
the same number of runs, each hyperparameter independently. When one hyperparameter matters
most (here the learning rate), the grid tries only `levels` values of it; random search
tries a new one every run. Each run trains `epochs` epochs and is scored by its validation
error; the comparison is repeated over `seeds` seeds, because one seed is noise.
"""

from __future__ import annotations

import itertools
import math
from typing import Any, Iterator

import numpy as np

from ..core.fmt import num
from . import init as rules
from . import model as tm
from .training import percent

METHODS = ("grid", "random")


def budget(cfg) -> int:
    return cfg.levels ** 3 * len(cfg.optimizers)


def length(cfg) -> int:
    return 2 + 2 * budget(cfg) * cfg.seeds


def centres(lo: float, hi: float, n: int) -> list[float]:
    """n values at the centres of n equal cells of [lo, hi]."""
    return [lo + (hi - lo) * (i + 0.5) / n for i in range(n)]


def log_batch(e: float) -> int:
    return int(round(2.0 ** e))


def grid(cfg) -> list[dict[str, Any]]:
    lrs = [10 ** e for e in centres(math.log10(cfg.lr_range[0]), math.log10(cfg.lr_range[1]), cfg.levels)]
    batches = [log_batch(e) for e in centres(math.log2(cfg.batch_range[0]), math.log2(cfg.batch_range[1]), cfg.levels)]
    drops = centres(*cfg.dropout_range, cfg.levels)
    return [{"lr": lr, "batch": b, "dropout": d, "optimizer": o}
            for lr, b, d, o in itertools.product(lrs, batches, drops, cfg.optimizers)]


def draws(cfg, rng: np.random.Generator) -> list[dict[str, Any]]:
    lo, hi = math.log10(cfg.lr_range[0]), math.log10(cfg.lr_range[1])
    blo, bhi = math.log2(cfg.batch_range[0]), math.log2(cfg.batch_range[1])
    return [{"lr": float(10 ** rng.uniform(lo, hi)), "batch": log_batch(rng.uniform(blo, bhi)),
             "dropout": float(rng.uniform(*cfg.dropout_range)), "optimizer": str(rng.choice(cfg.optimizers))}
            for _ in range(budget(cfg))]


def run(lab, weights, point: dict[str, Any], seed: int) -> float:
    """One short training run from `weights`; its validation error."""
    layers = [{**layer, "p": point["dropout"]} if layer["kind"] == "dropout" else layer for layer in lab.cfg.layers]
    model = tm.build(layers, weights, lab.device, lab.running)
    tr = tm.Trainer(model, point["optimizer"], point["lr"], point["batch"], lab.x_train, lab.y_train, seed)
    for _ in range(lab.cfg.epochs):
        tr.epoch()
    _, error, _ = tm.evaluate(model, lab.x_valid, lab.y_valid)
    return error if math.isfinite(error) else 1.0


def best(runs: list[dict[str, Any]], method: str) -> dict[str, Any] | None:
    """The run of `method` with the lowest validation error (the first such)."""
    return min((r for r in runs if r["method"] == method), key=lambda r: r["valid_error"], default=None)


def pages(lab) -> Iterator[tuple[str, dict[str, Any]]]:
    cfg = lab.cfg
    lab.start_data()
    points = grid(cfg)
    n = budget(cfg)
    base = {"mode": "search", "budget": n, "seeds": cfg.seeds, "epochs": cfg.epochs,
            "space": {"lr": list(cfg.lr_range), "batch": list(cfg.batch_range), "dropout": list(cfg.dropout_range),
                      "optimizers": list(cfg.optimizers)}}
    total = 2 * n * cfg.seeds
    lr_values = sorted({p["lr"] for p in points})
    yield (f"Grid against random search: {n} runs each ({cfg.levels}³ · {len(cfg.optimizers)} optimizers), "
           f"{cfg.epochs} epoch(s) per run, repeated over {cfg.seeds} seeds; the grid tries "
           f"{len(lr_values)} learning rates: {', '.join(num(v, 3) for v in lr_values)}"), \
        {**base, "phase": "setup", "grid": points, "points": [], "done": 0, "total": total}

    runs: list[dict[str, Any]] = []
    wins = {"grid": 0, "random": 0, "tie": 0}
    per_seed: list[dict[str, Any]] = []
    done = 0
    for s in range(cfg.seeds):
        seed = lab.seed + s
        rng = np.random.default_rng(seed)
        weights = rules.initialise(cfg.layers, cfg.shapes, cfg.init, cfg.init_std, rng)  # one start for every run
        plan = {"grid": points, "random": draws(cfg, rng)}
        mine: list[dict[str, Any]] = []
        for k in range(n):
            for method in METHODS:
                point = plan[method][k]
                r = {"method": method, "seed": seed, **point, "valid_error": run(lab, weights, point, seed)}
                mine.append(r)
                done += 1
                values = {**base, "phase": "run", "seed": seed, "run": r, "points": list(mine), "done": done,
                          "total": total, "best": {m: best(mine, m) for m in METHODS}, "wins": dict(wins)}
                caption = (f"seed {seed}, {method} run {k + 1}/{n}: lr {num(point['lr'], 3)}, batch {point['batch']}, "
                           f"dropout {num(point['dropout'], 2)}, {point['optimizer']} → validation error "
                           f"{percent(r['valid_error'])}")
                if k == n - 1 and method == METHODS[-1]:
                    g, rb = values["best"]["grid"]["valid_error"], values["best"]["random"]["valid_error"]
                    winner = "tie" if g == rb else "grid" if g < rb else "random"
                    wins[winner] += 1
                    per_seed.append({"seed": seed, "grid": g, "random": rb, "winner": winner})
                    values["wins"] = dict(wins)
                    caption += f"; seed {seed}: best grid {percent(g)}, best random {percent(rb)}: " + \
                               ("a tie" if winner == "tie" else f"{winner} wins")
                yield caption, values
        runs.extend(mine)

    overall = {m: best(runs, m) for m in METHODS}
    verdict = ("confirmed" if wins["random"] > wins["grid"] else "refuted" if wins["grid"] > wins["random"]
               else "undecided")
    yield (f"over {cfg.seeds} seeds random search won {wins['random']}, grid {wins['grid']}, ties {wins['tie']}: "
           f"the lesson (random finds a good learning rate with fewer runs) is {verdict} here"), \
        {**base, "phase": "summary", "runs": runs, "best": overall, "wins": wins, "per_seed": per_seed,
         "verdict": verdict, "points": [r for r in runs if r["seed"] == lab.seed + cfg.seeds - 1],
         "done": done, "total": total}
