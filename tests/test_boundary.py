"""The boundary between engine, replay and the app, proved in fresh interpreters."""

import subprocess
import sys
import textwrap

import pytest

from conftest import ROOT


# Every lab's engine module, imported in the fresh interpreter before the check.
IMPORT_LABS = """
import sys, importlib
from engine.registry import LABS
for m in LABS.values():
    importlib.import_module(m)
"""


# A scenario screen's first frame: `drawn` is set once a frame has been drawn (the paint after it shows it).
DRAWN = """
from tui_lab.screens.scenario import ScenarioScreen
drawn = []
draw = ScenarioScreen._draw
def _draw(screen, *args, **kwargs):
    draw(screen, *args, **kwargs)
    drawn.append(True)
ScenarioScreen._draw = _draw
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


def test_the_app_imports_neither_numpy_nor_torch():
    """The home screen's first paint needs neither: numpy costs ~75 ms of start-up (it came in
    once through the widgets package, imported for the home screen's description box)."""
    out = subprocess.run([sys.executable, "-c", "import sys, tui_lab.app; "
                          "print('numpy' in sys.modules, 'torch' in sys.modules)"],
                         capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "False False"


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


@pytest.mark.parametrize("name", ["conv-sobel", "lstm-gates"])
def test_a_numpy_lab_opened_from_the_command_line_paints_before_torch_loads(name):
    """conv and lstm compute in numpy (torch only checks their last frame): opened straight
    from `tui-lab open`, their first frame is painted without importing torch; torch loads
    after that, and stepping to the end (whose check imports it) works, whenever it arrives."""
    out = _run(DRAWN + textwrap.dedent(f"""
        import asyncio, sys
        from tui_lab import warm
        from tui_lab.app import LabApp
        at_paint = []
        async def main():
            app = LabApp(scenario={name!r}, device="cpu")
            app.post_display_hook = lambda: drawn and at_paint.append('torch' in sys.modules)
            async with app.run_test(size=(100, 30)) as pilot:
                while not at_paint:
                    await pilot.pause(0.01)
                torch_at_first_frame = at_paint[0]
                await pilot.press("end", "end")
                while app.screen.runner.target is not None or app.screen.runner.session.computed < (app.screen.runner.session.last or 0):
                    await pilot.pause(0.05)
                await pilot.pause()
                check = app.screen.runner.session.frame.values.get("check")
                print(torch_at_first_frame, 'torch' in sys.modules, check is not None and check["ok"])
        asyncio.run(main())
    """))
    assert out == "False True True"


@pytest.mark.parametrize("name,device,steps", [("arch-alexnet", "auto", 3),
                                               # the same path with the device named: in the full run
                                               pytest.param("arch-why-conv", "cpu", 3, marks=pytest.mark.slow),
                                               ("optim-zigzag", "auto", 3), ("train-five-steps", "auto", 9),
                                               # the data and the model; the first layer's norm, checked
                                               pytest.param("train-dilution", "auto", 2, marks=pytest.mark.slow),
                                               # the text and the model's shapes; the check at iteration 20
                                               ("charrnn-min-char-rnn", "auto", 5)])
def test_a_lab_opened_from_the_command_line_paints_its_first_frames_before_torch_loads(name, device, steps):
    """arch's frame 0 is formulas alone (Lab.torch_from = 1), as are optim's start point (its ∇f
    is the formula's own derivative), the five steps up to the error (numpy), the training lab's
    data and model and the char-RNN's text and model shapes: opened straight
    from `tui-lab open`
    (`--device auto`, as the command line's default, where torch is a CPU-only build), it is
    painted without importing torch, and the status says torch is loading; → → → pressed at
    once are kept, computed once torch has loaded, and the frame they reach carries its torch
    check (✓); the note goes once torch is there."""
    out = _run(DRAWN + textwrap.dedent(f"""
        import asyncio, sys
        from engine.core.device import needs_torch
        from tui_lab import warm
        from tui_lab.app import LabApp
        from tui_lab.lab_work import LOADING_TORCH
        from tui_lab.widgets import StatusBar
        if needs_torch({device!r}):
            print("skip: only torch can name the device here")
            sys.exit()
        at_paint, notes = [], set()
        async def main():
            app = LabApp(scenario={name!r}, device={device!r})
            def painted():
                if drawn:
                    at_paint.append('torch' in sys.modules)
                    notes.add(app.screen.query_one(StatusBar).busy if not warm.ready() else "")
            app.post_display_hook = painted
            async with app.run_test(size=(100, 30)) as pilot:
                while not at_paint:
                    await pilot.pause(0.01)
                await pilot.press(*["right"] * {steps})
                runner = app.screen.runner
                while runner.session.index < {steps}:
                    await pilot.pause(0.05)
                while app.screen.query_one(StatusBar).busy:
                    await pilot.pause(0.05)
                check = runner.session.frame.values.get("check")
                print(at_paint[0], LOADING_TORCH in notes, runner.session.index, check is not None and check["ok"])
        asyncio.run(main())
    """))
    if out.startswith("skip:"):
        pytest.skip(out)
    assert out == f"False True {steps} True"


def test_arch_shows_what_comes_before_torch_from_without_torch():
    """Lab.torch_from is a promise the app relies on (it computes those frames while torch loads,
    in a worker that does not wait for it): every bundled arch, optim and train scenario whose
    frames before torch_from are torch-free (all but a model from code, a swarm, noise; training,
    dilution and search show the data and the model first) opens and shows
    each of them without importing torch, and the memory calculator (None) all of its frames."""
    out = _run("""
        from engine.registry import lab_class
        from engine.session import Session
        from scenarios.loader import bundled_paths, load
        seen = []
        for p in bundled_paths():
            if not p.stem.startswith(("arch-", "optim-", "train-")):  # some other labs' scenarios read a torch checkpoint
                continue
            scenario = load(p.stem)
            first = lab_class(scenario.lab).torch_from(scenario.params)
            if first == 0:
                continue
            session = Session(scenario, device="cpu")
            for i in range(session.count if first is None else first):
                session.goto(i)
                session.frame.caption, session.frame.values
            seen.append(p.stem)
        print(sum(s.startswith("arch-") for s in seen), sum(s.startswith("optim-") for s in seen),
              seen[-1] if seen[-1].startswith("train-") else None, 'arch-memory' in seen, 'torch' in sys.modules)
    """)
    assert out == "9 5 train-search True False"


def test_auto_names_the_cpu_without_torch_only_where_torch_would():
    """`--device auto` where torch is a CPU-only build (not on a Mac) is the CPU, known from
    torch/version.py without the 1.5 s import; the answer is the one torch gives once loaded."""
    out = _run("""
        from engine.core import device
        quick = not device.needs_torch("auto")
        named = device.resolve("auto")
        imported = 'torch' in sys.modules
        import torch
        print(quick, imported, named == device.resolve("auto"), device.needs_torch("auto"))
    """)
    quick, imported, same, after = out.split()
    if quick == "False":
        pytest.skip("torch here is not a CPU-only build: only torch can say what 'auto' is")
    assert (imported, same, after) == ("False", "True", "True")


def test_a_gpu_this_machine_cannot_have_is_refused_before_torch_loads():
    """`tui-lab open X --device cuda` on a CPU-only torch build: one line and exit 2 before any
    screen (it had opened the app to say "Cannot continue"); the line is the one torch's own
    answer gives, and torch is not imported to find it."""
    out = _run("""
        from engine.core import device
        if not device._cpu_only_build():
            print("skip")
            raise SystemExit
        said = []
        for name in ("cuda", "cuda:1", "cpu", "auto"):
            try:
                device.refuse_early(name)
                said.append("ok")
            except device.DeviceError as exc:
                said.append(str(exc))
        imported = 'torch' in sys.modules
        try:
            device.resolve("cuda")
        except device.DeviceError as exc:
            print(imported, said[0] == str(exc), said[1].startswith("device 'cuda:1' was asked for"), said[2:])
    """)
    if out == "skip":
        pytest.skip("torch here is not a CPU-only build: only torch can say whether a GPU is there")
    assert out == "False True True ['ok', 'ok']", out


def test_open_with_a_gpu_this_machine_cannot_have_exits_2(cli, monkeypatch):
    from engine.core import device
    from tui_lab.app import LabApp

    if not device._cpu_only_build():
        pytest.skip("torch here is not a CPU-only build")
    monkeypatch.setattr(LabApp, "run", lambda self: pytest.fail("the app opened"))
    r = cli("open", "conv-sobel", "--device", "cuda")
    assert r.returncode == 2 and r.stdout == ""
    assert r.stderr.count("\n") == 1 and "device 'cuda' was asked for" in r.stderr and "CPU build" in r.stderr
