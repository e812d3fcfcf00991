"""`tui-lab doctor`: the facts it reports and a hint for each problem, from a given environment."""

from types import SimpleNamespace

import pytest
import torch

from tui_lab.doctor import facts, report

GOOD = {"TERM": "xterm-256color", "LANG": "en_US.UTF-8", "COLORTERM": "truecolor"}


def by_name(found, name):
    return [f for f in found if f.name == name]


def one(found, name):
    (f,) = by_name(found, name)
    return f


def test_a_good_terminal_has_no_problems():
    found = facts(GOOD, size=(100, 30), nvidia=False)
    assert one(found, "terminal").value == "100x30"
    assert one(found, "TERM").value == "xterm-256color"
    assert one(found, "colours").value.startswith("16 million")
    assert one(found, "locale").value == "LANG=en_US.UTF-8: UTF-8"
    assert one(found, "NO_COLOR").value == "not set"
    text = report(found)
    assert text.endswith("no problems found")
    # Readable in the very terminal whose locale is wrong: the words and hints are ASCII.
    assert all(f.name.isascii() and f.hint.isascii() for f in facts({"LANG": "C"}, size=(50, 9), nvidia=True))


def test_torch_and_its_build_are_those_running():
    found = facts(GOOD, size=(100, 30), nvidia=False)
    build = "CPU only" if torch.version.cuda is None else f"CUDA {torch.version.cuda}"
    assert one(found, "torch").value.startswith(f"{torch.__version__} ({build}")
    assert by_name(found, "device")[0].value.startswith("cpu, ")


@pytest.mark.parametrize("env,fact,value,hint", [
    ({**GOOD, "LANG": "C"}, "locale", "LANG=C: not UTF-8", "export LANG=C.UTF-8"),
    ({**GOOD, "LC_ALL": "POSIX"}, "locale", "LC_ALL=POSIX: not UTF-8", "need UTF-8"),  # LC_ALL wins over LANG
    ({**GOOD, "LC_CTYPE": "de_DE.utf8"}, "locale", "LC_CTYPE=de_DE.utf8: UTF-8", ""),
    ({"TERM": "dumb", "LANG": "C.UTF-8"}, "TERM", "dumb", "export TERM=xterm-256color"),
    ({"LANG": "C.UTF-8"}, "TERM", "(not set)", "TERM is not set"),
    ({"TERM": "xterm", "LANG": "C.UTF-8"}, "colours", "16", "only 16 colours"),
    ({"TERM": "screen", "TMUX": "/tmp/tmux", "LANG": "C.UTF-8"}, "TERM", "screen", "tmux-256color"),
    ({**GOOD, "NO_COLOR": "1"}, "NO_COLOR", "set: the app and replay show no colour", ""),
    ({**GOOD, "TERM": "xterm\x1b[31m"}, "TERM", "xterm\u241b[31m", ""),  # the escape shown, not obeyed
])
def test_each_problem_has_a_hint(env, fact, value, hint):
    f = one(facts(env, size=(100, 30), nvidia=False), fact)
    assert f.value == value
    assert (hint in f.hint) if hint else f.hint == ""


def test_a_small_or_missing_terminal():
    small = one(facts(GOOD, size=(50, 20), nvidia=False), "terminal")
    assert small.value == "50x20" and "at least 60x18" in small.hint
    assert "not a terminal" in one(facts(GOOD, size=None, nvidia=False), "terminal").value
    assert "problem found" in report(facts(GOOD, size=(50, 20), nvidia=False))


def test_gpus_are_listed_with_name_and_memory(monkeypatch):
    props = [SimpleNamespace(name="NVIDIA H100 80GB HBM3", total_memory=85_520_000_000, major=9, minor=0),
             SimpleNamespace(name="NVIDIA A10", total_memory=23_600_000_000, major=8, minor=6)]
    monkeypatch.setattr(torch.version, "cuda", "13.0")
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(torch.cuda, "device_count", lambda: 2)
    monkeypatch.setattr(torch.cuda, "get_device_properties", lambda i: props[i])
    monkeypatch.setattr(torch.backends.cudnn, "is_available", lambda: False)
    found = facts(GOOD, size=(100, 30), nvidia=True)
    assert one(found, "torch").value == f"{torch.__version__} (CUDA 13.0)"
    gpus = [f.value for f in by_name(found, "device")][1:]
    assert gpus == ["cuda:0  NVIDIA H100 80GB HBM3, 79.6 GiB, compute 9.0", "cuda:1  NVIDIA A10, 22.0 GiB, compute 8.6"]
    assert "TF32 off" in one(found, "on cuda").value
    assert not by_name(found, "gpu")


def test_a_cpu_torch_on_a_gpu_machine(monkeypatch):
    monkeypatch.setattr(torch.version, "cuda", None)
    gpu = one(facts(GOOD, size=(100, 30), nvidia=True), "gpu")
    assert "cannot use it" in gpu.value and "--no-deps" in gpu.hint


def test_a_cuda_torch_that_sees_no_gpu(monkeypatch):
    monkeypatch.setattr(torch.version, "cuda", "12.4")
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    monkeypatch.setattr(torch.backends.cudnn, "is_available", lambda: False)
    gpu = one(facts({**GOOD, "CUDA_VISIBLE_DEVICES": ""}, size=(100, 30), nvidia=False), "gpu")
    assert "sees no GPU" in gpu.value and "CUDA_VISIBLE_DEVICES=''" in gpu.value and "nvidia-smi" in gpu.hint


def test_lang_c_is_seen_through_pythons_own_coercion():
    """Python turns LANG=C into LC_CTYPE=C.UTF-8 in its own environment; doctor reports what was set."""
    import os
    import subprocess
    import sys

    from conftest import ROOT

    env = {k: v for k, v in os.environ.items() if k not in ("LC_ALL", "LC_CTYPE")} | {"LANG": "C"}
    r = subprocess.run([sys.executable, "-m", "tui_lab", "doctor"], capture_output=True, text=True, cwd=ROOT, env=env,
                       timeout=120)
    assert r.returncode == 1, r.stderr  # a problem was found: a setup script can test for it
    assert "LANG=C: not UTF-8" in r.stdout and "export LANG=C.UTF-8" in r.stdout


def test_doctor_from_the_command_line(cli):
    r = cli("doctor")
    lines = r.stdout.splitlines()
    assert r.returncode == (0 if lines[-1] == "no problems found" else 1), r.stderr
    assert lines[0] == "tui-lab doctor"
    assert any(ln.split()[:1] == ["torch"] for ln in lines)
    assert "not a terminal" in r.stdout  # captured output
    assert "NO_COLOR" in r.stdout and "set: the app and replay show no colour" in r.stdout  # cli() sets NO_COLOR
    assert lines[-1].endswith("found")
