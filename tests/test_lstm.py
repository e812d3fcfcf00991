"""The LSTM lab against torch: nn.LSTMCell, nn.RNNCell, autograd, clip_grad_norm_, and the lecture by hand."""

import io
import json
import math

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from engine.core.lab import Stepper
from engine.lstm.lab import LSTMLab
from engine.lstm.math import GATES, TORCH_ORDER
from engine.core.params import ParamError

NAME = {"f": "f", "i": "i", "g": "C", "o": "o"}


def run(seed=0, **raw):
    lab = LSTMLab(LSTMLab.validate(raw), seed=seed)
    stepper = Stepper(lab)
    stepper.run_to_end()
    return lab, stepper.frames


def torch_lstm_cell(W, b, H, In):
    cell = torch.nn.LSTMCell(In, H, dtype=torch.float64)
    with torch.no_grad():
        cell.weight_hh.copy_(torch.tensor(np.concatenate([W[k][:, :H] for k in TORCH_ORDER])))
        cell.weight_ih.copy_(torch.tensor(np.concatenate([W[k][:, H:] for k in TORCH_ORDER])))
        cell.bias_ih.copy_(torch.tensor(np.concatenate([b[k] for k in TORCH_ORDER])))
        cell.bias_hh.zero_()
    return cell


@settings(max_examples=25, deadline=None)
@given(H=st.integers(1, 5), In=st.integers(1, 4), T=st.integers(1, 4), seed=st.integers(0, 10**6))
def test_lstm_gates_cell_and_hidden_match_torch(H, In, T, seed):
    rng = np.random.default_rng(seed)
    W = {k: rng.normal(size=(H, H + In)) for k in GATES}
    b = {k: rng.normal(size=H) for k in GATES}
    raw = {f"W_{NAME[k]}": W[k].tolist() for k in GATES} | {f"b_{NAME[k]}": b[k].tolist() for k in GATES}
    xs, h0, c0 = rng.normal(size=(T, In)), rng.normal(size=H), rng.normal(size=H)
    _, frames = run(x=xs.tolist(), h0=h0.tolist(), c0=c0.tolist(), **raw)
    history = frames[-1].values["history"]
    assert len(history) == T
    cell = torch_lstm_cell(W, b, H, In)
    h, c = torch.tensor(h0)[None], torch.tensor(c0)[None]
    for x, step in zip(xs, history):
        x = torch.tensor(x)[None]
        # torch's gates, from its own weights in its own order i, f, g, o
        z = x @ cell.weight_ih.T + cell.bias_ih + h @ cell.weight_hh.T + cell.bias_hh
        zi, zf, zg, zo = z.chunk(4, dim=1)
        want = {"i": torch.sigmoid(zi), "f": torch.sigmoid(zf), "g": torch.tanh(zg), "o": torch.sigmoid(zo)}
        with torch.no_grad():
            h, c = cell(x, (h, c))
        for k in GATES:
            np.testing.assert_allclose(step[k], want[k].detach()[0].numpy(), atol=1e-6, rtol=0)
        np.testing.assert_allclose(step["c"], c[0].numpy(), atol=1e-6, rtol=0)
        np.testing.assert_allclose(step["h"], h[0].numpy(), atol=1e-6, rtol=0)
    assert frames[-1].values["torch_max_diff"] < 1e-12


