"""The architecture lab: every shape, count and byte against hand-worked values and real torch modules.

The reference networks here are written out by hand with torch.nn (torchvision is not a
dependency) and built on the meta device, so no weights are allocated.
"""

import json

import pytest
import torch
from torch import nn

from conftest import spawn_cli
from engine.arch.lab import ArchLab
from engine.arch.layers import plan_network
from engine.core.params import ParamError
from engine.session import Session
from scenarios import ScenarioError, load
from scenarios.loader import load_text


def frames(name, **changes):
    scenario = load(name)
    if changes:
        scenario = scenario.with_params(**changes)
    session = Session(scenario, device="cpu")
    session.finish()
    out = session.stepper.frames
    session.close()
    return out


def layer_rows(name):
    return [f.values["layer"] for f in frames(name)[1:]]


# --- reference modules, written out by hand --------------------------------------------


def alexnet_lecture(groups=1, side=6):
    g = groups
    return nn.Sequential(
        nn.Conv2d(3, 96, 11, stride=4), nn.ReLU(), nn.MaxPool2d(3, 2), nn.LocalResponseNorm(5),
        nn.Conv2d(96, 256, 5, padding=2, groups=g), nn.ReLU(), nn.MaxPool2d(3, 2), nn.LocalResponseNorm(5),
        nn.Conv2d(256, 384, 3, padding=1), nn.ReLU(),
        nn.Conv2d(384, 384, 3, padding=1, groups=g), nn.ReLU(),
        nn.Conv2d(384, 256, 3, padding=1, groups=g), nn.ReLU(), nn.MaxPool2d(3, 2),
        nn.Flatten(), nn.Linear(256 * side * side, 4096), nn.ReLU(), nn.Dropout(), nn.Linear(4096, 4096), nn.ReLU(), nn.Dropout(),
        nn.Linear(4096, 1000),
    )


def alexnet_torchvision():
    """torchvision.models.alexnet's layers, in order (features, avgpool, classifier)."""
    return nn.Sequential(
        nn.Conv2d(3, 64, 11, stride=4, padding=2), nn.ReLU(), nn.MaxPool2d(3, 2),
        nn.Conv2d(64, 192, 5, padding=2), nn.ReLU(), nn.MaxPool2d(3, 2),
        nn.Conv2d(192, 384, 3, padding=1), nn.ReLU(),
        nn.Conv2d(384, 256, 3, padding=1), nn.ReLU(),
        nn.Conv2d(256, 256, 3, padding=1), nn.ReLU(), nn.MaxPool2d(3, 2),
        nn.AdaptiveAvgPool2d((6, 6)), nn.Flatten(),
        nn.Dropout(), nn.Linear(256 * 6 * 6, 4096), nn.ReLU(), nn.Dropout(), nn.Linear(4096, 4096), nn.ReLU(),
        nn.Linear(4096, 1000),
    )


def vgg(cfg):
    layers, c = [], 3
    for v in cfg:
        if v == "M":
            layers.append(nn.MaxPool2d(2, 2))
        else:
            layers += [nn.Conv2d(c, v, 3, padding=1), nn.ReLU()]
            c = v
    layers += [nn.Flatten(), nn.Linear(512 * 7 * 7, 4096), nn.ReLU(), nn.Dropout(),
               nn.Linear(4096, 4096), nn.ReLU(), nn.Dropout(), nn.Linear(4096, 1000)]
    return nn.Sequential(*layers)


VGG16 = [64, 64, "M", 128, 128, "M", 256, 256, 256, "M", 512, 512, 512, "M", 512, 512, 512, "M"]
VGG19 = [64, 64, "M", 128, 128, "M", 256, 256, 256, 256, "M", 512, 512, 512, 512, "M", 512, 512, 512, 512, "M"]


