"""The training lab against torch: every backward formula against autograd on real torch modules,
the initialisation rules against torch.nn.init, the five steps against a torch forward and
torch.optim.SGD, and the training, dilution and search frames against their contracts."""

from __future__ import annotations

import json
import math
from collections import Counter

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from torch import nn

from conftest import run_cli
from engine.arch.lab import normalize_layers
from engine.core.lab import Stepper
from engine.core.fmt import num
from engine.core.params import ParamError
from engine.data import digits
from engine.session import Session
from engine.train import backward as bw
from engine.train import forward as fw
from engine.train import init as rules
from engine.train import model as tm
from engine.train.chain import pick
from engine.train.config import SMALL_CNN, TRAIN_IMAGES, plan
from engine.train.lab import TrainLab
from scenarios import load

FAST = settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
C = lambda f, **k: {"kind": "conv", "filters": f, "size": 3, "padding": 1, **k}  # noqa: E731
R, P, S = {"kind": "relu"}, {"kind": "pool", "size": 2}, {"kind": "softmax"}
FC10 = {"kind": "fc", "units": 10}


def lab(**params) -> TrainLab:
    return TrainLab(TrainLab.validate(params))


def frames(**params) -> list:
    s = Stepper(lab(**params))
    s.ensure(1 << 20)
    return s.frames


def one_layer(layer: dict) -> dict:
    return normalize_layers([layer])[0]


# --- every backward formula against autograd on torch's own module ------------------------


def _against_module(layer: dict, module: nn.Module, x: np.ndarray, weights: dict, seed: int = 0):
    """Our forward and backward for one layer against the torch module's forward and autograd."""
    rng = np.random.default_rng(seed)
    out, cache = fw.FORWARD[layer["kind"]](x, layer, weights, fw.Context(train=True, rng=rng))
    dout = rng.normal(size=out.shape)
    d_in, grads = bw.BACKWARD[layer["kind"]](dout, cache, layer)
    xt = torch.tensor(x, requires_grad=True)
    module = module.double()
    with torch.no_grad():
        for k, v in weights.items():
            getattr(module, k).copy_(torch.as_tensor(v))
    yt = module(xt)
    if layer["kind"] == "dropout":  # the same mask: torch's dropout draws its own
        yt = xt * torch.as_tensor(cache)
    np.testing.assert_allclose(out, yt.detach().numpy(), rtol=1e-10, atol=1e-12)
    yt.backward(torch.as_tensor(dout))
    np.testing.assert_allclose(d_in, xt.grad.numpy(), rtol=1e-9, atol=1e-12)
    for k in weights:
        np.testing.assert_allclose(grads[k], getattr(module, k).grad.numpy(), rtol=1e-9, atol=1e-12)


@FAST
@given(st.integers(1, 3), st.integers(1, 4), st.integers(1, 3), st.integers(1, 2), st.integers(0, 1),
       st.sampled_from([1, 2]), st.booleans(), st.integers(0, 10**6))
