"""Key press to new frame painted, for every bundled scenario but live training, side by side
with a bare Textual app that repaints one Static: median, p95, worst, and what the time is
made of.

    python benchmarks/step_latency.py [--samples 200] [--scenarios conv-sobel ...] [--gap 0.05]

Each app runs in-process at 100×30 with a driver that turns every update into the terminal's
bytes, as a real terminal's driver does, and throws them away (a headless app skips that
last stage). A key goes in through the driver, as a terminal's key does; the clock stops
when the update that carries the new frame has been written. Keys are pressed one at a
time, `--gap` seconds after the screen goes quiet (a person stepping fast; key repeat is
about 30 a second): → to the last step, ← back to the first, and again, until there are
`--samples` steps. The bare app gets the same keys in the same run, before and after the
labs, so machine noise hits both alike.

Where the time goes, per step (each part exclusive of the others):
  lab     the runner's move: the engine computing or fetching the frame
  draw    the lab's renderer building the frame's picture (Rich tables, texts, plots)
  render  Rich laying that picture out into lines, and the caption and status
  layout  Textual arranging widgets (a relayout; none when only lines change)
  paint   Textual composing the changed regions and turning them into bytes
  other   the rest: messages, the event loop, waiting for the screen's update timer, and
          waiting for the next step being laid out ahead when the key came before it was done
and, apart from the key's time:
  ahead   the screen laying out the next step after each paint, while the person reads
          (median per step; a key pressed sooner than this after a paint waits for it)
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import statistics
import sys
import time
from functools import wraps
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from textual.app import App  # noqa: E402
from textual.drivers.headless_driver import HeadlessDriver  # noqa: E402
from textual.screen import Screen  # noqa: E402
from textual.widgets import Footer, Header, Static  # noqa: E402

from tui_lab import warm  # noqa: E402

SIZE = (100, 30)
PARTS = ("lab", "draw", "render", "layout", "paint")
LIVE_LABS = ("charrnn", "pretrain", "train")


class NullTerminal(HeadlessDriver):
    """A terminal that takes every byte and shows nothing: the app does all its work."""

    written = 0

    @property
    def is_headless(self) -> bool:
        return False

    def write(self, data: str) -> None:
        NullTerminal.written += len(data.encode())

    def flush(self) -> None:
        pass


class Clock:
    """Exclusive time per part: a timed call nested in another counts for itself only."""

    def __init__(self) -> None:
        self.parts = dict.fromkeys(PARTS, 0.0)
        self.stack: list[list[float]] = []  # per open call: [start, time in nested calls]
        self.displays: list[tuple[float, float]] = []  # (wall, CPU) when each update reached the terminal
        self.drawn: tuple[int, float] | None = None  # (frame index, time) of the last draw
        self.ahead: list[float] = []  # how long each laying out ahead took (kept across steps)
        self.paused = False  # inside a laying out ahead: its parts are not the key's

    def reset(self) -> None:
        self.parts = dict.fromkeys(PARTS, 0.0)
        self.displays.clear()
        self.drawn = None

    def wrap(self, cls: type, name: str, part: str) -> None:
        fn = getattr(cls, name)

        @wraps(fn)
        def timed(*args, **kwargs):
            if self.paused:
                return fn(*args, **kwargs)
            self.stack.append([time.perf_counter(), 0.0])
            try:
                return fn(*args, **kwargs)
            finally:
                start, nested = self.stack.pop()
                spent = time.perf_counter() - start
                self.parts[part] += spent - nested
                if self.stack:
                    self.stack[-1][1] += spent

        setattr(cls, name, timed)


CLOCK = Clock()


def instrument() -> None:
    """Time Textual's own stages, once for every app in this process."""
    CLOCK.wrap(Screen, "_on_timer_update", "paint")
    CLOCK.wrap(Screen, "_refresh_layout", "layout")
    CLOCK.wrap(Screen, "_compositor_refresh", "paint")
    display = App._display

    def _display(app, screen, renderable):
        CLOCK.stack.append([time.perf_counter(), 0.0])
        try:
            display(app, screen, renderable)
        finally:
            start, nested = CLOCK.stack.pop()
            spent = time.perf_counter() - start
            CLOCK.parts["paint"] += spent - nested
            if CLOCK.stack:
                CLOCK.stack[-1][1] += spent
            if renderable is not None:
                CLOCK.displays.append((time.perf_counter(), time.process_time()))

    App._display = _display