def lenet():
    return nn.Sequential(
        nn.Conv2d(1, 6, 5), nn.ReLU(), nn.AvgPool2d(2), nn.Conv2d(6, 16, 5), nn.ReLU(), nn.AvgPool2d(2),
        nn.Flatten(), nn.Linear(400, 120), nn.ReLU(), nn.Linear(120, 84), nn.ReLU(), nn.Linear(84, 10),
    )


def on_meta(build, *args):
    with torch.device("meta"):
        return build(*args)


def per_layer(model, input_shape):
    """Output shape and parameter count of each module, run on the meta device."""
    x = torch.empty(1, *input_shape, device="meta")
    out = []
    for m in model:
        x = m(x)
        out.append((list(x.shape[1:]), sum(p.numel() for p in m.parameters())))
    return out


REFERENCES = {
    "arch-alexnet": (lambda: alexnet_lecture(1), [3, 227, 227], 62_378_344),
    "arch-alexnet-grouped": (lambda: alexnet_lecture(2), [3, 227, 227], 60_965_224),
    "arch-alexnet-torchvision": (alexnet_torchvision, [3, 224, 224], 61_100_840),
    "arch-alexnet-224": (lambda: alexnet_lecture(1, side=5), [3, 224, 224], None),
    "arch-vgg16": (lambda: vgg(VGG16), [3, 224, 224], 138_357_544),
    "arch-vgg19": (lambda: vgg(VGG19), [3, 224, 224], 143_667_240),
    "arch-lenet": (lenet, [1, 32, 32], 61_706),
}


# --- the lecture's numbers ----------------------------------------------------------------


def test_lecture_conv1_and_pool1():
    rows = layer_rows("arch-alexnet")
    conv1, pool1 = rows[0], rows[2]
    assert conv1["name"] == "CONV1" and conv1["out_shape"] == (96, 55, 55)
    assert conv1["params"] == (11 * 11 * 3) * 96 + 96 == 34_944
    assert conv1["weights"] == 34_848 and conv1["biases"] == 96  # the slide's "35K" is the weights alone
    assert conv1["size_formula"] == "(227 − 11)/4 + 1 = 55"
    assert conv1["params_formula"] == "(11·11·3)·96 + 96 = 34,944"
    assert "96 biases" in conv1["why"] and "(≈ 35K as the lecture counts AlexNet's CONV1)" in conv1["why"]
    assert pool1["name"] == "POOL1" and pool1["out_shape"] == (96, 27, 27) and pool1["params"] == 0
    assert pool1["size_formula"] == "(55 − 3)/2 + 1 = 27"
    assert "nothing to learn" in pool1["why"]


def test_lecture_alexnet_by_hand():
    by_hand = {
        "CONV1": 11 * 11 * 3 * 96 + 96, "CONV2": 5 * 5 * 96 * 256 + 256, "CONV3": 3 * 3 * 256 * 384 + 384,
        "CONV4": 3 * 3 * 384 * 384 + 384, "CONV5": 3 * 3 * 384 * 256 + 256,
        "FC6": 6 * 6 * 256 * 4096 + 4096, "FC7": 4096 * 4096 + 4096, "FC8": 4096 * 1000 + 1000,
    }
    fs = frames("arch-alexnet")
    got = {f.values["layer"]["name"]: f.values["layer"]["params"] for f in fs[1:] if f.values["layer"]["params"]}
    assert got == by_hand
    assert fs[-1].values["total_params"] == sum(by_hand.values()) == 62_378_344
    # FC6 alone holds about 60% of the parameters.
    assert 0.60 < by_hand["FC6"] / 62_378_344 < 0.61


def test_grouped_alexnet_by_hand():
    fs = frames("arch-alexnet-grouped")
    got = {f.values["layer"]["name"]: f.values["layer"]["params"] for f in fs[1:]}
    assert got["CONV2"] == 5 * 5 * 48 * 256 + 256
    assert got["CONV4"] == 3 * 3 * 192 * 384 + 384
    assert got["CONV5"] == 3 * 3 * 192 * 256 + 256
    assert fs[-1].values["total_params"] == 60_965_224


