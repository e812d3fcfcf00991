"""Time to the first painted screen: tui-lab's home screen against a bare Textual app
(Header, Static, Footer), side by side; and opening a lab.

    python benchmarks/startup.py [--pairs 15] [--open] [--labs conv-sobel ...] [--instructions]

Each run is a fresh interpreter started here; the clock runs from just before it is started
to the moment its first screen has been turned into the terminal's bytes (a driver that
takes them and shows nothing, so the app does all a real terminal would make it do), as the
app itself reports it. Imports count; exiting does not. Runs come in alternating pairs so
machine noise hits both alike; the figure is the median of the per-pair ratios, with the
spread of those ratios.

With --instructions, also the instructions each app executes up to its first paint, counted
by valgrind (callgrind): the same in every run whatever else the machine does, so a change of
a few milliseconds shows where timings on a shared machine cannot (~1 minute each).

With --open, for one scenario of each lab, also: the first frame painted straight from
`tui-lab open` (a fresh interpreter, imports included), and opening it from the home screen
after a few seconds there (torch is warmed in the background once the home screen has
painted); and the home screen's key latency (↓ and ↑ on the list, one key 50 ms after each
paint, from its first paint on) while torch loads and once it has, against a bare app given
the same keys in the same run (each repaints its Static).
"""

from __future__ import annotations

import argparse
import compileall
import json
import re
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# Prints the wall-clock time of the first paint, then exits.
PRELUDE = """
import os, time
from textual.drivers.headless_driver import HeadlessDriver

class NullTerminal(HeadlessDriver):
    @property
    def is_headless(self):
        return False
    def write(self, data):
        pass
    def flush(self):
        pass

def first_paint(app):
    def hook():
        if not app._exit:
            # Textual captures print() while it runs; the CPU time is the figure noise hurts least
            os.write(1, f"{time.time():.6f} {time.process_time():.6f}\\n".encode())
            app.exit()
    app.post_display_hook = hook
    app.driver_class = NullTerminal
    app.run(headless=False, size=(100, 30))
"""

LAB = PRELUDE + """
from tui_lab.app import LabApp
first_paint(LabApp())
"""

BARE = PRELUDE + """
from textual.app import App
from textual.widgets import Footer, Header, Static

class Bare(App):
    def compose(self):
        yield Header()
        yield Static("hello")
        yield Footer()

first_paint(Bare())
"""


# ↓ and ↑ on a screen, one after each paint plus 50 ms, for a few seconds: (state, latency) each,
# `state` read as the key is sent.
KEYS = """
import asyncio, json, sys
from textual import events

async def press(app, paints, seconds, state):
    out, end, down = [], time.time() + seconds, True
    painted = asyncio.Event()  # set by the paint hook: waiting on it costs the app no wake-ups
    app.painted = painted
    while time.time() < end:
        now = state()
        n, t0 = len(paints), time.time()
        painted.clear()
        app._driver.send_message(events.Key("down" if down else "up", None))
        try:
            await asyncio.wait_for(painted.wait(), 2)
        except asyncio.TimeoutError:
            pass
        if len(paints) > n:
            out.append((now, paints[n] - t0))
        down = not down
        await asyncio.sleep(0.05)
    return out
"""