@settings(max_examples=20, deadline=None)
@given(H=st.integers(1, 5), In=st.integers(1, 4), T=st.integers(1, 4), seed=st.integers(0, 10**6), bias=st.booleans())
def test_vanilla_rnn_matches_torch_rnncell(H, In, T, seed, bias):
    rng = np.random.default_rng(seed)
    W_hh, W_xh, W_hy = rng.normal(size=(H, H)), rng.normal(size=(H, In)), rng.normal(size=(2, H))
    b_h = rng.normal(size=H) if bias else np.zeros(H)
    xs = rng.normal(size=(T, In))
    _, frames = run(cell="rnn", x=xs.tolist(), W_hh=W_hh.tolist(), W_xh=W_xh.tolist(), W_hy=W_hy.tolist(),
                    **({"b_h": b_h.tolist()} if bias else {}))
    cell = torch.nn.RNNCell(In, H, nonlinearity="tanh", bias=bias, dtype=torch.float64)
    with torch.no_grad():
        cell.weight_hh.copy_(torch.tensor(W_hh))
        cell.weight_ih.copy_(torch.tensor(W_xh))
        if bias:
            cell.bias_ih.copy_(torch.tensor(b_h))
            cell.bias_hh.zero_()
    h = torch.zeros(1, H, dtype=torch.float64)
    for x, step in zip(xs, frames[-1].values["history"]):
        with torch.no_grad():
            h = cell(torch.tensor(x)[None], h)
        np.testing.assert_allclose(step["h"], h[0].numpy(), atol=1e-6, rtol=0)
        np.testing.assert_allclose(step["y"], W_hy @ h[0].numpy(), atol=1e-6, rtol=0)
        assert len(step["f"]) == len(step["c"]) == 0  # no gates in a vanilla RNN


def test_lecture_gates_by_hand():
    """lstm-gates, t = 1, unit 0: x_1 = [1, 0], h_0 = 0, so only the x columns and b count."""
    from scenarios import load

    sc = load("lstm-gates")
    lab = LSTMLab(sc.params, seed=sc.seed)
    frames = list(lab.frames())[:8]
    sig = lambda z: 1 / (1 + math.exp(-z))  # noqa: E731
    f = sig(0.3 * 1 + 0.1 * 0 + 1.0)  # W_f[0] = [0.5, −0.2, 0.3, 0.1], b_f[0] = 1
    i = sig(0.6)
    g = math.tanh(0.4)
    o = sig(0.5)
    c = f * 0 + i * g
    h = o * math.tanh(c)
    assert [fr.values["stage"] for fr in frames[1:]] == ["concat", "f", "i", "g", "c", "o", "h"]
    assert frames[2].caption == f"f_1[0] = σ(W_f[0]·[h_0, x_1] + b_f[0]) = σ(0.5·0 + (−0.2)·0 + 0.3·1 + 0.1·0 + 1) = σ(1.3) = {f:.4g}"
    assert frames[4].caption.startswith("C̃_1[0] = tanh(") and frames[4].caption.endswith(f"= tanh(0.4) = {g:.4g}")
    assert frames[7].values["history"][0]["h"][0] == pytest.approx(h, abs=1e-12)
    assert frames[5].values["current"]["c"][0] == pytest.approx(c, abs=1e-12)
    assert frames[6].values["current"]["o"][0] == pytest.approx(o, abs=1e-12)
    assert frames[3].values["current"]["i"][0] == pytest.approx(i, abs=1e-12)
    # A frame holds frozen copies.
    assert not frames[7].values["inputs"].flags.writeable


def _rnn_h(W_hh, W_xh, xs, h0):
    h = h0
    for x in xs:
        h = torch.tanh(W_hh @ h + W_xh @ x)
    return h


def _lstm_h(W, b, H, xs, h0, c0):
    h, c = h0, c0
    for x in xs:
        hx = torch.cat([h, x])
        f, i, o = (torch.sigmoid(W[k] @ hx + b[k]) for k in "fio")
        g = torch.tanh(W["g"] @ hx + b["g"])
        c = f * c + i * g
        h = o * torch.tanh(c)
    return h


