"""The command line: shared options wherever they are written, one-line errors, text from
files made visible, and no escape codes where a terminal cannot take them (issues 11, 12)."""

import os
import pty
import re
import subprocess
import sys
import xml.etree.ElementTree as ET

import pytest

from conftest import ROOT, run_cli

HOSTILE_TITLE = r"Evil \u001b]0;PWNED\u0007 title \u001b[2J"
HOSTILE_NOTE = r"see \u001b]8;;http://evil.example/\u001b\\here\u001b]8;;\u001b\\ now"
HOSTILE = f'''
title = "{HOSTILE_TITLE}"
lab = "conv"
[params]
input = [[1, 2], [3, 4]]
kernel = [[1]]
[[script]]
do = "step"
[[script]]
do = "caption"
text = "{HOSTILE_NOTE}"
'''
CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f\x9b]")


@pytest.fixture
def hostile(tmp_path):
    path = tmp_path / "evil.toml"
    path.write_text(HOSTILE, encoding="utf-8")
    return path


# --- shared options: declared once, before or after the command -------------------------------
class FakeApp:
    made = []
    return_code = None

    def __init__(self, scenario=None, device="auto", seed=None, **kw):
        FakeApp.made.append((scenario, device, seed))

    def run(self):
        pass


@pytest.mark.parametrize("argv", [
    ["--seed", "5", "--device", "cpu", "open", "conv-sobel"],
    ["open", "conv-sobel", "--seed", "5", "--device", "cpu"],
    ["--seed", "5", "open", "conv-sobel", "--device", "cpu"],
    ["--device", "cuda", "--seed", "9", "open", "conv-sobel", "--device", "cpu", "--seed", "5"],  # the later wins
])
def test_open_takes_shared_options_before_or_after(argv, monkeypatch):
    import tui_lab.app
    from tui_lab import cli

    monkeypatch.setattr(tui_lab.app, "LabApp", FakeApp)
    FakeApp.made.clear()
    assert cli.main(argv) == 0
    assert FakeApp.made == [("conv-sobel", "cpu", 5)]


@pytest.mark.parametrize("argv", [["--seed", "7"], []])
def test_the_app_takes_shared_options_without_a_command(argv, monkeypatch):
    import tui_lab.app
    from tui_lab import cli

    monkeypatch.setattr(tui_lab.app, "LabApp", FakeApp)
    FakeApp.made.clear()
    assert cli.main(argv) == 0
    assert FakeApp.made == [(None, "auto", 7 if argv else None)]


@pytest.mark.parametrize("where", ["before", "after"])
def test_replay_takes_shared_options_before_or_after(where):
    options = ["--seed", "5", "--device", "cpu"]
    rest = ["replay", "conv-sobel", "--steps", "0"]
    out = run_cli(*(options + rest if where == "before" else rest + options))
    assert out.returncode == 0, out.stderr
    assert out.stdout.splitlines()[0].endswith("[conv · cpu · seed 5]")


SAMPLE = {"--seed": "0", "--device": "cpu"}  # a valid value for each shared option


def test_shared_options_are_declared_once():
    """One table: each shared option is written once in cli.py, and every command it names
    takes it before and after the command."""
    from tui_lab import cli

    source = (ROOT / "tui_lab" / "cli.py").read_text(encoding="utf-8")
    for opt in cli.shared_options():
        assert source.count(f'"{opt.flag}"') == 1, opt.flag
        value = SAMPLE.get(opt.flag, "x")
        for command in opt.commands:
            rest = {cli.APP: [], "serve": ["serve"]}.get(command, [command, "x"])  # serve takes no file
            for argv in ([opt.flag, value, *rest], [*rest, opt.flag, value]):
                got = getattr(cli.parse(argv), opt.dest)
                assert (got if isinstance(got, list) else [got]) in ([value], [int(value)] if value.isdigit() else []), argv


def test_an_option_before_a_command_it_does_not_apply_to_is_one_line():
    out = run_cli("--seed", "5", "list")
    assert out.returncode == 2 and out.stderr == "tui-lab: --seed does not apply to `list`\n"


@pytest.mark.parametrize("args", [
    ("frobnicate",),
    ("replay",),
    ("replay", "conv-sobel", "--format", "\x1b]0;PWNED\x07"),
    ("--seed", "many"),
    ("replay", "conv-sobel", "--bogus"),
])
def test_argument_errors_are_one_visible_line(args):
    out = run_cli(*args)
    assert out.returncode == 2
    assert out.stdout == ""
    assert out.stderr.count("\n") == 1 and out.stderr.startswith("tui-lab: ")
    assert not CONTROL.search(out.stderr)


