"""The optimizer lab against independent references: torch.optim, the slide's own loop, Distill, numpy."""

from __future__ import annotations

import io
import json
import math

import numpy as np
import pytest
import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rich.console import Console

from engine.core.fmt import num
from engine.core.params import ParamError, validate
from engine.optim import rules, surfaces, swarm
from engine.optim.formula import evaluate, parse
from engine.optim.config import OPT_FIELDS, hypers
from engine.optim.distill import closed_forms, measured_rate, predicted_rate
from engine.optim.lab import OptimLab
from engine.optim.race import Race

STEPS = 200


def opt(kind: str, **kw) -> dict:
    return validate(OPT_FIELDS, {"kind": kind, **kw}, "params.optimizers[0]")


def run_race(formula: str, o: dict, start, steps: int, bound: float = 1e12) -> np.ndarray:
    """Our path, (steps + 1, 2)."""
    surf = surfaces.Surface("formula", formula, (-1, 1, -1, 1), tuple(start))
    race = Race(surf, hypers([o]), np.array([start]), bound)
    path = [race.runners[0].x[0].tolist()]
    for _ in range(steps):
        race.step()
        path.append(race.runners[0].x[0].tolist())
    return np.array(path)


def run_torch(formula: str, make, start, steps: int, lr_change=None, state: bool = False):
    """torch.optim's path on the same surface, (steps + 1, 2) (and with `state`, the class's state after it)."""
    tree = parse(formula)
    p = torch.tensor(start, dtype=torch.float64, requires_grad=True)
    optimizer = make([p])
    path = [p.detach().tolist()]
    for t in range(1, steps + 1):
        if lr_change and t == lr_change[0]:
            for group in optimizer.param_groups:
                group["lr"] = lr_change[1]
        optimizer.zero_grad()
        evaluate(tree, p[0], p[1], torch).backward()
        optimizer.step()
        path.append(p.detach().tolist())
    return (np.array(path), optimizer.state[p]) if state else np.array(path)


# Random smooth surfaces: a positive-definite quadratic plus a small ripple, minimum near a random centre.
surfaces_st = st.tuples(
    st.floats(0.5, 4.0), st.floats(0.5, 4.0), st.floats(-0.4, 0.4),  # a, c, b of a·u² + b·u·v + c·v²
    st.floats(-1.0, 1.0), st.floats(-1.0, 1.0), st.floats(0.0, 0.2),  # centre, ripple amplitude
).map(lambda t: f"{t[0]!r}*(x - {t[3]!r})**2 + {t[2]!r}*(x - {t[3]!r})*(y - {t[4]!r}) + {t[1]!r}*(y - {t[4]!r})**2"
              f" + {t[5]!r}*sin(x)*cos(y)")
starts_st = st.tuples(st.floats(-2.0, 2.0), st.floats(-2.0, 2.0)).map(list)
FAST = settings(max_examples=6, deadline=None, derandomize=True, database=None, suppress_health_check=[HealthCheck.too_slow])


def close(ours: np.ndarray, theirs: np.ndarray) -> None:
    assert ours.shape == theirs.shape
    assert np.max(np.abs(ours - theirs)) <= 1e-9, np.max(np.abs(ours - theirs))


@FAST
@given(surfaces_st, starts_st, st.floats(0.001, 0.1))
def test_sgd_matches_torch(formula, start, lr):
    close(run_race(formula, opt("sgd", lr=lr), start, STEPS),
          run_torch(formula, lambda p: torch.optim.SGD(p, lr=lr), start, STEPS))


@FAST
@given(surfaces_st, starts_st, st.floats(0.001, 0.1), st.floats(0.0, 0.95), st.sampled_from(["pytorch", "sutskever"]))
def test_momentum_matches_torch(formula, start, lr, rho, convention):
    close(run_race(formula, opt("momentum", lr=lr, rho=rho, convention=convention), start, STEPS),
          run_torch(formula, lambda p: torch.optim.SGD(p, lr=lr, momentum=rho), start, STEPS))


@FAST
@given(surfaces_st, starts_st, st.floats(0.001, 0.1), st.floats(0.05, 0.95), st.sampled_from(["lecture", "pytorch"]))
def test_nesterov_matches_torch(formula, start, lr, rho, convention):
    close(run_race(formula, opt("nesterov", lr=lr, rho=rho, convention=convention), start, STEPS),
          run_torch(formula, lambda p: torch.optim.SGD(p, lr=lr, momentum=rho, nesterov=True), start, STEPS))


@FAST
@given(surfaces_st, starts_st, st.floats(0.01, 0.5), st.floats(1e-10, 1e-6))
def test_adagrad_matches_torch(formula, start, lr, eps):
    close(run_race(formula, opt("adagrad", lr=lr, eps=eps), start, STEPS),
          run_torch(formula, lambda p: torch.optim.Adagrad(p, lr=lr, eps=eps), start, STEPS))


@FAST
@given(surfaces_st, starts_st, st.floats(0.001, 0.05), st.floats(0.8, 0.999), st.floats(1e-10, 1e-6))
def test_rmsprop_matches_torch(formula, start, lr, decay, eps):
    close(run_race(formula, opt("rmsprop", lr=lr, decay=decay, eps=eps), start, STEPS),
          run_torch(formula, lambda p: torch.optim.RMSprop(p, lr=lr, alpha=decay, eps=eps), start, STEPS))


@FAST
@given(surfaces_st, starts_st, st.floats(0.001, 0.05), st.floats(0.5, 0.95), st.floats(0.9, 0.9999))
def test_bias_corrected_adam_matches_torch(formula, start, lr, b1, b2):
    close(run_race(formula, opt("adam", lr=lr, beta1=b1, beta2=b2, eps=1e-8, bias_correction=True), start, STEPS),
          run_torch(formula, lambda p: torch.optim.Adam(p, lr=lr, betas=(b1, b2), eps=1e-8), start, STEPS))