@pytest.mark.parametrize("name", list(REFERENCES))
def test_every_layer_matches_a_handwritten_torch_module(name):
    build, input_shape, total = REFERENCES[name]
    model = on_meta(build)
    ref = per_layer(model, input_shape)
    fs = frames(name)
    rows = [f.values["layer"] for f in fs[1:]]
    assert len(rows) == len(ref)
    for row, (shape, params) in zip(rows, ref):
        assert list(row["out_shape"]) == shape, row["name"]
        assert row["params"] == params, row["name"]
        assert row["torch"]["matches"]
    last = fs[-1].values
    assert last["total_params"] == sum(p.numel() for p in model.parameters())
    assert last["matches_torch"] and last["torch_total_params"] == last["total_params"]
    if total is not None:
        assert last["total_params"] == total


@pytest.mark.parametrize("name", ["arch-alexnet", "arch-lenet", "arch-alexnet-torchvision"])
def test_each_layer_s_macs_and_check_record_against_a_handwritten_module(name):
    """Every layer frame carries the engine's check record; the MACs it checked are the handwritten
    module's FlopCounterMode FLOPs / 2."""
    from torch.utils.flop_counter import FlopCounterMode

    build, input_shape, _ = REFERENCES[name]
    x = torch.empty(1, *input_shape, device="meta")
    fs = frames(name)
    for module, f in zip(on_meta(build), fs[1:]):
        with FlopCounterMode(display=False) as counter:
            x = module(x)
        layer = f.values["layer"]
        assert layer["macs"] == layer["torch"]["macs"] == counter.get_total_flops() // 2, layer["name"]
        assert f.values["check"] == {"reference": "nn modules (meta) + FlopCounterMode" if f is not fs[-1] else
                                     "nn modules (meta): sum(p.numel()) + FlopCounterMode",
                                     "max_diff": 0.0, "tolerance": 0.0, "ok": True}
    assert "check" not in fs[0].values  # the input: nothing to check


def test_a_layer_torch_disagrees_with_is_flagged(monkeypatch):
    """Stand in a torch trace that counts one parameter more for CONV1: the engine says so."""
    from dataclasses import replace

    import conftest
    from engine.arch import frames as arch_frames

    real = arch_frames.trace

    def off_by_one(layer, in_shape):
        found = real(layer, in_shape)
        return replace(found, params=found.params + 1) if layer.name == "C1" else found

    monkeypatch.setattr(arch_frames, "trace", off_by_one)
    fs = frames("arch-lenet")
    assert fs[1].values["check"]["ok"] is False and fs[1].values["check"]["max_diff"] == 1
    assert fs[1].values["layer"]["torch"]["matches"] is False and fs[2].values["check"]["ok"]
    last = fs[-1].values
    assert last["check"]["ok"] is False and last["matches_torch"] is False
    assert last["torch_total_params"] == last["total_params"] + 1
    assert "✗ differs from nn modules (meta)" in conftest.draw("arch", fs[1])


@pytest.mark.parametrize("name", ["arch-alexnet", "arch-lenet", "arch-alexnet-grouped"])
def test_macs_match_torch_flop_counter(name):
    """torch's FlopCounterMode counts 2 FLOPs per multiply-add in conv and matmul, no bias adds."""
    from torch.utils.flop_counter import FlopCounterMode

    build, input_shape, _ = REFERENCES[name]
    model = on_meta(build)
    with FlopCounterMode(display=False) as counter:
        model(torch.empty(1, *input_shape, device="meta"))
    totals = frames(name)[-1].values["totals"]
    assert totals["flops"] == 2 * totals["macs"] == counter.get_total_flops()


