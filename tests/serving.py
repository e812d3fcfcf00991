"""`tui-lab serve` started as a person starts it, on a free port, and stopped with Ctrl+C."""

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time

from conftest import ROOT


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def serving():
    """Yields (port, the address with the token it printed, everything it said)."""
    port = free_port()
    proc = subprocess.Popen([sys.executable, "-m", "tui_lab", "serve", "--port", str(port)], cwd=ROOT,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                            env={**os.environ, "PYTHONUNBUFFERED": "1"})
    lines = []
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            line = proc.stdout.readline()
            lines.append(line)
            if not line or line.startswith("Ctrl+C"):
                break
        said = "".join(lines)
        assert lines[-1].startswith("Ctrl+C"), said
        url = next(ln for ln in lines if ln.startswith("open ")).split()[1]
        for _ in range(100):  # the address is printed just before aiohttp binds
            with socket.socket() as s:
                if s.connect_ex(("127.0.0.1", port)) == 0:
                    break
            time.sleep(0.1)
        yield port, url, said
    finally:
        proc.send_signal(signal.SIGINT)  # Ctrl+C, as a person stops it
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
            raise AssertionError("serve did not stop within 15 s of Ctrl+C") from None
