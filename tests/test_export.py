"""Scripted replay with every action, and every export format (issue: replay, recording, export)."""

import json

import pytest

from conftest import run_cli, spawn_cli

SCRIPTED = '''
title = "Scripted Sobel walk-through"
lab = "conv"
[params]
input = [[1, 2, 3], [4, 5, 6], [7, 8, 9]]
kernel = [[-1, -2, -1], [0, 0, 0], [1, 2, 1]]
padding = 1
[[script]]
do = "step"
times = 2
[[script]]
do = "caption"
text = "Notice the flipped kernel."
[[script]]
do = "back"
[[script]]
do = "snapshot"
name = "after-back"
[[script]]
do = "pause"
seconds = 2.5
[[script]]
do = "set"
key = "padding"
value = 0
[[script]]
do = "play"
'''


@pytest.fixture
def scripted(tmp_path):
    path = tmp_path / "walk.toml"
    path.write_text(SCRIPTED, encoding="utf-8")
    return path


def test_script_actions_in_json(scripted, tmp_path):
    out_file = tmp_path / "walk.jsonl"
    out = run_cli("replay", str(scripted), "--format", "json", "--out", str(out_file), "--device", "cpu")
    assert out.returncode == 0, out.stderr
    rows = [json.loads(x) for x in out_file.read_text(encoding="utf-8").splitlines()]
    # 0, 1, 2, 2 + note, back to 1, set → 0 (new params), then play to the end (1 cell without padding)
    assert [r["step"] for r in rows] == [0, 1, 2, 2, 1, 0, 1]
    assert rows[3]["note"] == "Notice the flipped kernel."
    assert rows[5]["values"]["out_shape"] == [1, 1, 1]
    # Without padding, the one output cell is the centre of the lecture's output: −24.
    assert rows[6]["values"]["output"] == [[[-24]]]
    # The snapshot action wrote an SVG next to the output file.
    svg = tmp_path / "after-back.svg"
    assert svg.exists() and svg.read_text(encoding="utf-8").startswith("<svg")
    assert "wrote" in out.stderr and "after-back.svg" in out.stderr


def test_bad_action_names_index_and_key(tmp_path):
    path = tmp_path / "bad.toml"
    path.write_text('title = "x"\nlab = "conv"\n[[script]]\ndo = "step"\n[[script]]\ndo = "caption"\ntxt = "hi"\n')
    out = run_cli("check", str(path))
    assert out.returncode == 2
    assert out.stderr.strip().endswith("script[1].txt: unknown key; did you mean `text`? allowed keys: text")


def test_cast_is_asciicast_v2_with_timing(scripted, tmp_path):
    out_file = tmp_path / "walk.cast"
    out = run_cli("replay", str(scripted), "--format", "cast", "--out", str(out_file), "--device", "cpu")
    assert out.returncode == 0, out.stderr
    lines = out_file.read_text(encoding="utf-8").splitlines()
    header = json.loads(lines[0])
    assert header["version"] == 2 and header["width"] == 100 and header["height"] >= 24
    events = [json.loads(x) for x in lines[1:]]
    times = [e[0] for e in events]
    assert all(e[1] == "o" for e in events)
    assert times == sorted(times) and times[0] == 0
    # The 2.5 s pause sits between the frame shown before it and the one after.
    gaps = [b - a for a, b in zip(times, times[1:])]
    assert 3.5 in gaps and gaps.count(1.0) == len(gaps) - 1
    assert "\x1b[" in events[0][2]  # colour
    assert "Notice the flipped kernel." in events[3][2]


