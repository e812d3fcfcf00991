"""Key press to new frame painted, headless, over 200 steps: median and p95.

Uses a convolution large enough for 200 steps, so every step computes a new cell.
    python benchmarks/step_latency.py [--steps 200]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time

from engine.session import Scenario
from tui_lab.app import LabApp
from tui_lab.screens.scenario import ScenarioScreen


def scenario() -> Scenario:
    from engine.registry import lab_class

    x = [[float((i * 7 + j * 3) % 11) for j in range(32)] for i in range(32)]
    k = [[1, 0, -1], [2, 0, -2], [1, 0, -1]]
    params = lab_class("conv").validate({"input": x, "kernel": k, "padding": 1})
    return Scenario(name="bench", title="step latency", lab="conv", params=params)


async def measure(steps: int) -> list[float]:
    app = LabApp(screen=ScenarioScreen(scenario(), device="cpu"))
    times: list[float] = []
    async with app.run_test(size=(100, 30)) as pilot:
        screen = app.screen
        while screen.session is None or not screen.query_one("#frame").display:
            await pilot.pause(0.05)
        for _ in range(steps):
            before = screen.index
            t0 = time.perf_counter()
            await pilot.press("n")
            # Wait until the new frame has been painted (the compositor has refreshed).
            await pilot.wait_for_scheduled_animations()
            await pilot.pause()
            assert screen.index == before + 1
            times.append(time.perf_counter() - t0)
    return times


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--steps", type=int, default=200)
    args = ap.parse_args()
    times = asyncio.run(measure(args.steps))
    times.sort()
    p95 = times[int(0.95 * (len(times) - 1))]
    print(f"step latency over {len(times)} steps: median {statistics.median(times) * 1000:.1f} ms, p95 {p95 * 1000:.1f} ms (goal p95 < 30 ms)")


if __name__ == "__main__":
    main()
