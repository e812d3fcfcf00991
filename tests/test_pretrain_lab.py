"""The pretraining lab as a person and a script meet it: the JSON contract, the reference numbers
it reaches, knobs, bad input on the command line, drawing at 78 columns without colour, and
the app stepping and playing it."""

from __future__ import annotations

import functools
import io
import json
import math

import numpy as np
import pytest
from rich.cells import cell_len

from conftest import draw
from engine.core.knobs import get, with_value
from engine.core.lab import Stepper
from engine.core.params import ParamError
from engine.pretrain.lab import PretrainLab
from scenarios import load
from scenarios.catalog import bundled_paths

CHECK_KEYS = {"reference", "max_diff", "tolerance", "ok"}
# Bundled scenarios cheap enough to run to the end in a test (the full table is not).
CHEAP = [p.stem for p in bundled_paths() if p.stem.startswith("pretrain-") and p.stem != "pretrain-table"]


def lab(seed: int = 0, **params) -> PretrainLab:
    return PretrainLab(PretrainLab.validate(params), seed=seed)


def run(l: PretrainLab) -> list:
    s = Stepper(l)
    s.run_to_end()
    return s.frames


def replay_json(name: str, **changes) -> list[dict]:
    from tui_lab.replay import replay

    scenario = load(name)
    if changes:
        scenario = scenario.with_params(**changes)
    buf = io.StringIO()
    replay(scenario, "json", buf, device="cpu", steps=10_000)
    return [json.loads(line) for line in buf.getvalue().splitlines()]


# --- the JSON contract -----------------------------------------------------------------------

def test_rbm_frames_carry_the_contract_keys():
    records = replay_json("pretrain-rbm-bars", epochs=100)
    for r in records:
        v = r["values"]
        assert isinstance(v["recon_error"], float) and isinstance(v["log_likelihood"], float)
        assert np.asarray(v["W"]).shape == (6, 9) and len(v["b"]) == 9 and len(v["c"]) == 6
        if "check" in v:
            assert set(v["check"]) == CHECK_KEYS and v["check"]["ok"]
    checked = [r["values"]["check"]["reference"] for r in records if "check" in r["values"]]
    assert any(c.startswith("autograd") for c in checked) and any(c.startswith("ln Z") for c in checked)
    # the reported log-likelihood is the exact one of the parameters the frame carries
    from engine.pretrain import rbm as R
    from engine.pretrain.data import bars_and_stripes

    last = records[-1]["values"]
    m = R.RBM(np.array(last["W"]), np.array(last["b"]), np.array(last["c"]))
    assert last["log_likelihood"] == pytest.approx(R.log_likelihood(m, bars_and_stripes()), abs=1e-12)
    assert last["recon_error"] == pytest.approx(R.recon_error(m, bars_and_stripes()), abs=1e-12)


def test_digit_rbm_is_too_big_to_enumerate():
    frames = run(lab(model="rbm", hidden=[30], epochs=1))
    assert all("log_likelihood" not in f.values and "W" not in f.values for f in frames)
    assert all("recon_error" in f.values for f in frames)


def test_cd1_and_cd10_reach_the_issue_log_likelihoods():
    """3×3 bars and stripes, 1,000 full-batch epochs at α = 0.5: CD-1 about −3.5, CD-10 about −3.1."""
    cd1 = run(lab(**load("pretrain-rbm-bars").params))[-1].values["log_likelihood"]
    cd10 = run(lab(**load("pretrain-rbm-bars-cd10").params))[-1].values["log_likelihood"]
    assert -3.8 < cd1 < -3.2 and -3.4 < cd10 < -2.8
    assert cd10 > cd1 > -6.24


def test_rbm_features_against_binarised_pixels():
    last = run(lab(**load("pretrain-rbm-digits").params))[-1]
    r = last.values["classifier"]
    assert last.values["phase"] == "classify"
    assert r["features"]["test"] <= 0.08  # the fair goal: match or beat the binarised pixels (≤ 8%)
    winner = "features" if r["features"]["test"] < r["pixels"]["test"] else "pixels"
    assert ("RBM's" in last.caption) == (winner == "features") or "tie" in last.caption