def test_html_is_one_self_contained_page(scripted, tmp_path):
    out_file = tmp_path / "walk.html"
    out = run_cli("replay", str(scripted), "--format", "html", "--out", str(out_file), "--device", "cpu")
    assert out.returncode == 0, out.stderr
    page = out_file.read_text(encoding="utf-8")
    assert page.startswith("<!DOCTYPE html>")
    assert page.count('class="frame"') == 7
    assert "ArrowRight" in page and "ArrowLeft" in page
    assert "http" not in page.replace("http-equiv", "")  # nothing fetched from elsewhere
    assert "y[0,0] = 0·1 + 0·2 + 0·1 + 0·0 + 1·0 + 2·0 + 0·(−1) + 4·(−2) + 5·(−1) = −13" in page


def test_svg_one_file_per_frame_from_the_app_screen(tmp_path):
    folder = tmp_path / "svgs"
    out = run_cli("replay", "conv-sobel", "--format", "svg", "--out", str(folder), "--device", "cpu", "--steps", "2")
    assert out.returncode == 0, out.stderr
    files = sorted(folder.glob("*.svg"))
    assert len(files) == 3
    last = files[-1].read_text(encoding="utf-8")
    # The app's status bar and footer are in the picture: it is the app's screen.
    words = [t.text for t in _svg_texts(files[-1])]
    assert "step 2 / 9" in " ".join(words) and "Next" in last


def test_svg_out_must_be_a_folder(tmp_path):
    f = tmp_path / "file.svg"
    f.write_text("x")
    out = run_cli("replay", "conv-sobel", "--format", "svg", "--out", str(f), "--device", "cpu")
    assert out.returncode == 2 and "must be a folder" in out.stderr


@pytest.mark.parametrize("fmt", ["text", "json", "cast", "html"])
def test_every_format_is_byte_identical(scripted, fmt, tmp_path):
    outs = []
    for i, run in enumerate((run_cli, spawn_cli)):  # here, then in a fresh process
        target = tmp_path / f"{i}.{fmt}"
        out = run("replay", str(scripted), "--format", fmt, "--out", str(target), "--device", "cpu", cwd=tmp_path)
        assert out.returncode == 0, out.stderr
        outs.append(target.read_bytes())
    assert outs[0] == outs[1]


def test_colour_only_when_asked():
    plain = run_cli("replay", "conv-sobel", "--steps", "1", "--device", "cpu")
    assert "\x1b[" not in plain.stdout
    coloured = run_cli("replay", "conv-sobel", "--steps", "1", "--device", "cpu", "--color", "always")
    assert "\x1b[" in coloured.stdout


async def test_recording_in_the_app_replays_the_same_walk(tmp_path):
    from scenarios import load
    from tui_lab.app import LabApp

    from test_app import wait_ready

    app = LabApp(scenario="conv-sobel", device="cpu")
    async with app.run_test(size=(100, 30)) as pilot:
        screen = await wait_ready(pilot, app)
        await pilot.press("n")
        await pilot.press("ctrl+r")
        await pilot.press("n", "n", "n", "p")
        await pilot.press("ctrl+r")
        await pilot.pause()
        target = tmp_path / "walk.toml"
        app.screen.query_one("#save-path").value = str(target)
        await pilot.press("enter")
        await pilot.pause()
        shown_caption = str(screen.query_one("#caption").render())
    walk = load(str(target))
    assert [dict(a) for a in walk.script] == [{"do": "step", "times": 1}, {"do": "step", "times": 3}, {"do": "back", "times": 1}]
    out = run_cli("replay", str(target), "--format", "json", "--device", "cpu")
    rows = [json.loads(x) for x in out.stdout.splitlines()]
    assert [r["step"] for r in rows] == [0, 1, 2, 3, 4, 3]
    assert rows[-1]["caption"] == shown_caption


