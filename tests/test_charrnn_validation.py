"""Char-RNN validation: the split never leaks, the held-out loss is a plain no-grad evaluation,
the best weights are kept and saved, overfitting is named; python-docs; deeper models with dropout."""

import math

import numpy as np
import pytest

from engine.charrnn import data
from engine.charrnn.lab import CharRNNLab
from engine.core.params import ParamError
from test_charrnn import from_setup, make, one_thread  # noqa: F401 (one_thread: an autouse fixture)

torch = pytest.importorskip("torch")
F = torch.nn.functional




def write(tmp_path, text: str):
    path = tmp_path / "t.txt"
    path.write_text(text, encoding="utf-8")
    return str(path)


def evaluate_by_hand(model_state, cell, vocab, held_out: str, rows: int, layers=1, dropout=0.0) -> float:
    """The held-out loss as documented, computed apart from the lab: `rows` contiguous streams of the
    held-out text, each run whole from a zero state through a separately built torch model (batch
    first, eval mode, no gradient); the mean cross-entropy over every predicted character."""
    E = model_state["embed.weight"].shape[1]
    H = model_state["head.weight"].shape[1]
    embed = torch.nn.Embedding(len(vocab), E)
    rnn = (torch.nn.LSTM if cell == "lstm" else torch.nn.RNN)(E, H, layers, batch_first=True, dropout=dropout)
    head = torch.nn.Linear(H, len(vocab))
    for name, module in (("embed", embed), ("rnn", rnn), ("head", head)):
        module.load_state_dict({k.split(".", 1)[1]: v for k, v in model_state.items() if k.startswith(name + ".")})
        module.eval()
    ids = torch.tensor([vocab.index(c) for c in held_out])
    L = (len(held_out) - 1) // rows
    total = 0.0
    with torch.no_grad():
        for r in range(rows):
            x, y = ids[r * L: (r + 1) * L], ids[r * L + 1: (r + 1) * L + 1]
            out, _ = rnn(embed(x[None]))
            total += F.cross_entropy(head(out)[0], y, reduction="sum").item()
    return total / (rows * L)


# --- the split ------------------------------------------------------------------------------------
@pytest.mark.parametrize("n,val_frac,batch,seq_len", [(1237, 0.1, 16, 32), (1237, 0.1, 8, 48), (465_000, 0.1, 32, 64),
                                                      (50, 0.2, 1, 4), (100, 0.04, 3, 30)])
def test_split_blocks_are_disjoint_and_contiguous(n, val_frac, batch, seq_len):
    train, valid = data.split(n, val_frac, batch, seq_len)
    cut = n - round(n * val_frac)
    assert (train.start, train.stop, valid.start, valid.stop) == (0, cut, cut, n)
    tp, vp = train.positions(), valid.positions()
    # Inputs and their targets (+1) of each block stay inside it.
    assert tp.min() >= 0 and (tp + 1).max() < cut and vp.min() >= cut and (vp + 1).max() < n
    assert np.all(np.diff(tp, axis=1) == 1) and np.all(np.diff(vp, axis=1) == 1)  # streams are contiguous
    assert valid.rows <= batch and (valid.rows == 1 or valid.length >= seq_len)


def test_no_held_out_character_reaches_a_training_batch(tmp_path):
    """Training text of a–j, held-out text of characters found nowhere else: a held-out token id in any
    batch the model trains on would be a leak, so this checks the batches themselves, on token ids."""
    text = "abcdefghij" * 18 + "klmnopqrstuvwxyzKLMN"  # 200 characters, the last 20 held out
    lab = make({"text": write(tmp_path, text), "hidden_size": 8, "embedding": 4, "seq_len": 5, "batch": 3,
                "val_frac": 0.1, "iterations": 40, "eval_every": 10, "sample_every": 0, "generate": 0})
    held = {lab.sampler.index_of[c] for c in "klmnopqrstuvwxyzKLMN"}
    seen_training, seen_eval = [], []
    forward = lab.model.forward

    def spy(ids, state=None):
        (seen_training if torch.is_grad_enabled() else seen_eval).append(ids.clone())
        return forward(ids, state)

    lab.model.forward = spy
    frames = list(lab.frames())
    batches = torch.cat([b.reshape(-1) for b in seen_training])
    assert len(seen_training) == 40 and not (set(batches.tolist()) & held)
    assert not (set(lab.trainer.targets.reshape(-1).tolist()) & held)
    # The evaluations read the held-out characters only (after the one look at the first training chunk).
    x, y = lab.trainer.valid
    assert set(x.reshape(-1).tolist()) | set(y.reshape(-1).tolist()) <= held
    assert sum(1 for f in frames if "valid_loss" in f.values) == 1 + 4


