"""torch imported in a background thread once the home screen has painted, so opening a
lab a few seconds later does not wait a second or two for it (nor the arch lab another
second for what its first meta-device operation loads).

Only torch is warmed here. Two threads importing a package and its submodules at once can
deadlock in Python's import system (one holds `torch.nn`'s lock and waits for `torch`, the
other holds `torch` and wants `torch.nn`); with one thread importing torch and everyone else
that needs it waiting for that thread (`wait`), they never meet. So every worker that runs
a torch lab's code waits for the warm-up first (starting it, if the screen has not yet).
A lab whose numbers are numpy (`Lab.uses_torch` false: conv, lstm, pretrain; torch only
checks the last frame) does not wait, so `tui-lab open` paints its first frame without
importing torch at all, and its steps and knobs answer while torch loads: such a lab
reaches torch only through a plain `import torch` first (inside a function), which waits on
the warm-up's module lock and holds none of its own. A lab whose first frames need no torch
(`Lab.torch_from`: arch's input, checked against nothing) opens the same way; its workers
wait for the warm-up only for a frame from there on (arch's frames are built lazily, when
first read, on the app's thread: only ever after such a worker has waited). The app's own
thread computes a step only once torch is `ready` (before that, steps go to a worker), so
it never waits for torch. Our own modules never import torch when they are imported
(tests/test_boundary.py).
"""

from __future__ import annotations

import atexit
import gc
import sys
import threading
import weakref
from typing import Any

_lock = threading.Lock()
_thread: threading.Thread | None = None
_done = threading.Event()


def start() -> None:
    """Begin warming, once per process (later calls do nothing)."""
    global _thread
    with _lock:
        if _thread is None and "torch" not in sys.modules:
            # Quitting while torch still loads: the interpreter must not end under that thread
            # (it aborts or segfaults inside torch's C++ as the process is torn down). The wait
            # must come before weakref's finalizers run at exit (torch registers some as it
            # loads; run early, they fail with a screenful of "Exception ignored"): exit hooks
            # run last-registered first, so weakref's own hook is registered here, before ours.
            weakref.finalize(_done, lambda: None)
            atexit.register(_done.wait, 60)
            _thread = threading.Thread(target=_run, name="tui-lab warm-up", daemon=True)
            _thread.start()


def wait(timeout: float | None = None) -> bool:
    """Block until a warm-up under way has finished (at once when none was started)."""
    return _thread is None or _done.wait(timeout)


def wait_for(scenario: Any, device: str, upto: int | None = None, opening: bool = False) -> None:
    """Wait for torch where work on `scenario` needs it: its frames from `Lab.torch_from` on, up
    to `upto` (None: any, as in a live run or a lab's own key), and, `opening` it, a device that
    only torch can name. Frames before torch_from (arch's input) are computed while torch loads;
    a numpy lab goes on, reaching torch (its last step's check) by a plain `import torch`."""
    from engine.core.device import needs_torch
    from engine.registry import lab_class
    from engine.session import resolves

    cls = lab_class(scenario.lab)
    first = cls.torch_from(scenario.params)
    if (first is not None and (upto is None or upto >= first)) or (
            opening and resolves(cls, device) and needs_torch(device)):
        # Opened straight from the command line, a key may ask for such a frame before the
        # screen has started the warm-up: start it, so that this thread waits for the one
        # thread importing torch rather than importing it beside it (or the app's thread,
        # reading the lazy frame, doing so).
        start()
        wait()


def ready() -> bool:
    """torch is imported and no warm-up is under way: code that uses it runs at once."""
    return "torch" in sys.modules and not warming()


def failed() -> bool:
    """A warm-up has finished without torch (a broken install says so when a lab needs it)."""
    return _done.is_set() and "torch" not in sys.modules


def warming() -> bool:
    return _thread is not None and not _done.is_set()


def _run() -> None:
    # While torch loads, the app's thread takes the GIL back every millisecond instead of
    # every five, so a key on the home screen is handled as soon as it arrives. (torch's C
    # extension still holds it for ~0.2 s while it initialises; that part comes first, in
    # the fraction of a second after the first paint before a person has read the screen.)
    interval = sys.getswitchinterval()
    sys.setswitchinterval(min(interval, 0.001))
    # torch brings ~1e6 long-lived objects: no collections while they arrive, then they are
    # frozen, so no later full collection walks them (a ~100 ms pause in the middle of a step).
    collecting = gc.isenabled()
    gc.disable()
    try:
        import torch

        # The arch lab traces shapes on the meta device; torch loads its decompositions (and
        # sympy) at the first meta-device operation, another second the first time.
        torch.relu(torch.empty(1, device="meta"))
        import torch.utils.flop_counter  # noqa: F401 - the arch lab's checks count with it
    except Exception:  # a broken torch says so when a lab that needs it opens
        pass
    finally:
        gc.freeze()
        if collecting:
            gc.enable()
        sys.setswitchinterval(interval)
        _done.set()