def instrument_lab() -> None:
    from tui_lab.runner import LabRunner
    from tui_lab.screens.scenario import ScenarioScreen

    from tui_lab.widgets import frame_view

    for name in ("go", "first"):
        CLOCK.wrap(LabRunner, name, "lab")
    CLOCK.wrap(frame_view, "render_frame", "draw")
    CLOCK.wrap(ScenarioScreen, "_draw", "render")
    draw = ScenarioScreen._draw

    def _draw(screen, frame, *args, **kwargs):
        draw(screen, frame, *args, **kwargs)
        CLOCK.drawn = (frame.index, time.perf_counter())

    ScenarioScreen._draw = _draw
    ahead = ScenarioScreen._ahead

    def _ahead(screen):
        t0, CLOCK.paused = time.perf_counter(), True
        try:
            ahead(screen)
        finally:
            CLOCK.paused = False
            CLOCK.ahead.append(time.perf_counter() - t0)

    ScenarioScreen._ahead = _ahead


class Bare(App):
    """The floor: Textual's own cost of repainting one line of text on a key."""

    BINDINGS = [("right", "move(1)"), ("left", "move(-1)")]

    def __init__(self) -> None:
        super().__init__()
        self.index = 0

    def compose(self):
        yield Header()
        yield Static("step 0", id="step")
        yield Footer()

    def action_move(self, delta: int) -> None:
        t0 = time.perf_counter()
        self.index += delta
        self.query_one("#step", Static).update(f"step {self.index}")
        CLOCK.parts["render"] += time.perf_counter() - t0
        CLOCK.drawn = (self.index, time.perf_counter())


async def quiet(gap: float) -> None:
    """Wait until no update has reached the terminal for `gap` seconds."""
    while True:
        n = len(CLOCK.displays)
        await asyncio.sleep(gap)
        if len(CLOCK.displays) == n:
            return


async def sample(app: App, position, last: int | None, samples: int, gap: float) -> list[dict]:
    """Step through `app` with → and ←, one key at a time; one record per step."""
    app.driver_class = NullTerminal
    out: list[dict] = []
    # Tooltips and notifications on, as in a terminal (run_test turns them off: without a tooltip,
    # each key's look for one to hide makes an error message naming every widget on the screen).
    async with app.run_test(headless=False, size=SIZE, tooltips=True, notifications=True):
        while position() is None:
            await asyncio.sleep(0.05)
        # Steps are measured once torch has loaded, a second or two after a lab opens (while
        # it loads in its thread, the first lab of the run would step slower than the rest).
        warm.start()  # as the screen does once its first frame is painted
        await asyncio.to_thread(warm.wait)
        await quiet(0.3)
        forward = True
        while len(out) < samples:
            at = position()
            if last is not None and at >= last:
                forward = False
            elif at <= 0:
                forward = True
            target = at + (1 if forward else -1)
            CLOCK.reset()
            NullTerminal.written = 0
            t0, c0 = time.perf_counter(), time.process_time()
            app._driver.send_message(_key("right" if forward else "left"))
            while not (CLOCK.drawn and CLOCK.drawn[0] == target
                       and any(t > CLOCK.drawn[1] for t, _ in CLOCK.displays)):
                await asyncio.sleep(0.0002)
                if time.perf_counter() - t0 > 10:
                    raise RuntimeError(f"step {at} → {target}: no frame painted in 10 s")
            painted, cpu = next(d for d in CLOCK.displays if d[0] > CLOCK.drawn[1])
            await quiet(gap)
            out.append({"total": painted - t0, "cpu": cpu - c0, **CLOCK.parts, "updates": len(CLOCK.displays),
                        "bytes": NullTerminal.written})
            if last is None and position() == at:  # the end of a scenario of unknown length
                last = at
    return out


def _key(name: str):
    from textual import events

    return events.Key(name, None)


