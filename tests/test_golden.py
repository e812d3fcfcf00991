"""Every bundled scenario replays to its golden files, on any x86-64 CPU.

The JSON Lines replay is compared record by record: floats within the lab's tolerance
(golden_compare.TOLERANCES), everything else exactly; the text replay and the strings in the
JSON with their numbers masked (golden_compare). The golden files were written on another CPU
than most that run these tests: across CPUs the last digits differ, on one machine, torch build
and device the replay is byte-identical (test_replay_is_byte_identical_twice).

Golden files change only on purpose: `UPDATE_GOLDEN=1 python -m pytest tests/test_golden.py`.
"""

import io
import json
import os

import pytest

from conftest import ROOT
from golden_compare import TOLERANCES, compare_jsonl, compare_text
from scenarios.loader import bundled_paths

GOLDEN = ROOT / "tests" / "golden"
NAMES = [p.stem for p in bundled_paths()]
# Replays that take several seconds of CPU (100 swarm starts): the full suite runs them,
# `-m "not slow"` leaves them out. So are the long training replays whose code a cheaper golden
# replays in the quick run: pretrain-table is pretrain-table-quick over 5 seeds and 20 epochs,
# train-digits the same params as train-cuda (which replays its first 5 epochs),
# pretrain-rbm-bars-cd10 pretrain-rbm-bars with k = 10, pretrain-stacked-autoencoders
# pretrain-sparse-autoencoder with a second layer.
SLOW = {"optim-himmelblau-swarm", "pretrain-table", "train-digits", "pretrain-rbm-bars-cd10",
        "pretrain-stacked-autoencoders"}


def replay_both(name: str, steps: int | None = None) -> tuple[str, str]:
    """The text and JSON Lines replays of one scenario, from one run of its script (what
    `tui-lab replay NAME --format text|json --device cpu` writes)."""
    from engine.session import Session
    from scenarios import load
    from tui_lab.export.jsonl import frame_json
    from tui_lab.export.text import write_text

    scenario = load(name)
    session = Session(scenario, device="cpu")
    try:
        shows = session.run_script(() if steps is not None else None, max_steps=steps)
        frames = [s for s in shows if s.event == "frame"]
        text = io.StringIO()
        write_text(session, frames, text)
        lines = "".join(frame_json(session, shown) + "\n" for shown in frames)
        return text.getvalue(), lines
    finally:
        session.close()


def _params(names):
    return [pytest.param(n, marks=pytest.mark.slow) if n in SLOW else n for n in names]


@pytest.mark.parametrize("name", _params(NAMES))
def test_replay_matches_golden(name):
    from scenarios import load

    lab = load(name).lab
    text, lines = replay_both(name)
    txt, jsonl = GOLDEN / f"{name}.txt", GOLDEN / f"{name}.jsonl"
    if os.environ.get("UPDATE_GOLDEN"):
        txt.write_text(text, encoding="utf-8")
        jsonl.write_text(lines, encoding="utf-8")
    assert txt.exists() and jsonl.exists(), f"no golden files for {name}; create them with UPDATE_GOLDEN=1"
    assert lab in TOLERANCES, f"lab {lab!r} has no tolerance in golden_compare.TOLERANCES"
    compare_jsonl(lines, jsonl.read_text(encoding="utf-8"), TOLERANCES[lab])
    compare_text(text, txt.read_text(encoding="utf-8"))
    for line in lines.splitlines():
        record = json.loads(line)
        assert record["scenario"] == name and record["lab"] == lab and "caption" in record and "values" in record


# Byte-identical on one machine: a scenario of each kind of lab, float64 and float32 training
# (cut to its first steps), random noise included (optim-saddle's noisy SGD).
@pytest.mark.parametrize("name, steps", [("conv-sobel", None), ("lstm-gradient-flow", None), ("optim-saddle", None),
                                         ("arch-lenet", None), ("charrnn-sampling", 3)])
def test_replay_is_byte_identical_twice(name, steps):
    first = replay_both(name, steps)
    assert first[1].count("\n") > 2
    assert replay_both(name, steps) == first


# --- the comparator itself ------------------------------------------------------------------------

from golden_compare import Mismatch, Tolerance, mask_numbers  # noqa: E402

F64 = Tolerance(rel=1e-9, abs=1e-10)


def _record(step=6, adam=0.2186523214864398, **values):
    return json.dumps({"scenario": "s", "step": step, "caption": "f = 0.2187 after 6 steps",
                       "values": {"paths": {"adam": [[0.0, 1.0], [0.5, 0.25], [1.0, 2.0], [3.0, adam]]},
                                  "n": 3, "name": "adam", "ok": True, "grad": None, **values}})


def _golden(*records):
    return "".join(r + "\n" for r in records)


def test_comparator_passes_last_digit_differences():
    want = _golden(_record(0), _record(6))
    compare_jsonl(_golden(_record(0), _record(6, adam=0.21865232148643984)), want, F64)
    compare_jsonl(want, want, F64)