@pytest.mark.parametrize("input_scale", [0.0, 1.0])
def test_gradient_norms_match_autograd(input_scale):
    raw = dict(mode="gradient", hidden_size=5, input_size=3, horizon=12, input_scale=input_scale, chunk=5, clip=2.0)
    lab, frames = run(seed=3, **raw)
    g = lab.draws  # what the frames were computed from
    t = lambda a: torch.tensor(a)  # noqa: E731
    xs = [t(x) for x in g["xs"]]
    norms = frames[-1].values["norms"]
    H = 5
    for T in (1, 4, 12):
        for k, s in (("rnn_explode", 1.25), ("rnn_vanish", 0.8)):
            J = torch.autograd.functional.jacobian(lambda h0: _rnn_h(s * t(g["Q"]), t(g["W_xh"]), xs[:T], h0), torch.zeros(H, dtype=torch.float64))
            assert norms[k][T - 1] == pytest.approx(torch.linalg.matrix_norm(J, 2).item(), rel=1e-9, abs=1e-12)
        W = {k: t(v) for k, v in g["W"].items()}
        b = {k: t(v) for k, v in g["b"].items()}
        zero = torch.zeros(H, dtype=torch.float64)
        J = torch.autograd.functional.jacobian(lambda h0: _lstm_h(W, b, H, xs[:T], h0, zero), zero)
        assert norms["lstm"][T - 1] == pytest.approx(torch.linalg.matrix_norm(J, 2).item(), rel=1e-9, abs=1e-12)
    if input_scale == 0:
        # No input and h_0 = 0: tanh′ = 1 all along, so the norm is exactly σ^T (W_hh = σ·orthogonal).
        assert norms["rnn_explode"][11] == pytest.approx(1.25 ** 12, rel=1e-9)
        assert norms["rnn_vanish"][11] == pytest.approx(0.8 ** 12, rel=1e-9)
    # Clipping: g = ∂(Σ h_T)/∂h_0 by autograd, clipped by torch.
    clip = next(f for f in frames if f.values["stage"] == "clip").values
    h0 = torch.zeros(H, dtype=torch.float64, requires_grad=True)
    _rnn_h(1.25 * t(g["Q"]), t(g["W_xh"]), xs, h0).sum().backward()
    np.testing.assert_allclose(clip["grad"], h0.grad.numpy(), rtol=1e-9, atol=1e-12)
    p = torch.nn.Parameter(torch.zeros(H, dtype=torch.float64))
    p.grad = h0.grad.clone()
    torch.nn.utils.clip_grad_norm_([p], 2.0)
    # torch divides by ‖g‖ + 1e−6, hence the looser tolerance; the norm itself is exact.
    np.testing.assert_allclose(clip["clipped"], p.grad.numpy(), rtol=1e-6)
    assert clip["clipped_norm"] == pytest.approx(min(2.0, clip["grad_norm"]), rel=1e-12)
    # The slide's code, by hand: it divides by the squared norm.
    sq = float((h0.grad ** 2).sum())
    want = h0.grad.numpy() * (2.0 / sq) if sq > 2.0 else h0.grad.numpy()
    np.testing.assert_allclose(clip["clipped_slide"], want, rtol=1e-12)
    # Truncated BPTT: within a chunk the gradient starts from a detached h_a.
    last = frames[-1].values
    assert last["chunks"] == ((0, 5), (5, 10), (10, 12))
    h = torch.zeros(H, dtype=torch.float64)
    for n, (a, e) in enumerate(last["chunks"]):
        start = h.detach()
        J = torch.autograd.functional.jacobian(lambda h_a: _rnn_h(1.25 * t(g["Q"]), t(g["W_xh"]), xs[a:e], h_a), start)
        assert last["chunk_norms"]["rnn_explode"][n] == pytest.approx(torch.linalg.matrix_norm(J, 2).item(), rel=1e-9)
        h = _rnn_h(1.25 * t(g["Q"]), t(g["W_xh"]), xs[a:e], start)