def test_replay_help_says_what_each_format_writes():
    from tui_lab.export import FORMATS

    out = run_cli("replay", "--help")
    text = " ".join(out.stdout.split())  # argparse wraps the help at COLUMNS
    for name, what in FORMATS.items():
        assert f"{name}: {what}" in text
    assert "JSON Lines" in text and "jsonl" in text


def test_jsonl_is_another_name_for_json():
    from tui_lab import cli

    assert cli.parse(["replay", "conv-1d-stride1", "--format", "jsonl"]).format == "json"
    jsonl = run_cli("replay", "conv-1d-stride1", "--format", "jsonl", "--device", "cpu")
    assert jsonl.returncode == 0, jsonl.stderr
    assert jsonl.stdout == run_cli("replay", "conv-1d-stride1", "--format", "json", "--device", "cpu").stdout


def test_a_misspelt_bundled_name_says_which_one_was_meant():
    out = run_cli("replay", "conv-sobl")
    assert out.returncode == 2
    assert out.stderr == "tui-lab: conv-sobl: no bundled scenario or file by that name; did you mean conv-sobel?\n"


def test_a_letter_or_two_suggests_no_unrelated_names():
    """`x` is part of a dozen names: no guess from so little, only where to look."""
    from scenarios import ScenarioError, load

    for word in ("x", "ab", "q"):
        with pytest.raises(ScenarioError) as info:
            load(word)
        assert str(info.value).endswith("no bundled scenario or file by that name; `tui-lab list` shows them"), word
    with pytest.raises(ScenarioError) as info:
        load("sobel")  # a part of one name, long enough to mean it
    assert str(info.value).endswith("did you mean conv-sobel?")


def test_an_empty_out_path_says_it_is_empty():
    out = run_cli("replay", "conv-1d-stride1", "--out", "")
    assert out.returncode == 2 and out.stdout == ""
    assert out.stderr == "tui-lab: --out is empty: give a path (svg: a folder), or - for standard output\n"


# --- text from files never reaches the terminal as escapes -------------------------------------
def test_check_shows_a_hostile_title_visibly(hostile):
    out = run_cli("check", str(hostile))
    assert out.returncode == 0, out.stderr
    assert not CONTROL.search(out.stdout)
    assert "Evil ␛]0;PWNED␇ title ␛[2J" in out.stdout


def test_check_error_on_a_hostile_file_name_is_one_visible_line(tmp_path):
    path = tmp_path / "bad\x1b[2J.toml"
    path.write_text('title = "x"\nlab = "nope"\n', encoding="utf-8")
    out = run_cli("check", str(path))
    assert out.returncode == 2
    assert out.stderr.count("\n") == 1 and "bad␛[2J.toml" in out.stderr
    assert not CONTROL.search(out.stderr)


def test_list_shows_titles_visibly(monkeypatch, capsys):
    import scenarios
    from scenarios import load
    from tui_lab import cli

    evil = load(str(ROOT / "scenarios" / "conv-sobel.toml"))
    from dataclasses import replace

    monkeypatch.setattr(scenarios, "bundled", lambda: [replace(evil, title="a\x1b]0;PWNED\x07b")])
    assert cli.main(["list"]) == 0
    out = capsys.readouterr().out
    assert "a␛]0;PWNED␇b" in out and not CONTROL.search(out)


def test_replay_text_shows_title_and_note_visibly(hostile):
    out = run_cli("replay", str(hostile), "--device", "cpu", "--color", "always")
    assert out.returncode == 0, out.stderr
    text = out.stdout
    assert "Evil ␛]0;PWNED␇ title ␛[2J" in text
    assert "␛]8;;http://evil.example/␛\\here" in text
    # The only escapes left are Rich's own colour codes (CSI … m).
    assert not re.search(r"\x1b(?!\[[0-9;]*m)", text)
    assert "\x07" not in text


def test_json_keeps_the_values_as_they_are(hostile):
    import json

    out = run_cli("replay", str(hostile), "--format", "json", "--device", "cpu")
    rows = [json.loads(line) for line in out.stdout.splitlines()]
    notes = [r["note"] for r in rows if "note" in r]
    assert notes == ["see \x1b]8;;http://evil.example/\x1b\\here\x1b]8;;\x1b\\ now"]
    assert "\x1b" not in out.stdout  # JSON escapes it as \u001b


