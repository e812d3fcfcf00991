"""What replay writes: never over the person's files, whole or not at all, streamed as made,
and nothing left behind on a full disk or a signal (issue 12)."""

import errno
import json
import os
import signal
import subprocess
import sys
import time
import tracemalloc

import pytest

from conftest import ROOT, ctrl_c_default, run_cli
from engine.core import files
from engine.core.files import MARKER, AtomicFile, is_ours, replaceable, write_atomic

SNAPSHOT = '''
title = "A picture after one step"
lab = "conv"
params = { input = [[1, 2], [3, 4]], kernel = [[1]] }
[[script]]
do = "step"
[[script]]
do = "snapshot"
name = "notes"
'''


def leftovers(folder):
    return sorted(p.name for p in folder.iterdir() if p.name.endswith(".tmp"))


# --- the atomic writer --------------------------------------------------------------------------
def test_write_atomic_writes_text_and_bytes(tmp_path):
    write_atomic(tmp_path / "a.txt", "héllo\n")
    write_atomic(tmp_path / "b.bin", b"\x00\x01")
    assert (tmp_path / "a.txt").read_text(encoding="utf-8") == "héllo\n"
    assert (tmp_path / "b.bin").read_bytes() == b"\x00\x01"
    assert leftovers(tmp_path) == []


def test_an_error_while_streaming_leaves_the_old_file_and_no_temporary(tmp_path):
    target = tmp_path / "out.txt"
    target.write_text("before", encoding="utf-8")
    with pytest.raises(RuntimeError):
        with AtomicFile(target) as fh:
            fh.write("half")
            raise RuntimeError("boom")
    assert target.read_text(encoding="utf-8") == "before"
    assert leftovers(tmp_path) == []


class FullDisk:
    """A file object that fails like a full disk after a few bytes."""

    def __init__(self, real, room=100):
        self.real, self.room = real, room

    def write(self, data):
        self.room -= len(data)
        if self.room < 0:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        return self.real.write(data)

    def __getattr__(self, name):
        return getattr(self.real, name)


@pytest.fixture
def full_disk(monkeypatch):
    real_fdopen = os.fdopen
    monkeypatch.setattr(files.os, "fdopen", lambda *a, **k: FullDisk(real_fdopen(*a, **k)))