def test_json_contract_and_determinism():
    from scenarios import load
    from tui_lab.replay import replay

    outs = []
    for _ in range(2):
        buf = io.StringIO()
        replay(load("lstm-gates"), "json", buf, device="cpu")
        outs.append(buf.getvalue())
    assert outs[0] == outs[1]
    records = [json.loads(line) for line in outs[0].splitlines()]
    assert [r["step"] for r in records] == list(range(1 + 3 * 7))
    for r in records:
        v = r["values"]
        assert isinstance(v["t"], int) and isinstance(v["history"], list)
        for step in v["history"]:
            assert {"f", "i", "g", "o", "c", "h"} <= set(step) and all(isinstance(step[k], list) for k in "figoch")
    assert [len(r["values"]["history"]) for r in records[1:8]] == [0] * 6 + [1]
    assert records[-1]["values"]["t"] == 3


def test_gradient_frames_keep_the_contract():
    _, frames = run(mode="gradient", horizon=4, chunk=3)
    for f in frames:
        data = f.to_json()["values"]
        assert "t" in data and isinstance(data["history"], list)
    assert [f.values["stage"] for f in frames] == ["start"] + ["flow"] * 4 + ["clip", "clip_slide", "tbptt", "tbptt"]
    # `chunk` is the chunk length in every frame; the chunk a tbptt frame shows is `chunk_index`.
    assert {f.values["chunk"] for f in frames} == {3}
    assert [f.values.get("chunk_index") for f in frames] == [None] * 7 + [0, 1]


@pytest.mark.parametrize("raw,key,text", [
    ({"W_f": [[1, 2], [3, 4]], "x": [[1, 0]]}, "params.W_f", "expected shape [2][4]"),
    ({"W_f": [[1, 2, 3, 4]], "W_o": [[1, 2, 3, 4]], "x": [[1, 0]]}, "params.x", "expected input vectors of 3 numbers"),
    ({"x": [[1, 0], [1]]}, "params.x[1]", "expected an input vector of 2 numbers"),
    ({"x": [[1, 0]], "input_size": 3}, "params.x[0]", "expected an input vector of 3 numbers (input_size)"),
    ({"b_i": [1, 2, 3, 4]}, "params.b_i", "expected 3 numbers (hidden_size)"),
    ({"h0": [1]}, "params.h0", "expected 3 numbers"),
    ({"cell": "rnn", "W_f": [[1, 2, 3, 4, 5]]}, "params.W_f", "belongs to the other cell"),
    ({"cell": "rnn", "c0": [0, 0, 0]}, "params.c0", "only the LSTM has a cell state"),
    ({"x": [[1, 0]], "text": "ab"}, "params.text", "either x or text"),
    ({"text": "abc", "input_size": 2}, "params.input_size", "3 distinct characters"),
    ({"text": "a" * 65}, "params.text", "at most 64 characters"),
    ({"unit": 5}, "params.unit", "from 0 to 2"),
    ({"mode": "sideways"}, "params.mode", '"step", "gradient"'),
])
def test_bad_params_name_the_key(raw, key, text):
    with pytest.raises(ParamError) as info:
        LSTMLab.validate(raw)
    assert info.value.key == key and text in info.value.message, str(info.value)


# --- checkpoints from the char-RNN lab ----------------------------------------------------------
class CharModel(torch.nn.Module):
    """The names the char-RNN lab saves: embed (optional), rnn, head."""

    def __init__(self, cell, V, H, E):
        super().__init__()
        if E:
            self.embed = torch.nn.Embedding(V, E)
        self.rnn = (torch.nn.LSTM if cell == "lstm" else torch.nn.RNN)(E or V, H, batch_first=True)
        self.head = torch.nn.Linear(H, V)


def save_checkpoint(path, cell="lstm", vocab="abcd ", H=4, E=0, **over):
    torch.manual_seed(0)
    model = CharModel(cell, len(vocab), H, E)
    ckpt = {"format": "tui-lab/charrnn", "version": 1, "cell": cell, "vocab": list(vocab),
            "settings": {"hidden_size": H, "layers": 1, "embedding": E}, "model": model.state_dict(),
            "optimizer": torch.optim.Adam(model.parameters()).state_dict()}
    ckpt.update(over)
    torch.save(ckpt, path)
    return model


