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


def _in_a_terminal(argv: list[str], env: dict, keys: list[bytes], seconds: float = 25.0,
                   status: list | None = None, after: float = 0.0) -> bytes:
    """Run the app in a pseudo-terminal of 100×30, type `keys` once it has painted (and
    `after` seconds more), and return every byte it wrote (and, into `status`, how it ended,
    once it has)."""
    import fcntl
    import pty
    import select
    import struct
    import termios
    import time

    pid, fd = pty.fork()
    if pid == 0:  # the child: the app
        os.chdir(ROOT)
        os.execve(sys.executable, [sys.executable, "-m", "tui_lab", *argv], env)
    fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", 30, 100, 0, 0))
    out, end = b"", time.monotonic() + seconds
    try:
        while time.monotonic() < end:
            ready, _, _ = select.select([fd], [], [], 0.2)
            if ready:
                try:
                    chunk = os.read(fd, 65536)
                except OSError:
                    break
                if not chunk:
                    break
                out += chunk
            elif keys and b"step" in out:  # painted and quiet: the next key
                time.sleep(after)
                after = 0.0
                os.write(fd, keys.pop(0))
    finally:
        if status is not None:  # it was told to quit: give it the time to
            for _ in range(int(seconds / 0.1)):
                done, code = os.waitpid(pid, os.WNOHANG)
                if done:
                    status.append(code)
                    break
                time.sleep(0.1)
        if not status:
            os.kill(pid, 9)
            os.waitpid(pid, 0)
        os.close(fd)
    return out


def test_the_app_writes_ascii_where_the_locale_is_not_utf8():
    """With LANG=C every byte the app writes is ASCII (the frame's ×, −, box lines and the
    header's glyphs as one-character stand-ins); with a UTF-8 locale the same screen is UTF-8."""
    base = {k: v for k, v in os.environ.items() if not k.startswith("LC_") and k not in ("LANG", "PYTHONUTF8")}
    base.update(TERM="xterm-256color", PYTHONPATH=str(ROOT), COLUMNS="100", LINES="30")
    plain = _in_a_terminal(["open", "conv-sobel", "--device", "cpu"], {**base, "LANG": "C"}, [b"n", b"n", b"q", b"q"])
    assert b"conv-sobel" in plain or b"Sobel" in plain, plain[-500:]
    assert b"step" in plain
    assert plain.isascii(), sorted({b for b in plain if b >= 0x80})[:10]
    rich = _in_a_terminal(["open", "conv-sobel", "--device", "cpu"], {**base, "LANG": "C.UTF-8"}, [b"q", b"q"])
    assert not rich.isascii()  # the check above is not vacuous: the app draws non-ASCII glyphs in UTF-8


def test_quitting_while_torch_still_loads_ends_cleanly():
    """torch is loaded in a background thread once the home screen has painted; quitting at
    once (a lab that needs no meta device is open before that load ends) must not end the
    interpreter under that thread: it aborted or segfaulted, 9 times in 10 here."""
    env = {**os.environ, "TERM": "xterm-256color", "PYTHONPATH": str(ROOT), "LANG": "C.UTF-8"}
    # lstm computes in numpy: it paints before torch has loaded, and q q comes while it loads.
    for name, after in (("optim-zigzag", 0.0), ("lstm-gates", 0.5), ("lstm-gates", 0.9)):
        status: list = []
        out = _in_a_terminal(["open", name, "--device", "cpu"], env, [b"q", b"q"], seconds=40, status=status,
                             after=after)
        assert status and os.waitstatus_to_exitcode(status[0]) == 0, (status, out[-300:])
        assert b"terminate called" not in out
        assert b"Exception ignored" not in out, out[-600:]  # torch's finalizers run under the load
