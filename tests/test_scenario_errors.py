"""Every bad scenario file gives one clear line naming file, key, line; exit status 2."""

import re
from pathlib import Path

import pytest

from conftest import ROOT, run_cli

BAD = sorted((ROOT / "tests" / "bad_scenarios").glob("*.toml"))


def expected(path: Path) -> str:
    data = path.read_bytes()
    text = data.decode("utf-16") if data.startswith(b"\xff\xfe") else data.decode("utf-8", "replace")
    first = text.split("\n", 1)[0]
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
                 ": seed: ", "allowed keys: title", ": script[", ".do: unknown action",
                 "allowed keys: times", ".value: "):
        assert any(part in w for w in wants), f"no bad file expects {part!r}"


def message_for(path: Path) -> str:
    from scenarios import ScenarioError, load

    with pytest.raises(ScenarioError) as info:
        load(str(path))
    return str(info.value)


def test_every_fixture_pins_a_message_with_its_file():
    assert len(BAD) >= 12
    for path in BAD:
        assert expected(path).startswith(path.name), path.name


@pytest.mark.parametrize("path", BAD, ids=[p.stem for p in BAD])
def test_load_error_message(path):
    message = message_for(path)
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


@pytest.mark.parametrize("name", ["pause-seconds-huge", "stride-huge-int"])
def test_huge_numbers_in_messages_are_compact(name):
    """1e308 or a 60-digit integer is written as 1e+308 / 1e+59, not as its hundreds of digits."""
    path = ROOT / "tests" / "bad_scenarios" / f"{name}.toml"
    assert message_for(path).endswith(expected(path).split(": ", 1)[1])


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


@pytest.mark.parametrize("path", BAD, ids=[p.stem for p in BAD])
def test_message_names_the_line_of_its_key(path):
    """`file:line:` on every message, and the line is where the key (or its table) is; only
    a top-level key that is missing has no line to point at."""
    message = message_for(path)
    rest = message[len(str(path)):]
    m = re.match(r"^:(\d+): (?:([\w.\[\]]+): )?", rest)
    if m is None:
        assert re.match(r"^: \w+: missing;", rest), message  # e.g. `title: missing`
        return
    line, key = int(m.group(1)), m.group(2)
    lines = path.read_bytes().decode("utf-8", "replace").splitlines()
    assert 1 <= line <= max(len(lines), 1), message
    if key:
        leaf = re.sub(r"\[\d+\]", "", key.split(".")[-1])
        at = lines[line - 1].strip()
        table = ".".join(re.sub(r"\[\d+\]", "", k) for k in key.split(".")[:-1])
        assert re.match(rf'"?{re.escape(leaf)}"?\s*=', at) or at.startswith(f"[{table}]") or \
            at.startswith(f"[[{table}]]") or at.startswith(f"[[{key.split('[')[0]}]]"), f"line {line} is {at!r}: {message}"


def test_a_utf8_byte_order_mark_is_accepted(tmp_path):
    """Windows editors write one; it says nothing, so the file means what it says."""
    from scenarios import load

    f = tmp_path / "bom.toml"
    f.write_bytes("\ufefftitle = \"With a BOM\"\nlab = \"conv\"\n[params]\npaddng = 1\n".encode())
    with pytest.raises(Exception) as info:
        load(str(f))
    assert str(info.value).endswith("bom.toml:4: params.paddng: unknown key; did you mean `padding`? allowed keys: "
                                    "input, kernel, bias, stride, padding, dilation, mode, dims, transposed, "
                                    "output_padding, pool, size, image, image_width, filter, random_input, "
                                    "random_kernel, note")
    f.write_bytes("\ufefftitle = \"With a BOM\"\nlab = \"conv\"\n".encode())
    assert load(str(f)).title == "With a BOM"


