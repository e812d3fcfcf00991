"""Bytes on the wire: what one step costs a terminal (an SSH link) against one full repaint.

    python benchmarks/wire.py [--steps 200] [--scenarios conv-sobel optim-zigzag arch-alexnet]

Runs `python -m tui_lab open SCENARIO --device cpu` in a pseudo-terminal (TERM=xterm-256color,
100×30) and counts the bytes the app writes: for each → (after the output goes quiet),
while idle (animation would show here), and for one full repaint (a resize away and back).
When a scenario reaches its last step, Home (not counted) starts it again, so every
counted → moves. Each screen row's share of the step bytes says which regions repaint, and
"paints/step" how often the busiest row was drawn from its first column for one step (1 =
drawn once). A row that holds two widgets (the frame and its scrollbar) is written as two
pieces, each after its own cursor move: that is one paint, not two.
"""

from __future__ import annotations

import argparse
import fcntl
import os
import pty
import re
import select
import signal
import statistics
import struct
import sys
import termios
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

WIDTH, HEIGHT = 100, 30
RIGHT, HOME, QUIT = b"\x1b[C", b"\x1b[H", b"q"
QUIET_S = 0.25  # no output for this long: the app has finished drawing
CUP = re.compile(rb"\x1b\[(\d+);(\d+)H")  # cursor to row;column: where the bytes after it land


class Pty:
    """The app in a pseudo-terminal; everything it writes is read and counted."""

    def __init__(self, argv: list[str], env: dict[str, str]) -> None:
        pid, fd = pty.fork()
        if pid == 0:  # the child: the app
            os.chdir(ROOT)
            os.execvpe(argv[0], argv, env)
        self.pid, self.fd = pid, fd
        self.resize(WIDTH, HEIGHT)

    def resize(self, w: int, h: int) -> None:
        fcntl.ioctl(self.fd, termios.TIOCSWINSZ, struct.pack("HHHH", h, w, 0, 0))
        os.kill(self.pid, signal.SIGWINCH)

    def read_until_quiet(self, first_within: float = 10.0, most: float = 10.0, quiet: float = QUIET_S) -> bytes:
        """Everything written until `quiet` seconds pass with nothing new (or `most` seconds)."""
        out = b""
        start = time.monotonic()
        deadline = start + first_within
        while True:
            now = time.monotonic()
            if now - start > most:
                return out
            wait = (deadline - now) if not out else quiet
            ready, _, _ = select.select([self.fd], [], [], max(0.0, wait))
            if not ready:
                return out
            try:
                chunk = os.read(self.fd, 65536)
            except OSError:  # the app has gone
                return out
            if not chunk:
                return out
            out += chunk

    def send(self, data: bytes) -> None:
        os.write(self.fd, data)

    def close(self) -> None:
        try:
            self.send(QUIT)
            self.read_until_quiet(first_within=2, most=5)
        finally:
            try:
                os.kill(self.pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
            os.waitpid(self.pid, 0)
            os.close(self.fd)


def rows_written(data: bytes) -> dict[int, int]:
    """Bytes attributed to each screen row (1-based), by the cursor moves that precede them."""
    rows: dict[int, int] = {}
    moves = list(CUP.finditer(data))
    for m, nxt in zip(moves, moves[1:] + [None]):
        end = nxt.start() if nxt else len(data)
        rows[int(m.group(1))] = rows.get(int(m.group(1)), 0) + end - m.start()
    return rows


def measure(name: str, steps: int) -> dict:
    from engine.session import Session
    from scenarios import load

    total = Session(load(name), device="cpu").count or 10**9
    env = {**os.environ, "TERM": "xterm-256color", "COLUMNS": str(WIDTH), "LINES": str(HEIGHT),
           "PYTHONPATH": str(ROOT)}
    env.pop("NO_COLOR", None)
    app = Pty([sys.executable, "-m", "tui_lab", "open", name, "--device", "cpu"], env)
    try:
        first = app.read_until_quiet(first_within=60, most=90, quiet=3.0)  # start-up writes in bursts
        idle = app.read_until_quiet(first_within=3, most=3)  # nothing should move while nobody types
        app.resize(WIDTH, HEIGHT - 1)
        app.read_until_quiet()
        app.resize(WIDTH, HEIGHT)
        full = app.read_until_quiet()
        sizes, rows, paints, at = [], {}, [], 0
        for _ in range(steps):
            if at >= total - 1:
                app.send(HOME)
                app.read_until_quiet()
                at = 0
            app.send(RIGHT)
            data = app.read_until_quiet()
            at += 1
            sizes.append(len(data))
            for r, n in rows_written(data).items():
                rows[r] = rows.get(r, 0) + n
            touched = [int(m.group(1)) for m in CUP.finditer(data) if m.group(2) == b"1"]
            paints.append(max((touched.count(r) for r in set(touched)), default=0))
    finally:
        app.close()
    sizes.sort()
    return {"scenario": name, "first_paint": len(first), "idle_3s": len(idle), "full_repaint": len(full),
            "median": statistics.median(sizes), "p95": sizes[int(0.95 * (len(sizes) - 1))], "max": sizes[-1],
            "steps": len(sizes), "paints": statistics.median(paints),
            "rows": {r: n / len(sizes) for r, n in sorted(rows.items())}}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--steps", type=int, default=200)
    ap.add_argument("--scenarios", nargs="+", default=["conv-sobel", "optim-zigzag", "arch-alexnet"])
    a = ap.parse_args()
    print(f"bytes written to a {WIDTH}×{HEIGHT} xterm-256color terminal; {a.steps} steps (→) each")
    print(f"{'scenario':<16} {'full repaint':>12} {'step median':>12} {'step p95':>9} {'max':>7} {'median/full':>12} "
          f"{'idle 3 s':>9} {'paints/step':>12}")
    for name in a.scenarios:
        m = measure(name, a.steps)
        print(f"{name:<16} {m['full_repaint']:>12,} {m['median']:>12,.0f} {m['p95']:>9,} {m['max']:>7,} "
              f"{m['median'] / m['full_repaint']:>12.2f} {m['idle_3s']:>9,} {m['paints']:>12.0f}")
        heavy = sorted(m["rows"].items(), key=lambda kv: -kv[1])[:6]
        print("    per step, by screen row: " + ", ".join(f"row {r}: {n:,.0f} B" for r, n in heavy), flush=True)


if __name__ == "__main__":
    main()