def test_bias_adds_counted_on_request():
    rows = layer_rows("arch-alexnet")
    counted = [f.values["layer"] for f in frames("arch-alexnet", bias_flops=True)[1:]]
    conv1 = counted[0]
    assert conv1["macs"] == 55 * 55 * 96 * (11 * 11 * 3)
    assert conv1["flops"] == 2 * conv1["macs"] + 96 * 55 * 55
    assert rows[0]["flops"] == 2 * rows[0]["macs"]
    assert "bias adds counted" in frames("arch-alexnet", bias_flops=True)[1].values["convention"]


def test_224_input_is_floored_with_a_warning():
    fs = frames("arch-alexnet-224")
    conv1 = fs[1].values["layer"]
    ref = torch.nn.functional.conv2d(torch.empty(1, 3, 224, 224, device="meta"), torch.empty(96, 3, 11, 11, device="meta"), stride=4)
    assert list(conv1["out_shape"]) == list(ref.shape[1:]) == [96, 54, 54]
    assert conv1["size_formula"] == "(224 − 11)/4 + 1 = 54.25, floored to 54"
    # (224 − 11) = 213 = 4·53 + 1: one row and one column are never reached by a window
    assert "CONV1" in conv1["warning"] and "1 input row and 1 input column" in conv1["warning"]
    assert "⚠ floored" in fs[1].caption
    assert fs[-1].values["total_params"] == 62_378_344 - (9216 - 6400) * 4096  # FC6 sees 256·5·5 inputs
    assert len(fs[-1].values["warnings"]) == 4  # CONV1, POOL1, POOL2, POOL3


# --- memory -------------------------------------------------------------------------------


def test_network_memory_against_torch_tensors():
    fs = frames("arch-alexnet", batch=2)
    layer = fs[1].values["layer"]
    act = torch.empty(2, 96, 55, 55, dtype=torch.float32)
    assert layer["activation_bytes"] == act.numel() * act.element_size()
    totals = fs[-1].values["totals"]
    weights = sum(p.numel() * p.element_size() for p in on_meta(alexnet_lecture).parameters())
    assert totals["weight_bytes"] == weights == 4 * 62_378_344
    assert totals["gradient_bytes"] == weights
    assert totals["optimizer_bytes"] == weights  # momentum: one velocity per weight
    assert totals["training_bytes"] == totals["forward_bytes"] + 2 * weights
    assert totals["forward_bytes"] == totals["input_bytes"] + weights + totals["activation_bytes"]
    assert totals["input_bytes"] == 2 * 3 * 227 * 227 * 4


def test_memory_calculator_reproduces_the_slide():
    fs = frames("arch-memory")
    assert fs[2].values["inference_bytes"] == (26_000_000 + 16_000_000) * 4 == 168 * 10**6
    assert "168 MB" in fs[2].caption
    assert fs[-1].values["total_bytes"] == 168 * 10**6 + 26_000_000 * 4 * 2  # + gradients + momentum
    assert fs[-1].values["total_params"] == 26_000_000


@pytest.mark.parametrize("optimizer", ["sgd", "momentum", "adam"])
def test_optimizer_state_matches_torch_optim(optimizer):
    """Count what torch.optim really keeps after one step of a small real module."""
    model = nn.Linear(7, 5)
    opt = {"sgd": lambda p: torch.optim.SGD(p, lr=0.1), "momentum": lambda p: torch.optim.SGD(p, lr=0.1, momentum=0.9),
           "adam": lambda p: torch.optim.Adam(p, lr=0.1)}[optimizer](model.parameters())
    model(torch.ones(1, 7)).sum().backward()
    opt.step()
    n = sum(p.numel() for p in model.parameters())
    # State tensors shaped like their parameter (Adam's scalar `step` is not per weight).
    kept = sum(t.numel() for p, s in opt.state.items() for t in s.values() if torch.is_tensor(t) and t.shape == p.shape)
    fs = frames("arch-memory", optimizer=optimizer, weights=n)
    assert fs[-1].values["parts"][3]["bytes"] == kept * 4