# One lab, opened as a person would, timed from inside; prints one JSON line.
OPEN = PRELUDE + KEYS + """
from tui_lab import warm
from tui_lab.app import LabApp
from tui_lab.screens.scenario import ScenarioScreen

NAME, HOME_S = sys.argv[1], float(sys.argv[2])
marks, paints = {}, []
draw = ScenarioScreen._draw

def _draw(screen, frame, *args, **kwargs):
    draw(screen, frame, *args, **kwargs)
    marks.setdefault("drawn", time.time())

ScenarioScreen._draw = _draw

async def main():
    app = LabApp(scenario=None if HOME_S else NAME, device="cpu")
    app.driver_class = NullTerminal
    own = app.post_display_hook  # the app's own (it lets the torch warm-up go on)

    def hook():
        own()
        paints.append(time.time())
        getattr(app, "painted", asyncio.Event()).set()
        if "drawn" in marks and "painted" not in marks:
            marks["painted"] = paints[-1]

    app.post_display_hook = hook
    keys = []
    async with app.run_test(headless=False, size=(100, 30)) as pilot:
        while not paints:
            await asyncio.sleep(0.001)
        marks["home"] = paints[0]
        if HOME_S:
            # The home screen's keys from its first paint on: while torch loads, then once it has.
            keys = await press(app, paints, HOME_S, lambda: not warm.ready())
            marks["open"] = time.time()
            app.open_scenario(NAME)
        while "painted" not in marks:
            await asyncio.sleep(0.001)
    out = {"home": marks["home"], "open": marks.get("open"), "painted": marks["painted"],
           "keys_first": [k for _, k in keys[:1]],
           "keys_loading": [k for loading, k in keys[1:] if loading],
           "keys_after": [k for loading, k in keys[1:] if not loading]}
    os.write(1, (json.dumps(out) + "\\n").encode())

asyncio.run(main())
"""

# The bare app (BARE's) given the same keys for the same time: each repaints its Static.
BARE_KEYS = PRELUDE + KEYS + """
from textual.app import App
from textual.widgets import Footer, Header, Static

class Bare(App):
    BINDINGS = [("down", "move(1)"), ("up", "move(-1)")]
    index = 0

    def compose(self):
        yield Header()
        yield Static("row 0", id="row")
        yield Footer()

    def action_move(self, delta):
        self.index += delta
        self.query_one("#row", Static).update(f"row {self.index}")

async def main():
    app, paints = Bare(), []
    app.driver_class = NullTerminal
    def hook():
        paints.append(time.time())
        getattr(app, "painted", asyncio.Event()).set()

    app.post_display_hook = hook
    async with app.run_test(headless=False, size=(100, 30)):
        while not paints:
            await asyncio.sleep(0.001)
        keys = await press(app, paints, float(sys.argv[1]), lambda: False)
    os.write(1, (json.dumps({"keys": [k for _, k in keys[1:]]}) + "\\n").encode())

asyncio.run(main())
"""

LABS = ["conv-sobel", "arch-alexnet", "optim-zigzag", "lstm-gates", "charrnn-min-char-rnn", "pretrain-rbm-bars",
        "train-five-steps"]


def run_json(code: str, *args: str) -> dict:
    """Run `code` in a fresh interpreter; its last line of output, read as JSON, with the start time."""
    t0 = time.time()
    out = subprocess.run([sys.executable, "-c", code, *args], check=True, capture_output=True, text=True,
                         cwd=ROOT, timeout=300)
    m = json.loads(out.stdout.strip().splitlines()[-1])
    m["start"] = t0
    return m


def opened(name: str, home_s: float) -> dict:
    return run_json(OPEN, name, str(home_s))


def ms(xs: list[float], q: float) -> str:
    if not xs:
        return "–"
    xs = sorted(xs)
    return f"{xs[min(len(xs) - 1, int(q * (len(xs) - 1) + 0.5))] * 1000:.1f}"


def open_labs(names: list[str], home_s: float) -> None:
    print(f"\nopening a lab (first frame painted), 100×30; home screen {home_s:g} s before opening")
    print(f"{'scenario':<22} {'tui-lab open':>12} {'from home':>10}")
    first, loading, after, bare = [], [], [], []
    for name in names:
        straight = opened(name, 0)
        home = opened(name, home_s)
        bare += run_json(BARE_KEYS, str(home_s))["keys"]
        first += home["keys_first"]
        loading += home["keys_loading"]
        after += home["keys_after"]
        print(f"{name:<22} {(straight['painted'] - straight['start']) * 1000:>9.0f} ms "
              f"{(home['painted'] - home['open']) * 1000:>7.0f} ms", flush=True)
    print(f"\nkeys (↓ ↑, one 50 ms after each paint) for {home_s:g} s from the first paint, in each run")

    def keys(what: str, xs: list[float]) -> None:
        print(f"{what:<44} {len(xs):>4} keys, median {ms(xs, 0.5):>5} ms, p95 {ms(xs, 0.95):>5} ms, "
              f"worst {ms(xs, 1.0):>5} ms")

    keys("home screen, the first key (at the first paint)", first)
    keys("home screen, the others while torch loads", loading)
    keys("home screen, once torch has loaded", after)
    keys("bare app (BARE), the same keys", bare)
    if loading and after and bare:
        ratio = float(ms(loading, 0.95)) / float(ms(bare, 0.95))
        print(f"p95 against the bare app's: while torch loads {ratio:.2f}× (goal ≤ 1.5×), "
              f"once it has {float(ms(after, 0.95)) / float(ms(bare, 0.95)):.2f}×")