@pytest.mark.parametrize("cell,E", [("lstm", 0), ("lstm", 3), ("rnn", 0)])
def test_checkpoint_gates_on_text_match_the_model(tmp_path, cell, E):
    path = tmp_path / "model.pt"
    model = save_checkpoint(path, cell=cell, E=E)
    text, vocab = "bad cab", "abcd "
    _, frames = run(checkpoint=str(path), text=text, cell=cell, unit=1)
    ids = torch.tensor([[vocab.index(ch) for ch in text]])
    with torch.no_grad():
        x = model.embed(ids) if E else torch.nn.functional.one_hot(ids, len(vocab)).float()
        out, _ = model.rnn(x)  # (1, T, H): layer 0's h_t
    hs = np.array([step["h"] for step in frames[-1].values["history"]])
    np.testing.assert_allclose(hs, out[0].numpy(), atol=1e-6)
    assert frames[-1].values["torch_max_diff"] < 1e-12
    assert frames[-1].values["tokens"] == tuple(text)


@pytest.mark.parametrize("make,raw,key,text", [
    (None, {}, "params.checkpoint", "no such file"),
    ("corrupt", {}, "params.checkpoint", "not a readable torch checkpoint"),
    ({"format": "something/else"}, {}, "params.checkpoint", 'expected format "tui-lab/charrnn"'),
    ({"version": 2}, {}, "params.checkpoint", "this lab reads version 1"),
    ("rnn", {}, "params.checkpoint", 'holds a rnn cell, but cell = "lstm"'),
    ({}, {"text": "abz"}, "params.text", "'z' (position 2) is not in the checkpoint's vocabulary"),
    ({}, {"text": ""}, "params.text", "required with a checkpoint"),
    ({}, {"W_f": [[1.0]]}, "params.W_f", "not allowed with a checkpoint"),
    ({"settings": {"hidden_size": 5, "layers": 1, "embedding": 0}}, {}, "params.checkpoint", "its weights do not fit"),
    ({"settings": {"hidden_size": 2**40, "layers": 1, "embedding": 0}}, {}, "params.checkpoint",
     "settings.hidden_size is 1099511627776; expected an integer from 1 to 4096"),
    ({"settings": {"hidden_size": 4, "layers": 1, "embedding": 0, "iteration": "abc"}}, {}, "params.checkpoint",
     "settings.iteration is 'abc'"),
    ("notensor", {}, "params.checkpoint", "rnn.weight_ih_l0 is 5, not a tensor of floats"),
    ("badopt", {}, "params.checkpoint", "lr is 'fast'"),
])
def test_bad_checkpoints(tmp_path, make, raw, key, text):
    path = tmp_path / "bad.pt"
    if make == "corrupt":
        path.write_bytes(b"not a zip file at all")
    elif make == "rnn":
        save_checkpoint(path, cell="rnn")
    elif make in ("notensor", "badopt"):
        save_checkpoint(path)
        ck = torch.load(path, weights_only=True)
        if make == "notensor":
            ck["model"]["rnn.weight_ih_l0"] = 5
        else:
            ck["optimizer"]["param_groups"][0]["lr"] = "fast"
        torch.save(ck, path)
    elif make is not None:
        save_checkpoint(path, **make)
    with pytest.raises(ParamError) as info:
        LSTMLab.validate({"checkpoint": str(path), "text": "bad", **raw})
    assert info.value.key == key and text in info.value.message, str(info.value)


# --- captions: every scalar carries its unit index (issue 11.10) ----------------------------------
import re

SCALAR = re.compile(r"(C̃|[fioChaC])_(\d+)(?!\d)")


