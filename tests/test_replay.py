"""Replay is deterministic and matches the golden files (rewrite them with UPDATE_GOLDEN=1)."""

import json

import pytest

from conftest import ROOT, run_cli, spawn_cli

GOLDEN = ROOT / "tests" / "golden"


def _replay(name: str, fmt: str) -> str:
    out = run_cli("replay", name, "--format", fmt, "--device", "cpu")
    assert out.returncode == 0, out.stderr
    return out.stdout


def test_sobel_json_reproduces_the_lecture():
    lines = [json.loads(line) for line in _replay("conv-sobel", "json").splitlines()]
    assert [r["step"] for r in lines] == list(range(10))
    for r in lines:
        assert {"scenario", "lab", "step", "caption", "values"} <= set(r)
    assert lines[1]["caption"].startswith("y[0,0] = 0·1 + 0·2 + 0·1 + 0·0 + 1·0 + 2·0 + 0·(−1) + 4·(−2) + 5·(−1) = −13")
    assert lines[-1]["values"]["output"] == [[[-13, -20, -17], [-18, -24, -18], [13, 20, 17]]]
    assert lines[1]["values"]["output"][0][0] == [-13, None, None]
    assert lines[1]["values"]["cell"] == [0, 0, 0]
    assert lines[1]["values"]["sum"] == -13
    assert lines[-1]["values"]["torch_max_diff"] == 0


@pytest.mark.parametrize("fmt, ext", [("text", "txt"), ("json", "jsonl")])
def test_byte_identical_twice_and_as_the_golden_file(fmt, ext):
    from golden_compare import TOLERANCES, compare_jsonl, compare_text

    first = _replay("conv-sobel", fmt)
    again = spawn_cli("replay", "conv-sobel", "--format", fmt, "--device", "cpu")  # in a fresh process too
    assert again.returncode == 0, again.stderr
    assert again.stdout == first
    # What the command line writes is what the golden file holds (to the lab's tolerance).
    want = (GOLDEN / f"conv-sobel.{ext}").read_text(encoding="utf-8")
    compare_jsonl(first, want, TOLERANCES["conv"]) if fmt == "json" else compare_text(first, want)
    assert first.count("\n") == want.count("\n")


def test_steps_option_overrides_script():
    lines = _replay_steps("conv-sobel", 3)
    assert [json.loads(x)["step"] for x in lines] == [0, 1, 2, 3]


def _replay_steps(name, n):
    out = run_cli("replay", name, "--format", "json", "--device", "cpu", "--steps", str(n))
    assert out.returncode == 0, out.stderr
    return out.stdout.splitlines()


def test_out_file(tmp_path):
    target = tmp_path / "r.txt"
    out = run_cli("replay", "conv-sobel", "--out", str(target), "--device", "cpu")
    assert out.returncode == 0 and out.stdout == ""
    assert "y[2,2]" in target.read_text(encoding="utf-8")


def test_piping_into_head_is_quiet():
    import subprocess
    import sys

    p = subprocess.Popen([sys.executable, "-m", "tui_lab", "replay", "arch-vgg19", "--device", "cpu"],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=ROOT)
    p.stdout.read(200)
    p.stdout.close()
    assert p.wait(timeout=120) == 0
    assert p.stderr.read() == b""


def test_steps_zero_is_frame_zero_alone():
    assert [json.loads(x)["step"] for x in _replay_steps("conv-sobel", 0)] == [0]


def test_seed_out_of_range_and_missing_out_folder_are_one_line(tmp_path):
    out = run_cli("replay", "conv-sobel", "--seed", str(10**23))
    assert out.returncode == 2 and out.stderr.strip() == "tui-lab: --seed must be from 0 to 4294967295, got " + str(10**23)
    out = run_cli("replay", "conv-sobel", "--out", str(tmp_path / "nope" / "x.json"))
    assert out.returncode == 2 and out.stderr.strip() == f"tui-lab: {tmp_path / 'nope'}: no such folder"


def test_out_file_gets_ordinary_permissions(tmp_path):
    import stat

    target = tmp_path / "r.json"
    assert run_cli("replay", "conv-sobel", "--format", "json", "--out", str(target), "--device", "cpu").returncode == 0
    assert stat.S_IMODE(target.stat().st_mode) & 0o044  # readable by others, as a plain open() makes it


def test_check_refuses_a_device_file():
    out = run_cli("check", "/dev/zero")
    assert out.returncode == 2 and "not a regular file" in out.stderr
