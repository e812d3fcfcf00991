"""A model from code in the arch lab: the walk against torchinfo, sum(p.numel()) and FlopCounterMode.

The reference models live in tests/models/arch_models.py; the lab opens them by path (as a
person would), the tests import the same classes and ask torchinfo and torch directly.
"""

import io
import json
import sys

import pytest
import torch
from torch import nn
from torch.utils.flop_counter import FlopCounterMode

from conftest import ROOT
from engine.arch.lab import ArchLab
from engine.arch.model import allow, allowed, bundled_folder
from engine.core.params import ParamError
from scenarios import load
from tui_lab.cli import main

MODELS = ROOT / "tests" / "models" / "arch_models.py"
sys.path.insert(0, str(MODELS.parent))
import arch_models  # noqa: E402

CASES = {
    "ResBlockNet": (3, 16, 16),  # a skip connection with a downsample
    "DepthwiseSeparable": (16, 8, 8),  # groups = channels, then 1×1
    "SharedLayer": (10,),  # one Linear called twice
    "LSTMNet": (5, 6),  # a two-layer LSTM over 5 steps of 6 features
    "Branches": (3, 8, 8),  # a cat of two branches, frozen stem, an unused module, own parameters
    "tied": (8,),  # a function returning a model whose two Linears share a weight
    "TinyGPT": (16,),  # token ids: an embedding, a transformer layer, a head tied to the embedding
}
TOKENS = {"TinyGPT"}


def frames_of(name, shape, **params):
    spec = f"{MODELS}:{name}"
    allow(spec)
    params.setdefault("tokens", name in TOKENS)
    lab = ArchLab(ArchLab.validate({"model": spec, "input": list(shape), **params}))
    return list(lab.frames())


def steps_of(name):
    return [f.values["layer"] for f in frames_of(name, CASES[name])[1:]]


def on_meta(name):
    with torch.device("meta"):
        return getattr(arch_models, name)()


# --- totals: sum(p.numel()) and FlopCounterMode ----------------------------------------------


@pytest.mark.parametrize("name", list(CASES))
def test_totals_match_numel_and_flop_counter(name):
    shape = CASES[name]
    model = on_meta(name)
    dtype = torch.int64 if name in TOKENS else torch.float32
    with FlopCounterMode(display=False) as counter:
        model.eval()(torch.empty(1, *shape, device="meta", dtype=dtype))
    last = frames_of(name, shape)[-1].values
    assert last["total_params"] == sum(p.numel() for p in model.parameters())
    assert last["trainable_params"] == sum(p.numel() for p in model.parameters() if p.requires_grad)
    assert 2 * last["total_macs"] == last["total_flops"] == counter.get_total_flops() > 0
    # Every MAC and every parameter belongs to a step (or to a module never called).
    assert last["totals"]["macs"] == last["total_macs"] and last["matches"]["macs"]
    assert last["totals"]["params"] + sum(u["params"] for u in last["uncalled"]) == last["total_params"]
    assert last["matches"]["params"]


# --- each leaf call against torchinfo ---------------------------------------------------------


@pytest.mark.parametrize("name", ["ResBlockNet", "DepthwiseSeparable", "SharedLayer", "LSTMNet", "tied"])
def test_every_leaf_call_matches_torchinfo(name):
    import torchinfo

    shape = CASES[name]
    model = getattr(arch_models, name)().eval()
    summary = torchinfo.summary(model, input_size=(1, *shape), depth=100, verbose=0, device="cpu")
    ref = [(li.class_name, list(li.output_size), li.num_params) for li in summary.summary_list if li.is_leaf_layer]
    ours = [(s["kind"], [1, *s["out_shape"]], s["params"]) for s in steps_of(name) if s["module"]]
    assert ours == ref and len(ref) >= 2


def conv_macs(m, out_shape):
    """Hand formula: every output value is k·k·(C_in/groups) multiply-adds."""
    k = m.kernel_size[0] * m.kernel_size[1]
    return out_shape[0] * out_shape[1] * out_shape[2] * k * m.in_channels // m.groups


@pytest.mark.parametrize("name", ["ResBlockNet", "DepthwiseSeparable", "Branches"])
def test_conv_and_linear_macs_by_hand(name):
    model = getattr(arch_models, name)()
    mods = dict(model.named_modules())
    for s in steps_of(name):
        m = mods.get(s["name"])
        if isinstance(m, nn.Conv2d):
            assert s["macs"] == conv_macs(m, s["out_shape"]), s["name"]
        elif isinstance(m, nn.Linear):
            assert s["macs"] == m.in_features * m.out_features, s["name"]