def test_comparator_names_record_step_and_path_beyond_tolerance():
    want = _golden(*(_record(s) for s in range(8)))
    got = _golden(*(_record(s) for s in range(7)), _record(7, adam=0.2186523214864398 * (1 + 1e-8)))
    with pytest.raises(Mismatch) as info:
        compare_jsonl(got, want, F64)
    message = str(info.value)
    assert message.startswith("record 7 (step 7) values.paths.adam[3][1]: 0.21865232367296")
    assert "rel diff 1e-08 > 1e-09" in message and len(message) < 300


def test_comparator_absolute_floor_is_for_noise_near_zero():
    compare_jsonl(_golden(_record(d=2.842170943040401e-14)), _golden(_record(d=4.263256414560601e-14)), F64)
    with pytest.raises(Mismatch, match=r"values\.d: 2e-10 vs 4e-10"):
        compare_jsonl(_golden(_record(d=2e-10)), _golden(_record(d=4e-10)), F64)


@pytest.mark.parametrize("change, where", [
    ({"n": 4}, "values.n: 4 vs 3"),                                  # an int is exact
    ({"n": 3.0}, "values.n: 3.0 (float) vs 3 (int), types differ"),  # and stays an int
    ({"name": "adagrad"}, "values.name: 'adagrad' vs 'adam'"),      # a string
    ({"ok": 1}, "values.ok: 1 (int) vs True (bool), types differ"),  # a bool is not an int
    ({"grad": 0.0}, "values.grad: 0.0 (float) vs None (null)"),
])
def test_comparator_is_exact_for_everything_but_floats(change, where):
    base = json.loads(_record())
    changed = json.loads(_record())
    changed["values"].update(change)
    with pytest.raises(Mismatch) as info:
        compare_jsonl(json.dumps(changed) + "\n", json.dumps(base) + "\n", F64)
    assert str(info.value).startswith(f"record 0 (step 6) {where}")


def test_comparator_keys_lengths_and_record_count():
    base = json.loads(_record())
    extra = json.loads(_record())
    extra["values"]["more"] = 1
    with pytest.raises(Mismatch, match=r"values: keys differ \(extra \['more'\], missing \[\]\)"):
        compare_jsonl(json.dumps(extra), json.dumps(base), F64)
    short = json.loads(_record())
    short["values"]["paths"]["adam"].pop()
    with pytest.raises(Mismatch, match=r"values\.paths\.adam: list length 3 vs 4"):
        compare_jsonl(json.dumps(short), json.dumps(base), F64)
    with pytest.raises(Mismatch, match="1 records vs 2 in the golden file"):
        compare_jsonl(_golden(_record()), _golden(_record(), _record()), F64)


def test_strings_compare_with_numbers_masked():
    base = json.loads(_record())
    rounded = json.loads(_record())
    rounded["caption"] = "f = 0.2186 after 6 steps"  # a last digit on a rounding boundary
    compare_jsonl(json.dumps(rounded), json.dumps(base), F64)
    reworded = json.loads(_record())
    reworded["caption"] = "f = 0.2187 after 6 stops"
    with pytest.raises(Mismatch, match=r"caption: 'f = 0.2187 after 6 stops' vs 'f = 0.2187 after 6 steps'"):
        compare_jsonl(json.dumps(reworded), json.dumps(base), F64)


@pytest.mark.parametrize("text", ["‖∂h_2/∂h_0‖ = 1.562", "largest difference from torch: 4.263e−14",
                                  "24,394 parameters, 1×64", "(−1.8, 0.01), ε 1e−08, −13 and -2.5E+03"])
def test_mask_hides_every_number_and_keeps_names(text):
    masked = mask_numbers(text)
    assert not any(c.isdigit() for c in masked.replace("h_2", "").replace("h_0", ""))
    assert mask_numbers(text.replace("1", "7").replace("2", "9")) == masked.replace("h_2", "h_9")
    assert "h_2" in mask_numbers("‖∂h_2/∂h_0‖") and "β1" in mask_numbers("β1 0.9") and "conv1" in mask_numbers("conv1")


def test_text_compares_words_with_numbers_and_pictures_masked():
    want = "step 0 / 9\n‖g‖ = 0.9607   loss ███████  0.390\n┌──────┐\n"
    compare_text("step 0 / 9\n‖g‖ = 0.9608   loss ████████  0.3901\n┌───────┐\n", want)
    with pytest.raises(Mismatch, match=r"line 2: '‖g‖ = 0.9607 gain █ 0.390' vs line 2: '‖g‖ = 0.9607   loss"):
        compare_text("step 0 / 9\n‖g‖ = 0.9607 gain █ 0.390\n┌──────┐\n", want)
    with pytest.raises(Mismatch, match="line 4 only in the replay: 'extra'"):
        compare_text(want + "extra\n", want)
