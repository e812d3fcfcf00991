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

While torch loads, the app's thread and the warm-up share the interpreter lock, and a key
on the home screen took twice as long at the 95th percentile. Three things keep it near
what it costs once torch has loaded:
- torch's 430 MB C++ library is loaded first through the C library's dlopen, which runs
  without the lock (Python's own import of a C extension keeps it, and the app's thread
  stood still for ~0.2 s while the library's static constructors ran);
- the app `hold`s the warm-up while it answers a key, from the key's arrival to the next
  paint (`release`): the warm-up stops at its next import (torch makes ~1,800, most a
  millisecond or two apart) until then, or HOLD_MAX at most (a key that paints nothing);
- the lock changes hands every LOADING seconds while the app is idle (a key that arrives
  gets it within half a millisecond), and only every ANSWERING seconds while it answers one
  (the warm-up, between two imports, does not take it back in the middle of the answer).
"""

from __future__ import annotations

import atexit
import gc
import os
import sys
import threading
import time
import weakref
from typing import Any

HOLD_MAX = 0.03  # seconds that one key holds the warm-up at most
LOADING = 0.0005  # the switch interval while torch loads (Python's default is 0.005)
ANSWERING = 0.02  # and while the app answers a key during the load

_lock = threading.Lock()
_thread: threading.Thread | None = None
_done = threading.Event()
_free = threading.Event()  # cleared while the app answers a key
_free.set()
_held_at = 0.0


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
    if _thread is None:
        return True
    release()  # whoever waits for torch wants it now
    return _done.wait(timeout)


def hold() -> None:
    """The app has a key to answer: the warm-up stops at its next import until `release`."""
    global _held_at
    with _lock:
        if warming():
            _held_at = time.monotonic()
            _free.clear()
            sys.setswitchinterval(ANSWERING)


def release() -> None:
    """The answer is painted (or HOLD_MAX has passed): the warm-up goes on."""
    if _free.is_set():
        return
    with _lock:
        _free.set()
        if warming():
            sys.setswitchinterval(LOADING)


class _Pause:
    """First on sys.meta_path while torch loads: the warm-up's thread waits here, at the start
    of each import, while the app holds it. It finds nothing itself."""

    def find_spec(self, name: str, path: Any = None, target: Any = None) -> None:
        if not _free.is_set() and threading.current_thread() is _thread:
            _free.wait(max(0.0, _held_at + HOLD_MAX - time.monotonic()))
            release()
        return None


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
    interval = sys.getswitchinterval()
    sys.setswitchinterval(LOADING)
    pause = _Pause()
    sys.meta_path.insert(0, pause)
    _load_library()
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
        sys.meta_path.remove(pause)
        gc.freeze()
        if collecting:
            gc.enable()
        with _lock:
            _done.set()
            _free.set()
            sys.setswitchinterval(interval)


def _load_library() -> None:
    """Load libtorch_cpu through libc's dlopen, without the interpreter lock (a ctypes call
    lets it go); torch's own import then finds it loaded. Only for a CPU build on Linux: a
    CUDA or ROCm build chooses where its GPU libraries come from as it loads
    (torch._load_global_deps), and loading its libraries before that could change the choice."""
    if not sys.platform.startswith("linux"):
        return
    try:
        import ctypes
        import importlib.util

        spec = importlib.util.find_spec("torch")
        lib = os.path.join(os.path.dirname(spec.origin or ""), "lib")
        if any(os.path.exists(os.path.join(lib, n)) for n in ("libtorch_cuda.so", "libtorch_hip.so")):
            return
        path = os.path.join(lib, "libtorch_cpu.so")
        if not os.path.isfile(path):
            return
        dlopen = ctypes.CDLL(None).dlopen
        dlopen.restype = ctypes.c_void_p
        dlopen.argtypes = [ctypes.c_char_p, ctypes.c_int]
        dlopen(os.fsencode(path), os.RTLD_NOW | os.RTLD_LOCAL)  # kept open: torch uses it
    except Exception:  # torch's own import loads it as before
        pass
