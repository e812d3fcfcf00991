import os
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
os.environ.setdefault("TEXTUAL_ANIMATIONS", "none")


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
