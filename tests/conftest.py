import os
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
os.environ.setdefault("TEXTUAL_ANIMATIONS", "none")

# Tests elsewhere that take several seconds of CPU each (a long replay, two subprocesses that
# import torch, training), measured per test on a 2-core machine. `python -m pytest -m "not
# slow"` leaves them out before a commit; the full `python -m pytest` (CI) runs everything.
# Tests in test_golden.py and test_random_keys.py carry the mark themselves.
SLOW = (
    "tests/test_render_width.py::test_frames_fit_78_columns[charrnn-learn-to-write]",
    "tests/test_render_width.py::test_frames_fit_78_columns[optim-himmelblau-swarm]",
    "tests/test_charrnn.py::test_replay_json_contract_and_determinism",
    "tests/test_arch.py::test_replay_json_contract_and_determinism",
    "tests/test_optim.py::test_swarm_points_are_capped_and_labels_do_not_wrap",
    "tests/test_export.py::test_every_format_is_byte_identical",
    "tests/test_export.py::test_colour_only_when_asked",
    "tests/test_replay.py::test_piping_into_head_is_quiet",
    "tests/test_replay.py::test_byte_identical_twice_and_as_the_golden_file",
)


def pytest_collection_modifyitems(config, items):
    for item in items:
        if item.nodeid.startswith(SLOW):
            item.add_marker(pytest.mark.slow)


def run_cli(*args: str, **kw):
    """Run `python -m tui_lab ...` in a subprocess; returns CompletedProcess (text)."""
    import subprocess

    # PYTHONPATH: this checkout's code, also when the test runs the command from another folder.
    env = {**os.environ, "COLUMNS": "100", "NO_COLOR": "1", "PYTHONPATH": str(ROOT)}
    return subprocess.run([sys.executable, "-m", "tui_lab", *args], capture_output=True, text=True, cwd=kw.pop("cwd", ROOT), env=env, timeout=kw.pop("timeout", 300), **kw)


@pytest.fixture
def cli():
    return run_cli


def draw(lab: str, frame, width: int = 78, view=None) -> str:
    """A frame as plain text, drawn by the lab's renderer as replay draws it."""
    import io

    from tui_lab.export.text import console
    from tui_lab.render import render_frame

    buf = io.StringIO()
    console(buf, colour=False, width=width).print(render_frame(lab, frame, width, view or {}))
    return buf.getvalue()
