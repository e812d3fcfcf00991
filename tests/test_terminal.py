"""Terminals that cannot draw the app: TERM=dumb is one line pointing to replay; a terminal
whose locale is not UTF-8 gets the app in ASCII, one character for one, so columns hold."""

import os
import subprocess
import sys

from conftest import ROOT


def test_the_app_refuses_a_dumb_terminal_in_one_line():
    env = {**os.environ, "TERM": "dumb", "PYTHONPATH": str(ROOT)}
    for argv in ([], ["open", "conv-sobel"]):
        out = subprocess.run([sys.executable, "-m", "tui_lab", *argv], capture_output=True, text=True, cwd=ROOT,
                             env=env, timeout=60, stdin=subprocess.DEVNULL)
        assert out.returncode == 2, out.stderr
        lines = out.stderr.strip().splitlines()
        assert len(lines) == 1 and "TERM=dumb" in lines[0] and "tui-lab replay" in lines[0]
        assert "\x1b" not in out.stdout + out.stderr
