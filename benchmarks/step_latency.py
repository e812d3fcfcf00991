"""Key press to new frame painted, headless, over 200 steps (to the end, then back and forth): median and p95.

The key goes in through the app's own key handling (as a terminal's would); the clock
stops when the app hands the repainted screen with the new frame to its driver. The
Pilot's own `pause()` waits for the whole app to go idle, which takes far longer than a
paint, so it is not used to time anything.
    python benchmarks/step_latency.py [--steps 200] [--scenario NAME]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time

from scenarios.scenario import Scenario
from tui_lab.app import LabApp
from tui_lab.screens.scenario import ScenarioScreen


def big_conv() -> Scenario:
    """A 32×32 convolution: 1,024 steps, each a new cell, frames cropped around the window."""
    from engine.registry import lab_class

    x = [[float((i * 7 + j * 3) % 11) for j in range(32)] for i in range(32)]
    k = [[1, 0, -1], [2, 0, -2], [1, 0, -1]]
    params = lab_class("conv").validate({"input": x, "kernel": k, "padding": 1})
    return Scenario(name="bench", title="step latency", lab="conv", params=params)


async def measure(scenario: Scenario, steps: int, size=(100, 30)) -> list[float]:
    app = LabApp(screen=ScenarioScreen(scenario, device="cpu"))
    painted: list[float] = []
    async with app.run_test(size=size) as pilot:
        display = app._display

        def timed_display(screen, renderable):
            display(screen, renderable)
            painted.append(time.perf_counter())

        app._display = timed_display
        screen = app.screen
        while screen.session is None or not screen.query_one("#frame").display:
            await pilot.pause(0.05)
        await pilot.pause()
        times: list[float] = []
        key, step = "n", 1  # forward to the end, then back and forth: short scenarios give `steps` samples too
        while len(times) < steps:
            before = screen.session.index
            painted.clear()
            t0 = time.perf_counter()
            app.simulate_key(key)
            while not (screen.session.index == before + step and painted and painted[-1] > t0):
                await asyncio.sleep(0.0005)
                if time.perf_counter() - t0 > 5:
                    break  # an end: nothing new to paint
            if screen.session.index == before:
                if key == "p" or before == 0:
                    break
                key, step = "p", -1
                continue
            if screen.session.index == 0:
                key, step = "n", 1
            elif screen.session.index == screen.session.last:
                key, step = "p", -1
            # The paint that shows the new index may be the second after the key.
            while True:
                last = painted[-1]
                await asyncio.sleep(0.02)
                if painted[-1] == last:
                    break
            times.append(last - t0)
    return times


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--steps", type=int, default=200)
    ap.add_argument("--scenario", help="a bundled scenario instead of the 32×32 convolution")
    args = ap.parse_args()
    if args.scenario:
        from scenarios import load

        scenario = load(args.scenario)
    else:
        scenario = big_conv()
    times = sorted(asyncio.run(measure(scenario, args.steps)))
    p95 = times[int(0.95 * (len(times) - 1))]
    print(f"{scenario.name}: step latency over {len(times)} steps: median {statistics.median(times) * 1000:.1f} ms, "
          f"p95 {p95 * 1000:.1f} ms (goal p95 < 30 ms)")


if __name__ == "__main__":
    main()