# --- why convolution ------------------------------------------------------------------------


def test_why_conv_slides():
    fs = frames("arch-why-conv")
    fc, local, conv = (f.values["layer"] for f in fs[1:])
    with torch.device("meta"):
        dense = nn.Linear(1000 * 1000, 1000 * 1000, bias=False)
        shared = nn.Conv2d(1, 1, 10, bias=False)
    assert fc["params"] == dense.weight.numel() == 10**12
    assert local["params"] == 10**6 * 10 * 10 == 10**8
    assert conv["params"] == shared.weight.numel() == 100
    assert fs[1].caption == "Fully connected: 1,000,000 · 1,000,000 = 10^12 parameters"
    assert fs[2].caption == "Locally connected: 1,000,000 · 10·10 = 10^8 parameters"
    assert all(v["torch"]["matches"] for v in fs[-1].values["variants"])
    assert fs[-1].values["total_params"] == 100
    assert fs[-1].values["check"] == {"reference": "nn.Linear, nn.Conv2d (meta)", "max_diff": 0.0, "tolerance": 0.0,
                                      "ok": True}


# --- validation -------------------------------------------------------------------------


NET = 'title = "x"\nlab = "arch"\n[params]\ninput = [3, 32, 32]\n'


def bad(text):
    with pytest.raises(ScenarioError) as info:
        load_text(NET + text, "t.toml")
    return info.value


def test_output_size_zero_names_layer_and_formula():
    err = bad('[[params.layers]]\nkind = "conv"\nfilters = 4\nsize = 40\n')
    assert err.key == "params.layers[0].size"
    assert "CONV1: output height (32 − 40)/1 + 1 = −7 ≤ 0" in err.message


def test_pool_padding_over_half_the_window():
    err = bad('[[params.layers]]\nkind = "pool"\nsize = 2\npadding = 2\n')
    assert err.key == "params.layers[0].padding" and "at most 1" in err.message
    with pytest.raises(RuntimeError):  # torch agrees
        nn.MaxPool2d(2, padding=2)(torch.zeros(1, 1, 8, 8))


def test_layer_defaults_and_names_are_filled_once():
    p = ArchLab.validate({"input": [1, 8, 8], "layers": [{"kind": "pool", "size": 2}, {"kind": "conv", "filters": 2, "size": 3},
                                                          {"kind": "fc", "units": 3}]})
    assert p["layers"][0] == {"kind": "pool", "name": "POOL1", "pool": "max", "size": 2, "stride": 2, "padding": 0}
    assert p["layers"][1]["name"] == "CONV1" and p["layers"][1]["bias"] is True
    assert ArchLab.validate(p) == p  # re-validating validated params changes nothing (edit form, `set`)
    assert [q.out_shape for q in plan_network(p["input"], p["layers"])] == [(1, 4, 4), (2, 2, 2), (3,)]


def test_adaptive_pool_takes_output_not_size():
    err = bad('[[params.layers]]\nkind = "pool"\npool = "adaptive_avg"\nsize = 2\n')
    assert err.key == "params.layers[0].size" and "takes pool, output" in err.message


def test_set_in_a_script_is_validated():
    with pytest.raises(ScenarioError) as info:
        load_text(NET + '[[params.layers]]\nkind = "relu"\n[[script]]\ndo = "set"\nkey = "batch"\nvalue = 0\n', "t.toml")
    assert "batch = 0 is not allowed" in str(info.value)


def test_why_conv_filter_must_fit():
    with pytest.raises(ParamError) as info:
        ArchLab.validate({"mode": "why_conv", "image": 8, "filter": 9})
    assert info.value.key == "params.filter"


# --- frames, JSON and the GPU key -----------------------------------------------------------


def test_frames_are_frozen_and_json_ready():
    for f in frames("arch-lenet"):
        json.dumps(f.to_json(), allow_nan=False)
        with pytest.raises(TypeError):
            f.values["layer"]["params"] = 1