def test_table_last_frame_carries_the_table():
    records = replay_json("pretrain-table-quick")
    table = records[-1]["values"]["table"]
    assert [row["name"] for row in table] == ["DBN, unsupervised pre-training", "Deep net, auto-associator pre-training",
                                              "Deep net, supervised pre-training", "Deep net, no pre-training",
                                              "Shallow net, no pre-training"]
    for row in table:
        for key in ("train_error", "valid_error", "test_error"):
            assert 0 <= row[key] <= 1
        assert row["test_error_sd"] is None  # one seed: no spread to report
    first = records[0]["values"]["table"]
    assert all(row["test_error"] is None for row in first)


def test_table_over_seeds_reports_mean_and_sd():
    frames = run(lab(model="table", hidden=[16, 16], epochs=1, finetune_epochs=2, seeds=2, batch=50))
    rows = frames[-1].values["table"]
    for row in rows:
        assert len(row["test_errors"]) == 2
        assert row["test_error"] == pytest.approx(np.mean(row["test_errors"]))
        assert row["test_error_sd"] == pytest.approx(np.std(row["test_errors"], ddof=1))


def test_finetune_last_frame_and_frozen_layers():
    frames = run(lab(**{**load("pretrain-finetune").params, "epochs": 3, "finetune_epochs": 3, "per_step": 3}))
    v = frames[-1].values
    assert set(v["test_error"]) == {"finetuned", "scratch"}
    assert len(v["changed"]) == 3 and v["changed"][0] == 0.0 and v["changed"][1] > 0
    assert v["check"]["ok"] and v["check"]["max_diff"] == 0.0


def test_stack_unrolls_and_fine_tuning_lowers_the_error():
    frames = run(lab(**load("pretrain-stack").params))
    unrolled = next(f for f in frames if f.values["phase"] == "unrolled")
    assert unrolled.values["check"]["ok"] and tuple(unrolled.values["layer_shapes"][0]) == (100, 64)
    te = frames[-1].values["test_error"]
    assert te["after"] < te["before"]


def test_dilution_frames_step_layer_by_layer():
    frames = run(lab(model="dilution", hidden=[30] * 4, epochs=1))
    assert len(frames) == 2 + 4 * 5
    layers = [f.values["layer"] for f in frames[1:6]]
    assert layers == [5, 4, 3, 2, 1]  # from the softmax down, as backpropagation goes
    assert all(f.values["check"]["ok"] for f in frames if "check" in f.values)
    done = frames[-1].values["nets"]
    assert [n["init"] for n in done] == ["default", "glorot", "he", "pretrained"]
    assert done[0]["ratio"] < done[2]["ratio"]


@functools.cache
def played(name: str) -> tuple[int, list]:
    """A bundled scenario's lab: the length it states before training, and every frame once it has
    trained to the end. Trained once for the two tests that take CHEAP_PLAYED (a second each),
    which the mark keeps on one pytest-xdist worker (`--dist loadgroup`)."""
    l = lab(**load(name).params)
    length = l.length()
    return length, run(l)


CHEAP_PLAYED = [pytest.param(n, marks=pytest.mark.xdist_group(f"played-{n}")) for n in CHEAP]


@pytest.mark.parametrize("name", CHEAP_PLAYED)
def test_length_is_known_before_training(name):
    length, frames = played(name)
    assert length == len(frames)


def test_same_seed_same_frames():
    a = replay_json("pretrain-table-quick", hidden=[12, 12])
    b = replay_json("pretrain-table-quick", hidden=[12, 12])
    assert a == b


# --- knobs -------------------------------------------------------------------------------

@pytest.mark.parametrize("name", [p.stem for p in bundled_paths() if p.stem.startswith("pretrain-")])
def test_knobs_point_into_the_params(name):
    scenario = load(name)
    l = lab(**scenario.params)
    assert l.knobs(), name
    params = PretrainLab.validate(dict(scenario.params))
    for knob in l.knobs():
        value = get(params, knob.key)
        turned = knob.turned(value, 1)
        PretrainLab.validate(with_value(params, knob.key, turned))  # a knob never reaches a refused value