def test_lstm_macs_by_hand():
    lstm, head = steps_of("LSTMNet")
    t, f, h = 5, 6, 12
    # Each step of each layer: 4 gates of h units over [x, h_prev]; layer 2 reads layer 1's h.
    assert lstm["macs"] == t * (4 * h * (f + h) + 4 * h * (h + h))
    assert lstm["out_shape"] == (t, h) and head["macs"] == h * 4


def test_depthwise_conv_has_one_filter_per_channel():
    dw, _, _, pw, *_ = steps_of("DepthwiseSeparable")
    assert dw["params"] == 16 * 3 * 3 and pw["params"] == 16 * 32
    assert dw["macs"] == 8 * 8 * 16 * 9 and pw["macs"] == 8 * 8 * 32 * 16


# --- shared modules, joins, frozen and unused parameters ----------------------------------


def test_shared_layer_appears_twice_counted_once():
    fs = frames_of("SharedLayer", CASES["SharedLayer"])
    rows = [f.values["layer"] for f in fs[1:]]
    calls = [(i, r) for i, r in enumerate(rows, 1) if r["name"] == "shared"]
    (first_i, first), (second_i, second) = calls
    assert first["params"] == second["params"] == 20 * 20 + 20
    assert first["new_params"] == 420 and second["new_params"] == 0
    assert second["shared"] and second["call"] == 2 and second["first_step"] == first_i
    assert "shared with step 3: counted once" in fs[second_i].caption
    assert fs[second_i].values["totals"]["params"] == fs[second_i - 1].values["totals"]["params"]
    assert fs[-1].values["totals"]["params"] == 220 + 420 + 63


def test_tied_weights_counted_once():
    rows = steps_of("tied")
    assert rows[2]["params"] == 64 and rows[2]["new_params"] == 0 and rows[2]["shared"]


def test_skip_connection_is_a_step():
    rows = steps_of("ResBlockNet")
    add = next(r for r in rows if r["kind"] == "add")
    assert not add["module"] and add["params"] == 0
    assert add["describe"] == "add: 16×8×8 + 16×8×8"
    assert add["in_shapes"] == ((16, 8, 8), (16, 8, 8)) and add["out_shape"] == (16, 8, 8)
    # It comes after both branches: bn2 (main path) and down (skip path).
    assert [r["name"] for r in rows[-3:]] == ["bn2", "down", "add"]


def test_cat_and_frozen_and_unused_and_own_parameters():
    fs = frames_of("Branches", CASES["Branches"])
    rows = [f.values["layer"] for f in fs[1:]]
    cat = next(r for r in rows if r["kind"] == "cat")
    assert cat["describe"] == "cat: 6×8×8, 2×8×8 along dim 1" and cat["out_shape"] == (8, 8, 8)
    assert next(r for r in rows if r["kind"] == "mul")["describe"] == "mul: 8×8×8 × 8×1×1"
    stem = rows[0]
    assert stem["trainable"] == 0 and stem["frozen"] == 3 * 4 * 9 + 4
    owner = rows[-1]
    assert owner["kind"] == "Branches" and owner["params"] == 8 and owner["macs"] == 0
    last = fs[-1].values
    assert last["frozen_params"] == 112 and last["uncalled"] == ({"name": "spare", "params": 30},)
    # Memory so far covers the steps: the frozen stem and the unused Linear get no gradient here.
    assert last["totals"]["gradient_bytes"] == 4 * (last["trainable_params"] - 30) == 4 * (6 * 4 + 6 + 2 * 4 * 9 + 2 + 8)


def test_token_ids_and_attention():
    fs = frames_of("TinyGPT", (16,))
    rows = [f.values["layer"] for f in fs[1:]]
    assert rows[0]["kind"] == "Embedding" and rows[0]["out_shape"] == (16, 32)
    head = rows[-1]
    assert head["kind"] == "Linear" and head["shared"] and head["new_params"] == 0  # tied to the embedding
    # nn.MultiheadAttention hands its work to one torch function: a step with its MACs
    # (q, k, v and out projections 4·16·32·32, scores and weighted sum 2·16·16·32).
    attn = next(r for r in rows if r["kind"] == "multi_head_attention_forward")
    assert attn["macs"] == 4 * 16 * 32 * 32 + 2 * 16 * 16 * 32
    assert fs[-1].values["uncalled"] == ({"name": "block.self_attn.out_proj", "params": 32 * 32 + 32},)
    assert fs[0].values["totals"]["input_bytes"] == 16 * 8  # int64 ids


