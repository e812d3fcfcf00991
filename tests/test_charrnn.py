"""Char-RNN lab: training, the sampler's arithmetic, checkpoints and bad input, checked against torch.

Validation, the split, python-docs and deeper models: test_charrnn_validation.py; hostile
checkpoints and budgets: test_charrnn_hostile.py."""

import dataclasses
import json
import math
import subprocess
import sys
import textwrap

import numpy as np
import pytest

from conftest import ROOT, spawn_cli
from engine.charrnn.lab import CharRNNLab
from engine.charrnn.sampling import next_distribution
from engine.charrnn.training import Curve, make_optimizer
from engine.core.params import ParamError

torch = pytest.importorskip("torch")

TINY = "the cat sat on the mat. the cat ate the rat.\n"


@pytest.fixture(autouse=True)
def one_thread():
    # Small models train faster on one thread, and a shared CI machine is spared.
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


@pytest.fixture
def tiny(tmp_path):
    path = tmp_path / "tiny.txt"
    path.write_text(TINY, encoding="utf-8")
    return path


def make(raw: dict, seed: int = 0) -> CharRNNLab:
    return CharRNNLab(CharRNNLab.validate(raw), seed=seed, device="cpu")


def from_setup(lab: CharRNNLab) -> list:
    """The frames from the set-up (the untrained model) on: frame 0, the overview, has no weights."""
    frames = list(lab.frames())
    assert frames[0].values["phase"] == "data"
    return frames[1:]


def small(text, **more):
    return {"text": str(text), "hidden_size": 32, "embedding": 8, "seq_len": 8, "batch": 2, "lr": 0.01,
            "sample_every": 0, "generate": 0, "val_frac": 0, **more}


class Plain(torch.nn.Module):
    """The textbook model, batch first, built independently of the lab's (same order, so the same seed
    gives the same weights)."""

    def __init__(self, vocab, embedding, hidden):
        super().__init__()
        self.embed = torch.nn.Embedding(vocab, embedding)
        self.rnn = torch.nn.LSTM(embedding, hidden, batch_first=True)
        self.head = torch.nn.Linear(hidden, vocab)

    def forward(self, x, state=None):
        out, state = self.rnn(self.embed(x), state)
        return self.head(out), state


def last_logits(model, lab, context):
    """The lab's model on `context` (time first), the logits after its last character."""
    ids = torch.tensor([[lab.sampler.index_of[c]] for c in context])
    with torch.no_grad():
        return model(ids)[0][-1, 0]


# --- frame 0: the text and the model, before torch ------------------------------------------------
# seq_len 11 divides both streams' lengths (44, 22): a pass ends exactly at the text's end.
@pytest.mark.parametrize("more", [{"cell": "rnn", "embedding": 0, "batch": 1, "seq_len": 11},
                                  {"layers": 2, "dropout": 0.2, "batch": 2, "seq_len": 11}])
def test_the_overview_is_what_torch_then_builds(tiny, more):
    """Frame 0's numbers are arithmetic on the text and the settings; each is what the torch model
    and its streams then hold: the state_dict's names, shapes and sizes, the ids of the first inputs
    and their targets, the streams, and a pass's iterations (the first hidden-state reset after it)."""
    lab = make(small(tiny, iterations=12, **more))
    frames = list(lab.frames())
    v, sd, t = frames[0].values, lab.model.state_dict(), lab.trainer
    assert [(name, tuple(dims), n) for name, dims, n in v["weights"]] == [(k, tuple(w.shape), w.numel()) for k, w in sd.items()]
    assert v["parameters"] == sum(q.numel() for q in lab.model.parameters())
    assert v["vocab"] == "".join(sorted(set(TINY))) and v["vocab_size"] == len(set(TINY))
    assert v["ln_vocab"] == math.log(len(set(TINY))) and v["text_chars"] == len(TINY)
    assert v["input_width"] == (lab.model.rnn.input_size)
    k = len(v["pairs"])
    assert k == 6 and "".join(c for c, *_ in v["pairs"]) == TINY[:k] and "".join(c for *_, c, _ in v["pairs"]) == TINY[1:k + 1]
    assert [i for _, i, _, _ in v["pairs"]] == t.inputs[:k, 0].tolist()
    assert [j for *_, j in v["pairs"]] == t.targets[:k, 0].tolist()
    assert (v["stream_chars"], v["streams"]) == tuple(t.inputs.shape)
    reset = next(f.values["iteration"] for f in frames[2:] if f.values["reset"])
    assert reset == v["pass_iterations"] + 1
    assert f"{v['parameters']:,} parameters" in frames[0].caption and f"{v['pass_iterations']} iterations" in frames[0].caption