def test_pytorch_momentum_matches_torch_through_an_lr_change():
    formula, start = "x**2 + 3*y**2", [1.5, -1.0]
    ours = run_race(formula, opt("momentum", lr=0.05, rho=0.9, convention="pytorch", lr_change=[20, 0.01]), start, 60)
    theirs = run_torch(formula, lambda p: torch.optim.SGD(p, lr=0.05, momentum=0.9), start, 60, lr_change=(20, 0.01))
    close(ours, theirs)


def test_conventions_agree_until_the_learning_rate_changes():
    formula, start = "x**2 + 3*y**2", [1.5, -1.0]
    a = run_race(formula, opt("momentum", lr=0.05, convention="pytorch", lr_change=[20, 0.01]), start, 60)
    b = run_race(formula, opt("momentum", lr=0.05, convention="sutskever", lr_change=[20, 0.01]), start, 60)
    assert np.max(np.abs(a[:20] - b[:20])) < 1e-12
    # After α drops, Sutskever's v (which holds α) keeps the old step size in its memory; PyTorch's does not.
    assert np.max(np.abs(a[21:] - b[21:])) > 1e-3


def slide_adam(compute_gradient, start, lr, b1, b2, eps, steps) -> np.ndarray:
    """The slide's code, line for line, in numpy: (steps + 1, 2)."""
    x = np.array(start)
    first_moment = np.zeros(2)
    second_moment = np.zeros(2)
    path = [x.copy()]
    for _ in range(steps):
        dx = compute_gradient(x)
        first_moment = b1 * first_moment + (1 - b1) * dx
        second_moment = b2 * second_moment + (1 - b2) * dx * dx
        x = x - lr * first_moment / (np.sqrt(second_moment) + eps)
        path.append(x.copy())
    return np.array(path)


def rosenbrock_gradient(x):  # by hand
    return np.array([-2 * (1 - x[0]) - 400 * x[0] * (x[1] - x[0] ** 2), 200 * (x[1] - x[0] ** 2)])


def test_slide_adam_against_the_slides_loop():
    formula, start, lr, b1, b2, eps = "(1 - x)**2 + 100*(y - x**2)**2", [-1.2, 1.0], 0.01, 0.9, 0.999, 1e-8
    ours = run_race(formula, opt("adam", lr=lr, beta1=b1, beta2=b2, eps=eps), start, STEPS)
    close(ours, slide_adam(rosenbrock_gradient, start, lr, b1, b2, eps, STEPS))


def test_lecture_nesterov_code_by_hand():
    """The lecture's Nesterov lines on f = x² + y², two steps worked in numpy."""
    ours = run_race("x**2 + y**2", opt("nesterov", lr=0.1, rho=0.5), [1.0, 2.0], 2)
    x, v, rho, lr = np.array([1.0, 2.0]), np.zeros(2), 0.5, 0.1
    for k in (1, 2):
        dx = 2 * x
        old_v = v
        v = rho * v - lr * dx
        x = x + -rho * old_v + (1 + rho) * v
        assert np.allclose(ours[k], x, rtol=0, atol=1e-15)


# --- Distill ------------------------------------------------------------------------------------------


def test_distill_closed_forms_by_hand():
    d = closed_forms((1.0, 100.0))  # κ = 100, √κ = 10
    assert d["kappa"] == 100
    assert d["gd_step"] == pytest.approx(2 / 101, abs=1e-15)
    assert d["gd_rate"] == pytest.approx(99 / 101, abs=1e-15)
    assert d["momentum_step"] == pytest.approx((2 / 11) ** 2, abs=1e-15)
    assert d["momentum_rho"] == pytest.approx((9 / 11) ** 2, abs=1e-15)
    assert d["momentum_rate"] == pytest.approx(9 / 11, abs=1e-15)


def test_measured_rate_equals_the_closed_form_for_optimal_gd():
    # With α* = 2/(λ1 + λ2), both directions contract by exactly (κ − 1)/(κ + 1) per step.
    eig = (1.0, 10.0)
    forms = closed_forms(eig)
    path = run_race("(1*x**2 + 10*y**2)/2", opt("sgd", lr=forms["gd_step"]), [-4.0, 2.0], 30)
    assert measured_rate(path, (0.0, 0.0)) == pytest.approx(forms["gd_rate"], abs=1e-12)
    assert predicted_rate(hypers([opt("sgd", lr=forms["gd_step"])])[0], eig) == pytest.approx(forms["gd_rate"], abs=1e-15)


def test_optimal_momentum_rate_is_predicted():
    eig = (1.0, 10.0)
    forms = closed_forms(eig)
    h = hypers([opt("momentum", lr=forms["momentum_step"], rho=forms["momentum_rho"])])[0]
    assert predicted_rate(h, eig) == pytest.approx(forms["momentum_rate"], abs=1e-6)
    path = run_race("(1*x**2 + 10*y**2)/2", opt("momentum", lr=h.lr, rho=h.rho), [-4.0, 2.0], 200)
    # Critically damped: the rate is approached from above as the polynomial factor fades.
    assert forms["momentum_rate"] - 1e-9 <= measured_rate(path, (0.0, 0.0)) < forms["momentum_rate"] + 0.02


# --- the formula parser --------------------------------------------------------------------------------


@pytest.mark.parametrize("text,x,y,want", [
    ("x**2 + 10*y**2", 2.0, 1.0, 14.0),
    ("-x**2", 3.0, 0.0, -9.0),
    ("2**-1 + y", 0.0, 1.0, 1.5),
    ("sin(x)*cos(y) + exp(0) + log(e) + sqrt(4) + tanh(0) + abs(-3)", 0.5, 0.25, math.sin(0.5) * math.cos(0.25) + 7),
    ("(x + y) / 2 * pi", 1.0, 1.0, math.pi),
    ("2 ** 3 ** 2", 0.0, 0.0, 512.0),
    ("1.5e1 + .5", 0.0, 0.0, 15.5),
])
def test_parser_evaluates_the_whitelist(text, x, y, want):
    tree = parse(text)
    assert float(evaluate(tree, np.array(x), np.array(y), np)) == pytest.approx(want, rel=1e-15)
    t = evaluate(tree, torch.tensor(x, dtype=torch.float64), torch.tensor(y, dtype=torch.float64), torch)
    assert float(t) == pytest.approx(want, rel=1e-15)