def test_token_model_without_tokens_says_so(capsys):
    err = bad(capsys, "--model", f"{MODELS}:TinyGPT", "--input", "16")
    assert "TinyGPT rejected input 1×16: RuntimeError: Expected tensor for argument #1 'indices'" in err
    assert "tokens = true (--tokens)" in err
    rc = main(["replay", "--model", f"{MODELS}:TinyGPT", "--input", "16", "--tokens", "--format", "json",
               "--device", "cpu"])
    assert rc == 0 and json.loads(capsys.readouterr().out.splitlines()[-1])["values"]["tokens"] is True


def test_seven_billion_parameters_open_on_meta():
    rows = frames_of("Huge", (8192,))
    last = rows[-1].values
    assert last["total_params"] == 13 * 2 * (8192 * 32768) + 13 * (32768 + 8192) > 6.9e9
    assert last["totals"]["weight_bytes"] == 4 * last["total_params"]  # 28 GB that were never allocated


# --- replay, JSON contract and the command line -------------------------------------------------


def replay_records(scenario):
    from tui_lab.replay import replay

    buf = io.StringIO()
    replay(scenario, "json", buf, device="cpu")
    return [json.loads(line) for line in buf.getvalue().splitlines()]


def test_bundled_scenario_json_contract():
    records = replay_records(load("arch-own-model"))
    for r in records[1:]:
        assert {"name", "kind", "out_shape", "params", "activations", "macs"} <= set(r["values"]["layer"])
    kinds = [r["values"]["layer"]["kind"] for r in records[1:]]
    assert kinds.count("add") == 3 and kinds[0] == "Conv2d"
    last = records[-1]["values"]
    sys.path.insert(0, str(bundled_folder()))
    import resnet_tiny

    with torch.device("meta"):
        ref = resnet_tiny.ResNetTiny()
    assert last["total_params"] == sum(p.numel() for p in ref.parameters()) == 78_042
    assert last["trainable_params"] == 78_042 and last["total_macs"] > 0
    assert "total_params" not in records[-2]["values"]
    assert last["model"] == "resnet_tiny.py:ResNetTiny"  # no machine's path in frames


def test_command_line_model_walks_like_the_bundled_scenario(capsys):
    spec = str(bundled_folder() / "resnet_tiny.py") + ":ResNetTiny"
    rc = main(["replay", "--model", spec, "--input", "3,32,32", "--format", "json", "--device", "cpu"])
    out = capsys.readouterr().out
    assert rc == 0
    mine = [json.loads(line)["values"]["layer"] for line in out.splitlines()]
    bundled = [r["values"]["layer"] for r in replay_records(load("arch-own-model"))]
    assert mine == bundled


def bad(capsys, *argv):
    rc = main(["replay", *argv, "--device", "cpu"])
    err = capsys.readouterr().err
    assert rc == 2 and err.count("\n") == 1 and err.startswith("tui-lab: "), err
    return err


@pytest.mark.parametrize("name, input_, words", [
    ("Nope", "3,8,8", ["arch_models.py: no Nope in it; it defines ResBlockNet, DepthwiseSeparable"]),
    ("NOT_A_MODEL", "3,8,8", ["NOT_A_MODEL is not an nn.Module class or a function returning one (it is a int)"]),
    ("not_module", "3,8,8", ["not_module() returned list, not a torch.nn.Module"]),
    ("NeedsWidth", "4", ["NeedsWidth() failed: TypeError:", "missing 1 required positional argument: 'width'",
                         "--kwargs"]),
    ("ResBlockNet", "4,16,16", ["ResBlockNet rejected input 1×4×16×16: RuntimeError:", "(line 25)"]),
    ("NeedsMask", "4", ["NeedsMask rejected input 1×4: TypeError:", "missing 1 required positional argument: 'mask'",
                        "one tensor"]),
    ("ItemOnMeta", "4", ["ItemOnMeta rejected input 1×4:", "meta device"]),
])
def test_bad_models_are_one_line(capsys, name, input_, words):
    err = bad(capsys, "--model", f"{MODELS}:{name}", "--input", input_)
    assert str(MODELS) in err
    for w in words:
        assert w in err, err


