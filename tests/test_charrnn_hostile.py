"""Char-RNN against hostile input: size budgets at check, checkpoints that lie about their size or
are not files at all, files that are not ours, and writes interrupted by signals."""

import os
import pickle
import resource
import signal
import subprocess
import sys
import threading
import time
import zipfile

import pytest

from conftest import ROOT, ctrl_c_default
from engine.charrnn import checkpoint
from engine.charrnn.lab import CharRNNLab
from engine.core.params import ParamError

torch = pytest.importorskip("torch")

from test_charrnn import one_thread, tiny  # noqa: F401 (fixtures: one CPU thread, a tiny text)


def small(text, **more):
    return {"text": str(text), "hidden_size": 8, "embedding": 4, "seq_len": 4, "batch": 2, "sample_every": 0,
            "generate": 0, "val_frac": 0, **more}


def saved(tmp_path, tiny, name="m.pt"):
    path = tmp_path / name
    lab = CharRNNLab(CharRNNLab.validate(small(tiny, iterations=1, save=str(path))), device="cpu")
    list(lab.frames())
    assert "saved" in lab.adjust("save")
    return path, lab


def check_cli(tmp_path, params: str, limit_gb: float = 2.0):
    """`tui-lab check` on a scenario with these params, under an address-space limit (a memory check)."""
    scenario = tmp_path / "s.toml"
    scenario.write_text(f'title = "hostile"\nlab = "charrnn"\n[params]\n{params}\n', encoding="utf-8")
    limit = int(limit_gb * 1024 ** 3)

    def cap():
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))

    env = {**os.environ, "OMP_NUM_THREADS": "1", "NO_COLOR": "1"}
    return subprocess.run([sys.executable, "-m", "tui_lab", "check", str(scenario)], capture_output=True, text=True,
                          cwd=ROOT, env=env, timeout=120, preexec_fn=cap)


def one_line(result, *words):
    assert result.returncode == 2, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in result.stderr and "Warning" not in result.stderr, result.stderr
    for w in words:
        assert w in lines[0], lines[0]
    return lines[0]


# --- budgets ----------------------------------------------------------------------------------------
def test_huge_model_is_refused_at_check_under_2_gb(tmp_path):
    line = one_line(check_cli(tmp_path, "hidden_size = 4096\nlayers = 8\nembedding = 4096"),
                    "params.hidden_size", "parameter count is 1,074,348,074; at most 50,000,000")
    assert "lower hidden_size" in line


def test_a_vocabulary_of_1_1_million_characters_is_refused_under_2_gb(tmp_path):
    chars = [chr(c) for c in range(0x20, 0x110000) if not 0xD800 <= c < 0xE000]
    (tmp_path / "all.txt").write_text("".join(chars), encoding="utf-8")
    one_line(check_cli(tmp_path, 'text = "all.txt"'), "params.text", f"vocabulary (distinct characters) is "
             f"{len(chars):,}; at most 10,000")


@pytest.mark.parametrize("params,key,words", [
    ({"embedding": 0}, "params.embedding", "one-hot input's width (one entry per character) is 2,000; at most 1,024"),
    ({"batch": 4096, "seq_len": 1000, "hidden_size": 64, "embedding": 8}, "params.batch",
     "values one training step keeps"),
    ({"iterations": 10_000_000, "per_step": 1}, "params.iterations", "number of steps (frames) is 10,000,062; at most "
     "4,000,000; raise per_step"),
])
def test_budgets_are_checked_before_anything_is_allocated(tmp_path, params, key, words):
    path = tmp_path / "wide.txt"
    path.write_text("".join(chr(0x4E00 + i) for i in range(2000)) * 3, encoding="utf-8")
    raw = {"text": str(path), **params} if key == "params.embedding" else params
    with pytest.raises(ParamError) as info:
        CharRNNLab.validate(raw)
    assert info.value.key == key and words in info.value.message, info.value.message


