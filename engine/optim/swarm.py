"""Swarm mode: a side × side grid of starts over the view, every optimizer batched over all of them.

Each frame says where each start is now, as a basin label per start: i + 1 = within reach
of points[i] (the nearest, within `reach`), 0 = elsewhere, DIVERGED = diverged. There are
at most MAX_POINTS (64) points, so a point's label is never DIVERGED (255).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .config import DIVERGED, OptimConfig
from .race import Race

SAMPLE = 144  # current positions of this many swarm starts go into each frame


def starts(view: tuple[float, float, float, float], side: int) -> np.ndarray:
    """side × side starts at cell centres of the view, row 0 at the top (largest y), row-major: (side², 2)."""
    xmin, xmax, ymin, ymax = view
    xs = xmin + (np.arange(side) + 0.5) * (xmax - xmin) / side
    ys = ymax - (np.arange(side) + 0.5) * (ymax - ymin) / side
    X, Y = np.meshgrid(xs, ys)
    return np.stack([X.ravel(), Y.ravel()], axis=1)


class Swarm:
    """The grid of starts racing, one update of every optimizer per `step()`."""

    def __init__(self, cfg: OptimConfig, device: str, seed: int) -> None:
        self.cfg = cfg
        self.race = Race(cfg.surface, cfg.hypers, starts(cfg.view, cfg.side), cfg.bound, device, seed)

    def step(self) -> None:
        self.race.step()

    def values(self) -> dict[str, Any]:
        cfg, n = self.cfg, self.cfg.side
        pts = np.array([[q[1], q[2]] for q in cfg.points] or [[np.inf, np.inf]])  # (P, 2)
        stride = max(1, (n * n) // SAMPLE)
        basin, counts, sample, diverged = {}, {}, {}, {}
        for h, r in zip(cfg.hypers, self.race.runners):
            # In numpy: a few thousand distances are below what torch's threads pay off for.
            x, alive = r.x.cpu().numpy(), r.alive.cpu().numpy()
            with np.errstate(all="ignore"):
                d = np.hypot(x[:, None, 0] - pts[None, :, 0], x[:, None, 1] - pts[None, :, 1])  # (side², P)
            which = np.argmin(np.where(np.isnan(d), np.inf, d), axis=1)
            near = d[np.arange(len(x)), which]
            label = np.where(near <= cfg.reach, which + 1, 0)
            lab = np.where(alive, label, DIVERGED).astype(np.int16).reshape(n, n)
            basin[h.name] = lab
            counts[h.name] = [int((lab == i).sum()) for i in range(len(cfg.points) + 1)] + [int((lab == DIVERGED).sum())]
            sample[h.name] = x[::stride]
            diverged[h.name] = int((~alive).sum())
        # How many starts end somewhere else than under the first optimizer: the basins are the optimizer's too.
        first = basin[cfg.hypers[0].name]
        differ = {name: int((lab != first).sum()) for name, lab in basin.items()}
        return {"side": n, "starts": n * n, "reach": cfg.reach, "basin": basin, "counts": counts,
                "sample": sample, "diverged": diverged, "differ": differ}
