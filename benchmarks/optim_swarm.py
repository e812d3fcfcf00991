"""Swarm mode: one batched tensor op per rule line vs a plain per-point Python loop.

    python benchmarks/optim_swarm.py [--starts 10000] [--steps 500] [--loop-sample 20] [--device cpu]

The batched run updates all starts × 6 optimizers in one Race. The loop runs the same
engine one start at a time (N = 1 tensors, as a naive implementation would) on a
subsample of starts and scales its time up; both compute the same numbers, which the
script checks on the subsample before printing the ratio.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from engine.optim import surfaces  # noqa: E402
from engine.optim.config import KINDS, OPT_FIELDS, hypers  # noqa: E402
from engine.optim.race import Race  # noqa: E402
from engine.core.params import validate  # noqa: E402


def run(surface, hs, starts, steps, device):
    race = Race(surface, hs, starts, 1e6, device)
    for _ in range(steps):
        race.step()
    return np.stack([r.x.cpu().numpy() for r in race.runners])  # (K, N, 2)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--starts", type=int, default=10_000)
    ap.add_argument("--steps", type=int, default=500)
    ap.add_argument("--loop-sample", type=int, default=8, help="starts run one at a time, then scaled up")
    ap.add_argument("--device", default="cpu")
    a = ap.parse_args()

    import torch

    torch.set_num_threads(torch.get_num_threads())
    surface = surfaces.surface("himmelblau")
    hs = hypers([validate(OPT_FIELDS, {"kind": k}, "o") for k in KINDS])
    for h in hs:  # himmelblau needs small steps for the plain-gradient methods
        object.__setattr__(h, "lr", {"sgd": 0.005, "momentum": 0.002, "nesterov": 0.002}.get(h.kind, h.lr))
    side = int(round(a.starts ** 0.5))
    xs = np.linspace(-5, 5, side)
    X, Y = np.meshgrid(xs, xs)
    starts = np.stack([X.ravel(), Y.ravel()], 1)

    run(surface, hs, starts[:64], 5, a.device)  # warm-up
    if a.device == "cuda":
        torch.cuda.synchronize()
    t0 = time.perf_counter()
    batched = run(surface, hs, starts, a.steps, a.device)
    if a.device == "cuda":
        torch.cuda.synchronize()
    t_batched = time.perf_counter() - t0

    pick = np.linspace(0, len(starts) - 1, a.loop_sample).astype(int)
    t0 = time.perf_counter()
    looped = [run(surface, hs, starts[i:i + 1], a.steps, a.device)[:, 0] for i in pick]
    t_loop = (time.perf_counter() - t0) * len(starts) / len(pick)

    diff = float(np.nanmax(np.abs(np.stack(looped, 1) - batched[:, pick])))
    n = len(starts) * len(hs) * a.steps
    print(f"{len(starts):,} starts × {len(hs)} optimizers × {a.steps} steps on {a.device} ({torch.get_num_threads()} threads)")
    print(f"batched tensors : {t_batched:8.2f} s  ({n / t_batched / 1e6:.1f} M point-updates/s)")
    print(f"per-point loop  : {t_loop:8.2f} s  (estimated from {len(pick)} starts)")
    print(f"ratio           : {t_loop / t_batched:8.1f}× faster batched; largest difference {diff:.1e}")


if __name__ == "__main__":
    main()