def test_bad_files_and_options_are_one_line(capsys, tmp_path):
    assert "missing.py: no such file" in bad(capsys, "--model", f"{tmp_path}/missing.py:Net", "--input", "3")
    (tmp_path / "boom.py").write_text("import torch\nx = 1 / 0\n")
    err = bad(capsys, "--model", f"{tmp_path}/boom.py:Net", "--input", "3")
    assert "boom.py: import failed: ZeroDivisionError: division by zero (line 2)" in err
    (tmp_path / "syntax.py").write_text("def broken(:\n")
    assert "syntax.py: import failed: SyntaxError:" in bad(capsys, "--model", f"{tmp_path}/syntax.py:Net", "--input", "3")
    assert "not valid JSON" in bad(capsys, "--model", f"{MODELS}:NeedsWidth", "--input", "4", "--kwargs", '{"width": }')
    assert "expected a JSON object" in bad(capsys, "--model", f"{MODELS}:NeedsWidth", "--input", "4", "--kwargs", "[4]")
    assert "--input" in bad(capsys, "--model", f"{MODELS}:NeedsWidth", "--input", "4,x")
    assert "is not a model" in bad(capsys, "--model", "net", "--input", "3")
    assert "no module by that name" in bad(capsys, "--model", "no_such_package.models:net", "--input", "3")
    assert "is a class but not a torch.nn.Module" in bad(capsys, "--model", "torch.nn:Parameter", "--input", "3")
    assert "--kwargs goes with --model" in bad(capsys, "arch-lenet", "--kwargs", "{}")


def test_kwargs_reach_the_constructor(capsys):
    rc = main(["replay", "--model", f"{MODELS}:NeedsWidth", "--input", "4", "--kwargs", '{"width": 7}',
               "--format", "json", "--device", "cpu"])
    last = json.loads(capsys.readouterr().out.splitlines()[-1])
    assert rc == 0 and last["values"]["total_params"] == 4 * 7 + 7 and last["values"]["kwargs"] == {"width": 7}


# --- trust: importing runs code --------------------------------------------------------------


def planted(tmp_path):
    """A model file that leaves a mark when imported, and a scenario beside it naming it."""
    mark = tmp_path / "imported"
    (tmp_path / "net.py").write_text(f"from torch import nn\nopen({str(mark)!r}, 'w').close()\n"
                                     "Net = lambda: nn.Linear(3, 2)\n")
    toml = tmp_path / "mine.toml"
    toml.write_text('title = "mine"\nlab = "arch"\n[params]\nmodel = "net.py:Net"\ninput = [3]\n')
    return toml, mark