@pytest.mark.parametrize("val_frac,message", [(0.0001, "holds out 0 character(s) of 1,237; at least 2"),
                                              (0.001, "holds out 1 character(s)"), (0.5, "seq_len must be ≤")])
def test_split_that_leaves_too_little_is_one_line(val_frac, message):
    with pytest.raises(ParamError) as info:
        CharRNNLab.validate({"val_frac": val_frac, "seq_len": 620 if val_frac == 0.5 else 32, "batch": 1})
    assert message in info.value.message


def test_val_frac_0_turns_validation_off():
    lab = make({"val_frac": 0, "hidden_size": 8, "embedding": 4, "iterations": 3, "sample_every": 0, "generate": 2})
    frames = list(lab.frames())
    assert not any("valid_loss" in f.values or "valid_curve" in f.values for f in frames)
    assert frames[-1].values["model"] == {"kind": "last", "iteration": 3, "valid_loss": None}


# --- the held-out loss ------------------------------------------------------------------------------
@pytest.mark.parametrize("layers,dropout", [(1, 0.0), (2, 0.5)])
def test_validation_loss_equals_a_separate_no_grad_evaluation(layers, dropout):
    lab = make({"hidden_size": 24, "embedding": 8, "layers": layers, "dropout": dropout, "seq_len": 16, "batch": 4,
                "iterations": 12, "per_step": 3, "eval_every": 6, "sample_every": 0, "generate": 0, "lr": 0.01})
    frames = list(lab.frames())
    last = frames[-1].values
    cfg = lab.cfg
    assert cfg.valid.rows == 4 and last["iteration"] == 12 and "valid_loss" in last
    want = evaluate_by_hand(lab.model.state_dict(), "lstm", list(cfg.vocab), cfg.text[cfg.valid.start:],
                            cfg.valid.rows, layers, dropout)
    assert last["valid_loss"] == pytest.approx(want, rel=1e-6)
    assert lab.model.training  # back in training mode after measuring


def test_the_best_checkpoint_has_the_lowest_validation_loss(tmp_path):
    from engine.charrnn import checkpoint

    save = tmp_path / "m.pt"
    lab = make({"hidden_size": 64, "embedding": 16, "seq_len": 32, "batch": 16, "lr": 0.005, "iterations": 150,
                "per_step": 10, "eval_every": 10, "sample_every": 0, "generate": 3, "save": str(save)})
    frames = list(lab.frames())
    measured = [(f.values["iteration"], f.values["valid_loss"]) for f in frames if "valid_loss" in f.values]
    best_it, best_loss = min(measured, key=lambda m: m[1])
    assert measured[-1][1] > best_loss  # the sonnets overfit: the last model is not the best
    note = lab.adjust("save")
    assert f"the best by validation (iteration {best_it}" in note and str(save) + ".best" in note
    best = checkpoint.read(str(save) + ".best")
    assert best["settings"]["iteration"] == best_it and best["settings"]["valid_loss"] == best_loss
    assert best["optimizer"] is None
    last = checkpoint.read(save)
    assert last["settings"]["iteration"] == 150 and last["settings"]["valid_loss"] == measured[-1][1]
    cfg = lab.cfg
    held = cfg.text[cfg.valid.start:]
    assert evaluate_by_hand(best["model"], "lstm", list(cfg.vocab), held, cfg.valid.rows) == pytest.approx(best_loss, rel=1e-6)
    # Overfitting is named, with the iteration of the best validation loss.
    over = [f for f in frames if f.values.get("overfitting")]
    assert over and f"at iteration {best_it} while the training loss falls: overfitting" in over[-1].caption
    # Sampling comes from those best weights, and says so.
    sample = [f for f in frames if f.values["phase"] == "sample"]
    assert sample[0].values["model"] == {"kind": "best", "iteration": best_it, "valid_loss": best_loss}
    assert f"sampling from the best model by validation (iteration {best_it}" in sample[0].caption
    # A lab started from the .best file samples from it and names its validation loss.
    again = make({"checkpoint": str(save) + ".best", "iterations": 0, "generate": 1, "sample_every": 0})
    first = [f for f in again.frames() if f.values["phase"] == "sample"][0]
    assert first.values["model"] == {"kind": "checkpoint", "iteration": best_it, "valid_loss": best_loss}


