"""The 2007 table, run: one frame per finished (row, seed), rows filled in one after another.

Yields (caption, values); the lab numbers the frames. The run's wall time is never in a
frame (replays stay byte-identical); `time python -m tui_lab replay pretrain-table --steps 100`
measures it.
"""

from __future__ import annotations

from typing import Any, Iterator

from . import table as T
from .common import one_blas_thread, pct
from .config import Config
from .data import load_digits
from ..core.fmt import num


def budget(cfg: Config) -> T.Budget:
    return T.Budget(cfg.hidden, cfg.epochs, cfg.lr, cfg.k, cfg.finetune_epochs,
                    cfg.adam_lr if cfg.modern else cfg.finetune_lr, cfg.batch, cfg.modern)


def mean_sd(entry: dict[str, Any], part: str = "test") -> str:
    sd = entry.get(f"{part}_error_sd")
    return pct(entry[f"{part}_error"]) + ("" if sd is None else f" ± {pct(sd)}")


class TableRun:
    def __init__(self, cfg: Config, seed: int) -> None:
        self.cfg, self.seed = cfg, seed
        self.budget = budget(cfg)
        self.results: list[T.Result] = []
        self.seeds = [seed + i for i in range(cfg.seeds)]

    def values(self, **more: Any) -> dict[str, Any]:
        b = self.budget
        return {"model": "table", "table": T.summary(self.results), "runs": len(self.results),
                "total_runs": len(T.ROWS) * len(self.seeds), "seeds": self.seeds, "modern": b.modern,
                "hidden": list(b.hidden), "chance": T.chance(), **more}

    def frames(self) -> Iterator[tuple[str, dict[str, Any]]]:
        b = self.budget
        how = "ReLU + He + Adam (σ kept where pretrained as RBMs or autoencoders)" if b.modern else "σ units, SGD"
        yield (f"the 2007 table on the digits: 5 rows × {len(self.seeds)} seeds; deep nets "
               f"{' → '.join(map(str, (64, *b.hidden, 10)))}, shallow 64 → {b.hidden[0]} → 10; {b.pre_epochs} "
               f"pre-training epochs per layer, {b.epochs} supervised epochs at α = {num(b.lr)}, {how}",
               self.values(phase="setup"))
        for row in T.ROWS:
            for seed in self.seeds:
                with one_blas_thread():
                    data = load_digits(seed, False)
                    r = T.run(row, data, b, seed)
                self.results.append(r)
                yield self.caption(r), self.values(phase="run", row=row, seed=seed, result=r.__dict__,
                                                   stuck=T.stuck(r))
        yield self.verdict(), self.values(phase="done")

    def caption(self, r: T.Result) -> str:
        entry = next(e for e in T.summary(self.results) if e["row"] == r.row)
        stuck = "; stuck: it learned almost nothing (chance is 90%)" if T.stuck(r) else ""
        n = self.seeds.index(r.seed) + 1
        return (f"{T.NAMES[r.row]}, seed {n} of {len(self.seeds)}: train {pct(r.train)}, valid {pct(r.valid)}, "
                f"test {pct(r.test)} (epoch {r.epoch}){stuck}; row so far: test {mean_sd(entry)}")

    def verdict(self) -> str:
        rows = T.summary(self.results)
        best = min(rows, key=lambda e: e["test_error"])
        stuck = sum(T.stuck(r) for r in self.results)
        tail = f"; {stuck} run(s) stuck, learning almost nothing" if stuck else ""
        return (f"table done over {len(self.seeds)} seeds: lowest mean test error {best['name']}, "
                f"{mean_sd(best)}{tail}")
