"""The optimizer lab's caches give the numbers and pictures a run without them gives.

A knob turn reuses what it does not touch: each optimizer's track (track.py) and swarm
(swarm.py's flocks) are shared between labs with the same settings. Each test here turns
one optimizer's α (or the start point), checks that the untouched parts really were shared,
and compares the frame with one computed after every cache was emptied. A track runs its
rule in numpy and hands torch.optim its gradient where both stand on the same bits: the
numbers are those of a torch runner and a reference that computes everything itself.
"""

import json

import numpy as np
import pytest

from engine.core.knobs import with_value
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
    monkeypatch.setattr(swarm, "CACHE_BYTES", 1)
    p = params("optim-himmelblau-swarm")
    frame_at(p, 3)
    assert len(swarm._CACHE) == 1  # the newest stays; the lab that made the others still holds them


@pytest.mark.parametrize("steps", [60, 2000])
def test_a_flocks_size_is_the_memory_it_holds(steps):
    """The cache's budget counts what a flock really holds (its summaries' samples and
    counts, its runner), measured here by tracemalloc, within a factor of 1.6 either way: a
    budget of basin labels alone let a long small swarm grow memory by gigabytes."""
    import tracemalloc

    from engine.optim.config import plan

    raw = params("optim-himmelblau-swarm")
    if steps != 60:
        raw = {**raw, "steps": steps, "swarm": 1}
    cfg = plan(OptimLab.validate(raw))
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        flock = swarm.Flock(cfg, cfg.hypers[0], "cpu", 0, 0)
        flock.ensure(cfg.steps)
        held = tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()
    assert held / 1.6 <= flock.nbytes <= held * 1.6, (held, flock.nbytes)


# --- the map: the contours are kept, the cells drawn all at once ---------------------------------------------


def cell_by_cell(canvas, styles, ground) -> list[list[tuple[str, object]]]:
    """What each cell shows, worked out one cell at a time: a mark, else the dots, else the ground."""
    out = []
    for r in range(canvas.rows):
        row = []
        for c in range(canvas.cols):
            ch, bg = ground.chars[r, c], ground.styles[ground.ids[r, c]]
            if (r, c) in canvas.marks:
                text, st = canvas.marks[(r, c)]
                row.append((text, bg + st))
            elif canvas.bits[r, c]:
                row.append((chr(0x2800 + int(canvas.bits[r, c])), bg + styles[canvas.owner[r, c]]))
            else:
                row.append((ch, bg))
        out.append(row)
    return out


def drawn(lines) -> list[list[tuple[str, object]]]:
    return [[(ch, seg.style) for seg in row for ch in seg.text] for row in lines]


@pytest.mark.parametrize("name,step,view", [("optim-zigzag", 20, {}), ("optim-rosenbrock", 75, {"zoom": 2.25}),
                                             ("optim-himmelblau-swarm", 30, {"selected": 1, "pan": (0.3, 0.1)})])
def test_the_map_is_every_cell_as_worked_out_alone(name, step, view, monkeypatch):
    from tui_lab.render import canvas as cv
    from tui_lab.render import optim as r

    empty_caches()
    _, frame = frame_at(params(name), step)
    v = frame.values
    seen = {}

    def keep(self, styles, ground):
        seen["want"] = cell_by_cell(self, styles, ground)
        seen["ground"] = ground
        return lines(self, styles, ground)

    lines = cv.Canvas.lines
    monkeypatch.setattr(cv.Canvas, "lines", keep)
    r._contours.cache_clear()
    first = r.surface_map(v, 60, 16, view)
    assert drawn(first.rows) == seen["want"]
    again = r.surface_map(v, 60, 16, view)  # the contours from the cache: the same picture
    assert drawn(again.rows) == drawn(first.rows)
    # The ground: bands with their level lines, and in swarm mode each cell's basin.
    ground, win = seen["ground"], r.window(list(v["view"]), view)
    B = r.bands(r.surfaces.grid(v["surface"]["formula"], win, 60, 16))
    for i, j in [(0, 0), (7, 30), (15, 59), (3, 12)]:
        below = [B[a, b] for a, b in ((i, j - 1), (i, j + 1), (i - 1, j), (i + 1, j)) if 0 <= a < 16 and 0 <= b < 60]
        ch = ground.chars[i, j]
        if "swarm" in v:
            sw = v["swarm"]
            n, (xmin, xmax, ymin, ymax) = sw["side"], v["view"]
            gi = int(np.floor((ymax - (win[3] - (i + 0.5) * (win[3] - win[2]) / 16)) / (ymax - ymin) * n))
            gj = int(np.floor((win[0] + (j + 0.5) * (win[1] - win[0]) / 60 - xmin) / (xmax - xmin) * n))
            if 0 <= gi < n and 0 <= gj < n:
                label = int(np.asarray(sw["basin"][v["optimizers"][1]["name"]])[gi, gj])
                assert ch == ("×" if label == 255 else str(label) if 0 < label < 10 else " ")
                continue
        assert ch == ("·" if any(b < B[i, j] for b in below) else " ")


# --- a track: its rule in numpy, its gradient from the formula's own derivative ----------------------------