def test_forward_pass_key_on_cpu_says_it_needs_a_gpu():
    session = Session(load("arch-lenet"), device="cpu")
    note = session.lab.adjust("forward")
    assert "needs a GPU" in note and "--device cuda" in note
    with pytest.raises(KeyError):
        session.lab.adjust("nope")
    session.close()


def test_replay_json_contract_and_determinism():
    first = spawn_cli("replay", "arch-lenet", "--format", "json", "--device", "cpu")
    assert first.returncode == 0, first.stderr
    records = [json.loads(line) for line in first.stdout.splitlines()]
    assert [r["step"] for r in records] == list(range(13))
    for r in records:
        assert {"name", "kind", "out_shape", "params", "activations"} <= set(r["values"]["layer"])
    assert records[0]["values"]["layer"]["out_shape"] == [1, 32, 32]
    assert records[7]["values"]["layer"]["out_shape"] == [400]  # after flatten: [N]
    assert records[-1]["values"]["total_params"] == sum(p.numel() for p in lenet().parameters()) == 61_706
    assert "total_params" not in records[-2]["values"]
    again = spawn_cli("replay", "arch-lenet", "--format", "json", "--device", "cpu")
    assert again.stdout == first.stdout


@pytest.mark.parametrize("raw, key, number", [
    ({"mode": "why_conv", "image": 60000}, "params.image", "12,960,000,000,000,000,000"),
    ({"mode": "why_conv", "image": 30000, "maps": 10000}, "params.maps", "8,100,000,000,000,000,000,000"),
    ({"input": [100000, 100000, 100000], "layers": [{"kind": "fc", "units": 100000000}]},
     "params.layers[0].units", "10^23"),
    ({"input": [100000, 100000, 100000], "batch": 100000, "layers": [{"kind": "relu"}]},
     "params.batch", "10^20"),
    ({"input": [10000, 100000, 100000], "batch": 20000, "layers": [{"kind": "relu"}]},
     "params.batch", "20,000 · 10000×100000×100000"),
    ({"input": [100000, 10, 10], "layers": [{"kind": "conv", "filters": 1000000, "size": 10000, "padding": 5000}]},
     "params.layers[0].filters", "(10000·10000·100000)·1000000 = 10^19"),
    ({"input": [1, 100000, 100000], "batch": 100,
      "layers": [{"kind": "conv", "filters": 1000000, "size": 1, "padding": 100000}]},
     "params.batch", "CONV1: a batch of 100 outputs would be 100 · 90,000,000,000,000,000"),
])
def test_tensors_torch_cannot_hold_are_rejected_at_check(raw, key, number):
    with pytest.raises(ParamError) as info:
        ArchLab.validate(raw)
    assert info.value.key == key and number in info.value.message and "torch holds at most" in info.value.message


def test_the_largest_why_conv_torch_can_hold_still_runs():
    # 32000² pixels into 32000² hidden units: 32000^4 ≈ 1.05·10^18 weights, just under the limit
    out = frames_of({"mode": "why_conv", "image": 32000})
    assert out[1].values["variants"][0]["params"] == 32000**4 and out[1].values["variants"][0]["torch"]["matches"]


def frames_of(raw):
    lab_ = ArchLab(ArchLab.validate(raw))
    return list(lab_.frames())


# --- sigmoid, softmax and batch normalisation (shared with the training lab) -----------