@pytest.mark.parametrize("text,message", [
    ("__import__('os')", "unknown name '__import__'"),
    ("x.__class__", "attribute access ('.') is not allowed"),
    ("(1).real", "attribute access"),
    ("z + 1", "unknown name 'z'"),
    ("open(x)", "unknown name 'open'"),
    ("x^2", "write x**2"),
    ("lambda: 1", "unknown name 'lambda'"),
    ("x[0]", "indexing"),
    ("sin(x, y)", "one argument"),
    ("sin x", "must be called"),
    ("(x + 1", "missing ')'"),
    ("x +", "ends too early"),
    ("", "empty"),
    ("x y", "unexpected 'y'"),
    ("(" * 50 + "x" + ")" * 50, "nests more than"),
    ("x" + "+x" * 200, "at most 300"),
])
def test_parser_rejects_everything_else(text, message):
    with pytest.raises(ParamError) as info:
        parse(text)
    assert info.value.key == "params.formula"
    assert message in info.value.message
    assert "\n" not in str(info.value)


def test_gradient_of_a_formula_is_autograd_of_the_same_function():
    surf = surfaces.surface("himmelblau")
    xy = torch.tensor([[0.3, -1.2], [2.0, 2.5]], dtype=torch.float64)
    from engine.optim.race import loss_and_grad

    f, g = loss_and_grad(surf, xy)
    x, y = xy[:, 0], xy[:, 1]
    gx = 4 * x * (x**2 + y - 11) + 2 * (x + y**2 - 7)  # by hand
    gy = 2 * (x**2 + y - 11) + 4 * y * (x + y**2 - 7)
    assert torch.allclose(g, torch.stack([gx, gy], 1), rtol=0, atol=1e-12)
    assert torch.allclose(f, (x**2 + y - 11) ** 2 + (x + y**2 - 7) ** 2, rtol=0, atol=1e-12)


# --- the lab: frames, the JSON contract, divergence, swarm ---------------------------------------------


def lab(**params) -> OptimLab:
    return OptimLab(OptimLab.validate(params), seed=params.pop("_seed", 0) if "_seed" in params else 0, device="cpu")


def all_frames(lab_: OptimLab) -> list:
    return list(lab_.frames())


def test_frames_follow_the_json_contract():
    lb = lab(surface="rosenbrock", start=[-1.2, 1.0], steps=12,
             optimizers=[{"kind": "sgd", "lr": 0.001}, {"kind": "adam", "name": "my adam", "lr": 0.05}])
    frames = all_frames(lb)
    assert [f.index for f in frames] == list(range(13)) and lb.length() == 13
    for f in frames:
        record = json.loads(json.dumps(f.to_json(), allow_nan=False))
        paths, loss = record["values"]["paths"], record["values"]["loss"]
        assert list(paths) == ["sgd", "my adam"] and list(loss) == ["sgd", "my adam"]
        for name in paths:
            assert paths[name][0] == [-1.2, 1.0]
            assert len(paths[name]) == f.index + 1 == len(loss[name])
            xy = np.array(paths[name])
            want = (1 - xy[:, 0]) ** 2 + 100 * (xy[:, 1] - xy[:, 0] ** 2) ** 2  # the loss, recomputed in numpy
            assert np.allclose(loss[name], want, rtol=1e-13, atol=0)
    # Frames hold frozen copies: later steps did not change earlier frames.
    assert np.asarray(frames[3].values["paths"]["sgd"]).shape == (4, 2)
    with pytest.raises(ValueError):
        np.asarray(frames[3].values["paths"]["sgd"])[0, 0] = 5.0
    assert frames[-2].caption.startswith("step 11: sgd f = ")
    assert frames[-1].caption.startswith("after 12 steps: ")


def test_the_path_is_the_update_rule_applied_by_hand():
    # Bowl f = (x² + 10y²)/2, SGD α = 0.1: x_k = 0.9ᵏ·x0, y_k = 0ᵏ·y0 (α·λ2 = 1).
    frames = all_frames(lab(surface="bowl", eigenvalues=[1, 10], start=[2, 1], steps=5, optimizers=[{"kind": "sgd", "lr": 0.1}]))
    path = np.asarray(frames[-1].values["paths"]["sgd"])
    assert np.allclose(path[:, 0], 2 * 0.9 ** np.arange(6), rtol=1e-15)
    assert np.allclose(path[1:, 1], 0, atol=1e-15)
    rule = frames[1].values["state"]["sgd"]["rule"]
    assert rule[1] == "x ← x − α∇f = (2, 1) − 0.1·(2, 10) = (1.8, 0)"


def test_divergence_freezes_one_optimizer_and_the_others_go_on():
    frames = all_frames(lab(surface="bowl", eigenvalues=[1, 10], start=[-4, 2], steps=30, bound=100,
                            optimizers=[{"kind": "sgd", "lr": 0.25, "name": "too fast"}, {"kind": "sgd", "lr": 0.1}]))
    last = frames[-1].values
    k = last["state"]["too fast"]["diverged_at"]
    # |1 − 0.25·10| = 1.5 per step in y: 2·1.5ᵏ passes 100 first at k = 10.
    assert k == 10 == math.ceil(math.log(50) / math.log(1.5))
    assert last["state"]["too fast"]["status"] == "diverged at step 10"
    assert "too fast diverged at step 10" in frames[-2].caption
    assert "too fast: diverged at step 10" in frames[-1].caption
    assert len(last["paths"]["too fast"]) == 11  # the start plus ten steps, the last one past the bound
    assert abs(last["paths"]["too fast"][-1][1]) > 100
    assert last["state"]["sgd"]["diverged_at"] is None and len(last["paths"]["sgd"]) == 31
    assert "too fast" in frames[10].highlight["diverged"]