def once(code: str) -> tuple[float, float]:
    """Wall-clock seconds to the first paint, and the CPU seconds the process spent by then."""
    t0 = time.time()
    out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True, cwd=ROOT)
    wall, cpu = out.stdout.split()[:2]
    return float(wall) - t0, float(cpu)


def instructions(code: str) -> int | None:
    """Instructions executed up to the first paint (the process ends there, before tearing down)."""
    valgrind = shutil.which("valgrind")
    if valgrind is None:
        return None
    code = code.replace("app.exit()", "os._exit(0)")
    out = subprocess.run([valgrind, "--tool=callgrind", "--callgrind-out-file=/dev/null", sys.executable, "-c", code],
                         capture_output=True, text=True, cwd=ROOT)
    m = re.search(r"Collected : (\d+)", out.stderr)
    return int(m[1]) if m else None


def summary(name: str, lab: list[float], bare: list[float]) -> str:
    ratios = sorted(x / y for x, y in zip(lab, bare))
    q1, q3 = ratios[len(ratios) // 4], ratios[(3 * len(ratios)) // 4]
    return (f"{name}: home screen {statistics.median(lab) * 1000:.0f} ms, bare {statistics.median(bare) * 1000:.0f} ms; "
            f"ratio (median of pairs) {statistics.median(ratios):.2f}× (goal ≤ 1.15×), "
            f"quartiles {q1:.2f}–{q3:.2f}, range {ratios[0]:.2f}–{ratios[-1]:.2f}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--pairs", type=int, default=15)
    ap.add_argument("--open", action="store_true", help="also time opening a lab")
    ap.add_argument("--labs", nargs="+", default=LABS, help="scenarios to open (one per lab by default)")
    ap.add_argument("--instructions", action="store_true", help="also count instructions to the first paint (valgrind)")
    ap.add_argument("--home", type=float, default=3.0, help="seconds on the home screen before opening")
    args = ap.parse_args()
    # Both apps start from bytecode, as an installed one does (pip compiles what it installs).
    # Compiled here, since with PYTHONDONTWRITEBYTECODE set (as on some CI machines) this
    # project's ~100 modules would otherwise be compiled from source at every start (~15 ms)
    # while Textual's come compiled from site-packages; that variable stops writing, not reading.
    for folder in ("tui_lab", "engine", "scenarios"):
        compileall.compile_dir(ROOT / folder, quiet=1)
    once(LAB), once(BARE)  # warm the file cache
    lab, bare = [], []
    for i in range(args.pairs):
        first, second = (LAB, BARE) if i % 2 == 0 else (BARE, LAB)  # alternate which goes first
        a, b = once(first), once(second)
        lab.append(a if first is LAB else b)
        bare.append(b if first is LAB else a)
    print(f"first paint at 100×30, {args.pairs} alternating pairs of fresh interpreters")
    print(summary("wall clock", [w for w, _ in lab], [w for w, _ in bare]))
    print(summary("CPU time  ", [c for _, c in lab], [c for _, c in bare]))
    if args.instructions:
        lab_n, bare_n = instructions(LAB), instructions(BARE)
        if lab_n is None or bare_n is None:
            print("instructions: valgrind is not installed")
        else:
            print(f"instructions to the first paint (valgrind): home screen {lab_n / 1e6:.0f} M, bare {bare_n / 1e6:.0f} M; "
                  f"ratio {lab_n / bare_n:.3f}×")
    if args.open:
        open_labs(args.labs, args.home)


if __name__ == "__main__":
    main()