def test_check_says_nothing_of_built_in_model_kinds(capsys):
    """pretrain's `model = "rbm"` (or autoencoder, table…) is a kind the lab builds, not code."""
    from scenarios.loader import bundled_paths

    paths = [p for p in bundled_paths() if p.stem.startswith("pretrain-")]
    assert paths and main(["check", *map(str, paths)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == len(paths) and all(line.endswith(")") and "import" not in line for line in lines), lines


def test_check_never_imports_and_replay_needs_trust_code(capsys, tmp_path):
    toml, mark = planted(tmp_path)
    assert main(["check", str(toml)]) == 0
    assert "net.py:Net is code, which check does not import" in capsys.readouterr().out
    assert not mark.exists()
    err = bad(capsys, str(toml))
    assert "mine.toml: names the model" in err and "net.py:Net" in err and "--trust-code" in err
    assert not mark.exists()
    assert main(["replay", str(toml), "--trust-code", "--device", "cpu", "--format", "json"]) == 0
    assert mark.exists() and json.loads(capsys.readouterr().out.splitlines()[-1])["values"]["total_params"] == 8


def test_engine_refuses_a_model_nobody_allowed(tmp_path):
    toml, mark = planted(tmp_path)
    scenario = load(str(toml))  # loading validates; it imports nothing
    from engine.session import Session

    with pytest.raises(ParamError) as info:
        Session(scenario, device="cpu")
    assert info.value.key == "params.model" and "not trusted" in info.value.message and not mark.exists()
    assert allowed(str(bundled_folder() / "resnet_tiny.py") + ":ResNetTiny")  # ours: trusted
    assert not allowed(str(tmp_path / "net.py") + ":Net")


def test_a_missing_model_file_fails_check_with_its_line(capsys, tmp_path):
    toml = tmp_path / "gone.toml"
    toml.write_text('title = "x"\nlab = "arch"\n[params]\nmodel = "gone.py:Net"\ninput = [3]\n')
    assert main(["check", str(toml)]) == 2
    assert "gone.toml:4: params.model: gone.py: no such file" in capsys.readouterr().err


async def test_trust_screen_waits_for_y(tmp_path):
    from textual.app import App

    from tui_lab.screens.trust import TrustScreen

    _, mark = planted(tmp_path)
    spec = str(tmp_path / "net.py") + ":Net"
    answers = []

    class Host(App):
        def on_mount(self):
            self.push_screen(TrustScreen(spec), answers.append)

    async with Host().run_test() as pilot:
        await pilot.press("x", "n")
        assert answers == [False] and not allowed(spec)
        pilot.app.push_screen(TrustScreen(spec), answers.append)
        await pilot.pause()
        assert spec in str(pilot.app.screen.query_one("#trust-path").render())
        await pilot.press("y")
        assert answers == [False, True] and allowed(spec) and not mark.exists()


# --- the GPU key ---------------------------------------------------------------------------------


@pytest.mark.cuda
@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")
def test_forward_pass_on_the_gpu():
    spec = str(bundled_folder() / "resnet_tiny.py") + ":ResNetTiny"
    lab = ArchLab(ArchLab.validate({"model": spec, "input": [3, 32, 32], "batch": 8}), device="cuda")
    note = lab.adjust("forward")
    assert note.startswith("forward pass on ") and "batch 8" in note and "peak" in note, note
    assert "buffers" in note and "estimate" in note


def test_forward_pass_on_cpu_says_it_needs_a_gpu():
    lab = ArchLab(ArchLab.validate({"model": str(bundled_folder() / "resnet_tiny.py") + ":ResNetTiny",
                                    "input": [3, 32, 32]}))
    assert "needs a GPU" in lab.adjust("forward")


# --- drawing ------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["TinyGPT", "Branches", "LSTMNet"])
def test_every_frame_fits_78_columns(name):
    from conftest import draw

    for frame in frames_of(name, CASES[name]):
        for view in ({}, {"table": "memory"}):
            text = draw("arch", frame, 78, view)
            assert max(len(line.rstrip()) for line in text.splitlines()) <= 78, (name, frame.index)


def test_names_are_shown_literally():
    from conftest import draw

    fs = frames_of("OddNames", (4,))
    text = draw("arch", fs[-1], 100)
    assert "parts.[red]x␛[2J" in text and "parts.[/]" in text and "\x1b" not in text


def test_join_and_last_frames_say_what_they_checked():
    from conftest import draw

    fs = frames_of("ResBlockNet", CASES["ResBlockNet"])
    add = draw("arch", fs[-1], 100)
    assert "add: 16×8×8 + 16×8×8 → 16×8×8" in add and "not a module" in add
    n = f"{sum(p.numel() for p in arch_models.ResBlockNet().parameters()):,}"
    assert f"{n} counted once over the steps = {n}, sum(p.numel())" in add
    assert "FlopCounterMode's total" in add
    assert "✓ matches sum(p.numel()) + FlopCounterMode  largest difference 0 (tolerance 0)" in add
    check = fs[-1].values["check"]
    assert check == {"reference": "sum(p.numel()) + FlopCounterMode", "max_diff": 0.0, "tolerance": 0.0, "ok": True}
    shared = draw("arch", frames_of("SharedLayer", (10,))[5], 100)
    assert "call 2 of a shared module: its parameters were counted at step 3, not again" in shared


@pytest.mark.parametrize("name, shape, tokens", [("ResBlockNet", (3, 16, 16), False), ("TinyGPT", (16,), True)])
def test_the_real_model_for_the_gpu_key_runs_and_agrees_with_the_walk(name, shape, tokens):
    """`g` builds the model with random weights on the device; on the CPU here, the same path."""
    spec = f"{MODELS}:{name}"
    allow(spec)
    lab = ArchLab(ArchLab.validate({"model": spec, "input": list(shape), "batch": 3, "tokens": tokens}))
    model, x = lab.own.real(torch.device("cpu"))
    assert not any(p.is_meta for p in model.parameters())
    assert x.dtype == (torch.int64 if tokens else torch.float32) and tuple(x.shape) == (3, *shape)
    with torch.no_grad():
        y = model(x)
    assert tuple(y.shape) == (3, *lab.own.walk.output_shape)
