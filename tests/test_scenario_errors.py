"""Every bad scenario file gives one clear line naming file, key, line; exit status 2."""

from pathlib import Path

import pytest

from conftest import ROOT, run_cli

BAD = sorted((ROOT / "tests" / "bad_scenarios").glob("*.toml"))


def expected(path: Path) -> str:
    first = path.read_bytes().split(b"\n", 1)[0].decode()
    assert first.startswith("# expect: ")
    return first[len("# expect: "):]


def test_every_kind_of_load_error_has_a_bad_file():
    """Each file a different error; every lab's params, the file itself, its top-level keys and
    its script each have one."""
    import re

    from engine.registry import LABS

    wants = [expected(p) for p in BAD]
    assert len(set(wants)) == len(wants), "two bad files expect the same message"
    lab_of = {p: (re.search(rb'^lab = "(\w+)"', p.read_bytes(), re.M) or [b"", b""])[1].decode() for p in BAD}
    for lab in LABS:
        assert any(lab_of[p] == lab and ": params." in w for p, w in zip(BAD, wants)), f"no bad {lab} params file"
    for part in (": not valid TOML", ": not a UTF-8 text file", ": title: missing", ": lab: expected one of",
                 ": seed: ", ": unknown key; allowed keys: title", ": script[", ".do: unknown action",
                 ": unknown key; allowed keys: times", ".value: "):
        assert any(part in w for w in wants), f"no bad file expects {part!r}"


@pytest.mark.parametrize("path", BAD, ids=[p.stem for p in BAD])
def test_load_error_message(path):
    from scenarios import ScenarioError, load

    with pytest.raises(ScenarioError) as info:
        load(str(path))
    message = str(info.value)
    assert "\n" not in message
    want = expected(path)
    # The file part is the path as given; compare from the file name on. "…" stands for a
    # folder that depends on where the tests run.
    pieces = want.split(": ", 1)[1].split("…")
    at = 0
    for piece in pieces:
        found = message.find(piece, at)
        assert found >= 0, f"{piece!r} not in {message!r}"
        at = found + len(piece)
    # The file and, where the expectation names one, the line.
    head = want.split(": ", 1)[0]
    assert message.split(": ", 1)[0].endswith(head), message
    assert Path(message.split(":", 1)[0]).name == path.name


def test_check_command_exit_status_and_one_line():
    for path in BAD[:4]:
        out = run_cli("check", str(path))
        assert out.returncode == 2
        assert "Traceback" not in out.stderr
        lines = out.stderr.strip().splitlines()
        assert len(lines) == 1 and expected(path).split(": ", 1)[1].split("…")[-1] in lines[0]


def test_check_accepts_every_bundled_scenario():
    from scenarios.loader import bundled_paths

    out = run_cli("check", *map(str, bundled_paths()))
    assert out.returncode == 0, out.stderr
    assert out.stdout.count(": ok (") == len(bundled_paths())


def test_missing_file_and_unknown_name():
    out = run_cli("replay", "no/such/file.toml")
    assert out.returncode == 2 and "no such file" in out.stderr and "Traceback" not in out.stderr
    out = run_cli("open", "not-a-scenario")
    assert out.returncode == 2 and "no bundled scenario" in out.stderr


def test_cuda_missing_is_a_clear_error():
    import torch

    if torch.cuda.is_available():
        pytest.skip("this machine has a GPU")
    out = run_cli("replay", "conv-sobel", "--device", "cuda")
    assert out.returncode == 2
    assert "device 'cuda' was asked for, but this machine has only cpu" in out.stderr
