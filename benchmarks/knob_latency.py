"""Knob key to repainted frame, headless: median and p95 for every bundled scenario with knobs.

Each scenario opens at its middle step (where a person turning knobs usually is), then each
of its knobs in turn goes one step up (`.`) and back down (`,`), until `--turns` turns are
timed. The key goes in through the app's own key handling; the clock stops when the app
hands the screen showing the recomputed frame to its driver (as in step_latency.py). A turn
the lab refuses (the value would break the scenario) is counted, not timed. Live training
labs are left out: their knobs apply from the next iteration and recompute nothing.
    python benchmarks/knob_latency.py [--turns 40] [--scenario NAME ...] [--size 100x30] [--by-knob]

--by-knob also prints each knob's turns (median and worst): a knob that every path depends on
(an optimizer scenario's start point or surface) recomputes them all, one that belongs to one
optimizer recomputes that one alone.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # this checkout's code, not an installed one

from scenarios import bundled, load  # noqa: E402
from scenarios.scenario import Scenario  # noqa: E402
from tui_lab.app import LabApp  # noqa: E402
from tui_lab.keys import scenario_screen  # noqa: E402

GOAL_MS = 50  # issue 14: p95 under 50 ms for every bundled scenario
LIVE = ("charrnn", "pretrain", "train")


@dataclass
class Result:
    name: str
    step: int
    knobs: int
    times: list[float]
    refused: int
    by_knob: dict[str, list[float]] = field(default_factory=dict)

    def line(self) -> str:
        if not self.times:
            return f"{self.name:34} step {self.step:>4}: no turn timed ({self.refused} refused)"
        times = sorted(self.times)
        p95 = times[int(0.95 * (len(times) - 1))]
        flag = "" if p95 * 1000 < GOAL_MS else f"  (over the {GOAL_MS} ms goal)"
        return (f"{self.name:34} step {self.step:>4}, {self.knobs:>2} knobs, {len(times):>3} turns: "
                f"median {statistics.median(times) * 1000:6.1f} ms, p95 {p95 * 1000:6.1f} ms"
                f"{f', {self.refused} refused' if self.refused else ''}{flag}")


async def settle(painted: list[float]) -> float:
    """The last paint once the screen has stopped repainting."""
    while True:
        last = painted[-1]
        await asyncio.sleep(0.02)
        if painted[-1] == last:
            return last


async def measure(scenario: Scenario, turns: int, size: tuple[int, int]) -> Result:
    app = LabApp(screen=scenario_screen(scenario.lab)(scenario, device="cpu"))
    painted: list[float] = []
    result = Result(scenario.name, 0, 0, [], 0)
    async with app.run_test(size=size) as pilot:
        display = app._display

        def timed_display(screen, renderable):
            display(screen, renderable)
            painted.append(time.perf_counter())

        app._display = timed_display
        screen = app.screen
        while screen.session is None or not screen.query_one("#frame").display:
            await pilot.pause(0.05)
        knobs = screen.session.knobs()
        result.knobs = len(knobs)
        if not knobs:
            return result
        last = screen.session.last if screen.session.last is not None else 0
        result.step = last // 2
        screen.runner.go(result.step)
        while screen.session.index != result.step:
            await pilot.pause(0.05)
        await pilot.pause()
        k = 0
        while len(result.times) + result.refused < turns:
            for key in ("full_stop", "comma"):  # up, then back to where it was
                before, notes = screen.session, len(app._notifications)
                painted.clear()
                t0 = time.perf_counter()
                app.simulate_key(key)
                while not (screen.session is not before and painted and painted[-1] > t0):
                    await asyncio.sleep(0.0005)
                    if len(app._notifications) > notes or time.perf_counter() - t0 > 10:
                        break
                if screen.session is before:  # refused (or at the end of its range): nothing recomputed
                    result.refused += 1
                    await pilot.pause(0.05)
                    break
                took = await settle(painted) - t0
                result.times.append(took)
                label = knobs[screen.knob_index % len(knobs)].label
                result.by_knob.setdefault(label, []).append(took)
            k += 1
            app.simulate_key("right_square_bracket")  # the next knob (not timed)
            await pilot.pause(0.02)
            if k > 4 * turns:
                break
    return result


def scenarios(names: list[str] | None) -> list[Scenario]:
    if names:
        return [load(n) for n in names]
    return [load(s.name) for s in bundled() if load(s.name).lab not in LIVE]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--turns", type=int, default=40, help="turns timed per scenario")
    ap.add_argument("--scenario", nargs="*", help="bundled scenarios (default: every one that is not live)")
    ap.add_argument("--size", default="100x30", help="terminal size, COLSxROWS")
    ap.add_argument("--by-knob", action="store_true", help="also each knob's median and worst turn")
    args = ap.parse_args()
    cols, rows = (int(x) for x in args.size.split("x"))
    everything: list[float] = []
    for scenario in scenarios(args.scenario):
        result = asyncio.run(measure(scenario, args.turns, (cols, rows)))
        if result.knobs:
            print(result.line(), flush=True)
            if args.by_knob:
                for label, times in result.by_knob.items():
                    print(f"    {label:30} {len(times):>3} turns: median {statistics.median(times) * 1000:6.1f} ms, "
                          f"worst {max(times) * 1000:6.1f} ms", flush=True)
            everything += result.times
    if everything:
        everything.sort()
        p95 = everything[int(0.95 * (len(everything) - 1))]
        print(f"{'all':34} {len(everything)} turns: median {statistics.median(everything) * 1000:.1f} ms, "
              f"p95 {p95 * 1000:.1f} ms (goal p95 < {GOAL_MS} ms per scenario)")


if __name__ == "__main__":
    main()
