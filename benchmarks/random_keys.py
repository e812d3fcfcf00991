"""Random keys and resizes against every bundled scenario: no key sequence may crash the app.

Each run opens a scenario as `tui-lab open NAME --device cpu` does and presses seeded random
keys: every key bound where the app is at that moment, the lab's own keys, letters, digits,
arrows, escape, ctrl+p, enter, tab, and resizes between 20×8 and 120×40. A run fails when
the app raises (Textual catches the exception, records it and exits: `app._exception`), exits
without a quit key, or stops answering. Quitting on purpose (q on the home screen, the
palette's Quit) opens the scenario again and goes on.

Before a release:
    python benchmarks/random_keys.py --seed 1 --minutes 30
prints every exception found with the key sequence that reproduces it, as
    python benchmarks/random_keys.py --scenario NAME --keys "n e resize:40x12 …"
The suite runs a short, fixed-seed share of this (tests/test_random_keys.py).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import string
import sys
import tempfile
import time
import traceback
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))  # this checkout's code, not an installed copy

os.environ.setdefault("TEXTUAL_ANIMATIONS", "none")

from tui_lab.screens.too_small import MIN_HEIGHT, MIN_WIDTH  # noqa: E402

SMALLEST, LARGEST = (20, 8), (120, 40)
USABLE = (MIN_WIDTH, MIN_HEIGHT)
START_SIZE = (100, 30)
# Keys a person may press anywhere, bound or not. ctrl+q is left out: it always quits, and a
# run that quits every few keys tests little.
BASE_KEYS = (list(string.ascii_lowercase) + list("ABEFNPQSZ") + list(string.digits)
             + ["up", "down", "left", "right", "escape", "ctrl+p", "enter", "tab", "shift+tab", "space",
                "home", "end", "pageup", "pagedown", "backspace", "plus", "minus", "equals_sign",
                "question_mark", "slash", "left_square_bracket", "right_square_bracket", "ctrl+s", "ctrl+r"])
# Binding actions that end the app on purpose; after them the run starts the scenario again.
QUITS = {"quit", "app.quit", "back", "close"}
STALL_S = 60.0  # a key the app has not finished handling after this long is a hang


@dataclass
class Finding:
    scenario: str
    keys: list[str]
    what: str  # "exception", "exited", "hung"
    error: str = ""

    def report(self) -> str:
        keys = " ".join(self.keys)
        return (f"{self.scenario}: {self.what} after {len(self.keys)} keys\n  {self.error}\n"
                f"  reproduce: python benchmarks/random_keys.py --scenario {self.scenario} --keys \"{keys}\"")


@dataclass
class Chooser:
    """The next key: from what is bound where the app is now, from the lab's own keys, or from
    anything a person might press; now and then a resize."""

    rng: random.Random
    lab_keys: list[str] = field(default_factory=list)

    def next(self, app) -> str:
        roll = self.rng.random()
        if roll < 0.08:
            # One resize in four anywhere in the range (mostly below the app's minimum, which
            # only shows a note); the rest large enough for the lab to go on taking keys.
            low = SMALLEST if self.rng.random() < 0.25 else USABLE
            w = self.rng.randint(low[0], LARGEST[0])
            h = self.rng.randint(low[1], LARGEST[1])
            return f"resize:{w}x{h}"
        if roll < 0.5:
            bound = sorted(k for k in _active_keys(app) if k != "ctrl+q")
            if bound:
                return self.rng.choice(bound)
        if roll < 0.6 and self.lab_keys:
            return self.rng.choice(self.lab_keys)
        key = self.rng.choice(BASE_KEYS)
        # Typed text goes into path fields too (save, edit): no '/' there, so no run writes
        # outside the scratch folder it works in.
        if key == "slash" and type(app.screen).__name__ != "HomeScreen":
            key = "s"
        return key


def _active_keys(app) -> list[str]:
    try:
        return list(app.active_bindings)
    except Exception:  # the screen stack is changing under us
        return []


def _quits(app, key: str) -> bool:
    """Whether `key` is one that may end the app on purpose, where the app is now."""
    if key == "enter" and type(app.screen).__name__ == "CommandPalette":
        return True  # the palette runs the command the keys chose, Quit among them
    try:
        active = app.active_bindings.get(key)
    except Exception:
        return False
    return active is not None and active.binding.action in QUITS


def lab_keys(name: str) -> list[str]:
    """The lab's own keys (view keys and engine keys), handled outside the bindings."""
    from scenarios import load

    try:
        from engine.registry import lab_class
        from tui_lab.render import view_keys

        lab = load(name).lab
        return sorted({k for k, *_ in view_keys(lab)} | {k for k, *_ in getattr(lab_class(lab), "KEYS", ())})
    except Exception:
        return []