# --- checkpoints that are not what they say -----------------------------------------------------------
def rewrite_zip(src, dst, change=lambda name, data: data, compress=zipfile.ZIP_STORED, extra=None):
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, "w") as zout:
        for info in zin.infolist():
            zout.writestr(info.filename, change(info.filename, zin.read(info.filename)), compress_type=compress)
        if extra:  # beside the others, under the archive's one top folder
            root = zin.infolist()[0].filename.split("/")[0]
            zout.writestr(f"{root}/{extra[0]}", extra[1], compress_type=zipfile.ZIP_STORED)


def test_a_tensor_declared_with_500_million_elements_is_refused_before_loading(tmp_path, tiny):
    """A 2 MB-class file whose header declares a 500 M-element tensor (2 GB): the declared shapes are
    checked against the model on the meta device, so nothing of that size is ever allocated."""
    import struct

    path, _ = saved(tmp_path, tiny)
    raw = torch.load(path, weights_only=True)
    raw["model"]["head.bias"] = torch.zeros(77777)  # a size we can find in the pickle and enlarge
    torch.save(raw, tmp_path / "base.pt")
    small_int, big_int = b"J" + struct.pack("<i", 77777), b"J" + struct.pack("<i", 500_000_000)
    bomb = tmp_path / "bomb.pt"
    rewrite_zip(tmp_path / "base.pt", bomb,
                lambda name, data: data.replace(small_int, big_int) if name.endswith("data.pkl") else data)
    assert bomb.stat().st_size < 2_000_000 and torch.load(bomb, map_location="meta", weights_only=True)[
        "model"]["head.bias"].shape == (500_000_000,)
    with pytest.raises(ParamError) as info:
        CharRNNLab.validate(small(tiny, checkpoint=str(bomb)))
    assert "head.bias has shape [500000000], expected [13]" in info.value.message
    one_line(check_cli(tmp_path, f'text = "{tiny}"\ncheckpoint = "{bomb}"\nval_frac = 0'), "head.bias has shape")


def test_compressed_entries_are_refused(tmp_path, tiny):
    path, _ = saved(tmp_path, tiny)
    zipped = tmp_path / "zipped.pt"
    rewrite_zip(path, zipped, compress=zipfile.ZIP_DEFLATED)
    assert torch.load(zipped, weights_only=True)["format"] == "tui-lab/charrnn"  # torch itself would read it
    with pytest.raises(checkpoint.CheckpointError, match="compressed entries, which torch.save never writes"):
        checkpoint.read_header(zipped)


def test_a_file_larger_than_its_model_can_fill_is_refused(tmp_path, tiny):
    path, _ = saved(tmp_path, tiny)
    padded = tmp_path / "padded.pt"
    rewrite_zip(path, padded, extra=("data/999", b"\0" * 5_000_000))
    with pytest.raises(checkpoint.CheckpointError, match="more than a lstm 1×8, 4-dim embedding, 13 characters "
                                                        "model's weights and optimizer state can fill"):
        checkpoint.read(padded)


@pytest.mark.parametrize("mutate,message", [
    (lambda raw: raw.update(extra=1), "unknown key(s) 'extra'; a checkpoint holds format, version"),
    (lambda raw: raw["settings"].update(evil="x"), "unknown setting(s) 'evil'"),
    (lambda raw: raw["model"].update({"rnn.weight_ih_l7": torch.zeros(1)}), "unexpected 'rnn.weight_ih_l7'"),
    (lambda raw: raw["settings"].update(valid_loss="low"), "settings.valid_loss is 'low'"),
])
def test_unknown_keys_are_refused(tmp_path, tiny, mutate, message):
    path, _ = saved(tmp_path, tiny)
    raw = torch.load(path, weights_only=True)
    mutate(raw)
    torch.save(raw, path)
    with pytest.raises(checkpoint.CheckpointError) as info:
        checkpoint.read(path)
    assert message in str(info.value)