async def test_a_recorded_finish_is_one_action(tmp_path):
    """f in a recording is `finish`, not `finish` and then the steps it computed (replayed, those
    steps went past the end)."""
    from scenarios import load
    from tui_lab.app import LabApp

    from test_app import wait_for, wait_ready

    app = LabApp(scenario="conv-sobel", device="cpu")
    async with app.run_test(size=(100, 30)) as pilot:
        screen = await wait_ready(pilot, app)
        await pilot.press("ctrl+r", "n", "f")
        await wait_for(pilot, lambda: screen.session.at_end and not screen.runner.moving, timeout=20)
        await pilot.press("p", "ctrl+r")
        await pilot.pause()
        target = tmp_path / "walk.toml"
        app.screen.query_one("#save-path").value = str(target)
        await pilot.press("enter")
        await pilot.pause()
        last = screen.session.last
    walk = load(str(target))
    assert [dict(a) for a in walk.script] == [{"do": "step", "times": 1}, {"do": "finish"}, {"do": "back", "times": 1}]
    rows = [json.loads(x) for x in run_cli("replay", str(target), "--format", "json", "--device", "cpu").stdout.splitlines()]
    assert [r["step"] for r in rows][-3:] == [1, last, last - 1]


def test_set_reads_a_file_beside_the_scenario(tmp_path):
    """`set text = "b.txt"` finds b.txt beside the scenario, as `text = ...` in [params] does."""
    (tmp_path / "a.txt").write_text("abcabcabcabc " * 40, encoding="utf-8")
    (tmp_path / "b.txt").write_text("xyzxyzxyz " * 40, encoding="utf-8")
    path = tmp_path / "walk.toml"
    path.write_text('title = "t"\nlab = "charrnn"\n[params]\ntext = "a.txt"\niterations = 2\nhidden_size = 8\nbatch = 2\n'
                    'seq_len = 8\nsample_every = 0\n[[script]]\ndo = "set"\nkey = "text"\nvalue = "b.txt"\n', encoding="utf-8")
    from scenarios import load

    walk = load(str(path))
    assert walk.script[0]["value"] == str(tmp_path / "b.txt")
    out = run_cli("replay", str(path), "--format", "json", "--device", "cpu", cwd="/")
    assert out.returncode == 0, out.stderr


# --- exports that look right (issue 11.4) -------------------------------------------------------
def _svg_texts(path):
    import xml.etree.ElementTree as ET

    ns = "{http://www.w3.org/2000/svg}"
    return [t for t in ET.parse(path).iter(f"{ns}text") if t.get("textLength")]


@pytest.fixture(scope="module")
def optim_svgs(tmp_path_factory):
    folder = tmp_path_factory.mktemp("optim") / "svg"
    out = run_cli("replay", "optim-rosenbrock", "--format", "svg", "--out", str(folder), "--device", "cpu", "--steps", "3")
    assert out.returncode == 0, out.stderr
    text = run_cli("replay", "optim-rosenbrock", "--device", "cpu", "--steps", "3").stdout
    return sorted(folder.glob("*.svg")), text


def test_svg_holds_the_whole_frame(optim_svgs):
    """The last rule of the last optimizer and the plot's axis lie far below one screen."""
    import re

    files, text = optim_svgs
    last_frame = text.split("step 3 / ")[1]
    deepest_rule = [line for line in last_frame.splitlines() if "|Δx| =" in line][-1].split("|Δx| = ")[1].strip()
    axis = last_frame.rstrip().splitlines()[-1].split()  # 0 75 150: the step axis under the loss plot
    words = {t.text for t in _svg_texts(files[-1])}
    assert deepest_rule in words and axis[-1] in words
    height = float(re.search(r'viewBox="0 0 [0-9.]+ ([0-9.]+)"', files[-1].read_text(encoding="utf-8")).group(1))
    assert height > 30 * 24.4  # taller than the 30 rows the app starts with