def test_the_weights_are_the_same_whenever_they_are_built(tiny):
    """The model is built at frame 1 (torch may still be loading at frame 0), from the lab's own seed:
    torch's generator used meanwhile changes nothing."""
    want = from_setup(make(small(tiny, iterations=2)))
    lab = make(small(tiny, iterations=2))
    gen = lab.frames()
    next(gen)
    torch.manual_seed(123), torch.rand(7)
    got = list(gen)
    assert [f.values["loss"] for f in got] == [f.values["loss"] for f in want]


def test_the_lr_knob_turned_before_the_model_is_built_applies_from_the_first_iteration(tiny):
    lab = make(small(tiny, iterations=2))
    gen = lab.frames()
    next(gen)
    assert lab.turn("lr", 0.05) == "from iteration 1"
    got = list(gen)
    want = from_setup(make(small(tiny, iterations=2, lr=0.05)))
    assert lab.trainer.lr == 0.05 and [f.values["lr"] for f in got[1:]] == [0.05, 0.05]
    assert [f.values["loss"] for f in got] == [f.values["loss"] for f in want]


def test_the_lr_knob_does_not_wait_for_a_build_under_way(tiny):
    """The app turns a knob in one worker and steps in another: a turn pressed before → must not
    wait behind the model's build, or the steps it came before would train at the old lr."""
    import threading

    lab = make(small(tiny, iterations=2))
    gen = lab.frames()
    next(gen)
    gate, build = threading.Event(), lab._build
    lab._build = lambda: gate.wait(30) and build()
    stepped: list = []
    stepper = threading.Thread(target=lambda: stepped.append(next(gen)))
    stepper.start()
    while not lab._building.locked():  # the build is under way
        stepper.join(0.001)
    turner = threading.Thread(target=lambda: stepped.append(lab.turn("lr", 0.05)))
    turner.start()
    turner.join(5)
    answered = not turner.is_alive()
    gate.set()
    stepper.join(30), turner.join(30)
    assert answered and "from iteration 1" in stepped
    setup = next(s for s in stepped if not isinstance(s, str))
    assert setup.values["lr"] == 0.05 and next(gen).values["lr"] == 0.05