def test_a_raw_pickle_is_one_clean_line(tmp_path, tiny):
    bad = tmp_path / "raw.pt"
    with open(bad, "wb") as fh:
        pickle.dump({"format": "tui-lab/charrnn", "model": {}}, fh)
    one_line(check_cli(tmp_path, f'text = "{tiny}"\ncheckpoint = "{bad}"\nval_frac = 0'),
             "params.checkpoint", "not a readable torch checkpoint (not the zip archive torch.save writes")


def test_a_fifo_is_never_opened(tmp_path, tiny):
    fifo = tmp_path / "pipe.pt"
    os.mkfifo(fifo)
    link = tmp_path / "link.pt"
    link.symlink_to(fifo)
    for name in (fifo, link):
        with pytest.raises(ParamError) as info:
            CharRNNLab.validate(small(tiny, checkpoint=str(name)))
        assert "not a regular file" in info.value.message
    # The app's l key: a message, and no thread left waiting on the pipe.
    _, lab = saved(tmp_path, tiny)
    lab.cfg = __import__("dataclasses").replace(lab.cfg, checkpoint=str(fifo))
    notes = []
    worker = threading.Thread(target=lambda: notes.append(lab.adjust("load")), daemon=True)
    worker.start()
    worker.join(20)
    assert not worker.is_alive() and "not a regular file" in notes[0] and "current model is kept" in notes[0]
    one_line(check_cli(tmp_path, f'text = "{tiny}"\ncheckpoint = "{fifo}"\nval_frac = 0'), "not a regular file")


# --- writing ---------------------------------------------------------------------------------------------
def test_save_never_replaces_a_file_that_is_not_a_checkpoint(tmp_path, tiny):
    notes = tmp_path / "notes.txt"
    notes.write_text("my notes\n", encoding="utf-8")
    lab = CharRNNLab(CharRNNLab.validate(small(tiny, iterations=0, save=str(notes))), device="cpu")
    message = lab.adjust("save")
    assert "exists and is not a tui-lab checkpoint, so it is not replaced" in message
    assert notes.read_text(encoding="utf-8") == "my notes\n" and not list(tmp_path.glob(".*.tmp"))
    # Our own checkpoint is replaced without asking.
    path, lab = saved(tmp_path, tiny)
    before = path.stat().st_mtime_ns
    time.sleep(0.01)
    assert "saved iteration 1" in lab.adjust("save") and path.stat().st_mtime_ns != before


SAVER = """
import sys
sys.path.insert(0, sys.argv[2])
from engine.charrnn import checkpoint
from engine.charrnn.model import build_model
state = build_model("lstm", 50, 512, 2, 64).state_dict()
vocab = [chr(65 + i) for i in range(50)]
print("ready", flush=True)
while True:
    checkpoint.save(sys.argv[1], cell="lstm", vocab=vocab, settings={"hidden_size": 512, "layers": 2, "embedding": 64},
                    model_state=state)
"""


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_a_write_interrupted_by_a_signal_leaves_no_temporary_file(tmp_path, signum):
    target = tmp_path / "big.pt"
    for attempt in range(3):
        proc = subprocess.Popen([sys.executable, "-c", SAVER, str(target), str(ROOT)], stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, env={**os.environ, "OMP_NUM_THREADS": "1"},
                                preexec_fn=ctrl_c_default)
        try:
            assert proc.stdout.readline().strip() == b"ready"
            deadline = time.time() + 60
            while not list(tmp_path.glob(".big.pt.*.tmp")) and time.time() < deadline:
                time.sleep(0.001)
            os.kill(proc.pid, signum)
            proc.wait(30)
        finally:
            proc.kill()
            proc.wait()
        assert proc.returncode != 0
        assert not list(tmp_path.glob("*.tmp")) and not list(tmp_path.glob(".*.tmp"))
        if target.exists():  # whatever is there is whole
            assert checkpoint.read_header(target)["settings"]["hidden_size"] == 512
