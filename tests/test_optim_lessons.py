"""Each optimizer scenario states a lesson in its description; its last frame must bear it out.

The numbers come from the frames (the standings, Distill's rates, the swarm's counts) and are
checked here against the claim and, where a closed form exists, against that form.
"""

from __future__ import annotations


import numpy as np
import pytest

from engine.core.fmt import num
from engine.session import Session
from scenarios import load


def last(name: str, **changes):
    scenario = load(name)
    if changes:
        scenario = scenario.with_params(**changes)
    session = Session(scenario, device="cpu")
    frame = session.finish()
    session.close()
    return scenario, frame


def test_zigzag_momentum_at_distills_optimum_beats_gd_at_its_best():
    scenario, frame = last("optim-zigzag")
    v = frame.values
    d, rates, s = v["distill"], v["distill"]["rates"], v["standings"]
    assert "(κ − 1)/(κ + 1) = 0.82" in scenario.description and "(√κ − 1)/(√κ + 1) = 0.52" in scenario.description
    # GD at α = 0.18 ≈ α* = 2/(λ1 + λ2): its rate is the closed form's, measured on the path.
    assert d["gd_step"] == pytest.approx(2 / 11) and abs(0.18 - d["gd_step"]) < 0.002
    assert rates["sgd"]["measured"] == pytest.approx(0.82, abs=0.005) == rates["sgd"]["predicted"]
    # momentum at Distill's α*, ρ* (rounded to 4 digits in the file): about (√κ − 1)/(√κ + 1)
    assert rates["momentum"]["predicted"] == pytest.approx(d["momentum_rate"], abs=0.01)
    assert rates["momentum"]["measured"] < 0.6 < rates["sgd"]["measured"]
    assert s["momentum"]["f"] < 1e-6 * s["sgd"]["f"]
    # the zig-zag: α·λ2 = 1.8 > 1, so y changes sign at every step
    ys = np.asarray(v["paths"]["sgd"])[:, 1]
    assert (np.sign(ys[1:]) == -np.sign(ys[:-1])).all()
    assert f"rate {num(rates['momentum']['measured'], 3)}/step" in frame.caption


def test_rosenbrock_momentum_reaches_the_valley_floor_while_sgd_crawls():
    scenario, frame = last("optim-rosenbrock")
    s = frame.values["standings"]
    assert tuple(frame.values["points"][0][1:]) == (1.0, 1.0)
    assert s["momentum"]["since"] is not None and s["momentum"]["since"] <= 120 and s["momentum"]["distance"] < 0.11
    assert s["sgd"]["distance"] > 2 and s["sgd"]["since"] is None and s["sgd"]["diverged_at"] is None
    assert f"momentum: f = {num(s['momentum']['f'])}, within 0.11 of min (1, 1) since step {s['momentum']['since']}" \
        in frame.caption
    assert f"sgd: f = {num(s['sgd']['f'])}, {num(s['sgd']['distance'], 3)} from min (1, 1)" in frame.caption
    # "α = 0.0025 diverges within 5 steps": the walls are that steep
    optimizers = [dict(o) for o in scenario.params["optimizers"]]
    optimizers[0]["lr"] = 0.0025
    _, faster = last("optim-rosenbrock", optimizers=optimizers)
    assert faster.values["standings"]["sgd"]["diverged_at"] <= 5
    assert "α = 0.0025 diverges within 5 steps" in scenario.description


def test_saddle_sgd_creeps_momentum_and_adam_escape_noise_knocks_sgd_off():
    scenario, frame = last("optim-saddle")
    s, state = frame.values["standings"], frame.values["state"]
    # plain SGD: y_k = 0.01·(1 + 2α)ᵏ = 0.01·1.1⁵⁰, by hand
    assert state["sgd"]["x"][1] == pytest.approx(0.01 * 1.1 ** 50, rel=1e-9)
    assert s["sgd"]["diverged_at"] is None
    assert s["momentum"]["diverged_at"] < 30 and s["adam"]["diverged_at"] < 30
    assert abs(state["noisy sgd"]["x"][1]) > abs(state["sgd"]["x"][1])
    assert "momentum: diverged at step" in frame.caption and "1 + 2α = 1.1" in scenario.description


def test_conventions_agree_until_alpha_drops():
    _, frame = last("optim-conventions")
    pair = frame.values["pair"]
    a, b = (np.asarray(p) for p in frame.values["paths"].values())
    assert pair["same_until"] == 14 and np.abs(a[:15] - b[:15]).max() < 1e-12 < 1e-3 < np.abs(a[15] - b[15]).max()
    assert pair["gap"] > 0.3 and pair["gap"] == pytest.approx(float(np.hypot(*(a[-1] - b[-1]))))
    assert f"the same path to step 14, {num(pair['gap'], 3)} apart at step 30" in frame.caption


def test_plateau_the_adaptive_methods_reach_the_minimum_sgd_crawls():
    _, frame = last("optim-plateau")
    s = frame.values["standings"]
    for name in ("adagrad", "rmsprop", "adam"):
        assert s[name]["since"] is not None and s[name]["f"] < 1e-3
    for name in ("sgd", "momentum"):
        assert s[name]["f"] > 0.999 and s[name]["since"] is None


def test_formula_momentum_rolls_over_the_bump_sgd_and_adam_stop_in_the_dip():
    scenario, frame = last("optim-formula")
    s, points = frame.values["standings"], frame.values["points"]
    lowest, dip = points[s["momentum"]["point"]], points[s["sgd"]["point"]]
    assert lowest[1] == pytest.approx(-0.471) and dip[1] == pytest.approx(1.408)
    assert s["momentum"]["since"] is not None and s["sgd"]["since"] is not None
    assert s["adam-bc"]["point"] == s["sgd"]["point"] and s["adam-bc"]["since"] is not None
    assert s["momentum"]["f"] == pytest.approx(-0.438, abs=0.002) and s["sgd"]["f"] == pytest.approx(0.054, abs=0.001)
    # both points are where f is lowest around them: the gradient vanishes there (the path came to rest)
    assert s["sgd"]["grad_norm"] < 1e-6
    assert "(1.41, 0) where f = 0.054" in scenario.description and "f = −0.438" in scenario.description


def test_himmelblau_swarm_basins_depend_on_the_optimizer():
    _, frame = last("optim-himmelblau-swarm")
    sw = frame.values["swarm"]
    basin = {k: np.asarray(v) for k, v in sw["basin"].items()}
    for name in ("momentum", "adam-bc"):
        differ = int((basin[name] != basin["sgd"]).sum())
        assert differ == sw["differ"][name] and differ > 0.05 * sw["starts"]
        assert f"under {name}, {differ} of 900 starts end in another basin than under sgd" in frame.caption
    assert all(sum(c) == sw["starts"] for c in sw["counts"].values())
    # every minimum is reached from some start by every optimizer
    assert all(min(c[1:5]) > 0 for c in sw["counts"].values())


def test_every_optimizer_scenario_has_its_lesson_checked_here():
    """A new optimizer scenario needs its claim checked here too."""
    from scenarios import bundled

    optim = {info.name for info in bundled() if load(info.name).lab == "optim"}
    checked = {"optim-" + k.split("_")[1] for k in globals() if k.startswith("test_")}
    assert {"optim-zigzag", "optim-rosenbrock"} <= checked
    missing = {n for n in optim if not any(n.startswith(c) for c in checked)}
    assert not missing, missing