def test_live_k_applies_from_the_next_epoch():
    l = lab(**{**load("pretrain-rbm-bars").params, "epochs": 200})
    s = Stepper(l)
    s.ensure(7)
    before = [f.values["k"] for f in s.frames]
    note = l.turn("k", 5)
    assert "k = 5" in note
    s.run_to_end()
    assert [f.values["k"] for f in s.frames[:8]] == before == [1] * 8
    assert s.frames[-1].values["k"] == 5 and "CD-5" in s.frames[-1].caption
    with pytest.raises(ParamError):
        l.turn("k", 0)
    with pytest.raises(KeyError):
        l.turn("hidden[0]", 3)


def test_frozen_knob_range_follows_the_depth():
    l = lab(**load("pretrain-finetune").params)
    frozen = next(k for k in l.knobs() if k.key == "frozen")
    assert frozen.high == 2 and frozen.turned(2, 1) == 2


# --- bad input ------------------------------------------------------------------------------

@pytest.mark.parametrize("params, key", [
    ('k = 0', "params.k"),
    ('hidden = [0]', "params.hidden[0]"),
    ('model = "finetune"\nclasses = [0, 1, 11]', "params.classes[2]"),
    ('model = "finetune"\ntarget = [5, 6, 10]', "params.target[2]"),
    ('model = "finetune"\nclasses = [0, 1, 5]', "params.target"),
    ('model = "finetune"\nhidden = [10]\nfrozen = 2', "params.frozen"),
    ('model = "finetune"\nlabels = 500', "params.labels"),
    ('hidden = [10, 10]', "params.hidden"),
    ('data = [[0, 1], [1, 2]]', "params.data"),
    ('data = "letters"', "params.data"),
    ('model = "table"\ndata = "bars"', "params.data"),
])
def test_bad_input_is_one_line_naming_the_key(tmp_path, cli, params, key):
    path = tmp_path / "bad.toml"
    path.write_text(f'title = "bad"\nlab = "pretrain"\n[params]\n{params}\n', encoding="utf-8")
    out = cli("check", str(path))
    assert out.returncode == 2, out.stdout + out.stderr
    lines = out.stderr.strip().splitlines()
    assert len(lines) == 1 and f"{key}:" in lines[0], out.stderr
    assert "Traceback" not in out.stderr


# --- drawing ---------------------------------------------------------------------------------

@pytest.mark.parametrize("name", CHEAP_PLAYED)
def test_every_frame_fits_78_and_100_columns(name):
    for frame in played(name)[1]:
        for width in (78, 100):
            text = draw("pretrain", frame, width)
            widest = max(cell_len(line.rstrip()) for line in text.splitlines())
            assert widest <= width, (name, frame.index, width, widest)
            assert "\x1b[" not in text  # NO_COLOR: no escape codes


def test_pictures_read_without_colour():
    frames = run(lab(model="rbm", data="bars", hidden=[6], epochs=1, batch=14))
    text = draw("pretrain", frames[1], 78)  # the data vector: a bar or a stripe in ASCII
    assert "@@@" in text


def test_curves_hide_with_the_view_key():
    from tui_lab.render import pretrain as render

    frames = run(lab(**{**load("pretrain-rbm-bars").params, "epochs": 100}))
    view: dict = {}
    with_curve = draw("pretrain", frames[-1], 78, view)
    render.VIEW_KEYS[0].fn(view)
    without = draw("pretrain", frames[-1], 78, view)
    assert "log-likelihood" in with_curve and len(without.splitlines()) < len(with_curve.splitlines())


# --- the app -------------------------------------------------------------------------------------

async def test_app_steps_the_rbm_and_plays_in_the_background():
    from test_app import caption, wait_ready
    from test_app import wait_for

    from tui_lab.app import LabApp

    app = LabApp(scenario="pretrain-rbm-bars", device="cpu")
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await wait_ready(pilot, app)
        assert "bars and stripes" in caption(screen)
        await pilot.press("n", "n")
        await wait_for(pilot, lambda: screen.session.index == 2)
        assert "P(h_i = 1 | x)" in caption(screen)
        await pilot.press("a")
        await wait_for(pilot, lambda: len(screen.session.stepper.frames) > 10)
        await pilot.press("a")
        await pilot.pause(0.3)
        await pilot.press("q")
        await pilot.pause(0.3)
