import os
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
os.environ.setdefault("TEXTUAL_ANIMATIONS", "none")


def _cores_per_worker() -> None:
    """torch's threads: the cores shared out among pytest-xdist's workers (at least one each),
    for the commands tests start too. torch's default, a thread per core in every worker, has
    threads wait on each other in spin loops: training here ran 40× slower in CPU (charrnn-sonnets,
    22 s against 0.6 s). Read by torch when it loads, so set before any test imports it."""
    workers = int(os.environ.get("PYTEST_XDIST_WORKER_COUNT") or 0)
    if workers:
        cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
        for var in ("OMP_NUM_THREADS", "MKL_NUM_THREADS"):
            os.environ.setdefault(var, str(max(1, cores // workers)))


_cores_per_worker()

# Tests elsewhere that take several seconds of CPU each (a long replay, a fresh process that must
# import torch, training), measured per test on a 2-core machine. `python -m pytest -m "not
# slow"` leaves them out before a commit; the full `python -m pytest` (CI) runs everything.
# Tests in test_golden.py, test_random_keys.py and test_edit_form.py carry the mark themselves.
SLOW = (
    "tests/test_render_width.py::test_frames_fit_78_columns[charrnn-learn-to-write]",
    "tests/test_render_width.py::test_frames_fit_78_columns[optim-himmelblau-swarm]",
    "tests/test_charrnn.py::test_replay_json_contract_and_determinism",
    "tests/test_arch.py::test_replay_json_contract_and_determinism",
    "tests/test_optim.py::test_swarm_points_are_capped_and_labels_do_not_wrap",
    "tests/test_export.py::test_every_format_is_byte_identical",
    "tests/test_replay.py::test_piping_into_head_is_quiet",
    "tests/test_replay.py::test_byte_identical_twice_and_as_the_golden_file",
    # Fresh processes that import torch, send signals or measure memory (10-30 s each under
    # load): what they guard (writes cut short, memory kept flat, the start-up boundary for each
    # lab) changes rarely; one boundary case per kind stays in the quick run.
    "tests/test_charrnn_hostile.py::test_a_write_interrupted_by_a_signal_leaves_no_temporary_file",
    "tests/test_cli_files.py::test_a_signal_while_writing_leaves_nothing_behind",
    "tests/test_cli_files.py::test_writers_hold_no_frame_once_written",
    "tests/test_cli_files.py::test_ten_million_iterations_start_writing_at_once",
    "tests/test_cli_files.py::test_replay_memory_stays_flat_end_to_end",
    "tests/test_charrnn.py::test_frame_values_do_not_grow_with_the_iterations",
    "tests/test_doctor.py::test_lang_c_is_seen_through_pythons_own_coercion",
    "tests/test_cuda.py::test_gpu_check_without_cuda_says_so_in_one_line",
    "tests/test_terminal.py::test_quitting_while_torch_still_loads_ends_cleanly",
    "tests/test_boundary.py::test_a_lab_opened_from_the_command_line_paints_its_first_frames_before_torch_loads[optim",
    "tests/test_boundary.py::test_a_lab_opened_from_the_command_line_paints_its_first_frames_before_torch_loads[train",
    "tests/test_boundary.py::test_a_numpy_lab_opened_from_the_command_line_paints_before_torch_loads[lstm",
    "tests/test_boundary.py::test_a_gpu_this_machine_cannot_have_is_refused_before_torch_loads",
)


def pytest_collection_modifyitems(config, items):
    for item in items:
        if item.nodeid.startswith(SLOW):
            item.add_marker(pytest.mark.slow)


CLI_ENV = {"COLUMNS": "100", "NO_COLOR": "1"}  # what every test run of the command line sees


def spawn_cli(*args: str, **kw):
    """Run `python -m tui_lab ...` in a fresh Python; returns CompletedProcess (text). For what
    only a process shows (signals, locale, TERM, exit at start-up, imports, memory limits): each
    costs a torch import (seconds), so a test about what a command does uses `run_cli`."""
    import subprocess

    # PYTHONPATH: this checkout's code, also when the test runs the command from another folder.
    env = {**os.environ, **CLI_ENV, "PYTHONPATH": str(ROOT)}
    return subprocess.run([sys.executable, "-m", "tui_lab", *args], capture_output=True, text=True, cwd=kw.pop("cwd", ROOT), env=env, timeout=kw.pop("timeout", 300), **kw)


def run_cli(*args: str, cwd=None):
    """`tui-lab ARGS` run in this process (`cli.main(argv)`), as `spawn_cli` runs it in a fresh
    one: the same environment (CLI_ENV), folder, exit status and text on standard output and
    error (not a terminal), the warnings Python would print there included. Returns a
    CompletedProcess."""
    import contextlib
    import io
    import subprocess
    import warnings

    from tui_lab.cli import main

    def stream():
        return io.TextIOWrapper(io.BytesIO(), encoding="utf-8", write_through=True)

    def text(s) -> str:  # read back as subprocess.run(text=True) reads a pipe: universal newlines
        return io.TextIOWrapper(io.BytesIO(s.buffer.getvalue()), encoding="utf-8", newline=None).read()

    out, err = stream(), stream()
    saved_env, here = dict(os.environ), os.getcwd()
    try:
        os.environ.update(CLI_ENV)
        os.chdir(cwd or ROOT)
        with warnings.catch_warnings(record=True) as caught, contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            warnings.resetwarnings()  # a fresh Python's filters, not pytest's
            for quiet in (DeprecationWarning, PendingDeprecationWarning, ImportWarning, ResourceWarning):
                warnings.simplefilter("ignore", quiet)
            try:
                code = main(list(args))
            except SystemExit as exc:  # argparse's --help
                code = exc.code if isinstance(exc.code, int) else 0 if exc.code is None else 1
        for w in caught:
            err.write(warnings.formatwarning(w.message, w.category, w.filename, w.lineno, w.line))
    finally:
        os.chdir(here)
        os.environ.clear()
        os.environ.update(saved_env)
    return subprocess.CompletedProcess(["tui-lab", *args], code, text(out), text(err))


def ctrl_c_default() -> None:
    """Popen(preexec_fn=ctrl_c_default): the child takes Ctrl+C as from a terminal. A shell that
    runs pytest in the background (`pytest &`) has SIGINT ignored, and every process started
    from there inherits that: a test that sends SIGINT would wait forever."""
    import signal

    signal.signal(signal.SIGINT, signal.SIG_DFL)


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
