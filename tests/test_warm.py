"""The torch warm-up (tui_lab/warm.py) gives way to the app's keys, proved in fresh
interpreters: a warm-up runs once per process."""

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from conftest import ROOT


def _run(code: str) -> str:
    out = subprocess.run([sys.executable, "-c", textwrap.dedent(code)], capture_output=True, text=True, cwd=ROOT,
                         timeout=180)
    assert out.returncode == 0, out.stderr
    return out.stdout.strip()


def test_a_held_warm_up_stops_at_its_next_import_until_released():
    """Held, the warm-up imports nothing more (after finishing the stretch of code it is in)
    and the interpreter lock changes hands rarely; released, it loads torch to the end, and
    the switch interval is Python's own again."""
    out = _run("""
        import sys, time
        from tui_lab import warm
        warm.HOLD_MAX = 60  # only release() ends this hold
        default = sys.getswitchinterval()
        warm.start()
        while "torch._C" not in sys.modules:  # well into the load
            time.sleep(0.001)
        loading = sys.getswitchinterval()
        warm.hold()
        answering = sys.getswitchinterval()
        time.sleep(1.0)  # the stretch it was in ends; then it waits at an import
        before = len(sys.modules)
        time.sleep(0.5)
        still = len(sys.modules) == before and warm.warming()
        warm.release()
        done = warm.wait(120)
        print(loading == warm.LOADING, answering == warm.ANSWERING, still, done, "torch.nn" in sys.modules,
              sys.getswitchinterval() == default)
    """)
    assert out == "True True True True True True"


def test_an_unreleased_hold_lasts_HOLD_MAX_and_a_wait_for_torch_ends_it():
    """A key that paints nothing does not stall the load (each hold lasts HOLD_MAX at most), and
    whoever waits for torch does not wait for a hold to end."""
    out = _run("""
        import sys, time
        from tui_lab import warm
        warm.start()
        t0 = time.monotonic()
        while warm.warming() and time.monotonic() - t0 < 120:
            warm.hold()  # a key every 10 ms, none painted
            time.sleep(0.01)
        loaded = not warm.warming() and "torch" in sys.modules
        print(loaded)
    """)
    assert out == "True"
    out = _run("""
        import sys, time
        from tui_lab import warm
        warm.HOLD_MAX = 600
        warm.start()
        while "torch._C" not in sys.modules:
            time.sleep(0.001)
        warm.hold()
        print(warm.wait(60))
    """)
    assert out == "True"


def _cpu_build() -> bool:
    import importlib.util
    lib = Path(importlib.util.find_spec("torch").origin).parent / "lib"
    return (lib / "libtorch_cpu.so").is_file() and not any(
        (lib / n).exists() for n in ("libtorch_cuda.so", "libtorch_hip.so"))


@pytest.mark.skipif(not sys.platform.startswith("linux") or not _cpu_build(), reason="a CPU build of torch on Linux")
def test_torchs_library_is_loaded_before_torch_and_torch_works_with_it():
    """The C++ library is loaded by libc's dlopen (outside the interpreter lock) without
    importing torch; torch's import then uses that copy, and computes."""
    out = _run("""
        import sys
        from tui_lab import warm
        warm._load_library()
        maps = open("/proc/self/maps").read()
        loaded, imported = "libtorch_cpu.so" in maps, "torch" in sys.modules
        import torch
        copies = {line.split()[-1] for line in open("/proc/self/maps") if line.endswith("libtorch_cpu.so\\n")}
        print(loaded, imported, len(copies), float(torch.ones(3).sum()))
    """)
    assert out == "True False 1 3.0"


def test_a_key_holds_the_warm_up_and_the_paint_releases_it(monkeypatch):
    """The app holds the warm-up for a key and a mouse click, not for a moving mouse, and lets
    it go at the next paint."""
    import asyncio

    from textual import events

    from tui_lab import warm
    from tui_lab.app import LabApp

    calls = []
    monkeypatch.setattr(warm, "hold", lambda: calls.append("hold"))
    monkeypatch.setattr(warm, "release", lambda: calls.append("release"))

    async def main():
        app = LabApp()
        async with app.run_test(size=(100, 30)) as pilot:
            await pilot.pause()
            calls.clear()
            app.post_message(events.MouseMove(None, 5, 5, 0, 0, 0, False, False, False))
            await pilot.pause()
            moved = list(calls)
            calls.clear()
            await pilot.press("down")
            await pilot.pause()
            return moved, list(calls)

    moved, pressed = asyncio.run(main())
    assert "hold" not in moved
    assert pressed[0] == "hold" and "release" in pressed