def test_frame_0_needs_no_torch_and_a_checkpoint_does():
    """Lab.torch_from is a promise the app relies on (it shows frame 0 while torch loads, from a worker
    that does not wait for it): every bundled char-RNN scenario opens and draws frame 0 without
    importing torch; a checkpoint is read with torch as the lab opens."""
    out = subprocess.run([sys.executable, "-c", textwrap.dedent("""
        import sys
        from rich.console import Console
        from engine.registry import lab_class
        from engine.session import Session
        from scenarios.loader import bundled_paths, load
        from tui_lab.render import render_frame
        seen = []
        for p in bundled_paths():
            if p.stem.startswith("charrnn-"):  # some other labs' scenarios read a torch checkpoint as they load
                scenario = load(p.stem)
                assert lab_class("charrnn").torch_from(scenario.params) == 1
                session = Session(scenario, device="cpu")
                Console(file=open("/dev/null", "w"), width=100).print(render_frame("charrnn", session.frame, 100))
                seen.append(session.frame.values["phase"])
        print(seen, "torch" in sys.modules)
    """)], capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "['data', 'data', 'data', 'data'] False"
    assert CharRNNLab.torch_from({"checkpoint": "m.pt"}) == 0


def test_loss_falls_on_a_tiny_text(tiny):
    frames = from_setup(make(small(tiny, iterations=40)))
    losses = [f.values["loss"] for f in frames[1:]]
    assert [f.values["iteration"] for f in frames[1:]] == list(range(1, 41))
    # It starts near uniform guessing, ln(vocabulary), and falls well below it.
    v = len(set(TINY))
    assert abs(frames[0].values["loss"] - math.log(v)) < 0.3
    assert np.mean(losses[-5:]) < 0.6 * np.mean(losses[:5])
    assert all(f.values["grad_norm"] > 0 for f in frames[1:])


def test_first_training_step_matches_a_plain_torch_loop(tiny):
    """Our step = Embedding + LSTM + Linear, cross-entropy, clip_grad_norm_, Adam, written out by hand."""
    import torch.nn.functional as F

    lab = make(small(tiny, iterations=3, clip=0.05))
    frames = from_setup(lab)
    torch.manual_seed(0)
    model = Plain(lab.model.vocab_size, 8, 32)
    opt = torch.optim.Adam(model.parameters(), lr=0.01)
    ids = torch.tensor([lab.sampler.index_of[c] for c in TINY])
    S = (len(TINY) - 1) // 2
    x, y = ids[: 2 * S].view(2, S), ids[1: 2 * S + 1].view(2, S)
    state, pos = None, 0
    for f in frames[1:]:
        if pos + 8 > S:
            pos, state = 0, None
        logits, state = model(x[:, pos:pos + 8], state)
        loss = F.cross_entropy(logits.reshape(-1, logits.shape[-1]), y[:, pos:pos + 8].reshape(-1))
        opt.zero_grad()
        loss.backward()
        norm = torch.nn.utils.clip_grad_norm_(model.parameters(), 0.05)
        opt.step()
        state = tuple(s.detach() for s in state)
        pos += 8
        assert f.values["loss"] == pytest.approx(loss.item(), rel=1e-5)
        assert f.values["grad_norm"] == pytest.approx(norm.item(), rel=1e-5)
        assert f.values["clipped"] == 1 and "rescaled to norm 0.05" in f.caption
    check = frames[-1].values["check"]  # ‖g‖ against a float64 sum of squares of the same gradients, at the end
    assert check["ok"] and check["reference"] == "√Σg² in float64" and check["max_diff"] < 1e-5
    assert "check" not in frames[1].values  # and every eval_every iterations, not at each


def test_value_clipping_clamps_each_element(tiny):
    lab = make(small(tiny, iterations=2, cell="rnn", embedding=0, clip=1e-4, clip_mode="value", optimizer="sgd"))
    frames = from_setup(lab)
    assert frames[1].values["clamped"] > 0 and "clamped to ±0.0001" in frames[1].caption
    assert all(q.grad.abs().max().item() <= 1e-4 for q in lab.model.parameters())


@pytest.mark.parametrize("temperature,top_k", [(1.0, 0), (0.5, 0), (2.0, 0), (0.8, 3), (1.0, 1)])
def test_sampler_is_softmax_of_logits_over_temperature(temperature, top_k):
    rng = np.random.default_rng(1)
    logits = rng.normal(size=17) * 3
    p = next_distribution(logits, temperature, top_k)
    t = torch.tensor(logits)
    if top_k:
        vals, idx = torch.topk(t, top_k)
        want = torch.zeros_like(t)
        want[idx] = torch.softmax(vals / temperature, 0)
    else:
        want = torch.softmax(t / temperature, 0)
    assert np.allclose(p, want.numpy(), atol=1e-12) and p.sum() == pytest.approx(1.0)


def test_sampling_frames_show_the_model_distribution(tiny):
    lab = make(small(tiny, iterations=5, generate=4, temperature=0.7, top_k=4, prime="the "))
    frames = list(lab.frames())
    samples = [f for f in frames if f.values["phase"] == "sample"]
    assert len(samples) == 4 and len(frames) == lab.length()
    # An independent forward pass of the trained nn.Module on the same context.
    for f in samples:
        logits = last_logits(lab.model, lab, f.values["context"]).double()
        vals, idx = torch.topk(logits, 4)
        want = dict(zip((lab.cfg.vocab[i] for i in idx.tolist()), torch.softmax(vals / 0.7, 0).tolist()))
        got = dict((c, q) for c, q in f.values["top"])
        assert set(got) == set(want) and all(got[c] == pytest.approx(want[c], abs=1e-6) for c in got)
        assert f.values["char"] in got and f.values["prob"] == pytest.approx(got[f.values["char"]])
        assert f.values["check"]["reference"] == "torch.softmax" and f.values["check"]["ok"]
    assert samples[-1].values["context"].startswith("the ")


def test_greedy_takes_the_argmax(tiny):
    lab = make(small(tiny, iterations=5, generate=3, greedy=True))
    for f in [f for f in lab.frames() if f.values["phase"] == "sample"]:
        assert f.values["char"] == f.values["top"][0][0] and "took" in f.caption


def test_samples_are_kept_in_a_timeline(tiny):
    frames = from_setup(make(small(tiny, iterations=6, sample_every=2, sample_len=10)))
    assert [len(f.values["timeline"]) for f in frames[:7]] == [1, 1, 2, 2, 3, 3, 4]
    assert "sample" in frames[2].values and "sample" not in frames[3].values
    assert [t[0] for t in frames[6].values["timeline"]] == [0, 2, 4, 6]
    assert all(len(t[2]) == 10 for t in frames[6].values["timeline"])


def test_per_step_groups_iterations_and_frames_freeze(tiny):
    lab = make(small(tiny, iterations=7, per_step=3))
    frames = from_setup(lab)
    assert [f.values["iteration"] for f in frames] == [0, 3, 6, 7] and lab.length() == 5
    assert frames[1].caption.startswith("iterations 1–3: mean loss")
    json.dumps(frames[1].to_json(), allow_nan=False)


def test_curve_averages_down_and_stays_bounded():
    c = Curve(points=3)
    for i in range(1, 5):
        c.add(i, float(i))
    assert c.values() == [[1, 1.0], [2, 2.0], [3, 3.0], [4, 4.0]]
    for i in range(5, 101):
        c.add(i, float(i))
    pts = c.values()
    # Buckets of equal width (the last may be partial), each the mean of its iterations, at most 2 × points.
    assert 3 <= len(pts) <= 6 and pts[-1][0] == 100
    width = pts[0][0]
    assert all(b[0] - a[0] == width for a, b in zip(pts[:-2], pts[1:-1]))
    for (end, mean), start in zip(pts, [0] + [p[0] for p in pts]):
        assert mean == pytest.approx(np.mean(np.arange(start + 1, end + 1)))


def test_frame_values_do_not_grow_with_the_iterations(tiny):
    """A frame holds bounded curves and timeline: 10× the iterations, no more points and about as much JSON."""
    from engine.charrnn.training import CURVE_POINTS

    def last(n):
        frames = list(make(small(tiny, iterations=n, per_step=n // 10, sample_every=n // 5, sample_len=20,
                                 val_frac=0.3, eval_every=n // 100, seq_len=4)).frames())
        return frames[-1].values, len(json.dumps(frames[-1].to_json()))

    (few, few_size), (many, many_size) = last(300), last(3000)
    for v in (few, many):
        assert len(v["curve"]) <= 2 * CURVE_POINTS and len(v["valid_curve"]) <= 2 * CURVE_POINTS
        assert len(v["timeline"]) <= 4
    assert many["curve"][-1][0] == 3000 and len(many["valid_curve"]) < 101  # 101 measurements, merged
    assert many_size < 2 * few_size


def test_same_seed_same_frames(tiny):
    a = [f.to_json() for f in make(small(tiny, iterations=4, sample_every=2, generate=3)).frames()]
    b = [f.to_json() for f in make(small(tiny, iterations=4, sample_every=2, generate=3)).frames()]
    assert json.dumps(a) == json.dumps(b)


# --- checkpoints ---------------------------------------------------------------
def next_top(lab) -> list:
    return [f for f in lab.frames() if f.values["phase"] == "sample"][0].values["top"]


def test_checkpoint_save_and_reload_gives_the_same_distribution(tiny, tmp_path):
    from engine.charrnn import checkpoint

    path = tmp_path / "m.pt"
    lab = make(small(tiny, iterations=10, save=str(path)))
    list(lab.frames())
    note = lab.adjust("save")
    assert "saved iteration 10" in note and note.endswith(str(path.resolve()))
    raw = torch.load(path, weights_only=True)
    assert raw["format"] == "tui-lab/charrnn" and raw["version"] == 1 and raw["cell"] == "lstm"
    assert raw["vocab"] == list(lab.cfg.vocab) and raw["settings"]["hidden_size"] == 32 and raw["settings"]["embedding"] == 8
    assert {"embed.weight", "rnn.weight_ih_l0", "head.weight", "head.bias"} <= set(raw["model"])
    assert raw["optimizer"]["state"]
    # Same next-character distribution from the file as from the model in memory.
    ck = checkpoint.load(path, "cpu")
    assert torch.equal(last_logits(ck.model, lab, "the c"), last_logits(lab.model, lab, "the c"))
    # And a lab started from it samples what the trained lab samples.
    again = make(small(tiny, iterations=0, generate=1, checkpoint=str(path), prime="the c"))
    trained = make(small(tiny, iterations=0, generate=1, prime="the c"))
    trained.model.load_state_dict(lab.model.state_dict())
    assert next_top(again) == next_top(trained)
    assert again.trainer.optimizer.state_dict()["state"][0]["step"].item() == 10
    assert not list(tmp_path.glob(".*.tmp"))  # the temporary file was renamed away


def test_load_key_keeps_the_model_on_a_bad_file(tiny, tmp_path):
    bad = tmp_path / "bad.pt"
    bad.write_bytes(b"not a checkpoint at all")
    lab = make(small(tiny, iterations=1, checkpoint="", save=str(bad)))
    before = lab.model
    note = lab.adjust("load")
    assert "not a readable torch checkpoint" in note and "current model is kept" in note and lab.model is before


def test_load_key_swaps_in_a_good_checkpoint(tiny, tmp_path):
    path = tmp_path / "m.pt"
    a = make(small(tiny, iterations=3, save=str(path)))
    list(a.frames())
    a.adjust("save")
    b = make(small(tiny, iterations=0, hidden_size=16, save=str(path)))
    assert "loaded" in b.adjust("load") and b.model.rnn.hidden_size == 32


@pytest.mark.parametrize("mutate,message", [
    (lambda raw: raw.update(format="other"), "not a char-RNN checkpoint: expected format \"tui-lab/charrnn\""),
    (lambda raw: raw.update(version=2), "checkpoint version 2; this lab reads version 1"),
    (lambda raw: raw["model"].pop("head.bias"), "its weights do not fit"),
    (lambda raw: raw["settings"].update(hidden_size=7), "its weights do not fit"),
])
def test_mismatched_checkpoints_are_refused(tiny, tmp_path, mutate, message):
    from engine.charrnn import checkpoint

    path = tmp_path / "m.pt"
    lab = make(small(tiny, iterations=0, save=str(path)))
    lab.adjust("save")
    raw = torch.load(path, weights_only=True)
    mutate(raw)
    torch.save(raw, path)
    with pytest.raises(checkpoint.CheckpointError, match=message):
        checkpoint.load(path)


def test_truncated_checkpoint_is_a_clear_error(tiny, tmp_path):
    path = tmp_path / "m.pt"
    make(small(tiny, iterations=0, save=str(path))).adjust("save")
    path.write_bytes(path.read_bytes()[:200])
    with pytest.raises(ParamError) as info:
        CharRNNLab.validate(small(tiny, checkpoint=str(path)))
    assert info.value.key == "params.checkpoint" and "not a readable torch checkpoint" in info.value.message


def test_checkpoint_from_another_vocabulary(tiny, tmp_path):
    path = tmp_path / "m.pt"
    make(small(tiny, iterations=0, save=str(path))).adjust("save")
    other = tmp_path / "other.txt"
    other.write_text("XYZ xyz XYZ xyz XYZ xyz XYZ xyz XYZ xyz\n", encoding="utf-8")
    with pytest.raises(ParamError) as info:
        CharRNNLab.validate(small(other, checkpoint=str(path)))
    assert info.value.key == "params.checkpoint" and "another vocabulary" in info.value.message


# --- bad input -------------------------------------------------------------------
@pytest.mark.parametrize("content,message", [
    (b"", "is empty"),
    (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\xff\xfe", "is not UTF-8 text"),
    (b"abc\x00def" * 10, "NUL bytes"),
    (b"aaaaaaaa", "a single repeated character"),
])
def test_bad_texts(tmp_path, content, message):
    path = tmp_path / "t.txt"
    path.write_bytes(content)
    with pytest.raises(ParamError) as info:
        CharRNNLab.validate({"text": str(path)})
    assert info.value.key == "params.text" and message in info.value.message


def test_missing_text_and_bad_numbers(tiny):
    with pytest.raises(ParamError, match="no such file"):
        CharRNNLab.validate({"text": "no/such/corpus.txt"})
    with pytest.raises(ParamError) as info:
        CharRNNLab.validate(small(tiny, seq_len=0))
    assert info.value.key == "params.seq_len" and "from 1 to" in info.value.message
    with pytest.raises(ParamError, match="seq_len must be ≤ 22"):
        CharRNNLab.validate(small(tiny, seq_len=40))
    with pytest.raises(ParamError, match="not in the text's vocabulary: 'Q'"):
        CharRNNLab.validate(small(tiny, prime="Qat"))


def test_bundled_sonnets_are_the_lectures():
    from engine.charrnn.data import SONNETS

    text = SONNETS.read_text(encoding="utf-8")
    assert text.startswith("From fairest creatures we desire increase,\nThat thereby beauty's rose might never die,")
    assert text.endswith("And see thy blood warm when thou feel'st it cold.\n") and text.count("\n") == 29


def test_replay_json_contract_and_determinism(monkeypatch):
    monkeypatch.setenv("OMP_NUM_THREADS", "1")  # spare the shared machine; the lab uses torch's default
    outs = [spawn_cli("replay", "charrnn-sampling", "--format", "json", "--device", "cpu") for _ in range(2)]
    assert outs[0].returncode == 0, outs[0].stderr
    assert outs[0].stdout == outs[1].stdout
    rows = [json.loads(line) for line in outs[0].stdout.splitlines()]
    train = [r for r in rows if r["values"]["phase"] == "train"]
    sample = [r for r in rows if r["values"]["phase"] == "sample"]
    assert [r["values"]["iteration"] for r in train] == [25, 50, 75, 100]
    assert all(isinstance(r["values"]["loss"], float) and r["values"]["grad_norm"] > 0 for r in train)
    assert len(sample) == 30 and all(len(r["values"]["top"]) == 5 for r in sample)
    assert all(isinstance(c, str) and 0 < q <= 1 for r in sample for c, q in r["values"]["top"])
    assert "chars_per_s" not in outs[0].stdout
    # Validation: measured at the set-up and on every training frame here (eval_every 20 < per_step 25).
    assert rows[0]["values"]["phase"] == "data" and rows[0]["values"]["held_out"] == 124
    setup = rows[1]["values"]
    assert setup["phase"] == "setup" and setup["held_out"] == 124 and isinstance(setup["valid_loss"], float)
    assert all(isinstance(r["values"]["valid_loss"], float) for r in train)
    best = train[-1]["values"]["best_valid"]
    measured = [(setup["iteration"], setup["valid_loss"])] + [(r["values"]["iteration"], r["values"]["valid_loss"])
                                                              for r in train]
    assert (best["iteration"], best["valid_loss"]) == min(measured, key=lambda m: m[1])
    assert sample[0]["values"]["model"]["iteration"] == best["iteration"]
    assert sample[0]["values"]["model"]["valid_loss"] == best["valid_loss"]


def test_renderer_fits_80_columns(tiny):
    from rich.console import Console

    from tui_lab.render import render_frame

    frames = list(make(small(tiny, iterations=3, sample_every=2, generate=2)).frames())
    for f in (frames[0], frames[1], frames[3], frames[-1]):
        con = Console(width=78, record=True, file=open("/dev/null", "w"))
        con.print(render_frame("charrnn", f, 78))
        text = con.export_text()
        assert all(len(line) <= 78 for line in text.splitlines())
        assert {"data": "one-hot", "setup": "iteration", "train": "iteration", "sample": "◀ drawn"}[f.values["phase"]] in text


def test_the_lstm_lab_reads_our_checkpoints(tiny, tmp_path):
    reader = pytest.importorskip("engine.lstm.checkpoint")
    path = tmp_path / "m.pt"
    lab = make(small(tiny, iterations=2, save=str(path)))
    list(lab.frames())
    lab.adjust("save")
    ck = reader.load(str(path))
    assert ck.cell == "lstm" and ck.vocab == lab.cfg.vocab and ck.hidden == 32
    assert np.allclose(ck.embed, lab.model.embed.weight.detach().double().numpy())


def test_loading_mid_sampling_rereads_the_context(tiny, tmp_path):
    path = tmp_path / "big.pt"
    big = make(small(tiny, iterations=0, hidden_size=24, save=str(path)))
    big.adjust("save")
    lab = make(small(tiny, iterations=0, generate=3, save=str(path)))
    frames = lab.frames()
    next(frames), next(frames), next(frames)  # the overview, the set-up, the first character
    assert "loaded" in lab.adjust("load")
    f = next(frames)
    want = torch.softmax(last_logits(big.model, lab, f.values["context"]).double(), 0).max().item()
    assert f.values["top"][0][1] == pytest.approx(want, abs=1e-6)


def test_sampling_keys_say_when_no_samples_are_left(tiny):
    lab = make(small(tiny, iterations=2, sample_every=0, generate=2))
    gen = lab.frames()
    next(gen)
    assert lab.turn("temperature", 1.2).endswith("for the samples still to come")
    rest = list(gen)
    assert [f.values["phase"] for f in rest][-2:] == ["sample", "sample"]
    for note in (lab.turn("temperature", 0.5), lab.turn("top_k", 3), lab.adjust("greedy")):
        assert "still to come" not in note and "no samples left to draw: all 2 characters are drawn" in note


def test_help_has_no_keys_table_of_its_own():
    # The help screen appends the keys from KEYS; the prose (help.md) must not repeat them as a table.
    text = CharRNNLab.help_text()
    assert "Validation" in text and "| Key |" not in text and "|:--" not in text
    descriptions = dict((name, d) for _k, name, d in CharRNNLab.KEYS)
    assert "charrnn.pt" in descriptions["save"] and "checkpoint" in descriptions["load"]


def test_a_diverging_run_stops_with_one_clear_frame():
    """When the loss turns non-finite (weights blown up), the run says so once and stops."""

    from engine.registry import lab_class
    from engine.session import Session
    from scenarios.scenario import Scenario

    params = lab_class("charrnn").validate({"iterations": 20, "hidden_size": 16, "sample_every": 0, "val_frac": 0})
    session = Session(Scenario("div", "div", "charrnn", params), device="cpu")
    lab = session.lab
    real = lab.trainer.step
    calls = []

    def blow_up_at_third(check=False):
        row = real(check)
        calls.append(1)
        if len(calls) >= 3:
            row = row.clone()
            row[:2] = float("nan")  # loss and ‖g‖; the clamped count stays a count
        return row

    lab.trainer.step = blow_up_at_third
    session.finish()
    frames = session.stepper.frames
    assert len(frames) == 5  # overview, set-up, two good iterations, the diverged one; no sampling after it
    assert frames[-1].values["diverged"] is True
    assert frames[-1].caption.startswith("diverged at iteration 3: the loss is NaN")
    assert "Lower lr" in frames[-1].caption


@pytest.mark.parametrize("mutate,message", [
    (lambda raw: raw["settings"].update(iteration="abc"), "settings.iteration is 'abc'"),
    (lambda raw: raw["settings"].update(hidden_size=2 ** 40), "settings.hidden_size is 1099511627776; expected an integer from 1 to 4096"),
    (lambda raw: raw["settings"].update(layers=10 ** 6), "settings.layers is 1000000"),
    (lambda raw: raw["model"].update({"head.bias": 5}), "head.bias is 5, not a tensor of floats"),
    (lambda raw: raw["optimizer"]["param_groups"][0].update(lr="fast"), "lr is 'fast'"),
    (lambda raw: raw["optimizer"]["param_groups"][0].update(params=[0]), "cover 1 parameter"),
])
def test_crafted_checkpoints_are_one_clear_line(tiny, tmp_path, mutate, message):
    path = tmp_path / "m.pt"
    lab = make(small(tiny, iterations=1, save=str(path)))
    list(lab.frames())
    lab.adjust("save")
    raw = torch.load(path, weights_only=True)
    mutate(raw)
    bad = tmp_path / "bad.pt"
    torch.save(raw, bad)
    with pytest.raises(ParamError) as info:
        CharRNNLab.validate(small(tiny, checkpoint=str(bad)))
    assert info.value.key == "params.checkpoint" and message in info.value.message, info.value.message
    # The load key keeps the current model and says so in one line.
    lab.cfg = dataclasses.replace(lab.cfg, save=str(bad))
    before = lab.model
    note = lab.adjust("load")
    assert message in note and "current model is kept" in note and lab.model is before and "\n" not in note


def test_optimizer_moments_of_the_wrong_shape_are_refused(tiny, tmp_path):
    from engine.charrnn import checkpoint

    path = tmp_path / "m.pt"
    lab = make(small(tiny, iterations=1, save=str(path)))
    list(lab.frames())
    lab.adjust("save")
    raw = torch.load(path, weights_only=True)
    raw["optimizer"]["state"][0]["exp_avg"] = torch.zeros(3)
    torch.save(raw, path)
    opt = make_optimizer("adam", lab.model.parameters(), 0.01)
    with pytest.raises(checkpoint.CheckpointError, match="optimizer state does not fit"):
        checkpoint.load_optimizer(opt, checkpoint.read(path)["optimizer"], path)
    assert not opt.state  # unchanged


def test_messages_are_cut_at_a_word():
    from engine.core.fmt import clip

    text = "word " * 60
    out = clip(text)
    assert len(out) <= 160 and out.endswith("…") and out[:-1].split()[-1] == "word"


def test_text_must_be_a_regular_file_of_at_most_10_mb(tmp_path):
    from engine.charrnn import data as charrnn

    with pytest.raises(ParamError) as info:
        charrnn.read_text("/dev/zero")
    assert info.value.key == "params.text" and "not a regular file" in info.value.message
    big = tmp_path / "big.txt"
    big.write_bytes(b"ab" * (charrnn.MAX_TEXT_BYTES // 2 + 1))
    with pytest.raises(ParamError) as info:
        charrnn.read_text(str(big))
    assert "at most 10 MB" in info.value.message


def test_a_sample_is_shown_after_the_text_it_goes_on_from(tiny):
    """A sample continues its prime (the text's first character by default): the panel shows
    the prime first, so "rom fairest" reads as "From fairest"."""
    import conftest

    frames = list(make(small(tiny, iterations=2, sample_every=2, sample_len=10)).frames())
    v = frames[-1].values
    assert v["prime"] == TINY[0]
    drawn = conftest.draw("charrnn", frames[-1], 100)
    panel = drawn.split("sample at iteration 2")[1].splitlines()[1]  # the panel's first line
    assert panel.startswith("│ " + (v["prime"] + v["timeline"][-1][2]).split("\n")[0]), panel


def test_frame_0_says_what_min_char_rnn_counts_with_one_bias():
    """min-char-rnn's own parameters, worked by hand from its code (Wxh H×V, Whh H×H, Why V×H,
    bh H, by V): torch's second hidden bias is the whole difference, and the frame says it."""
    from conftest import draw
    from engine.session import Session
    from scenarios import bundled, load

    session = Session(load(next(i.path for i in bundled() if i.name == "charrnn-min-char-rnn")))
    v = session.frame.values
    V, H = v["vocab_size"], 100
    assert v["parameters"] - v["second_bias"] == H * V + H * H + V * H + H + V == 18_542
    assert "with one b, as min-char-rnn: 18,542" in draw("charrnn", session.frame, 100)