async def bare(samples: int, gap: float) -> list[dict]:
    app = Bare()
    return await sample(app, lambda: app.index if app.is_running else None, 10, samples, gap)


async def lab(name: str, samples: int, gap: float) -> list[dict]:
    from engine.session import Session
    from scenarios import load
    from tui_lab.app import LabApp
    from tui_lab.keys import scenario_screen

    scenario = load(name)
    last = Session(scenario, device="cpu").last
    screen = scenario_screen(scenario.lab)(scenario, device="cpu")
    app = LabApp(screen=screen)

    def position():
        if screen.session is None or not screen.is_mounted or not screen.query_one("#frame").display:
            return None
        return screen.session.index

    return await sample(app, position, last, samples, gap)


def pct(xs: list[float], q: float) -> float:
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(q * (len(xs) - 1) + 0.5))]


def row(name: str, recs: list[dict], ahead: list[float] = ()) -> str:
    totals = [r["total"] * 1000 for r in recs]
    parts = {p: statistics.median(r[p] for r in recs) * 1000 for p in PARTS}
    other = statistics.median(totals) - sum(parts.values())
    cpu = statistics.median(r["cpu"] for r in recs) * 1000
    return (f"{name:<28} {statistics.median(totals):>6.1f} {pct(totals, 0.95):>6.1f} {max(totals):>6.1f} {cpu:>5.1f}  "
            + " ".join(f"{parts[p]:>6.1f}" for p in PARTS) + f" {max(0.0, other):>6.1f}"
            + f" {statistics.median(ahead) * 1000 if ahead else 0:>6.1f}"
            + f"   {statistics.median(r['updates'] for r in recs):>3.0f} {statistics.median(r['bytes'] for r in recs):>7,.0f}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--samples", type=int, default=200)
    ap.add_argument("--gap", type=float, default=0.05, help="seconds of quiet before the next key")
    ap.add_argument("--scenarios", nargs="*", help="bundled scenario names (default: all but live training)")
    a = ap.parse_args()
    instrument()
    instrument_lab()
    from scenarios import bundled

    names = a.scenarios or [s.name for s in bundled() if s.lab not in LIVE_LABS]
    print(f"key → frame painted, {SIZE[0]}×{SIZE[1]}, {a.samples} steps each, {a.gap * 1000:.0f} ms of quiet "
          f"between keys; times in ms (parts: medians)")
    print(f"{'':<28} {'median':>6} {'p95':>6} {'worst':>6} {'cpu':>5}  " + " ".join(f"{p:>6}" for p in PARTS)
          + f" {'other':>6} {'ahead':>6}   {'upd':>3} {'bytes':>7}")
    floor = asyncio.run(bare(a.samples, a.gap))
    print(row("bare Textual (before)", floor), flush=True)
    results = {}
    for name in names:
        gc.collect()
        CLOCK.ahead.clear()
        results[name] = asyncio.run(lab(name, a.samples, a.gap))
        print(row(name, results[name], CLOCK.ahead), flush=True)
    after = asyncio.run(bare(a.samples, a.gap))
    print(row("bare Textual (after)", after))
    floor += after
    bare_p95 = pct([r["total"] for r in floor], 0.95)
    medians = {n: statistics.median(r["total"] for r in rs) for n, rs in results.items()}
    p95s = {n: pct([r["total"] for r in rs], 0.95) for n, rs in results.items()}
    slow_median = [n for n, m in medians.items() if m > 0.016]
    slow_p95 = [n for n, p in p95s.items() if p > 1.5 * bare_p95]
    print(f"\nbare p95 {bare_p95 * 1000:.1f} ms; goal: median ≤ 16 ms and p95 ≤ {1.5 * bare_p95 * 1000:.1f} ms "
          f"(1.5× bare)")
    print(f"median over 16 ms: {', '.join(slow_median) or 'none'}")
    print(f"p95 over 1.5× bare: {', '.join(slow_p95) or 'none'}")
    print(f"worst p95 / bare p95: {max(p95s.values()) / bare_p95:.2f}× ({max(p95s, key=p95s.get)})")


if __name__ == "__main__":
    main()
