"""Time to the first screen: tui-lab's home screen against a bare Textual app, side by side.

Each run is a fresh interpreter (imports included) that starts the app headless, waits for
its first screen to be painted, and exits. Runs alternate so machine noise hits both alike.
    python benchmarks/startup.py [--runs 15]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time

AUTO = """
async def auto(pilot):
    await pilot.pause()
    pilot.app.exit()
"""

LAB = AUTO + """
from tui_lab.app import LabApp
LabApp().run(headless=True, size=(100, 30), auto_pilot=auto)
"""

BARE = AUTO + """
from textual.app import App
from textual.widgets import Footer, Header, Static

class Bare(App):
    def compose(self):
        yield Header()
        yield Static("hello")
        yield Footer()

Bare().run(headless=True, size=(100, 30), auto_pilot=auto)
"""


def once(code: str) -> float:
    t0 = time.perf_counter()
    subprocess.run([sys.executable, "-c", code], check=True, capture_output=True)
    return time.perf_counter() - t0


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=15)
    args = ap.parse_args()
    once(LAB), once(BARE)  # warm the file cache
    lab, bare = [], []
    for _ in range(args.runs):
        lab.append(once(LAB))
        bare.append(once(BARE))
    ml, mb = statistics.median(lab), statistics.median(bare)
    print(f"tui-lab home screen: median {ml * 1000:.0f} ms over {args.runs} runs")
    print(f"bare Textual app:    median {mb * 1000:.0f} ms over {args.runs} runs")
    print(f"ratio: {ml / mb:.2f}x (goal ≤ 1.25x)")


if __name__ == "__main__":
    main()
