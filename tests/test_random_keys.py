"""No key sequence crashes the app: seeded random keys and resizes over every bundled scenario.

One budget for the suite: TUI_LAB_KEYS key presses in all (1,500 unless set: about a minute
of CPU on a 2-core machine), shared evenly by the bundled scenarios. The sequences come from
TUI_LAB_KEYS_SEED (0 unless set), so a CI run is reproducible and another seed explores other
sequences. Before a release run the longer `python benchmarks/random_keys.py --minutes 30`;
it prints every exception with the key sequence that reproduces it.
"""

from __future__ import annotations

import importlib.util
import os
import random
import sys

import pytest

from conftest import ROOT
from scenarios.loader import bundled_paths

_spec = importlib.util.spec_from_file_location("random_keys", ROOT / "benchmarks" / "random_keys.py")
random_keys = sys.modules["random_keys"] = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(random_keys)

SEED = int(os.environ.get("TUI_LAB_KEYS_SEED", "0"))
TOTAL = int(os.environ.get("TUI_LAB_KEYS", "1500"))
NAMES = [p.stem for p in bundled_paths()]
PER_SCENARIO = max(10, TOTAL // len(NAMES))


class KnownCrash(AssertionError):
    """A crash the random keys found that is reported and not fixed yet."""


# Crashes found with seed 0, each reproduced by the key sequence in its reason; xfail (not
# strict) until fixed. Only that crash is expected: any other finding fails the test.
KNOWN: dict[str, tuple[str, str]] = {}  # none known: every crash it finds fails the test


def _params():
    out = []
    for name in NAMES:
        if name in KNOWN:
            out.append(pytest.param(name, marks=pytest.mark.xfail(strict=False, raises=KnownCrash, reason=KNOWN[name][1])))
        else:
            out.append(name)
    return out


@pytest.mark.slow
@pytest.mark.parametrize("name", _params())
async def test_random_keys_do_not_crash_the_app(name, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # whatever a save key writes lands here
    finding = await random_keys.run(name, rng=random.Random(f"{SEED}:{name}"), count=PER_SCENARIO)
    if finding is not None and name in KNOWN and KNOWN[name][0] in finding.error:
        raise KnownCrash(finding.report())
    assert finding is None, finding.report()


async def test_the_driver_sees_a_crash_and_an_exit(tmp_path, monkeypatch):
    """The random-key driver itself: an exception inside a key handler and an exit without a
    quit key are both findings, with the keys that led to them; q on the home screen is not."""
    from tui_lab.screens.scenario import ScenarioScreen

    monkeypatch.chdir(tmp_path)

    def boom(self):
        raise ZeroDivisionError("planted")

    monkeypatch.setattr(ScenarioScreen, "action_finish", boom)
    found = await random_keys.run("conv-sobel", keys=["n", "resize:90x25", "f", "n"])
    assert found is not None and found.what == "exception" and found.keys == ["n", "resize:90x25", "f"]
    assert found.error.startswith("ZeroDivisionError: planted (tests/test_random_keys.py:")
    assert '--keys "n resize:90x25 f"' in found.report()

    monkeypatch.setattr(ScenarioScreen, "action_finish", lambda self: self.app.exit())
    found = await random_keys.run("conv-sobel", keys=["n", "f", "n"])
    assert found is not None and found.what == "exited" and found.keys == ["n", "f"]

    assert await random_keys.run("conv-sobel", keys=["q", "q", "n"]) is None  # back, quit, open again