@pytest.mark.parametrize("fmt", ["text", "json", "cast", "html", "svg"])
def test_a_full_disk_names_the_file_and_leaves_nothing_half_written(fmt, tmp_path, full_disk, capsys):
    from tui_lab.cli import main

    target = tmp_path / ("svg" if fmt == "svg" else f"r.{fmt}")
    assert main(["replay", "conv-sobel", "--format", fmt, "--out", str(target), "--device", "cpu", "--steps", "1"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert err.startswith(f"tui-lab: could not write {target}") and err.rstrip().endswith("No space left on device")
    folder = target if fmt == "svg" else tmp_path
    assert leftovers(folder) == []
    assert not (target.exists() and target.is_file())
    if fmt == "svg":
        assert list(folder.iterdir()) == []


def test_a_failed_rename_names_the_file(tmp_path, monkeypatch, capsys):
    from tui_lab.cli import main

    def no_room(*a):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(files.os, "replace", no_room)
    target = tmp_path / "r.json"
    assert main(["replay", "conv-sobel", "--format", "json", "--out", str(target), "--device", "cpu", "--steps", "1"]) == 2
    assert capsys.readouterr().err == f"tui-lab: could not write {target}: No space left on device\n"
    assert list(tmp_path.iterdir()) == []


# --- never over the person's files ---------------------------------------------------------------
def test_replay_refuses_to_replace_a_file_it_did_not_write(tmp_path):
    target = tmp_path / "existing.txt"
    target.write_text("my notes", encoding="utf-8")
    out = run_cli("replay", "conv-sobel", "--format", "html", "--out", str(target), "--device", "cpu")
    assert out.returncode == 2
    assert out.stderr == f"tui-lab: {target} exists and is not a tui-lab export; add --force to replace it\n"
    assert target.read_text(encoding="utf-8") == "my notes"
    out = run_cli("replay", "conv-sobel", "--format", "html", "--out", str(target), "--device", "cpu", "--force")
    assert out.returncode == 0, out.stderr
    assert is_ours(target)


@pytest.mark.parametrize("fmt", ["html", "cast"])
def test_its_own_export_may_be_written_again(fmt, tmp_path):
    target = tmp_path / f"r.{fmt}"
    for _ in range(2):
        out = run_cli("replay", "conv-sobel", "--format", fmt, "--out", str(target), "--device", "cpu", "--steps", "1")
        assert out.returncode == 0, out.stderr
    assert MARKER in target.read_text(encoding="utf-8")[:4096]


def test_json_and_text_carry_no_marker_so_need_force(tmp_path):
    """Their content is the contract (a frame per line; what the screen shows): no marker."""
    target = tmp_path / "r.json"
    assert run_cli("replay", "conv-sobel", "--format", "json", "--out", str(target), "--device", "cpu").returncode == 0
    again = run_cli("replay", "conv-sobel", "--format", "json", "--out", str(target), "--device", "cpu")
    assert again.returncode == 2 and "--force" in again.stderr


def test_out_must_not_be_a_folder_or_a_device(tmp_path):
    out = run_cli("replay", "conv-sobel", "--out", str(tmp_path), "--device", "cpu", "--force")
    assert out.returncode == 2 and out.stderr == f"tui-lab: {tmp_path} is a folder: a file cannot be written there\n"
    out = run_cli("replay", "conv-sobel", "--out", "/dev/null", "--device", "cpu", "--force")
    assert out.returncode == 2 and "not a regular file" in out.stderr


def test_a_snapshot_never_replaces_a_file_it_did_not_write(tmp_path):
    scenario = tmp_path / "walk.toml"
    scenario.write_text(SNAPSHOT, encoding="utf-8")
    picture = tmp_path / "notes.svg"
    picture.write_text("<svg>mine</svg>", encoding="utf-8")
    out = run_cli("replay", str(scenario), "--out", str(tmp_path / "r.txt"), "--device", "cpu")
    assert out.returncode == 2 and f"{picture} exists and is not a tui-lab export" in out.stderr
    assert picture.read_text(encoding="utf-8") == "<svg>mine</svg>"
    assert not (tmp_path / "r.txt").exists()
    out = run_cli("replay", str(scenario), "--out", str(tmp_path / "r.txt"), "--device", "cpu", "--force")
    assert out.returncode == 0, out.stderr
    assert is_ours(picture)
    # Now it is our own picture: a second run replaces it without asking (and the text with --force).
    out = run_cli("replay", str(scenario), "--out", str(tmp_path / "r2.txt"), "--device", "cpu")
    assert out.returncode == 0, out.stderr


def test_an_svg_folder_is_reused_only_when_every_file_it_replaces_is_ours(tmp_path):
    folder = tmp_path / "svg"
    args = ("replay", "conv-sobel", "--format", "svg", "--out", str(folder), "--device", "cpu", "--steps", "1")
    assert run_cli(*args).returncode == 0
    first = sorted(p.name for p in folder.iterdir())
    assert len(first) == 2 and all(is_ours(folder / name) for name in first)
    assert run_cli(*args).returncode == 0  # all ours: written again
    (folder / "conv-sobel-0000-step0000.svg").write_text("<svg>edited by hand</svg>", encoding="utf-8")
    out = run_cli(*args)
    assert out.returncode == 2 and "conv-sobel-0000-step0000.svg exists and is not a tui-lab export" in out.stderr
    assert (folder / "conv-sobel-0000-step0000.svg").read_text(encoding="utf-8") == "<svg>edited by hand</svg>"
    (folder / "holiday.svg").write_text("<svg/>", encoding="utf-8")  # not a name replay writes: no matter
    assert run_cli(*args, "--force").returncode == 0


def test_replaceable_reads_no_fifo(tmp_path):
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    assert not replaceable(fifo, force=True) and not is_ours(fifo)


# --- standard output -------------------------------------------------------------------------------
def test_out_dash_is_standard_output(tmp_path):
    out = run_cli("replay", "conv-sobel", "--format", "json", "--out", "-", "--device", "cpu", "--steps", "1", cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    assert [json.loads(line)["step"] for line in out.stdout.splitlines()] == [0, 1]
    assert list(tmp_path.iterdir()) == []  # no file named "-"


def test_svg_to_standard_output_is_refused_in_one_line(tmp_path):
    out = run_cli("replay", "conv-sobel", "--format", "svg", "--out", "-", cwd=tmp_path)
    assert out.returncode == 2 and out.stderr.count("\n") == 1 and "give a folder" in out.stderr
    assert list(tmp_path.iterdir()) == []


# --- streamed as made ------------------------------------------------------------------------------
def charrnn(tmp_path, iterations, **extra):
    (tmp_path / "t.txt").write_text("abcdefgh " * 50, encoding="utf-8")
    more = "".join(f"{k} = {v}\n" for k, v in extra.items())
    path = tmp_path / f"long{iterations}.toml"
    path.write_text(f'title = "long"\nlab = "charrnn"\n[params]\ntext = "t.txt"\nhidden_size = 4\nembedding = 0\n'
                    f"batch = 1\nseq_len = 4\niterations = {iterations}\nsample_every = 0\ngenerate = 0\n{more}",
                    encoding="utf-8")
    return path


def start(*args, **kw):
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.Popen([sys.executable, "-m", "tui_lab", *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            cwd=kw.get("cwd", ROOT), env=env, preexec_fn=ctrl_c_default)


def lines_within(proc, n, seconds):
    """The first `n` lines the process writes, or fewer if `seconds` pass first."""
    import threading

    got = []

    def read():
        for _ in range(n):
            got.append(proc.stdout.readline())

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    reader.join(seconds)
    return list(got)


def test_ten_million_iterations_start_writing_at_once(tmp_path):
    proc = start("replay", str(charrnn(tmp_path, 10_000_000, per_step=10)), "--format", "json", "--device", "cpu")
    try:
        # Generous for a loaded machine; replay that kept every frame would take hours.
        lines = lines_within(proc, 2, 120)
        assert len(lines) == 2, "the first frames were not written at once"
        assert [json.loads(line)["step"] for line in lines] == [0, 1]
    finally:
        proc.kill()
        proc.wait()


class Discard:
    def write(self, text):
        return len(text)

    def flush(self):
        pass


@pytest.mark.parametrize("fmt", ["json", "text", "cast", "html"])
def test_writers_hold_no_frame_once_written(fmt):
    """Each writer's memory is flat in the number of frames it is given (N against 4N)."""
    from engine.session import Session
    from scenarios import load
    from tui_lab.replay import write_stream

    session = Session(load("conv-sobel"), device="cpu")
    session.goto(5)

    def growth(n):
        tracemalloc.start()
        write_stream(session, fmt, (session.shown(note="a note") for _ in range(n)), Discard())
        top = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        return top

    # 50 frames against 200 (each drawn with tracemalloc on: slow): a writer that kept what it
    # wrote would grow by 100 KB (text) to 1.5 MB (html), beyond the 64 KB allowed.
    growth(20)  # Rich's caches (styles, cell widths) fill once
    small, large = growth(50), growth(200)
    session.close()
    assert large < small * 1.25 + 64 * 1024, (small, large)


def test_replay_memory_stays_flat_end_to_end(tmp_path, monkeypatch):
    import tui_lab.replay
    from engine.session import Session
    from scenarios import load

    start = {}

    class Measured(Session):  # the lab's set-up is the same for any length: measure after it
        def __init__(self, *a, **k):
            super().__init__(*a, **k)
            tracemalloc.reset_peak()
            start["bytes"] = tracemalloc.get_traced_memory()[0]

    monkeypatch.setattr(tui_lab.replay, "Session", Measured)

    def growth(n):
        scenario = load(str(charrnn(tmp_path, n)))
        tracemalloc.start()
        tui_lab.replay.replay(scenario, "json", out_path=tmp_path / f"r{n}.json", device="cpu")
        top = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        return top - start["bytes"]

    growth(5)
    small, large = growth(60), growth(240)
    assert large < small * 1.5 + 64 * 1024, (small, large)


@pytest.mark.parametrize("sig, code", [(signal.SIGINT, 130), (signal.SIGTERM, -signal.SIGTERM)])
def test_a_signal_while_writing_leaves_nothing_behind(sig, code, tmp_path):
    target = tmp_path / "long.json"
    proc = start("replay", str(charrnn(tmp_path, 10_000_000, per_step=10)), "--format", "json", "--out", str(target), "--device", "cpu")
    try:
        deadline = time.monotonic() + 120
        while not leftovers(tmp_path):  # the temporary file it streams into
            assert time.monotonic() < deadline and proc.poll() is None, proc.stderr.read()
            time.sleep(0.05)
        time.sleep(0.5)
        os.kill(proc.pid, sig)
        assert proc.wait(timeout=60) == code
    finally:
        proc.kill()
        proc.wait()
    assert leftovers(tmp_path) == [] and not target.exists()


def test_a_file_that_only_mentions_the_marker_is_not_ours(tmp_path):
    notes = tmp_path / "notes.html"
    notes.write_text(f"<p>made with {MARKER}</p>", encoding="utf-8")
    assert not is_ours(notes) and not replaceable(notes)
    assert replaceable(notes, force=True)


def test_a_full_standard_output_is_named_in_one_line():
    with open("/dev/full", "w") as full:
        out = subprocess.run([sys.executable, "-m", "tui_lab", "replay", "conv-sobel", "--format", "json", "--device", "cpu"],
                             stdout=full, stderr=subprocess.PIPE, text=True, cwd=ROOT,
                             env={**os.environ, "PYTHONPATH": str(ROOT)}, timeout=120)
    assert out.returncode == 2
    assert out.stderr == "tui-lab: could not write standard output: No space left on device\n"