def _describe(exc: BaseException) -> str:
    """The exception and the innermost line of this project's code it came through."""
    root = exc
    while root.__cause__ is not None or root.__context__ is not None:
        root = root.__cause__ or root.__context__
    ours = [f for e in (exc, root) for f in traceback.extract_tb(e.__traceback__)
            if f.filename.startswith(str(ROOT)) and "/benchmarks/" not in f.filename]
    where = f" ({Path(ours[-1].filename).relative_to(ROOT)}:{ours[-1].lineno} in {ours[-1].name})" if ours else ""
    return f"{type(exc).__name__}: {exc}{where}"


async def _press(pilot, key: str) -> None:
    if key.startswith("resize:"):
        w, h = map(int, key.split(":", 1)[1].split("x"))
        await pilot.resize_terminal(w, h)
    else:
        await pilot.press(key)


async def run(name: str, keys: list[str] | None = None, rng: random.Random | None = None,
              count: int = 0, deadline: float | None = None) -> Finding | None:
    """Press `keys` (or `count` chosen by `rng`, or until `deadline`) in scenario `name`;
    the first finding, or None. Quitting on purpose opens the scenario again."""
    from tui_lab.app import LabApp

    chooser = Chooser(rng or random.Random(0), lab_keys(name))
    pressed: list[str] = []
    todo = list(keys) if keys is not None else None

    def more() -> bool:
        if todo is not None:
            return bool(todo)
        if deadline is not None:
            return time.monotonic() < deadline
        return len(pressed) < count

    while more():
        app = LabApp(scenario=name, device="cpu")
        quit_on_purpose = False
        try:
            async with app.run_test(size=START_SIZE) as pilot:
                while more():
                    key = todo.pop(0) if todo is not None else chooser.next(app)
                    quit_on_purpose = _quits(app, key)
                    pressed.append(key)
                    try:
                        await asyncio.wait_for(_press(pilot, key), STALL_S)
                    except asyncio.TimeoutError:
                        return Finding(name, pressed, "hung", f"no answer to {key!r} within {STALL_S:.0f} s")
                    if app._exception is not None:
                        app._exit_renderables.clear()  # reported here, not as a traceback on stdout
                        break  # raised again as the run_test block ends
                    if app._exit or app.return_code is not None:
                        if not quit_on_purpose:
                            return Finding(name, pressed, "exited",
                                           f"the app exited with status {app.return_code} after {key!r}, not a quit key")
                        break
        except Exception as exc:  # the app's own exception, raised again by run_test
            return Finding(name, pressed, "exception", _describe(app._exception or exc))
        if app._exception is not None:
            return Finding(name, pressed, "exception", _describe(app._exception))
        if not quit_on_purpose:
            break
    return None


def shrink(finding: Finding, tries: int = 40) -> Finding:
    """A shorter key sequence that gives the same error: chunks are dropped while it still does."""
    keys, best = list(finding.keys), finding
    chunk = max(1, len(keys) // 2)
    while chunk >= 1 and tries > 0:
        at, removed = 0, False
        while at < len(keys) and tries > 0:
            candidate = keys[:at] + keys[at + chunk:]
            tries -= 1
            again = asyncio.run(run(finding.scenario, keys=candidate)) if candidate else None
            if again is not None and again.what == finding.what and again.error == finding.error:
                keys, best, removed = again.keys, again, True
            else:
                at += chunk
        if not removed:
            chunk //= 2
    return best


def main(argv: list[str] | None = None) -> int:
    from scenarios.loader import bundled_paths

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--minutes", type=float, default=10.0, help="total time for key presses")
    parser.add_argument("--scenario", action="append", help="only these scenarios (repeatable)")
    parser.add_argument("--keys", help="replay this key sequence (space-separated, as printed) instead")
    parser.add_argument("--no-shrink", action="store_true", help="report sequences as found, not shortened")
    args = parser.parse_args(argv)

    names = args.scenario or [p.stem for p in bundled_paths()]
    findings: list[Finding] = []
    with tempfile.TemporaryDirectory(prefix="random-keys-") as scratch:
        os.chdir(scratch)  # whatever a save key writes lands here
        if args.keys is not None:
            finding = asyncio.run(run(names[0], keys=args.keys.split()))
            print(finding.report() if finding else f"{names[0]}: no exception")
            return 1 if finding else 0
        rng = random.Random(args.seed)
        end = time.monotonic() + args.minutes * 60
        share = max(5.0, args.minutes * 60 / len(names) / 2)  # two rounds or more, scenarios in a new order each
        rounds = 0
        while time.monotonic() < end:
            for name in rng.sample(names, len(names)):
                finding = asyncio.run(run(name, rng=random.Random(rng.random()),
                                          deadline=min(end, time.monotonic() + share)))
                if finding:
                    finding = finding if args.no_shrink else shrink(finding)
                    findings.append(finding)
                    print(finding.report(), flush=True)
                if time.monotonic() >= end:
                    break
            rounds += 1
    print(f"seed {args.seed}: {rounds} round(s) over {len(names)} scenarios, {len(findings)} finding(s)")
    return 1 if findings else 0


if __name__ == "__main__":
    sys.exit(main())