def test_cast_html_and_svg_hold_hostile_text_visibly(hostile, tmp_path):
    import json

    cast = tmp_path / "evil.cast"
    assert run_cli("replay", str(hostile), "--format", "cast", "--out", str(cast), "--device", "cpu").returncode == 0
    lines = cast.read_text(encoding="utf-8").splitlines()
    assert json.loads(lines[0])["title"] == "Evil ␛]0;PWNED␇ title ␛[2J"
    for line in lines[1:]:
        data = json.loads(line)[2]
        assert data.count("\x1b[2J") <= 1 and "\x1b]" not in data and "\x07" not in data
    assert any("␛]0;PWNED␇" in json.loads(line)[2] for line in lines[1:])

    page = tmp_path / "evil.html"
    assert run_cli("replay", str(hostile), "--format", "html", "--out", str(page), "--device", "cpu").returncode == 0
    html = page.read_text(encoding="utf-8")
    assert not CONTROL.search(html.replace("\n", "")) and "␛]0;PWNED␇" in html

    folder = tmp_path / "svg"
    out = run_cli("replay", str(hostile), "--format", "svg", "--out", str(folder), "--device", "cpu")
    assert out.returncode == 0, out.stderr
    assert not CONTROL.search(out.stderr)
    for svg in folder.glob("*.svg"):
        ET.parse(svg)  # well-formed XML
        assert not CONTROL.search(svg.read_text(encoding="utf-8").replace("\n", ""))


# --- what a terminal can take: TERM=dumb, NO_COLOR, a C locale ----------------------------------
def on_a_terminal(*args, **env):
    """Run the command line with its standard output on a pseudo-terminal; its bytes."""
    master, slave = pty.openpty()
    full = {k: v for k, v in os.environ.items() if k not in ("LC_ALL", "LC_CTYPE", "LANG", "NO_COLOR", "TERM")}
    full.update(PYTHONPATH=str(ROOT), COLUMNS="100", **env)
    proc = subprocess.Popen([sys.executable, "-m", "tui_lab", *args], stdout=slave, stderr=subprocess.PIPE, cwd=ROOT, env=full)
    os.close(slave)
    chunks = []
    while True:
        try:
            chunk = os.read(master, 65536)
        except OSError:  # EIO: the other end closed
            break
        if not chunk:
            break
        chunks.append(chunk)
    os.close(master)
    assert proc.wait(timeout=120) == 0, proc.stderr.read()
    return b"".join(chunks)


REPLAY = ("replay", "conv-sobel", "--steps", "1", "--device", "cpu")


def test_a_terminal_gets_colour():
    out = on_a_terminal(*REPLAY, TERM="xterm-256color", LANG="C.UTF-8")
    assert re.search(rb"\x1b\[[0-9;]*3[0-9;]*m", out)
    assert "−13".encode() in out


def test_term_dumb_gets_no_escape_codes():
    out = on_a_terminal(*REPLAY, TERM="dumb", LANG="C.UTF-8")
    assert b"\x1b" not in out
    assert "y[0,0] = 0·1".encode() in out


def test_no_color_gets_no_colour():
    out = on_a_terminal(*REPLAY, TERM="xterm-256color", LANG="C.UTF-8", NO_COLOR="1")
    assert not re.search(rb"\x1b\[[0-9;]*(3[0-9]|4[0-9]|9[0-7])[;m]", out)


@pytest.mark.parametrize("env", [{"LANG": "C"}, {"LC_ALL": "C", "LANG": "en_US.UTF-8"}, {}])
def test_a_c_locale_gets_ascii(env):
    out = on_a_terminal(*REPLAY, TERM="dumb", **env)
    assert out.isascii()
    text = out.decode()
    assert "y[0,0] = 0*1 + 0*2" in text and "= -13" in text
    assert "-- step 1 / 9 --" in text  # the rule drawn with ASCII


def test_a_pipe_keeps_utf8_whatever_the_locale():
    env = {**os.environ, "LANG": "C", "PYTHONPATH": str(ROOT)}
    out = subprocess.run([sys.executable, "-m", "tui_lab", *REPLAY], capture_output=True, cwd=ROOT, env=env, timeout=120)
    assert "−13".encode() in out.stdout  # the same bytes on every machine (golden files)


def test_list_on_a_c_locale_terminal_is_ascii():
    out = on_a_terminal("list", TERM="dumb", LANG="C")
    assert out.isascii() and b"227x227x3 input" in out