@pytest.mark.parametrize("name", ["optim-plateau", "optim-rosenbrock", "optim-saddle", "optim-conventions"])
def test_a_track_is_a_torch_runner_and_each_check_one_torch_optim_step_from_it(name):
    # The track runs its rule in numpy on the formula's own derivative; here the runner is torch's
    # (autograd, torch's arithmetic), and each step's check is recomputed from that runner's state
    # before the update: one torch.optim step, whose position and state the check's must be.
    import torch

    from engine.optim import reference, rules
    from engine.optim.race import Runner

    cfg = OptimLab(OptimLab.validate(dict(load(name).params)), seed=0, device="cpu").cfg
    steps = min(cfg.steps, 60)
    checked = 0
    for i, h in enumerate(cfg.hypers):
        empty_caches()
        t = track.track(cfg.surface, h, cfg.start, cfg.bound, "cpu", 0, i)
        t.ensure(steps)
        runner = Runner(cfg.surface, h, np.array([cfg.start]), cfg.bound, "cpu", 0, i)
        assert isinstance(runner.x, torch.Tensor)
        for k in range(1, steps + 1):
            x, state, alive = runner.x.clone(), dict(runner.state), bool(runner.alive[0])
            runner.step()
            scale = 1e-12 * max(1.0, *map(abs, t.steps[k].x))
            assert np.allclose(t.steps[k].x, runner.x[0].tolist(), rtol=0, atol=scale)
            assert np.isclose(t.steps[k].loss, float(runner.loss[0]), rtol=1e-12, atol=1e-12)
            for key, v in runner.state.items():
                assert np.allclose(t.steps[k].state[key], v[0].tolist(), rtol=1e-12, atol=1e-12)
            found = t.check(k)
            if t.unchecked or not (alive and bool(runner.last["moved"][0])):
                assert found is None
                continue
            noise = None if runner.last["noise"] is None else runner.last["noise"][:1]
            p, theirs = reference.step(cfg.surface, h, k, x, reference.torch_state(h, {n: v[0].tolist() for n, v in state.items()}, k, "cpu"), noise)
            assert np.allclose(found.ref_x, p[0].tolist(), rtol=0, atol=scale)
            for key, v in reference.lab_state(h, theirs, k).items():
                assert np.allclose(found.ref_state[key], v, rtol=1e-12, atol=1e-12)
            assert set(found.ref_state) == set(rules.rule(h).state)
            assert found.diff <= 1e-9 * max(1.0, *map(abs, t.steps[k].x))
            checked += 1
    assert checked


def test_a_turn_computes_updates_only_and_each_shown_frame_one_check_per_optimizer(monkeypatch):
    from engine.optim import reference

    calls = []
    real = reference.step
    monkeypatch.setattr(reference, "step", lambda *a, **kw: calls.append(a[2]) or real(*a, **kw))
    empty_caches()
    lab = OptimLab(params("optim-rosenbrock", start=[-1.4, 2.1]), seed=0, device="cpu")
    for t in lab.tracks:
        t.ensure(75)
    assert calls == []
    frame = lab.materialize(75)
    checked = [t for t in lab.tracks if not t.unchecked]
    assert calls == [75] * len(checked) and checked
    assert frame.values["check"]["ok"]
    lab.materialize(75)
    lab.materialize(74)
    assert calls == [75] * len(checked) + [74] * len(checked)  # kept: built again, checked once


def test_a_wrong_state_fails_the_check_at_its_own_step(monkeypatch):
    # A rule whose position is right but whose momentum buffer is off: the frame of that very
    # update fails, before the position follows it one update later.
    from engine.optim import rules

    good = rules.RULES[("momentum", "pytorch")]

    def update(h, x, g, s, t, lr):
        x_new, s_new = good.update(h, x, g, s, t, lr)
        return x_new, ({"v": s_new["v"] * (1.001 if t == 3 else 1.0)})

    monkeypatch.setitem(rules.RULES, ("momentum", "pytorch"), rules.Rule(
        "momentum", "pytorch", good.title, good.lines, good.state, update, "SGD"))
    empty_caches()
    try:  # the broken track must not stay in the cache for other tests
        lab = OptimLab(OptimLab.validate({"surface": "bowl", "steps": 5, "start": [1.5, -0.7],
                                          "optimizers": [{"kind": "momentum", "lr": 0.05}]}), seed=0, device="cpu")
        oks = [lab.materialize(k).values["check"]["ok"] for k in range(6)]
    finally:
        empty_caches()
    assert oks == [True, True, True, False, True, True]


@pytest.mark.parametrize("which", [0, 1])
def test_a_swarm_turn_says_how_its_headline_changed(which):
    """Turning an optimizer's α in a swarm scenario: the note gives the swarm's headline (how
    many starts end in another basin than under the first optimizer) before → after, the
    numbers each scenario's own frame at that step holds (a fresh session with the value set)."""
    from engine.session import Session
    from scenarios import load

    base = Session(load("optim-himmelblau-swarm"), device="cpu")
    k = 30
    base.stepper.ensure(k)
    base.index = k
    knob = [kn for kn in base.knobs() if kn.label.endswith(" α")][which]
    value = knob.turned(base.knob_value(knob), 1, True)
    turned = base.turned(knob.key, value)
    note = turned.lab.change_note(base.lab)
    fresh = Session(base.scenario.with_params(**with_value(base.scenario.params, knob.key, value)), device="cpu")
    fresh.stepper.ensure(k)
    old, new = base.stepper.frames[k].values["swarm"], fresh.stepper.frames[k].values["swarm"]
    names = [h.name for h in base.lab.cfg.hypers]
    shown = names[1:] if which == 0 else [names[which]]
    for n in shown:
        if old["differ"][n] != new["differ"][n]:
            assert f"{n} {old['differ'][n]} → {new['differ'][n]}" in note, note
        else:
            assert f"{n} {old['differ'][n]} →" not in note, note
    assert f"of {new['starts']} starts end in another basin than under {names[0]}" in note
    assert old["differ"] != new["differ"]  # the turn changed the headline: the note is not trivially equal