def test_sonnets_captions_say_the_curve_is_noisy():
    lab = make({"hidden_size": 8, "embedding": 4, "iterations": 2, "eval_every": 1, "sample_every": 0, "generate": 0})
    frames = from_setup(lab)
    assert "124 characters held out" in frames[0].caption and "noisy" in frames[0].caption
    assert "(few held out: noisy)" in frames[1].caption


# --- learning-rate decay -------------------------------------------------------------------------------
def test_lr_decays_after_the_given_iteration():
    lab = make({"hidden_size": 8, "embedding": 4, "iterations": 8, "lr": 0.01, "decay": 0.9, "decay_after": 5,
                "sample_every": 0, "generate": 0, "val_frac": 0})
    frames = list(lab.frames())
    for f in frames[1:]:
        it = f.values["iteration"]
        assert f.values["lr"] == pytest.approx(0.01 * 0.9 ** max(0, it - 5), rel=1e-12)
        assert ("lr decayed to" in f.caption) == (it > 5)
    assert lab.trainer.optimizer.param_groups[0]["lr"] == pytest.approx(0.01 * 0.9 ** 3)


# --- deeper models ------------------------------------------------------------------------------
def stacked_lstm_by_hand(state: dict, x: np.ndarray, layers: int) -> np.ndarray:
    """The lecture's LSTM equations, layer on layer, in float64: f, i, C̃, o; C = f·C + i·C̃; h = o·tanh C."""
    def sigmoid(z):
        return 1 / (1 + np.exp(-z))

    seq = x
    for n in range(layers):
        W_ih, W_hh = state[f"rnn.weight_ih_l{n}"], state[f"rnn.weight_hh_l{n}"]
        b = state[f"rnn.bias_ih_l{n}"] + state[f"rnn.bias_hh_l{n}"]
        H = W_hh.shape[1]
        h, C, out = np.zeros(H), np.zeros(H), []
        for x_t in seq:
            z = W_ih @ x_t + W_hh @ h + b
            i, f, g, o = sigmoid(z[:H]), sigmoid(z[H:2 * H]), np.tanh(z[2 * H:3 * H]), sigmoid(z[3 * H:])
            C = f * C + i * g
            h = o * np.tanh(C)
            out.append(h)
        seq = np.array(out)
    return seq


def test_multi_layer_model_with_dropout_matches_torch_in_eval_mode():
    lab = make({"hidden_size": 16, "embedding": 8, "layers": 3, "dropout": 0.3, "seq_len": 16, "batch": 4,
                "iterations": 5, "sample_every": 0, "generate": 0, "lr": 0.01})
    list(lab.frames())
    assert lab.model.rnn.num_layers == 3 and lab.model.rnn.dropout == 0.3
    sd = {k: v.detach() for k, v in lab.model.state_dict().items()}
    ref = torch.nn.LSTM(8, 16, num_layers=3, dropout=0.3)
    ref.load_state_dict({k.split(".", 1)[1]: v for k, v in sd.items() if k.startswith("rnn.")})
    ref.eval()
    ids = torch.tensor([[lab.sampler.index_of[c]] for c in "From fairest creatures"])
    emb = sd["embed.weight"][ids]  # (T, 1, E)
    lab.model.eval()
    with torch.no_grad():
        ours = lab.model.rnn(emb)[0]
        theirs = ref(emb)[0]
        logits = lab.model(ids)[0]
    assert (ours - theirs).abs().max().item() < 1e-6
    by_hand = stacked_lstm_by_hand({k: v.double().numpy() for k, v in sd.items()}, emb[:, 0].double().numpy(), 3)
    assert np.abs(ours[:, 0].double().numpy() - by_hand).max() < 1e-6
    head = by_hand @ sd["head.weight"].double().numpy().T + sd["head.bias"].double().numpy()
    assert np.abs(logits[:, 0].double().numpy() - head).max() < 1e-5