def scalar_symbols_without_index(caption: str) -> list[str]:
    """Symbols such as o_1 or C_0 that are not followed by [u]; the concatenation [h_{t−1}, x_t]
    and the row products W[u]·h_{t−1}, W[u]·x_t are vectors on purpose and are removed first."""
    text = re.sub(r"\[h_\d+, x_\d+\]", "", caption)
    text = re.sub(r"·(h|x)_\d+", "", text)
    text = re.sub(r"(y|h|C)_\d+ = \[", "", text)  # a whole vector: y_t = [...], h_0 = [...]
    return [m.group(0) for m in SCALAR.finditer(text) if not text[m.end():].startswith("[")]


@pytest.mark.parametrize("name,unit", [("lstm-gates", 0), ("lstm-gates", 1), ("lstm-hello", 2), ("lstm-rnn", 1)])
def test_scalar_captions_index_every_unit(name, unit):
    from scenarios import load

    sc = load(name)
    lab = LSTMLab(LSTMLab.validate({**sc.params, "unit": unit}), seed=sc.seed)
    for frame in list(lab.frames())[1:]:
        if frame.values["stage"] in ("concat", "y"):
            continue  # vectors: [h_{t−1}, x_t] and y_t
        assert scalar_symbols_without_index(frame.caption) == [], frame.caption


def test_cell_state_and_hidden_captions_written_out():
    from scenarios import load

    lab = LSTMLab(load("lstm-gates").params)
    frames = list(lab.frames())
    assert frames[5].caption.startswith("C_1[0] = f_1[0]·C_0[0] + i_1[0]·C̃_1[0] = ")
    assert frames[7].caption.startswith("h_1[0] = o_1[0]·tanh(C_1[0]) = ")
    assert scalar_symbols_without_index("h_1[0] = o_1·tanh(C_1)") == ["o_1", "C_1"]  # the old caption fails


# --- the check record, decided in the engine ------------------------------------------------------
@pytest.mark.parametrize("name,reference", [("lstm-gates", "nn.LSTMCell"), ("lstm-rnn", "nn.RNNCell")])
def test_the_last_step_frame_carries_the_check_record(name, reference):
    from scenarios import load

    sc = load(name)
    _, frames = run(seed=sc.seed, **sc.params)
    check = frames[-1].values["check"]
    assert check["reference"] == reference and check["ok"] is True and check["tolerance"] == 1e-9
    assert check["max_diff"] < 1e-12 and frames[-1].values["torch_max_diff"] == check["max_diff"]
    assert all("check" not in f.values for f in frames[:-1])


def test_a_wrong_step_fails_the_check(monkeypatch):
    """Break the engine's cell (the forget gate reads C wrongly) and the torch check says so."""
    from engine.lstm import stepping

    real = stepping.lstm_step

    def broken(W, b, h, c, x):
        return real(W, b, h, 1.001 * c, x)

    monkeypatch.setattr(stepping, "lstm_step", broken)
    from scenarios import load

    _, frames = run(**load("lstm-gates").params)
    check = frames[-1].values["check"]
    assert check["ok"] is False and check["max_diff"] > 1e-6


def test_gradient_frames_are_checked_against_autograd(monkeypatch):
    _, frames = run(mode="gradient", horizon=6, chunk=4)
    checks = [f.values.get("check") for f in frames]
    assert checks[:6] == [None] * 6  # from T = horizon on
    assert all(c["reference"] == "autograd" and c["ok"] for c in checks[6:])
    from engine.lstm import gradflow

    real = gradflow.rnn_jacobian
    monkeypatch.setattr(gradflow, "rnn_jacobian", lambda W, h: 1.01 * real(W, h))
    _, frames = run(mode="gradient", horizon=6, chunk=4)
    assert frames[-1].values["check"]["ok"] is False