def test_nan_is_divergence_too():
    frames = all_frames(lab(formula="sqrt(x) + y**2", start=[1, 1], view=[-2, 2, -2, 2], steps=5,
                            optimizers=[{"kind": "sgd", "lr": 3.0}]))
    st_ = frames[-1].values["state"]["sgd"]
    assert st_["diverged_at"] == 1
    assert json.loads(json.dumps(frames[-1].to_json(), allow_nan=False))  # still valid JSON


def test_noise_is_seeded():
    def path(seed):
        params = OptimLab.validate(dict(surface="bowl", steps=10, optimizers=[{"kind": "sgd", "lr": 0.05, "noise": 1.0},
                                                                               {"kind": "sgd", "name": "clean", "lr": 0.05}]))
        return all_frames(OptimLab(params, seed=seed))[-1].values
    a, b, c = path(1), path(1), path(2)
    assert np.array_equal(a["paths"]["sgd"], b["paths"]["sgd"])
    assert not np.array_equal(a["paths"]["sgd"], c["paths"]["sgd"])
    assert np.array_equal(a["paths"]["clean"], c["paths"]["clean"])


def test_swarm_is_the_same_as_one_start_at_a_time():
    lb = lab(surface="himmelblau", steps=40, swarm=6,
             optimizers=[{"kind": "momentum", "lr": 0.002}, {"kind": "adam", "lr": 0.1, "bias_correction": True}])
    frames = all_frames(lb)
    sw = frames[-1].values["swarm"]
    starts = swarm.starts(lb.cfg.view, lb.cfg.side)
    assert starts.shape == (36, 2) and sw["side"] == 6
    for name, o in (("momentum", opt("momentum", lr=0.002)), ("adam-bc", opt("adam", lr=0.1, bias_correction=True))):
        counts = sw["counts"][name]
        assert sum(counts) == 36
        basin = np.asarray(sw["basin"][name])
        for i in (0, 7, 20, 35):  # a few starts run alone must end where the swarm says
            alone = run_race(lb.cfg.surface.formula, o, starts[i].tolist(), 40, bound=1000)[-1]
            label = int(basin.ravel()[i])
            if label not in (0, 255):
                px, py = lb.cfg.points[label - 1][1:]
                assert math.hypot(alone[0] - px, alone[1] - py) <= sw["reach"] + 1e-12
            # the subsample of current positions holds the same numbers
        sample = np.asarray(sw["sample"][name])
        stride = max(1, 36 // 144)
        alone0 = run_race(lb.cfg.surface.formula, o, starts[0].tolist(), 40, bound=1000)[-1]
        assert np.allclose(sample[0], alone0, rtol=0, atol=1e-12) and len(sample) == 36 // stride


def test_validation_errors_name_the_key():
    cases = [
        ({"optimizers": [{"kind": "adam", "rho": 0.9}]}, "params.optimizers[0].rho", "does not apply to adam"),
        ({"optimizers": [{"kind": "sgd"}, {"kind": "sgd"}]}, "params.optimizers[1].name", "already the name"),
        ({"optimizers": [{"kind": "lbfgs"}]}, "params.optimizers[0].kind", 'one of "sgd"'),
        ({"formula": "os.system(1)"}, "params.formula", "unknown name 'os'"),
        ({"view": [1, -1, 0, 1]}, "params.view", "xmin < xmax"),
        ({"formula": "log(x)", "start": [-1, 0]}, "params.start", "not finite"),
        ({"optimizers": [{"kind": "adam", "bias_correction": True, "beta1": 1}]}, "params.optimizers[0].beta1", "below 1"),
        ({"optimizers": [{"kind": "sgd", "lr_change": [0.5, 1]}]}, "params.optimizers[0].lr_change", "whole step"),
        ({"optimizers": []}, "params.optimizers", "at least 1"),
    ]
    for raw, key, text in cases:
        with pytest.raises(ParamError) as info:
            OptimLab.validate(raw)
        assert info.value.key == key and text in info.value.message, (raw, str(info.value))


# --- the renderer --------------------------------------------------------------------------------------


def text_of(renderable, width: int) -> str:
    out = io.StringIO()
    Console(file=out, width=width, no_color=True, color_system=None, highlight=False, emoji=False).print(renderable)
    return out.getvalue()


@pytest.mark.parametrize("width", [78, 100, 140])
def test_render_fits_and_shows_every_marker(width):
    from rich.cells import cell_len

    from tui_lab.render import optim as r
    from tui_lab.render import render_frame

    frames = all_frames(lab(surface="bowl", steps=6, bound=100, optimizers=[
        {"kind": "sgd", "lr": 0.05}, {"kind": "momentum", "lr": 0.02}, {"kind": "adam", "lr": 0.1},
        {"kind": "sgd", "name": "wild", "lr": 0.3}]))
    v = frames[-1].values
    text = text_of(render_frame("optim", frames[-1], width), width)
    assert max(cell_len(line) for line in text.splitlines()) <= width
    cols, rows = r.map_size(width, tuple(v["view"]), 4)
    drawn = "".join(seg.text for row in r.surface_map(v, cols, rows, {}).rows for seg in row)
    for marker in ("S", "M", "A", "o", "*"):  # on the map itself, not anywhere in the text
        assert marker in drawn, marker
    assert any(chr(c) in drawn for c in range(0x2801, 0x2900))  # the paths, as braille lines
    assert "diverged at step" in text  # 'wild' (α·λ = 3) leaves the bound
    # The wild one is past the view: an arrow at the edge, beside its letter.
    wild = v["optimizers"][3]["letter"]
    assert any(a + wild in drawn for a in r.ARROWS.values())
    for marker in ("x ← x − α∇f", "Why Momentum Really Works", "f per step"):
        assert marker in text


def test_zoom_and_pan_only_change_the_view():
    from tui_lab.render import optim as r

    view: dict = {}
    keys = {k.key: k.fn for k in r.VIEW_KEYS}
    assert not set(keys) & set("npaesfq?+- ")
    base = [-5.0, 5.0, -3.0, 3.0]
    keys["z"](view)
    assert r.window(base, view) == pytest.approx((-5 / 1.5, 5 / 1.5, -2.0, 2.0))
    keys["l"](view)
    assert r.window(base, view)[0] > -5 / 1.5
    keys["0"](view)
    assert r.window(base, view) == tuple(base)


def test_swarm_renders():
    from tui_lab.render import render_frame

    frames = all_frames(lab(surface="himmelblau", steps=30, swarm=10, optimizers=[{"kind": "sgd", "lr": 0.01}]))
    text = text_of(render_frame("optim", frames[-1], 100), 100)
    assert "swarm: 100 starts on a 10×10 grid" in text
    # Each cell shows the number of the minimum its start ends in; Himmelblau's four minima lie
    # one in each quadrant, and SGD from a corner of the view ends in the minimum of that corner.
    v = frames[-1].values
    from tui_lab.render import optim as r

    xmin, xmax, ymin, ymax = v["view"]
    cols, rows = r.map_size(100, tuple(v["view"]), 4)
    drawn = ["".join(seg.text for seg in row) for row in r.surface_map(v, cols, rows, {}).rows]

    def cell(x: float, y: float) -> str:
        return drawn[math.floor((ymax - y) / (ymax - ymin) * rows)][math.floor((x - xmin) / (xmax - xmin) * cols)]

    for x, y in ((-4.9, 4.9), (4.9, 4.9), (-4.9, -4.9), (4.9, -4.9)):
        digit = next(i + 1 for i, (_name, px, py) in enumerate(v["points"]) if px * x > 0 and py * y > 0)
        assert cell(x, y) == str(digit), (x, y)


# --- robustness: markup in names, complex constants, eps = 0, many points, huge values ----------------


@pytest.mark.parametrize("text", ["(-8)**(1/3)", "x**2 + y**2 + (-8)**(1/3)", "sin((-8)**(1/3))", "exp((-1)**0.5)",
                                  "(-2)**0.5*x", "sqrt((-8)**(1/3))"])
def test_a_negative_base_to_a_fractional_power_is_nan_not_complex(text, recwarn):
    # as numpy and torch do for real inputs: (-8.0)**(1/3) is NaN there, complex in Python
    tree = parse(text)
    x, y = np.array([0.5, -1.0]), np.array([1.0, 2.0])
    with np.errstate(all="ignore"):
        ours = evaluate(tree, x, y, np)
    assert np.asarray(ours).dtype.kind == "f" and np.isnan(ours).all()
    t = evaluate(tree, torch.tensor(x), torch.tensor(y), torch)
    assert t.dtype == torch.float64 and torch.isnan(t).all()
    assert not [w for w in recwarn if issubclass(w.category, (np.ComplexWarning, RuntimeWarning))]


def test_a_constant_nan_formula_is_one_clear_error_at_check():
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no ComplexWarning or RuntimeWarning on the way
        with pytest.raises(ParamError) as info:
            OptimLab.validate({"formula": "x**2 + y**2 + (-8)**(1/3)"})
    assert info.value.key == "params.formula" and "(-8)**(1/3)" in info.value.message
    # a positive base to a fractional power is still a number
    assert evaluate(parse("8**(1/3)"), np.zeros(1), np.zeros(1), np)[0] == pytest.approx(2.0)


@pytest.mark.parametrize("kind", ["adagrad", "rmsprop", "adam"])
@pytest.mark.parametrize("start", [[0.0, 0.0], [0.0, 1.0]])
def test_eps_zero_at_the_minimum_or_on_an_axis_does_not_diverge(kind, start):
    frames = all_frames(lab(start=start, steps=5, optimizers=[{"kind": kind, "eps": 0}]))
    st_ = frames[-1].values["state"][kind]
    assert st_["diverged_at"] is None and all(math.isfinite(a) for a in st_["x"])
    assert st_["x"][0] == 0.0  # no gradient along x: no step along x
    if start == [0.0, 0.0]:
        assert list(st_["x"]) == [0.0, 0.0]


def test_swarm_points_are_capped_and_labels_do_not_wrap():
    from engine.optim.config import DIVERGED, MAX_POINTS

    with pytest.raises(ParamError) as info:
        OptimLab.validate({"swarm": 4, "points": [[i, 0] for i in range(MAX_POINTS + 1)]})
    assert info.value.key == "params.points" and f"at most {MAX_POINTS}" in info.value.message
    pts = [[100 + i, 100] for i in range(MAX_POINTS - 1)] + [[0, 0]]
    sw = all_frames(lab(surface="bowl", swarm=4, steps=300, points=pts,
                        optimizers=[{"kind": "sgd"}]))[-1].values["swarm"]
    basin = np.asarray(sw["basin"]["sgd"])
    assert basin.dtype != np.uint8 and (basin == MAX_POINTS).all() and DIVERGED > MAX_POINTS
    assert sw["counts"]["sgd"][MAX_POINTS] == 16 and sw["counts"]["sgd"][-1] == 0


def test_markup_in_optimizer_names_is_shown_as_written():
    from tui_lab.render import render_frame

    names = ["[/]", "[red]x", "[bold]y[/bold", "[link=z]"]
    kinds = ["sgd", "momentum", "adam", "rmsprop"]
    frames = all_frames(lab(surface="bowl", steps=3, swarm=3,
                            optimizers=[{"kind": k, "name": n} for k, n in zip(kinds, names)]))
    for width in (78, 140):
        text = text_of(render_frame("optim", frames[-1], width), width)
        for n in names:
            assert n in text


@pytest.mark.parametrize("formula", ["x**2*1e308 + y", "x**2 - 1e308*y**2", "1e308*x"])
def test_huge_values_draw_without_warnings(formula):
    import warnings

    from tui_lab.render import render_frame
    from tui_lab.render.optim import bands

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        frames = all_frames(lab(formula=formula, start=[1, 1], steps=3, swarm=3))
        for f in frames:
            text_of(render_frame("optim", f, 100), 100)
        Z = np.array([[-1.7e308, 1.7e308, np.nan], [np.inf, 0.0, 1.0]])
        B = bands(Z)
    assert B.dtype.kind == "i" and B[0, 2] == -1 and B[1, 0] == -1 and B[0, 1] == 7 and B[0, 0] == 0


def test_a_view_too_narrow_to_draw_is_an_error():
    with pytest.raises(ParamError) as info:
        OptimLab.validate({"view": [0, 5e-324, 0, 1]})
    assert info.value.key == "params.view" and "too narrow" in info.value.message


# --- each frame's check against torch.optim ------------------------------------------------------------


def run_reference(formula: str, o: dict, start, steps: int, seed: int = 0) -> np.ndarray:
    """torch.optim's update functions alone (reference.step, each from the state the last one left),
    with the noise a runner draws, (steps + 1, 2)."""
    return reference_path(formula, o, start, steps, seed)[0]


def reference_path(formula: str, o: dict, start, steps: int, seed: int = 0) -> tuple[np.ndarray, dict]:
    """The path, and torch.optim's state after the last step (the class's names)."""
    from engine.optim import reference
    from engine.optim.race import noise_stream

    surf = surfaces.Surface("formula", formula, (-1, 1, -1, 1), tuple(start))
    h = hypers([o])[0]
    gen = noise_stream(h, "cpu", seed, 0)
    x = torch.tensor([list(start)], dtype=torch.float64)
    state = reference.torch_state(h, {k: [0.0, 0.0] for k in rules.rule(h).state}, 1, "cpu")
    path = [x[0].tolist()]
    for t in range(1, steps + 1):
        z = None if gen is None else torch.randn((1, 2), generator=gen, dtype=torch.float64)
        x, state = reference.step(surf, h, t, x, state, z)
        path.append(x[0].tolist())
    return np.array(path), state


REFERENCE_CASES = [
    (opt("sgd", lr=0.05), lambda p: torch.optim.SGD(p, lr=0.05)),
    (opt("momentum", lr=0.03, rho=0.8), lambda p: torch.optim.SGD(p, lr=0.03, momentum=0.8)),
    (opt("nesterov", lr=0.03, rho=0.7), lambda p: torch.optim.SGD(p, lr=0.03, momentum=0.7, nesterov=True)),
    (opt("adagrad", lr=0.3, eps=1e-9), lambda p: torch.optim.Adagrad(p, lr=0.3, eps=1e-9)),
    (opt("rmsprop", lr=0.01, decay=0.95, eps=1e-8), lambda p: torch.optim.RMSprop(p, lr=0.01, alpha=0.95, eps=1e-8)),
    (opt("adam", lr=0.02, beta1=0.8, beta2=0.99, eps=1e-8, bias_correction=True),
     lambda p: torch.optim.Adam(p, lr=0.02, betas=(0.8, 0.99), eps=1e-8)),
]


@pytest.mark.parametrize("o,make", REFERENCE_CASES, ids=[c[0]["kind"] for c in REFERENCE_CASES])
def test_the_frames_reference_is_torch_optim_class_for_class(o, make):
    # The frames are checked against torch.optim's update functions (the classes import torch._dynamo,
    # seconds on first use): they must move the parameter exactly as the classes do.
    # Their state too: each frame's check hands torch.optim the lab's state under the class's names.
    formula, start = "(1 - x)**2 + 3*(y - x**2)**2 + 0.1*sin(3*x)", [-0.8, 1.2]
    ours, state = reference_path(formula, o, start, 60)
    theirs, their_state = run_torch(formula, make, start, 60, state=True)
    assert np.array_equal(ours, theirs), np.max(np.abs(ours - theirs))
    assert set(state) == set(their_state)
    for k in state:  # (the classes count steps in float32)
        assert torch.equal(state[k].double().reshape(-1), their_state[k].double().reshape(-1)), k


def test_the_slides_adam_reference_is_the_slides_loop():
    # torch.optim.Adam with α and ε rescaled each step: the slide's update, no bias correction.
    formula, start, lr, b1, b2, eps = "(1 - x)**2 + 100*(y - x**2)**2", [-1.2, 1.0], 0.01, 0.9, 0.999, 1e-8
    ours = run_reference(formula, opt("adam", lr=lr, beta1=b1, beta2=b2, eps=eps), start, STEPS)
    close(ours, slide_adam(rosenbrock_gradient, start, lr, b1, b2, eps, STEPS))


def test_noise_reaches_the_reference_too():
    o = opt("sgd", lr=0.05, noise=0.7)
    ours = run_race("x**2 + 3*y**2", o, [1.0, -1.0], 30)
    assert np.max(np.abs(run_reference("x**2 + 3*y**2", o, [1.0, -1.0], 30) - ours)) < 1e-12
    assert np.max(np.abs(run_race("x**2 + 3*y**2", opt("sgd", lr=0.05), [1.0, -1.0], 30) - ours)) > 1e-3


@pytest.mark.parametrize("name", ["optim-zigzag", "optim-rosenbrock", "optim-plateau", "optim-saddle"])
def test_every_frame_is_checked_against_torch_optim(name):
    from scenarios import load

    lb = OptimLab(load(name).params)
    frames = all_frames(lb)
    for f in frames:
        check = f.values["check"]
        biggest = max(1.0, *(abs(c) for st_ in f.values["state"].values() for c in st_["x"]))
        assert check["ok"] and check["max_diff"] <= check["tolerance"] <= 1e-9 * biggest
    kinds = {o["kind"] for o in frames[-1].values["optimizers"]}
    named = {"sgd": "SGD", "momentum": "SGD", "nesterov": "SGD", "adagrad": "Adagrad", "rmsprop": "RMSprop", "adam": "Adam"}
    seen = {r for f in frames for r in f.values["check"]["reference"].split(", ")}  # a diverged one is checked until then
    assert seen == {f"torch.optim.{named[k]}" for k in kinds}


def test_every_form_is_checked_with_its_state_and_noise():
    # Each rule form, noisy or not: every frame's update is one torch.optim step from the lab's state,
    # position and state alike (Sutskever's v as −α·buffer; the slide's Adam with α and ε rescaled).
    forms = [{"kind": "momentum", "convention": "sutskever", "lr": 0.01, "noise": 0.5},
             {"kind": "nesterov", "convention": "pytorch", "lr": 0.01}, {"kind": "nesterov", "lr": 0.01, "noise": 2.0},
             {"kind": "adagrad", "lr": 0.3, "noise": 1.0}, {"kind": "rmsprop", "lr": 0.01, "decay": 0.9},
             {"kind": "adam", "lr": 0.05, "noise": 1.0}, {"kind": "adam", "lr": 0.05, "bias_correction": True}]
    for i, o in enumerate(forms):
        o["name"] = f"o{i}"
    lb = lab(surface="himmelblau", start=[-1, 1], steps=40, optimizers=forms)
    frames = all_frames(lb)
    for f in frames:
        assert f.values["check"]["ok"], f.index
        for name, st_ in f.values["state"].items():
            assert st_["check"]["ok"] and st_["check"]["max_diff"] <= st_["check"]["tolerance"]
    moved = [t.check(40) for t in lb.tracks]
    assert all(c is not None and c.ref_state.keys() == t.steps[40].state.keys() for c, t in zip(moved, lb.tracks))


def test_a_broken_rule_fails_the_check(monkeypatch):
    from engine.optim import rules

    broken = rules.RULES[("sgd", "")]
    monkeypatch.setitem(rules.RULES, ("sgd", ""), rules.Rule(
        "sgd", "", broken.title, broken.lines, (), lambda h, x, g, s, t, lr: (x - 1.001 * lr * g, s), "SGD"))
    frames = all_frames(lab(surface="bowl", steps=3, start=[1.5, -0.7], optimizers=[{"kind": "sgd", "lr": 0.05}]))
    assert not frames[-1].values["check"]["ok"] and frames[-1].values["check"]["max_diff"] > 1e-6


def test_what_torch_optim_has_no_form_for_is_said_and_left_out():
    frames = all_frames(lab(surface="bowl", steps=20, optimizers=[
        {"kind": "momentum", "convention": "sutskever", "lr_change": [5, 0.01]}, {"kind": "adam", "eps": 0},
        {"kind": "sgd"}]))
    state = frames[-1].values["state"]
    assert "leaves torch.optim's path when α changes" in state["momentum"]["unchecked"]
    assert "ε = 0" in state["adam"]["unchecked"]
    assert state["momentum"]["check"] is None and state["adam"]["check"] is None
    assert state["sgd"]["check"]["ok"] and state["sgd"]["unchecked"] is None
    assert frames[-1].values["check"]["reference"] == "torch.optim.SGD"


# --- the rules, written once ------------------------------------------------------------------------------


def test_each_rule_is_written_once_and_shown_from_there():
    from pathlib import Path

    from engine.optim import rules

    md = rules.markdown()
    assert md in OptimLab.help_text()  # the ? screen
    assert md in Path(__file__).resolve().parents[1].joinpath("docs", "optim.md").read_text(encoding="utf-8")
    for r in rules.RULES.values():
        assert r.text in md.replace("`", "")
    # the engine's other modules never spell a rule out
    engine = Path(rules.__file__).parent
    for f in engine.glob("*.py"):
        if f.name != "rules.py":
            assert "x ← x − α" not in f.read_text(encoding="utf-8"), f.name


@pytest.mark.parametrize("key", list(__import__("engine.optim.rules", fromlist=["RULES"]).RULES), ids="-".join)
def test_every_worked_line_is_its_rule_with_numbers(key):
    from engine.optim import rules

    kind, variant = key
    extra = {"pytorch": {"convention": "pytorch"}, "sutskever": {"convention": "sutskever"},
             "bias-corrected": {"bias_correction": True}}.get(variant, {})
    frames = all_frames(lab(surface="bowl", steps=2, start=[1.5, -0.7], optimizers=[{"kind": kind, **extra}]))
    name = frames[0].values["optimizers"][0]["name"]
    assert list(frames[0].values["state"][name]["rule"]) == [rules.RULES[key].text]
    worked = frames[2].values["state"][name]["rule"]
    assert worked[0].startswith("∇f = (") and worked[-1].startswith("Δx = (")
    assert [w.split(" = ")[0] for w in worked[1:-1]] == [line.rule for line in rules.RULES[key].lines]
    x = frames[2].values["state"][name]["x"]
    assert worked[-2].endswith(rules.coords(x))  # the last rule line lands where the path is


def test_bias_corrected_adam_worked_by_hand():
    frames = all_frames(lab(surface="bowl", eigenvalues=[1, 10], steps=1, start=[2, 1],
                            optimizers=[{"kind": "adam", "lr": 0.1, "bias_correction": True}]))
    worked = frames[1].values["state"]["adam-bc"]["rule"]
    # ∇f = (2, 10); m = 0.1·∇f = (0.2, 1); v = 0.001·∇f² = (0.004, 0.1); m̂ = m/0.1 = ∇f; v̂ = v/0.001 = ∇f²
    assert worked[0] == "∇f = (2, 10)"
    assert worked[1] == "m ← β1·m + (1 − β1)∇f = 0.9·(0, 0) + 0.1·(2, 10) = (0.2, 1)"
    assert worked[3] == "m̂ ← m/(1 − β1ᵗ) = (0.2, 1)/0.1 = (2, 10)"
    assert worked[4] == "v̂ ← v/(1 − β2ᵗ) = (0.004, 0.1)/0.001 = (4, 100)"
    assert worked[5] == "x ← x − α·m̂/(√v̂ + ε) = (2, 1) − 0.1·(2, 10)/((2, 10) + 1e−08) = (1.9, 0.9)"


# --- knobs --------------------------------------------------------------------------------------------------


def test_knobs_name_each_optimizers_hyperparameters_and_the_start():
    from scenarios import load

    lb = OptimLab(load("optim-zigzag").params)
    labels = [k.label for k in lb.knobs()]
    assert labels == ["sgd α", "momentum α", "momentum ρ", "nesterov α", "nesterov ρ", "adam-bc α", "adam-bc β1",
                      "adam-bc β2", "start x", "start y", "bowl λ2"]
    keys = {k.label: k.key for k in lb.knobs()}
    assert keys["adam-bc β1"] == "optimizers[3].beta1" and keys["start y"] == "start[1]"
    beta2 = next(k for k in lb.knobs() if k.label == "adam-bc β2")
    assert beta2.choices == (0.9, 0.99, 0.999, 0.9999)
    # a scenario that leaves the start to the surface has no number to turn: no start knobs
    assert not [k for k in lab(surface="rosenbrock").knobs() if k.label.startswith("start")]


def test_defaults_are_filled_so_every_knob_has_a_value():
    p = OptimLab.validate({"optimizers": [{"kind": "adam"}, {"kind": "rmsprop"}, {"kind": "momentum"}]})
    adam, rms, mom = p["optimizers"]
    assert (adam["lr"], adam["beta1"], adam["beta2"], adam["eps"], adam["rho"]) == (0.1, 0.9, 0.999, 1e-8, None)
    assert (rms["decay"], rms["eps"], mom["rho"], mom["eps"]) == (0.99, 1e-7, 0.9, None)
    assert OptimLab.validate(p) == p  # validated params validate again to themselves (a knob turn does that)


@pytest.mark.parametrize("name", ["optim-zigzag", "optim-rosenbrock", "optim-saddle", "optim-himmelblau-swarm",
                                  "optim-conventions", "optim-formula", "optim-plateau"])
def test_every_optim_knob_turns_and_equals_a_fresh_replay(name):
    from engine.controller import Controller
    from engine.core.knobs import with_value
    from engine.session import Session
    from scenarios import load

    scenario = load(name)
    controller = Controller(Session(scenario, device="cpu"))
    controller.goto(4)
    for knob in controller.session.knobs():
        old = controller.session.knob_value(knob)
        value = knob.turned(old, 1)
        note = controller.knob(knob.key, value)  # never refused: each knob's range is allowed
        assert note.startswith(f"{knob.label} ")
        fresh = Session(scenario.with_params(**with_value(scenario.params, knob.key, value)), device="cpu")
        fresh.goto(4)
        assert json.dumps(fresh.frame.to_json()) == json.dumps(controller.session.frame.to_json())
        fresh.close()
        controller.knob(knob.key, old)
    controller.session.close()


def test_a_turn_says_what_it_did_and_recomputes_only_that_optimizer():
    from engine.controller import Controller
    from engine.session import Session
    from scenarios import load

    controller = Controller(Session(load("optim-zigzag"), device="cpu"))
    controller.goto(10)
    before = controller.session.lab.tracks
    f_before = controller.session.frame.values["state"]["adam-bc"]["loss"]
    note = controller.knob("optimizers[3].beta1", 0.5)
    after = controller.session.lab.tracks
    f_after = controller.session.frame.values["state"]["adam-bc"]["loss"]
    assert note == f"adam-bc β1 0.9 → 0.5: at step 10: adam-bc f {num(f_before)} → {num(f_after)}"
    assert after[:3] == before[:3] and after[3] is not before[3]  # the other three paths were not recomputed
    assert controller.session.index == 10
    note = controller.knob("start[0]", -3.5)
    assert note.startswith("start x −4 → −3.5: at step 10: lowest f ")


def test_the_last_frames_caption_is_the_race_in_numbers():
    frames = all_frames(lab(surface="bowl", eigenvalues=[1, 10], start=[-4, 2], steps=30,
                            optimizers=[{"kind": "sgd", "lr": 0.1}, {"kind": "sgd", "name": "slow", "lr": 0.01}]))
    last = frames[-1]
    s = last.values["standings"]
    # SGD α = 0.1 on λ = 1, 10: x_k = −4·0.9ᵏ, y_k = 0 after one step; "min (0, 0)" is within 2% of the view's diagonal
    reach = 0.02 * math.hypot(10, 6)
    since = next(k for k in range(31) if 4 * 0.9 ** k <= reach)
    assert s["sgd"]["since"] == since and s["sgd"]["distance"] == pytest.approx(4 * 0.9 ** 30, rel=1e-12)
    assert s["slow"]["since"] is None
    assert last.caption.startswith(f"after 30 steps: sgd: f = {num(s['sgd']['f'])}, within {num(reach, 2)} of min (0, 0) "
                                   f"since step {since}")
    assert "slow: f = " in last.caption and f"{num(s['slow']['distance'], 3)} from min (0, 0)" in last.caption


def test_formula_takes_the_minus_sign_its_own_message_lists():
    """The parser's message lists "+ − * / **" with U+2212, as the lecture prints it; that sign is a minus."""
    from engine.optim.formula import evaluate, parse

    assert parse("x**2 \u2212 y**2") == parse("x**2 - y**2")
    assert evaluate(parse("\u2212x \u2212 2"), 3.0, 0.0, math) == -5.0