def test_svg_places_every_glyph_at_its_cell(optim_svgs):
    """Braille (which monospace fonts lack) stands alone, and every piece of text starts at a
    whole cell, so no renderer can let the plot drift out of its columns."""
    from rich.cells import cell_len

    from tui_lab.export.look import NOT_IN_EVERY_FONT

    files, _ = optim_svgs
    texts = _svg_texts(files[-1])
    braille = [t for t in texts if any("\u2800" <= ch <= "\u28ff" for ch in t.text)]
    assert len(braille) > 10  # the loss plot and the paths on the map
    assert all(len(t.text) == 1 for t in texts if NOT_IN_EVERY_FONT.search(t.text))
    cells = {round(float(t.get("textLength")) / cell_len(t.text), 6) for t in texts if cell_len(t.text) == len(t.text)}
    assert len(cells) == 1
    cell = cells.pop()
    for t in texts:
        column = float(t.get("x")) / cell
        assert abs(column - round(column)) < 1e-3, (t.text, t.get("x"))


def test_html_puts_glyphs_fonts_lack_in_cells_of_their_own(tmp_path):
    import re

    page = tmp_path / "o.html"
    assert run_cli("replay", "optim-rosenbrock", "--format", "html", "--out", str(page), "--device", "cpu",
                   "--steps", "3").returncode == 0
    html = page.read_text(encoding="utf-8")
    assert re.search("<i>[\u2800-\u28ff]</i>", html)
    assert not re.search("[\u2800-\u28ff](?!</i>)", html)
    assert "pre i { font-style: inherit; display: inline-block; width: 1ch;" in html


def test_html_counter_is_the_frames_own_numbering(scripted, tmp_path):
    import re

    page = tmp_path / "walk.html"
    assert run_cli("replay", str(scripted), "--format", "html", "--out", str(page), "--device", "cpu").returncode == 0
    html = page.read_text(encoding="utf-8")
    listing = run_cli("replay", str(scripted), "--format", "json", "--device", "cpu", cwd=tmp_path)  # its snapshot lands there
    rows = [json.loads(x) for x in listing.stdout.splitlines()]
    assert re.findall(r'data-step="([^"]*)"', html) == [f"step {r['step']} / {r['total']}" for r in rows]
    assert "textContent = frames[i].dataset.step" in html and "frames.length;" not in html


def test_cast_frames_never_scroll(tmp_path):
    """lstm-gates has frames exactly as tall as the terminal: none may end in a line feed
    that scrolls its first line away, and a taller frame resizes the terminal first."""
    target = tmp_path / "gates.cast"
    out = run_cli("replay", "lstm-gates", "--format", "cast", "--out", str(target), "--device", "cpu")
    assert out.returncode == 0, out.stderr
    lines = target.read_text(encoding="utf-8").splitlines()
    height = json.loads(lines[0])["height"]
    rows_seen = []
    for line in lines[1:]:
        when, kind, data = json.loads(line)
        if kind == "r":
            height = int(data.split("x")[1])
            continue
        assert data.startswith("\x1b[2J\x1b[H") and not data.endswith("\n")
        rows = data.count("\r\n") + 1
        assert rows <= height
        rows_seen.append(rows)
    assert max(rows_seen) == height or json.loads(lines[0])["height"] == 24


def test_cast_screen_joins_lines_without_a_last_line_feed():
    from tui_lab.export.cast import CLEAR, screen

    assert screen("title\nbody\n") == (CLEAR + "title\r\nbody", 2)


def test_the_font_gaps_pattern_is_the_class_it_names():
    """NOT_IN_EVERY_FONT is written as the complement of FONT_GAPS (it compiles faster): the
    two agree at every range's ends and on a sample between them."""
    import re

    from tui_lab.export.look import FONT_GAPS, NOT_IN_EVERY_FONT

    named = re.compile(f"[{FONT_GAPS}]")
    ends = [0x22FF, 0x2300, 0x24FF, 0x2500, 0x259F, 0x25A0, 0x10FFFF]
    points = {c + d for c in ends for d in (-1, 0, 1) if 0 <= c + d <= 0x10FFFF} | set(range(0, 0x110000, 97))
    assert [c for c in points if bool(named.match(chr(c))) != bool(NOT_IN_EVERY_FONT.match(chr(c)))] == []