def test_sigmoid_softmax_batchnorm_against_torch_modules():
    """Batch norm has 2·C parameters (γ, β; the running statistics are buffers), sigmoid and softmax none."""
    layers = [{"kind": "conv", "filters": 6, "size": 3, "padding": 1}, {"kind": "batchnorm"}, {"kind": "sigmoid"},
              {"kind": "pool", "size": 2}, {"kind": "fc", "units": 12}, {"kind": "batchnorm"}, {"kind": "relu"},
              {"kind": "fc", "units": 10}, {"kind": "softmax"}]
    params = ArchLab.validate({"input": [1, 8, 8], "layers": layers})
    plans = plan_network(params["input"], params["layers"])
    assert [q.name for q in plans] == ["CONV1", "BN1", "SIGMOID1", "POOL1", "FC1", "BN2", "RELU1", "FC2", "SOFTMAX1"]
    model = on_meta(lambda: nn.Sequential(
        nn.Conv2d(1, 6, 3, padding=1), nn.BatchNorm2d(6), nn.Sigmoid(), nn.MaxPool2d(2), nn.Flatten(), nn.Linear(96, 12),
        nn.BatchNorm1d(12), nn.ReLU(), nn.Linear(12, 10), nn.Softmax(dim=1)).eval())
    ref = per_layer(model, [1, 8, 8])
    del ref[4]  # the arch lab's fc flattens by itself
    assert [(list(q.out_shape), q.params) for q in plans] == ref
    assert plans[1].params == 2 * 6 and plans[1].params_formula == "2·6 = 12"
    assert plans[5].params == 2 * 12 and plans[2].params == plans[8].params == 0
    # The lab's own torch trace (meta device, evaluation mode) agrees layer by layer.
    session = Session(load("arch-lenet").with_params(input=[1, 8, 8], layers=layers), device="cpu")
    session.finish()
    assert session.frame.values["matches_torch"]
    session.close()


def test_other_convolutions_round_their_weights_without_citing_the_lecture():
    """The lecture counts only AlexNet's CONV1 (35K); VGG-16's first layer is no slide's."""
    from engine.core.fmt import rounded

    session = Session(load("arch-vgg16"), device="cpu")
    session.goto(1)
    why = session.frame.values["layer"]["why"]
    assert "(3·3·3)·64 = 1,728 (≈ 1.7K)" in why and "lecture" not in why
    assert [rounded(n) for n in (999, 1_728, 34_848, 884_736, 1_179_648, 61_100_840, 7e9)] == \
        ["999", "1.7K", "35K", "885K", "1.2M", "61M", "7G"]


@pytest.mark.parametrize("name", ["arch-alexnet", "arch-why-conv", "arch-memory"])
def test_frames_are_the_same_whatever_the_random_generators_hold(name, monkeypatch):
    """ArchLab.draws_random is False, so an open and a knob turn seed nothing (torch.manual_seed
    costs a turn milliseconds): the frames, torch checks included (built afresh, not from the
    trace cache), must not depend on python's, numpy's or torch's generator state."""
    import random

    import numpy as np

    from engine.arch import torch_check
    from engine.core.frame import to_plain

    def replay(scramble):
        torch_check._traced.clear()
        torch_check.why_conv_modules.cache_clear()
        scramble()
        session = Session(load(name), device="cpu")
        out = []
        for i in range(session.count):
            scramble()
            session.goto(i)
            out.append(json.dumps(to_plain({"caption": session.frame.caption, **session.frame.values})))
        return out

    def scrambled():
        n = random.randrange(1 << 30)
        random.seed(n)
        np.random.seed(n % 1000)
        torch.manual_seed(n)

    assert not ArchLab.draws_random(load(name).params)
    assert replay(scrambled) == replay(lambda: torch.manual_seed(0))


def test_which_frames_need_torch():
    """What the app waits for torch for (tui_lab/lab_work.py), mode by mode; that the frames
    before it need none is proved in a fresh interpreter (test_boundary.py)."""
    assert ArchLab.torch_from(load("arch-alexnet").params) == 1  # frame 0 is the input
    assert ArchLab.torch_from(load("arch-why-conv").params) == 1  # frame 0 is the slides' question
    assert ArchLab.torch_from(load("arch-memory").params) is None  # the calculator never asks torch
    own = load("arch-own-model").params
    assert ArchLab.torch_from(own) == 0 and ArchLab.draws_random(own)  # the person's model, walked as it opens
