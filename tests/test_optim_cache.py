"""The optimizer lab's caches give the numbers and pictures a run without them gives.

A knob turn reuses what it does not touch: each optimizer's track (track.py) and swarm
(swarm.py's flocks) are shared between labs with the same settings. Each test here turns
one optimizer's α (or the start point), checks that the untouched parts really were shared,
and compares the frame with one computed after every cache was emptied.
"""

import json

import numpy as np
import pytest

from engine.optim import swarm, track
from engine.optim.lab import OptimLab
from scenarios import load


def frame_json(frame) -> str:
    return json.dumps(frame.to_json(), sort_keys=True)


def params(name: str, **changes) -> dict:
    p = OptimLab.validate(dict(load(name).params))
    return {**p, **changes}


def frame_at(p: dict, k: int):
    lab = OptimLab(OptimLab.validate(p), seed=0, device="cpu")
    for frame in lab.frames():
        if frame.index == k:
            return lab, lab.materialize(k)
    raise AssertionError(k)


def empty_caches() -> None:
    track._CACHE.clear()
    swarm._CACHE.clear()


def with_lr(p: dict, i: int, factor: float) -> dict:
    opts = [dict(o) for o in p["optimizers"]]
    opts[i]["lr"] *= factor
    return {**p, "optimizers": opts}


@pytest.mark.parametrize("name,k", [("optim-himmelblau-swarm", 12), ("optim-zigzag", 9)])
def test_a_turn_of_one_alpha_reuses_the_others_and_equals_a_run_without_caches(name, k):
    empty_caches()
    p = params(name)
    before, _ = frame_at(p, k)
    turned = with_lr(p, 1, 1.1)
    after, frame = frame_at(turned, k)
    # Shared: every optimizer's track and swarm but the turned one's.
    assert [a is b for a, b in zip(before.tracks, after.tracks)] == [True, False] + [True] * (len(after.tracks) - 2)
    assert [a is b for a, b in zip(before.flocks, after.flocks)] == ([True, False] + [True] * (len(after.flocks) - 2)
                                                                      if after.flocks else [])
    empty_caches()
    _, fresh = frame_at(turned, k)
    assert frame_json(frame) == frame_json(fresh)


def test_the_start_point_recomputes_every_track_and_no_swarm():
    empty_caches()
    p = params("optim-himmelblau-swarm")
    before, _ = frame_at(p, 8)
    moved = {**p, "start": [0.5, -0.5]}
    after, frame = frame_at(moved, 8)
    assert not any(a is b for a, b in zip(before.tracks, after.tracks))
    assert all(a is b for a, b in zip(before.flocks, after.flocks))  # the grid of starts does not move
    empty_caches()
    _, fresh = frame_at(moved, 8)
    assert frame_json(frame) == frame_json(fresh)


def test_a_flock_is_the_swarm_of_its_optimizer_alone():
    # Each optimizer's swarm is its own runner over the grid: the flock's summary at step k is
    # the basins of that optimizer's starts after k updates, computed here from a plain Race.
    from engine.optim.race import Race

    empty_caches()
    p = params("optim-himmelblau-swarm")
    lab, frame = frame_at(p, 10)
    cfg = lab.cfg
    race = Race(cfg.surface, cfg.hypers, swarm.starts(cfg.view, cfg.side), cfg.bound)
    for _ in range(10):
        race.step()
    pts = np.array([[q[1], q[2]] for q in cfg.points])
    for h, r in zip(cfg.hypers, race.runners):
        x = r.x.numpy()
        d = np.hypot(x[:, None, 0] - pts[None, :, 0], x[:, None, 1] - pts[None, :, 1])
        want = np.where(d.min(1) <= cfg.reach, d.argmin(1) + 1, 0)
        want = np.where(r.alive.numpy(), want, 255).reshape(cfg.side, cfg.side)
        assert np.array_equal(np.asarray(frame.values["swarm"]["basin"][h.name]), want)
    first = np.asarray(frame.values["swarm"]["basin"][cfg.hypers[0].name])
    for h in cfg.hypers:
        assert frame.values["swarm"]["differ"][h.name] == int((np.asarray(frame.values["swarm"]["basin"][h.name]) != first).sum())


def test_the_flock_cache_lets_go_of_what_it_cannot_hold(monkeypatch):
    empty_caches()
    monkeypatch.setattr(swarm, "CACHE_CELLS", 1)
    p = params("optim-himmelblau-swarm")
    frame_at(p, 3)
    assert len(swarm._CACHE) == 1  # the newest stays; the lab that made the others still holds them
