"""The boundary between engine, replay and the app, proved in fresh interpreters."""

import subprocess
import sys
import textwrap

from conftest import ROOT


# Every lab's engine module, imported in the fresh interpreter before the check.
IMPORT_LABS = """
import sys, importlib
from engine.registry import LABS
for m in LABS.values():
    importlib.import_module(m)
"""


def _run(code: str) -> str:
    code = IMPORT_LABS + textwrap.dedent(code)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert out.returncode == 0, out.stderr
    return out.stdout.strip()


def test_engine_and_replay_do_not_import_textual():
    out = _run("""
        import io
        import engine.session, scenarios
        import tui_lab.replay
        from scenarios import load
        tui_lab.replay.replay(load("conv-sobel"), "json", io.StringIO(), device="cpu")
        print("textual" in sys.modules)
    """)
    assert out == "False"


def test_engine_modules_import_no_ui():
    out = _run("""
        print(sorted(k for k in sys.modules if k.split('.')[0] in ('textual', 'rich')))
    """)
    assert out == "[]"


def test_engine_modules_load_torch_lazily():
    out = _run("""
        import scenarios
        scenarios.bundled()
        print('torch' in sys.modules)
    """)
    assert out == "False"


def test_torch_waits_for_the_home_screens_first_paint():
    """torch is not imported before the home screen's first paint, and is warmed in the
    background after it (DESIGN.md), so a lab opened later need not wait for it."""
    out = _run("""
        import asyncio, sys
        from tui_lab import warm
        from tui_lab.app import LabApp
        async def main():
            app = LabApp()
            at_paint = []
            app.post_display_hook = lambda: at_paint.append('torch' in sys.modules)
            async with app.run_test(size=(100, 30)) as pilot:
                await pilot.pause()
                assert at_paint, "no paint"
                warmed = await asyncio.get_running_loop().run_in_executor(None, warm.wait, 120)
                print(type(app.screen).__name__, at_paint[0], warmed and 'torch' in sys.modules)
        asyncio.run(main())
    """)
    assert out == "HomeScreen False True"