def test_dropout_training_steps_match_torch_in_train_mode():
    """Dropout is on while training: the lab's losses are a time-first nn.LSTM(num_layers, dropout)
    loop's, drawing the same masks from the same seed."""
    lab = make({"hidden_size": 16, "embedding": 8, "layers": 2, "dropout": 0.5, "seq_len": 8, "batch": 2,
                "iterations": 3, "sample_every": 0, "generate": 0, "lr": 0.01, "val_frac": 0, "clip": 0})
    frames = from_setup(lab)
    torch.manual_seed(0)
    embed, rnn = torch.nn.Embedding(len(lab.cfg.vocab), 8), torch.nn.LSTM(8, 16, 2, dropout=0.5)
    head = torch.nn.Linear(16, len(lab.cfg.vocab))
    params = [*embed.parameters(), *rnn.parameters(), *head.parameters()]
    opt = torch.optim.Adam(params, lr=0.01)
    x, y = lab.trainer.inputs, lab.trainer.targets
    state = None
    for n, f in enumerate(frames[1:]):
        out, state = rnn(embed(x[n * 8:(n + 1) * 8]), state)
        loss = F.cross_entropy(head(out).reshape(-1, len(lab.cfg.vocab)), y[n * 8:(n + 1) * 8].reshape(-1))
        opt.zero_grad()
        loss.backward()
        opt.step()
        state = tuple(s.detach() for s in state)
        assert f.values["loss"] == pytest.approx(loss.item(), rel=1e-5)
    with torch.no_grad():
        lab.model.train()
        a = lab.model(x[:8])[0]
        b = lab.model(x[:8])[0]
    assert not torch.equal(a, b)  # two passes in training mode draw different masks


def test_dropout_needs_two_layers():
    with pytest.raises(ParamError) as info:
        CharRNNLab.validate({"dropout": 0.2})
    assert info.value.key == "params.dropout" and "layers ≥ 2" in info.value.message


# --- python-docs --------------------------------------------------------------------------------------
def test_python_docs_loads_and_trains():
    pytest.importorskip("pydoc_data.topics")
    from pydoc_data.topics import topics

    lab = make({"corpus": "python-docs", "hidden_size": 16, "embedding": 8, "seq_len": 16, "batch": 8,
                "iterations": 6, "per_step": 3, "eval_every": 6, "sample_every": 6, "sample_len": 30, "generate": 2})
    frames = from_setup(lab)
    setup, last = frames[0].values, frames[2].values
    n = sum(len(t) for t in topics.values()) + len(topics) - 1
    # Its content differs between Python releases: checked by structure, never by value.
    assert setup["text_chars"] == n > 100_000 and setup["held_out"] == round(n * 0.1)
    assert setup["vocab_size"] == len(set("".join(topics.values())) | {"\n"}) > 60
    assert "Python's documentation" in frames[0].caption
    assert lab.cfg.valid.rows == 8 and math.isfinite(last["valid_loss"]) and last["best_valid"]["iteration"] in (0, 3, 6)
    assert last["loss"] < setup["loss"] and len(last["sample"]) == 30
    assert [f.values["phase"] for f in frames[3:]] == ["sample", "sample"]


def test_python_docs_missing_is_one_line(monkeypatch):
    import sys

    monkeypatch.setitem(sys.modules, "pydoc_data.topics", None)  # as if this Python left it out
    with pytest.raises(ParamError) as info:
        CharRNNLab.validate({"corpus": "python-docs"})
    assert info.value.key == "params.corpus" and "no pydoc_data" in info.value.message


def test_python_docs_and_a_text_file_clash(tmp_path):
    with pytest.raises(ParamError) as info:
        CharRNNLab.validate({"corpus": "python-docs", "text": write(tmp_path, "abc abc")})
    assert info.value.key == "params.text" and "not both" in info.value.message


# --- threads ---------------------------------------------------------------------------------------
def test_threads_headless_default_and_a_core_left_for_the_app(monkeypatch):
    import threading

    from engine.charrnn import training

    assert training.cpu_thread_count("cpu", 2) == 2  # headless (the main thread): torch's default
    assert training.cpu_thread_count("cuda", 2) is None
    got = {}

    def in_worker(cores):
        monkeypatch.setattr(training.os, "cpu_count", lambda: cores)
        t = threading.Thread(target=lambda: got.update({cores: training.cpu_thread_count("cpu", cores)}))
        t.start()
        t.join()

    for cores in (2, 4, 8, 1):
        in_worker(cores)
    assert got == {2: 1, 4: 3, 8: 8, 1: 1}