def test_conv_backward_against_autograd(n, c, k, s, p, g, bias, seed):
    c, f = c * g, 2 * g
    layer = one_layer({"kind": "conv", "filters": f, "size": k, "stride": s, "padding": p, "groups": g, "bias": bias})
    rng = np.random.default_rng(seed)
    weights = {"weight": rng.normal(size=(f, c // g, k, k))}
    if bias:
        weights["bias"] = rng.normal(size=f)
    _against_module(layer, nn.Conv2d(c, f, k, s, p, groups=g, bias=bias), rng.normal(size=(n, c, 6, 5)), weights, seed)


@FAST
@given(st.sampled_from(["max", "avg"]), st.integers(1, 3), st.integers(1, 3), st.integers(0, 1), st.integers(0, 10**6))
def test_pool_backward_against_autograd(kind, k, s, p, seed):
    if 2 * p > k:
        p = 0
    layer = one_layer({"kind": "pool", "pool": kind, "size": k, "stride": s, "padding": p})
    module = nn.MaxPool2d(k, s, p) if kind == "max" else nn.AvgPool2d(k, s, p)
    x = np.random.default_rng(seed).normal(size=(2, 3, 7, 6))
    if kind == "max":  # ties: both sides route to the first maximum; with random floats there are none
        pass
    _against_module(layer, module, x, {}, seed)


def test_adaptive_pool_backward_against_autograd():
    layer = one_layer({"kind": "pool", "pool": "adaptive_avg", "output": [3, 2]})
    _against_module(layer, nn.AdaptiveAvgPool2d((3, 2)), np.random.default_rng(1).normal(size=(2, 2, 7, 5)), {})


@pytest.mark.parametrize("kind,module", [("relu", nn.ReLU()), ("sigmoid", nn.Sigmoid()), ("softmax", nn.Softmax(dim=1)),
                                         ("flatten", nn.Flatten())])
@pytest.mark.parametrize("shape", [(3, 4, 5, 5), (4, 7)])
def test_elementwise_backward_against_autograd(kind, module, shape):
    x = np.random.default_rng(2).normal(size=shape) * 3
    _against_module(one_layer({"kind": kind}), module, x, {})


@pytest.mark.parametrize("shape", [(5, 3, 4, 4), (6, 7)])
def test_batchnorm_backward_against_autograd(shape):
    rng = np.random.default_rng(3)
    c = shape[1]
    module = nn.BatchNorm2d(c) if len(shape) == 4 else nn.BatchNorm1d(c)
    weights = {"weight": rng.normal(size=c), "bias": rng.normal(size=c)}
    _against_module(one_layer({"kind": "batchnorm"}), module, rng.normal(size=shape) * 2 + 1, weights)


def test_batchnorm_running_statistics_update_as_torch_does():
    rng = np.random.default_rng(4)
    x = rng.normal(size=(8, 3, 2, 2)) * 2 + 1
    layer = one_layer({"kind": "batchnorm"}) | {"name": "BN1"}
    ctx = fw.Context(train=True, running={"BN1": {"mean": np.zeros(3), "var": np.ones(3)}}, update_running=True)
    fw.batchnorm(x, layer, {"weight": np.ones(3), "bias": np.zeros(3)}, ctx)
    ref = nn.BatchNorm2d(3).double()
    ref(torch.as_tensor(x))
    np.testing.assert_allclose(ctx.running["BN1"]["mean"], ref.running_mean.numpy(), rtol=1e-12)
    np.testing.assert_allclose(ctx.running["BN1"]["var"], ref.running_var.numpy(), rtol=1e-12)


def test_dropout_and_fc_backward_against_autograd():
    rng = np.random.default_rng(5)
    _against_module(one_layer({"kind": "dropout", "p": 0.4}), nn.Identity(), rng.normal(size=(4, 6)), {})
    layer = one_layer({"kind": "fc", "units": 5})
    weights = {"weight": rng.normal(size=(5, 12)), "bias": rng.normal(size=5)}
    module = nn.Sequential(nn.Flatten(), nn.Linear(12, 5))
    x = rng.normal(size=(3, 3, 2, 2))
    out, cache = fw.fc(x, layer, weights, None)
    dout = rng.normal(size=out.shape)
    d_in, grads = bw.fc(dout, cache, layer)
    xt = torch.tensor(x, requires_grad=True)
    module = module.double()
    with torch.no_grad():
        module[1].weight.copy_(torch.as_tensor(weights["weight"]))
        module[1].bias.copy_(torch.as_tensor(weights["bias"]))
    module(xt).backward(torch.as_tensor(dout))
    np.testing.assert_allclose(d_in, xt.grad.numpy(), rtol=1e-10)
    np.testing.assert_allclose(grads["weight"], module[1].weight.grad.numpy(), rtol=1e-10)
    np.testing.assert_allclose(grads["bias"], module[1].bias.grad.numpy(), rtol=1e-10)


def test_loss_gradient_is_softmax_cross_entropy():
    rng = np.random.default_rng(6)
    z, y = rng.normal(size=(5, 10)) * 4, rng.integers(0, 10, 5)
    zt = torch.tensor(z, requires_grad=True)
    loss = F.cross_entropy(zt, torch.as_tensor(y))
    loss.backward()
    probs, _ = fw.softmax(z, {}, {}, None)
    np.testing.assert_allclose(bw.loss_gradient(probs, y), zt.grad.numpy(), rtol=1e-10, atol=1e-15)
    assert fw.cross_entropy(z, y) == pytest.approx(float(loss.detach()), rel=1e-12)


# --- initialisation ----------------------------------------------------------------


def test_fans_match_torch():
    cases = [({"kind": "conv", "filters": 6, "size": 3, "groups": 2}, (4, 8, 8), torch.empty(6, 2, 3, 3)),
             ({"kind": "fc", "units": 10}, (8, 4, 4), torch.empty(10, 128))]
    for layer, shape, w in cases:
        assert rules.fans(layer, shape) == nn.init._calculate_fan_in_and_fan_out(w)


@pytest.mark.parametrize("rule", rules.RULES)
def test_init_rules_match_torch_nn_init(rule):
    """σ or bound of each rule against torch.nn.init (or torch's own layer) on a large layer, statistically."""
    layer = one_layer({"kind": "fc", "units": 400}) | {"name": "FC1"}
    w = rules.initialise([layer], [(300,)], rule, 0.07, np.random.default_rng(0))["FC1"]["weight"]
    ref = torch.empty(400, 300)
    torch.manual_seed(0)
    if rule == "he":
        nn.init.kaiming_normal_(ref, nonlinearity="relu")
    elif rule == "xavier":
        nn.init.xavier_uniform_(ref)
    elif rule == "normal":
        nn.init.normal_(ref, 0.0, 0.07)
    else:
        ref = nn.Linear(300, 400).weight.detach()
    assert w.std() == pytest.approx(float(ref.std()), rel=0.02)
    assert np.abs(w).max() == pytest.approx(float(ref.abs().max()), rel=0.05 if rule in ("xavier", "torch") else 0.3)


# --- the five steps -----------------------------------------------------------------------


def test_five_steps_against_torch():
    fs = frames(mode="steps", epochs=0, layers=SMALL_CNN, lr=0.05, image=3)
    n = len(SMALL_CNN)
    assert len(fs) == 4 + 2 * n == lab(mode="steps", epochs=0).length()
    assert [f.values.get("step") for f in fs] == [None, 1] + [2] * n + [3] + [4] * n + [5]
    first = lab(mode="steps", epochs=0, image=3)
    w0, x = first.weights, first.data.x_train[3:4]
    y = int(first.data.y_train[3])
    # An independent torch model with the same weights: the probabilities, the loss and every gradient.
    model = nn.Sequential(nn.Conv2d(1, 8, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(), nn.Linear(128, 10)).double()
    with torch.no_grad():
        for m, name in ((model[0], "CONV1"), (model[4], "FC1")):
            m.weight.copy_(torch.as_tensor(w0[name]["weight"]))
            m.bias.copy_(torch.as_tensor(w0[name]["bias"]))
    logits = model(torch.as_tensor(x))
    loss = F.cross_entropy(logits, torch.tensor([y]))
    loss.backward()
    error = next(f for f in fs if f.values.get("phase") == "error")
    np.testing.assert_allclose(error.values["probs"], F.softmax(logits, 1)[0].detach().numpy(), rtol=1e-12)
    assert error.values["loss"] == pytest.approx(float(loss.detach()), rel=1e-12)
    assert f"−ln p[{y}]" in error.caption
    back = {f.values["name"]: f for f in fs if f.values.get("phase") == "backward"}
    np.testing.assert_allclose(back["CONV1"].values["grads"]["weight"], model[0].weight.grad.numpy(), rtol=1e-10)
    np.testing.assert_allclose(back["FC1"].values["grads"]["weight"], model[4].weight.grad.numpy(), rtol=1e-10)
    for f in back.values():
        assert f.values["check"]["reference"] == "autograd" and f.values["check"]["ok"]
    # Step 5: w − η·g for the chained weight, and the loss after it from torch.
    upd = fs[-1].values
    wt = upd["weight"]
    g = model[0].weight.grad.numpy()[tuple(wt["index"])]
    assert tuple(wt["index"]) == pick(model[0].weight.grad.numpy())
    assert wt["after"] == pytest.approx(wt["before"] - 0.05 * g, rel=1e-12)
    with torch.no_grad():
        for m in (model[0], model[4]):
            m.weight -= 0.05 * m.weight.grad
            m.bias -= 0.05 * m.bias.grad
        assert upd["loss_after"] == pytest.approx(float(F.cross_entropy(model(torch.as_tensor(x)), torch.tensor([y]))), rel=1e-10)
    assert upd["check"]["reference"] == "torch.optim.SGD" and upd["check"]["ok"]


def test_chain_rule_terms_add_up():
    fs = frames(mode="steps", epochs=0)
    for f in fs:
        c = f.values.get("chain")
        if not c:
            continue
        grad = np.asarray(f.values["grads"]["weight"])
        assert c["value"] == grad[tuple(c["index"])]
        assert sum(t["delta"] * t["x"] for t in c["terms"]) == pytest.approx(c["value"], rel=1e-12) or c["nonzero"] > 16
        # δ of the largest term = the product of the factors along its path times the value where it mixes.
        path = c["path"]
        product = np.prod([s["factor"] for s in path if "factor" in s])
        end = path[-1].get("value", 1.0) if path else 1.0
        assert c["top"]["delta"] == pytest.approx(product * end, rel=1e-12)


def test_a_wrong_backward_formula_fails_the_check(monkeypatch):
    monkeypatch.setitem(bw.BACKWARD, "relu", lambda dout, out, layer: (dout, {}))  # forgets 1[x > 0]
    fs = frames(mode="steps", epochs=0)
    relu = next(f for f in fs if f.values.get("phase") == "backward" and f.values["kind"] == "relu")
    assert not relu.values["check"]["ok"] and relu.values["check"]["max_diff"] > 1e-3


# --- training -------------------------------------------------------------------------------


def test_torch_model_computes_what_our_numpy_pass_computes():
    l = lab(mode="train", epochs=0, layers=[C(4), {"kind": "batchnorm"}, R, P, {"kind": "dropout", "p": 0.3}, FC10, S])
    model = tm.build(l.cfg.layers, l.weights, "cpu", l.running).eval()
    x = l.data.x_valid[:20]
    ins, _ = fw.forward(l.cfg.layers, l.weights, x, fw.Context(train=False, running=l.running))
    with torch.no_grad():
        out = model(torch.as_tensor(x, dtype=torch.float32)).double().numpy()
    np.testing.assert_allclose(out, ins[-2], rtol=1e-4, atol=1e-5)


def test_training_frames_carry_the_contract_and_errors_are_right():
    trainer = lab(mode="train", epochs=3, train_images=300, batch=20)
    s = Stepper(trainer)
    s.ensure(1 << 20)
    assert s.frames[0].values["phase"] == "data"  # the overview: no model yet
    fs = s.frames[1:]
    assert len(fs) == 4
    for f in fs:
        v = f.to_json()["values"]
        for key in ("iteration", "loss", "valid_loss", "train_error", "valid_error"):
            assert isinstance(v[key], (int, float)), key
        assert 0 <= v["train_error"] <= 1 and 0 <= v["valid_error"] <= 1
    assert [f.values["iteration"] for f in fs] == [0, 15, 30, 45]
    assert "samples_per_s" not in fs[1].values  # wall-clock: never in a frame
    assert trainer.live_facts()["samples_per_s"] > 0
    last = fs[-1].values
    m = np.asarray(last["confusion"])
    assert m.sum() == 360 and last["test_error"] == pytest.approx(1 - np.trace(m) / 360)
    assert "test_error" not in fs[1].values
    # The validation error recomputed from the learned weights by our numpy forward.
    l = Stepper(lab(mode="train", epochs=3, train_images=300, batch=20))
    l.ensure(10)
    ins, _ = fw.forward(l.lab.cfg.layers, l.lab.weights, l.lab.data.x_valid, fw.Context(train=False))
    wrong = np.mean(ins[-1].argmax(1) != l.lab.data.y_valid)
    assert l.frames[-1].values["valid_error"] == pytest.approx(wrong, abs=1 / 359)


def test_learning_rate_knob_applies_from_the_next_iteration():
    s = Stepper(lab(mode="train", epochs=3, train_images=200, batch=50, lr=0.05))
    s.ensure(2)  # the overview, the untrained model, epoch 1
    line = s.lab.turn("lr", 0.2)
    assert line == "learning rate 0.05 → 0.2 from iteration 5"
    s.lab.turn("batch", 100)
    s.ensure(3)
    v = s.frames[3].values
    assert v["lr"] == 0.2 and v["batch"] == 100 and v["iteration"] == 4 + 2
    assert all(g["lr"] == 0.2 for g in s.lab.trainer.opt.param_groups)
    knobs = {k.key: k for k in s.lab.knobs()}
    assert knobs["lr"].live and knobs["batch"].live and not knobs["init"].live and knobs["batch"].high == 200


def test_a_diverging_learning_rate_stops_with_one_frame():
    fs = frames(mode="train", epochs=10, lr=50)
    last = fs[-1]
    assert last.values["diverged"] and len(fs) == 3  # the overview, the untrained model, the diverged epoch
    assert last.caption.startswith(f"diverged at iteration {last.values['diverged_at']}: the loss is ")
    assert "Lower lr (now 50)" in last.caption


def test_the_bundled_run_reaches_two_percent():
    """The README's figure: seed 0 of train-digits; the spread over seeds is in docs/train.md."""
    session = Session(load("train-digits"), device="cpu")
    v = session.finish().values
    session.close()
    assert v["test_error"] <= 0.02 and v["iteration"] == 30 * math.ceil(TRAIN_IMAGES / 32)


# --- frame 0: the data and the model, before torch ------------------------------------------------

BN = {"kind": "batchnorm"}


@pytest.mark.parametrize("more", [
    dict(layers=[C(4), R, P, {"kind": "dropout", "p": 0.3}, FC10, S], optimizer="momentum", batch=30),
    dict(layers=[C(2), C(6, groups=2, bias=False, stride=2), BN, R, FC10, S], optimizer="adam", init="xavier", batch=64),
    dict(layers=[{"kind": "fc", "units": 12}, {"kind": "sigmoid"}, FC10, S], optimizer="sgd", init="torch", batch=50),
])
def test_the_overview_is_what_torch_then_builds_and_trains(more):
    """Frame 0's numbers are arithmetic on the settings and the numpy digits; each is what the torch
    model, its optimizer and its training then hold: the parameter tensors' shapes and sizes in torch's
    order, the split the tensors on the device hold, the initialisation σ or bound from torch.nn.init's
    fan rules, the minibatches of one epoch as the model's forward pass sees them, the optimizer's class
    and settings, and the untrained guess as F.cross_entropy of equal logits."""
    l = lab(mode="train", epochs=1, train_images=200, lr=0.03, **more)
    seen: list[int] = []
    s = Stepper(l)
    s.ensure(0)
    v = s.frames[0].to_json()["values"]
    assert v["phase"] == "data" and l.trainer is None  # no model yet
    s.ensure(1)
    model = l.trainer.model
    model.register_forward_hook(lambda m, args, out: seen.append(len(args[0])) if m.training else None)
    s.ensure(2)
    tensors = [(tuple(dims), n) for r in v["weights"] for _, dims, n in r["tensors"]]
    assert tensors == [(tuple(q.shape), q.numel()) for q in model.parameters()]
    assert [r["count"] for r in v["weights"]] == [sum(n for *_, n in r["tensors"]) for r in v["weights"]]
    assert v["parameters"] == sum(q.numel() for q in model.parameters())
    # The split, from the tensors the model trains and is measured on.
    d = v["data"]
    assert (d["train"], d["valid"], d["test"]) == (len(l.y_train), len(l.y_valid), len(l.y_test)) == (200, 359, 360)
    assert d["split_train"] == len(digits.split(0).train) and d["images"] == 1797
    assert d["input"] == list(l.x_train.shape[1:]) and d["classes"] == len(torch.unique(l.y_train))
    assert d["pixels"] == [float(l.x_train.min()), float(l.x_train.max())]
    counts = Counter(l.y_train.tolist())
    assert d["per_class"] == [min(counts.values()), max(counts.values())]
    # The initialisation: σ (normal) or bound (uniform) from torch's fan rules and gains.
    mods = [m for m in model.modules() if isinstance(m, (nn.Conv2d, nn.Linear))]
    rows = [r for r in v["weights"] if r["kind"] != "batchnorm"]
    for r, m in zip(rows, mods, strict=True):
        fan_in, fan_out = nn.init._calculate_fan_in_and_fan_out(m.weight)
        want = {"he": nn.init.calculate_gain("relu") / math.sqrt(fan_in),
                "xavier": math.sqrt(3.0) * nn.init.calculate_gain("linear") * math.sqrt(2.0 / (fan_in + fan_out)),
                "torch": 1 / math.sqrt(fan_in)}[v["init"]]
        assert num(want) in r["init"], (r["init"], want)
    assert all(r["init"] == "γ = 1, β = 0" for r in v["weights"] if r["kind"] == "batchnorm")
    # One epoch: its minibatches as the model saw them.
    assert len(seen) == v["epoch_iterations"] == s.frames[2].values["iteration"] and v["iterations"] == len(seen)
    assert seen[-1] == v["last_batch"] and set(seen[:-1]) <= {v["batch"]}
    # The optimizer: torch's class, the lr and every setting as its defaults hold them.
    opt, o = l.trainer.opt, v["optimizer"]
    assert type(opt).__name__ == o["torch"] and opt.defaults["lr"] == o["lr"] == 0.03
    assert all(opt.defaults[k] == (tuple(x) if isinstance(x, (list, tuple)) else x) for k, x in o["settings"].items())
    assert set(o["settings"]) == {"sgd": set(), "momentum": {"momentum"}, "adam": {"betas", "eps"}}[more["optimizer"]]
    assert v["guess"] == pytest.approx(float(F.cross_entropy(torch.zeros(4, 10), torch.tensor([0, 3, 5, 9]))), rel=1e-7)
    text = s.frames[0].caption
    assert f"{v['parameters']:,} parameters" in text and f"one epoch is {v['epoch_iterations']} iterations" in text


def test_adam_is_stated_with_torchs_own_defaults():
    """Frame 0 states Adam's β and ε before torch loads: they are what torch.optim.Adam uses unasked."""
    defaults = torch.optim.Adam([torch.zeros(1, requires_grad=True)]).defaults
    _, settings = tm.OPTIMIZERS["adam"]
    assert settings == {k: defaults[k] for k in settings}


def test_the_dilution_overview_counts_each_set_ups_network():
    from engine.train.dilution import variant_layers

    l = lab(mode="dilution", batch=16)
    v = next(l.frames()).values
    assert v["phase"] == "data" and len(v["variants"]) == len(l.cfg.variants) == 4
    for s, raw in zip(v["variants"], l.cfg.variants):
        layers = variant_layers(l.cfg.layers, raw)
        shapes = [(1, 8, 8)] + [q.out_shape for q in plan(layers)]
        model = tm.build(layers, rules.initialise(layers, shapes, raw["init"], 0.1, np.random.default_rng(0)))
        assert s["parameters"] == sum(q.numel() for q in model.parameters())
        assert s["weight_layers"] == sum(isinstance(m, (nn.Linear, nn.Conv2d)) for m in model.modules())
    base = tm.build(l.cfg.layers, l.weights)
    assert [tuple(d) for r in v["weights"] for _, d, _ in r["tensors"]] == [tuple(q.shape) for q in base.parameters()]
    assert "init" not in v["weights"][0]  # each set-up has its own rule


def test_the_search_overview_counts_the_runs_and_an_epochs_iterations():
    params = dict(mode="search", layers=[C(4), R, P, {"kind": "dropout"}, FC10, S], levels=2, optimizers="momentum",
                  seeds=2, epochs=1, train_images=100, batch_range=[16, 40])
    fs = frames(**params)
    v = fs[0].to_json()["values"]
    runs = fs[-1].values["runs"]
    assert v["runs"] == len(runs) == 2 * v["budget"] * v["seeds"] and v["budget"] == len(fs[1].values["grid"])
    l = lab(**params)
    l.start_data()
    lo, hi = v["space"]["batch"]
    sizes = []
    for batch in (hi, lo):  # an epoch at the largest batch has the fewest iterations
        tr = tm.Trainer(tm.build(l.cfg.layers, l.weights), "momentum", 0.01, batch, l.x_train, l.y_train, 0)
        sizes.append(len(tr.epoch()))
    assert v["epoch_iterations"] == sizes


def test_the_model_is_the_same_whenever_it_is_built():
    """The model is built at frame 1 (torch may still be loading at frame 0), from the lab's seed: torch's
    generator used meanwhile changes nothing, dropout masks included."""
    params = dict(mode="train", epochs=2, train_images=150, layers=SMALL_CNN[:3] + [{"kind": "dropout", "p": 0.3}] +
                  SMALL_CNN[3:])
    want = [f.values["loss"] for f in frames(**params)[1:]]
    gen = lab(**params).frames()
    next(gen)
    torch.manual_seed(123), torch.rand(7)
    assert [f.values["loss"] for f in gen] == want


@pytest.mark.parametrize("key,value", [("lr", 0.2), ("batch", 20)])
def test_a_live_knob_turned_at_frame_0_applies_from_the_first_iteration(key, value):
    base = dict(mode="train", epochs=2, train_images=150, batch=50, lr=0.05)
    l = lab(**base)
    gen = l.frames()
    next(gen)
    assert l.turn(key, value).endswith("from iteration 1")
    got = [f.values for f in gen]
    want = [f.values for f in frames(**{**base, key: value})[1:]]
    assert [g[key] for g in got] == [value] * 3
    assert [(g["loss"], g["iteration"]) for g in got] == [(w["loss"], w["iteration"]) for w in want]


def test_frame_0_needs_no_torch():
    """Lab.torch_from is a promise the app relies on (it shows frame 0 while torch loads, from a worker
    that does not wait for it): every bundled training scenario but the five steps opens at torch_from = 1
    and draws frame 0, in text at 78 columns, without importing torch."""
    import subprocess
    import sys
    import textwrap

    from conftest import ROOT

    out = subprocess.run([sys.executable, "-c", textwrap.dedent("""
        import sys
        from rich.console import Console
        from engine.registry import lab_class
        from engine.session import Session
        from scenarios.loader import bundled_paths, load
        from tui_lab.render import render_frame
        seen = []
        for p in bundled_paths():
            if not p.stem.startswith("train-"):  # some other labs' scenarios read a torch checkpoint as they load
                continue
            scenario = load(p.stem)
            if scenario.params["mode"] != "steps":
                assert lab_class("train").torch_from(scenario.params) == 1
                session = Session(scenario, device="cpu")
                console = Console(file=open("/dev/null", "w"), width=78, record=True)
                console.print(render_frame("train", session.frame, 78))
                assert max(len(line) for line in console.export_text().splitlines()) <= 78
                seen.append(session.frame.values["phase"])
        print(seen, "torch" in sys.modules)
    """)], capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "['data', 'data', 'data', 'data', 'data'] False"


# --- dilution and search ----------------------------------------------------------------------


def test_dilution_norms_against_autograd_and_the_lecture():
    session = Session(load("train-dilution"), device="cpu")
    last = session.finish()
    session.close()
    variants = {s["label"]: s for s in last.values["variants"]}
    assert last.values["check"]["ok"] and last.values["check"]["reference"] == "autograd"
    sig, he = variants["sigmoid + N(0, 0.1²)"], variants["relu + He"]
    assert sig["ratio"] < 1e-4 and 0.1 < he["ratio"] < 10  # diluted vs not
    assert max(variants["relu + torch's default"]["norms"]) < 0.1 * min(he["norms"])  # tiny everywhere
    # Every norm of the sigmoid set-up again, from a torch model with the same weights and batch, by autograd.
    from engine.train.dilution import variant_layers

    l = session.lab
    v = l.cfg.variants[0]
    layers = variant_layers(l.cfg.layers, v)
    weights = rules.initialise(layers, [(1, 8, 8)] + [(32,)] * 20, "normal", 0.1, np.random.default_rng(0))
    rows = np.sort(np.random.default_rng(0).choice(len(l.data.y_train), 64, replace=False))
    mods = [nn.Flatten()]
    for layer in layers[:-1]:
        if layer["kind"] == "fc":
            w = weights[layer["name"]]
            lin = nn.Linear(w["weight"].shape[1], w["weight"].shape[0]).double()
            with torch.no_grad():
                lin.weight.copy_(torch.as_tensor(w["weight"]))
                lin.bias.copy_(torch.as_tensor(w["bias"]))
            mods.append(lin)
        else:
            mods.append(nn.Sigmoid())
    model = nn.Sequential(*mods)
    F.cross_entropy(model(torch.as_tensor(l.data.x_train[rows])), torch.as_tensor(l.data.y_train[rows])).backward()
    ref = [float(m.weight.grad.norm()) for m in model if isinstance(m, nn.Linear)]
    np.testing.assert_allclose(sig["norms"], ref, rtol=1e-9)
    assert len(ref) == 8


def test_search_contract_and_reproducibility():
    params = dict(mode="search", layers=[C(4), R, P, {"kind": "dropout"}, FC10, S], levels=1, optimizers="momentum",
                  seeds=3, epochs=1, train_images=200, batch_range=[16, 64])
    fs = frames(**params)
    assert len(fs) == lab(**params).length() == 3 + 2 * 1 * 3  # the overview, the grid, the runs, the summary
    v = fs[-1].to_json()["values"]
    assert len(v["runs"]) == 6 and {r["method"] for r in v["runs"]} == {"grid", "random"}
    for r in v["runs"]:
        assert set(r) == {"method", "seed", "lr", "batch", "dropout", "optimizer", "valid_error"}
    grid = [r for r in v["runs"] if r["method"] == "grid"]
    assert all(r["lr"] == pytest.approx(10 ** -1.5) and r["batch"] == 32 and r["dropout"] == 0.25 for r in grid)
    assert sum(v["wins"].values()) == 3
    for m in ("grid", "random"):
        assert v["best"][m]["valid_error"] == min(r["valid_error"] for r in v["runs"] if r["method"] == m)
    assert [f.to_json()["values"].get("run") for f in frames(**params)] == [f.to_json()["values"].get("run") for f in fs]


# --- bad input -----------------------------------------------------------------------------------


@pytest.mark.parametrize("params,key,words", [
    ({"layers": [C(8, size=9, padding=0), R, FC10, S]}, "params.layers[0].size", "window is larger"),
    ({"layers": [C(8), R, P, FC10]}, "params.layers[3].kind", "must end with a softmax"),
    ({"layers": [C(8), R, P, {"kind": "fc", "units": 12}, S]}, "params.layers[4].kind", "needs 10 values"),
    ({"batch": 2000}, "params.batch", "larger than the 1,078 training images"),
    ({"batch": 300, "train_images": 200}, "params.batch", "larger than the 200 training images"),
    ({"train_images": 5000}, "params.train_images", "at most 1,078"),
    ({"mode": "steps", "image": 1078}, "params.image", "from 0 to 1077"),
    ({"mode": "search"}, "params.layers", "no layer is kind = \"dropout\""),
    ({"mode": "search", "layers": [C(8), R, P, {"kind": "dropout"}, FC10, S], "lr_range": [1, 0.1]}, "params.lr_range",
     "low ≤ high"),
    ({"optimizers": "adam, nesterov", "mode": "search"}, "params.optimizers", "unknown optimizer 'nesterov'"),
    ({"mode": "steps", "layers": [{"kind": "fc", "units": 20}, {"kind": "batchnorm"}, FC10, S]}, "params.layers[1].kind",
     "needs a batch"),
    ({"layers": [C(8), {"kind": "norm"}, FC10, S]}, "params.layers[1].kind", "use batchnorm"),
    ({"layers": [{"kind": "fc", "units": 100_000}, FC10, S]}, "params.layers[0].units", "at most 5,000,000"),
])
def test_bad_params_name_their_key(params, key, words):
    with pytest.raises(ParamError) as info:
        TrainLab.validate(params)
    assert info.value.key == key and words in str(info.value) and "\n" not in str(info.value)


def test_check_gives_one_line_and_exit_2(tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text('title = "x"\nlab = "train"\n[params]\nbatch = 5000\n', encoding="utf-8")
    out = run_cli("check", str(bad))
    assert out.returncode == 2 and out.stderr.count("\n") == 1
    assert "bad.toml:4: params.batch: a batch of 5,000 is larger than the 1,078 training images" in out.stderr


def test_cuda_scenario_on_a_cpu_machine_is_one_line():
    if torch.cuda.is_available():
        pytest.skip("this machine has cuda")
    out = run_cli("replay", "train-cuda", "--device", "cuda")
    assert out.returncode == 2 and out.stderr.count("\n") == 1 and "only cpu" in out.stderr


@pytest.mark.cuda
@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs cuda")
def test_the_same_training_runs_on_cuda():
    # No dropout: its masks come from each device's own generator; the rest agrees to float32 rounding.
    cpu, gpu = (Session(load("train-digits").with_params(epochs=2, layers=SMALL_CNN), device=d) for d in ("cpu", "cuda"))
    a, b = cpu.finish().values, gpu.finish().values
    assert b["device"] == "cuda" and "samples_per_s" not in b
    assert b["loss"] == pytest.approx(a["loss"], rel=1e-2)


def test_json_replay_contract():
    import io

    from tui_lab.replay import replay

    buf = io.StringIO()
    replay(load("train-five-steps"), "json", buf, device="cpu")
    records = [json.loads(line) for line in buf.getvalue().splitlines()]
    assert len(records) == 14 and records[-1]["values"]["phase"] == "update"
    checked = [r for r in records if "check" in r["values"]]
    assert checked and all(r["values"]["check"]["reference"] in ("autograd", "torch.optim.SGD") for r in checked)
    assert all(r["values"]["check"]["ok"] for r in checked)


def test_importing_the_lab_does_not_import_torch():
    import subprocess
    import sys

    code = "import sys, engine.train.lab; assert 'torch' not in sys.modules, 'torch'; assert 'textual' not in sys.modules"
    assert subprocess.run([sys.executable, "-c", code], capture_output=True).returncode == 0