def test_deep_nesting_is_one_line_from_check_not_a_recursion_error():
    deep = ROOT / "tests" / "bad_scenarios" / "deep-array.toml"
    out = run_cli("check", str(deep))
    assert out.returncode == 2, out.stderr
    assert out.stderr.strip().splitlines() == [f"tui-lab: {deep}:5: arrays or inline tables nest more than 32 levels deep here; "
                                               "at most 32 are allowed"]


def test_depth_scan_ignores_brackets_in_strings_and_comments():
    from scenarios.toml_text import TomlProblem, check_depth

    quoted = '"' + "[" * 100 + '"'
    check_depth(f"a = {quoted}\nb = '{'{' * 100}'\n# {'[' * 100}\nc = \"\"\"\n{'[' * 100}\n\"\"\"\n")
    check_depth("x = " + "[" * 32 + "]" * 32)
    with pytest.raises(TomlProblem) as info:
        check_depth("\n\nx = " + "[" * 33 + "]" * 33)
    assert info.value.line == 3


def _charrnn(folder: Path, text: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    f = folder / "s.toml"
    f.write_text(f'title = "x"\nlab = "charrnn"\n[params]\ntext = "{text}"\n')
    return f


CORPUS = "the quick brown fox jumps over the lazy dog. " * 40


def test_files_inside_the_scenario_folder_are_read(tmp_path):
    from scenarios import load

    (tmp_path / "s" / "data").mkdir(parents=True)
    (tmp_path / "s" / "data" / "corpus.txt").write_text(CORPUS)
    sc = load(str(_charrnn(tmp_path / "s", "data/corpus.txt")))
    assert Path(sc.params["text"]).resolve() == (tmp_path / "s" / "data" / "corpus.txt").resolve()


def test_a_symlink_out_of_the_folder_is_outside(tmp_path):
    from scenarios import ScenarioError, load

    (tmp_path / "secret.txt").write_text(CORPUS)
    f = _charrnn(tmp_path / "s", "notes.txt")
    (tmp_path / "s" / "notes.txt").symlink_to(tmp_path / "secret.txt")
    with pytest.raises(ScenarioError) as info:
        load(str(f))
    assert f"params.text: notes.txt (that is, {(tmp_path / 'secret.txt').resolve()}) is outside the scenario's folder" \
        in str(info.value)
    assert f"add --allow-dir {tmp_path.resolve()}" in str(info.value)
    # The folder it names lets it in.
    assert load(str(f), allow=[str(tmp_path)]).params["text"].endswith("notes.txt")


def test_allow_dir_lets_a_named_folder_in(tmp_path):
    from scenarios import ScenarioError, load

    (tmp_path / "shared").mkdir()
    (tmp_path / "shared" / "corpus.txt").write_text(CORPUS)
    f = _charrnn(tmp_path / "s", str(tmp_path / "shared" / "corpus.txt"))
    with pytest.raises(ScenarioError, match="is outside the scenario's folder"):
        load(str(f))
    assert load(str(f), allow=[str(tmp_path / "shared")]).params["text"] == str(tmp_path / "shared" / "corpus.txt")
    # /dev/zero allowed: then the lab's own rule (regular files only) answers.
    nonreg = ROOT / "tests" / "bad_scenarios" / "charrnn-text-not-regular.toml"
    with pytest.raises(ScenarioError, match="/dev/zero is not a regular file"):
        load(str(nonreg), allow=["/dev"])


def test_without_a_file_the_current_folder_is_the_scenario_folder(tmp_path, monkeypatch):
    from engine.charrnn.lab import CharRNNLab
    from engine.core.params import ParamError
    from scenarios.loader import resolve_paths

    (tmp_path / "corpus.txt").write_text(CORPUS)
    monkeypatch.chdir(tmp_path)
    assert resolve_paths(CharRNNLab.PARAMS, {"text": "corpus.txt"}, None) == {"text": "corpus.txt"}
    with pytest.raises(ParamError, match="/etc/passwd is outside the current folder"):
        resolve_paths(CharRNNLab.PARAMS, {"text": "/etc/passwd"}, None)
    assert resolve_paths(CharRNNLab.PARAMS, {"text": "/etc/passwd"}, None, allow=["/etc"]) == {"text": "/etc/passwd"}


def test_allow_dir_on_the_command_line(tmp_path):
    (tmp_path / "shared").mkdir()
    (tmp_path / "shared" / "corpus.txt").write_text(CORPUS)
    f = _charrnn(tmp_path / "s", str(tmp_path / "shared" / "corpus.txt"))
    out = run_cli("check", str(f))
    assert out.returncode == 2 and len(out.stderr.strip().splitlines()) == 1
    assert f"add --allow-dir {(tmp_path / 'shared').resolve()}" in out.stderr
    out = run_cli("check", "--allow-dir", str(tmp_path / "shared"), str(f))
    assert out.returncode == 0, out.stderr
    out = run_cli("check", "--allow-dir", str(tmp_path / "nowhere"), str(f))
    assert out.returncode == 2 and "--allow-dir" in out.stderr and "no such folder" in out.stderr


def test_allow_dir_that_is_a_file_or_empty_says_so(tmp_path):
    (tmp_path / "notes.txt").write_text("x")
    out = run_cli("check", "--allow-dir", str(tmp_path / "notes.txt"), "conv-sobel")
    assert out.returncode == 2 and out.stderr == f"tui-lab: --allow-dir {tmp_path / 'notes.txt'}: not a folder\n"
    out = run_cli("check", "--allow-dir", "", "conv-sobel")
    assert out.returncode == 2 and out.stderr == "tui-lab: --allow-dir is empty: name a folder\n"


def test_control_characters_in_messages_are_made_visible(tmp_path):
    from scenarios import ScenarioError, load

    f = tmp_path / "esc.toml"
    f.write_text('title = "x"\nlab = "conv"\n[params]\n"pad\\u001b]0;PWNED\\u0007" = 1\n')
    with pytest.raises(ScenarioError) as info:
        load(str(f))
    assert "\x1b" not in str(info.value) and "\x07" not in str(info.value)
    assert "pad␛]0;PWNED␇: unknown key" in str(info.value)


def test_the_catalogue_lists_a_broken_file_instead_of_failing(tmp_path, monkeypatch):
    """`list` and the home screen read only titles; one unreadable file must not stop them."""
    import scenarios.catalog as catalog

    (tmp_path / "conv-deep.toml").write_text('title = "x"\nlab = "conv"\nnote = ' + "[" * 600 + "]" * 600 + "\n")
    (tmp_path / "conv-bom.toml").write_bytes('\ufefftitle = "With a BOM"\nlab = "conv"\n'.encode())
    monkeypatch.setattr(catalog, "HERE", tmp_path)
    rows = {s.name: s for s in catalog.bundled()}
    assert rows["conv-bom"].title == "With a BOM" and rows["conv-bom"].lab == "conv"
    assert rows["conv-deep"].title == "conv-deep"
    assert rows["conv-deep"].description == "cannot be read: arrays or inline tables nest more than 32 levels deep here; " \
                                            "at most 32 are allowed"


def test_deep_lists_from_a_form_are_refused_not_a_recursion_error():
    """The edit form and `set` hand values in without a file: the same limit holds."""
    from engine.conv.lab import ConvLab
    from engine.core.params import ParamError

    deep = 1
    for _ in range(600):
        deep = [deep]
    with pytest.raises(ParamError) as info:
        ConvLab.validate({"input": deep})
    assert str(info.value) == "params.input: lists nest more than 32 levels deep; at most 32 are allowed"


def test_an_integer_too_long_for_python_is_one_clear_problem_in_a_form_value_too():
    """tomllib hands Python's int-digits ValueError through; a form's value says it in its own words."""
    from scenarios.writer import parse_literal

    with pytest.raises(ValueError, match=r"^not a TOML value \(an integer of more than [\d,]+ digits\)$"):
        parse_literal("9" * 5000)