# --- checkpoints of several layers ---------------------------------------------------------------
def test_a_two_layer_lstm_checkpoint_steps_layer_0(tmp_path):
    path = tmp_path / "deep.pt"
    torch.manual_seed(1)
    vocab, H = "abcd ", 4
    model = CharModel("lstm", len(vocab), H, 0)
    model.rnn = torch.nn.LSTM(len(vocab), H, num_layers=2, batch_first=True)
    torch.save({"format": "tui-lab/charrnn", "version": 1, "cell": "lstm", "vocab": list(vocab),
                "settings": {"hidden_size": H, "layers": 2, "embedding": 0}, "model": model.state_dict(),
                "optimizer": None}, path)
    _, frames = run(checkpoint=str(path), text="bad cab")
    assert "(layer 0 of 2: its h_t feeds layer 1, not the output)" in frames[0].caption
    layer0 = torch.nn.LSTM(len(vocab), H, batch_first=True)
    with torch.no_grad():
        for k in ("weight_ih", "weight_hh", "bias_ih", "bias_hh"):
            getattr(layer0, f"{k}_l0").copy_(getattr(model.rnn, f"{k}_l0"))
        ids = torch.tensor([[vocab.index(ch) for ch in "bad cab"]])
        out, _ = layer0(torch.nn.functional.one_hot(ids, len(vocab)).float())
    hs = np.array([step["h"] for step in frames[-1].values["history"]])
    np.testing.assert_allclose(hs, out[0].numpy(), atol=1e-6)


def test_a_two_layer_rnn_checkpoint_is_refused_in_one_line(tmp_path):
    path = tmp_path / "deep.pt"
    model = CharModel("rnn", 5, 4, 0)
    model.rnn = torch.nn.RNN(5, 4, num_layers=2, batch_first=True)
    torch.save({"format": "tui-lab/charrnn", "version": 1, "cell": "rnn", "vocab": list("abcd "),
                "settings": {"hidden_size": 4, "layers": 2, "embedding": 0}, "model": model.state_dict(),
                "optimizer": None}, path)
    with pytest.raises(ParamError) as info:
        LSTMLab.validate({"checkpoint": str(path), "cell": "rnn", "text": "bad"})
    assert info.value.key == "params.checkpoint"
    assert "a vanilla RNN of 2 layers; this lab steps layer 0" in info.value.message


# --- sizes, before anything is allocated ------------------------------------------------------------
def test_a_long_text_through_a_wide_checkpoint_is_refused_by_the_budget(tmp_path):
    path = tmp_path / "wide.pt"
    save_checkpoint(path, H=256)
    with pytest.raises(ParamError) as info:
        LSTMLab.validate({"checkpoint": str(path), "text": "abcd " * 12})
    assert info.value.key == "params.text" and "at most 10,000,000; use a shorter sequence" in info.value.message
    LSTMLab.validate({"checkpoint": str(path), "text": "abcd " * 2})  # a short one fits


def test_the_gradient_budget_names_the_horizon():
    with pytest.raises(ParamError) as info:
        LSTMLab.validate({"mode": "gradient", "hidden_size": 64, "horizon": 200, "chunk": 1})
    assert info.value.key == "params.horizon" and "at most 10,000,000" in info.value.message


def test_an_empty_tensor_means_not_given():
    """Every `set` and knob turn passes all the params, empty weights included."""
    assert LSTMLab.validate({"W_f": [], "x": [], "W_hh": []}) == LSTMLab.validate({})


def test_frames_are_built_only_when_read():
    """A knob turn steps a new lab to the same place: the frames passed on the way stay unbuilt."""
    lab = LSTMLab(LSTMLab.validate({"mode": "gradient", "horizon": 40}))
    stepper = Stepper(lab)
    stepper.ensure(30)
    assert [f._frame is None for f in stepper.frames[1:]] == [True] * 30
    frame = stepper.frames[30]
    assert frame.values["T"] == tuple(range(1, 31)) and frame.values is frame.values  # built once, then kept
    assert [f._frame is None for f in stepper.frames[1:30]] == [True] * 29
