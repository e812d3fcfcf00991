"""Device choice: auto picks cuda, then mps, then cpu. Torch is imported only when asked.

On cuda the engine keeps the CPU's promise, "same scenario, seed and device → the same
bytes": `resolve` switches torch to deterministic algorithms and turns TF32 off before
the first cuda call. An operation that has no deterministic kernel on cuda still runs;
torch warns, and `nondeterministic()` names it, so a frame can say so instead of
claiming identity.
"""

from __future__ import annotations

from collections.abc import Iterator

import contextlib

import functools
import importlib.util
import os
import re
import sys
import threading
import warnings
from pathlib import Path
from typing import MutableMapping

NAMES = ("auto", "cpu", "cuda", "mps")
_GPU = re.compile(r"cuda:(\d{1,4})")
# cuBLAS picks its reduction order by workspace: torch refuses a cuBLAS call in deterministic
# mode unless this names one of its two fixed configurations, read when cuBLAS starts.
CUBLAS_WORKSPACE = ":4096:8"
_CUBLAS_FIXED = (":4096:8", ":16:8")
_ALERT = re.compile(r"(\S+) does not have a deterministic implementation")


class _Devices(tuple):
    """What `--device` takes (argparse reads it as `choices`): the four names, and cuda:N for GPU N."""

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and (name in NAMES or _GPU.fullmatch(name) is not None)


DEVICES = _Devices((*NAMES[:3], "cuda:N", NAMES[3]))


class DeviceError(RuntimeError):
    """The device asked for is not here; the message says what is."""


def available() -> list[str]:
    import torch

    found = ["cpu"]
    if torch.cuda.is_available():
        found.insert(0, "cuda")
    mps = getattr(torch.backends, "mps", None)
    if mps is not None and mps.is_available():
        found.insert(len(found) - 1, "mps")
    return found


def is_cuda(device: str) -> bool:
    """'cuda' or 'cuda:N'."""
    return device == "cuda" or _GPU.fullmatch(device) is not None


def resolve(name: str) -> str:
    """'auto' | 'cpu' | 'cuda' | 'cuda:N' | 'mps' -> a device torch can use here, or DeviceError.

    A cuda device comes back deterministic (see `make_deterministic`); cuda:N is also made
    the current device, so streams, events and `synchronize()` mean that GPU.
    """
    if name not in DEVICES:
        raise DeviceError(f"unknown device {name!r}; choose one of auto, cpu, cuda, cuda:N (N = 0, 1, …), mps")
    if name == "cpu":
        return "cpu"
    if name == "auto" or is_cuda(name):
        prepare_cuda()  # before torch.cuda.is_available(), the first cuda call
    if name == "auto" and not needs_torch(name):
        return "cpu"
    here = available()
    device = here[0] if name == "auto" else name
    if is_cuda(device):
        return _cuda(device, here)
    if device not in here:
        raise DeviceError(f"device {name!r} was asked for, but this machine has only {', '.join(here)}; use --device cpu or auto")
    return device


def needs_torch(name: str) -> bool:
    """Whether `resolve(name)` imports torch (1.5 s or more). 'cpu' never does; nor does 'auto'
    where torch is a CPU-only build (torch/version.py: no cuda, no hip) on a machine that has
    no MPS (not a Mac): `available()` would then say ['cpu'] once torch had loaded. Once torch
    is loaded it is asked, as always."""
    if name == "cpu":
        return False
    if name != "auto" or "torch" in sys.modules or sys.platform == "darwin":
        return True
    return not _cpu_only_build()


@functools.cache
def _cpu_only_build() -> bool:
    builds = _build_facts()
    return builds.get("cuda") == "None" and builds.get("hip") == "None"


@functools.cache
def _build_facts() -> dict[str, str]:
    """torch/version.py's `cuda`, `hip` and `__version__` lines, read without importing torch."""
    spec = importlib.util.find_spec("torch")  # finds the package without importing it
    if spec is None or not spec.submodule_search_locations:
        return {}
    try:
        text = (Path(next(iter(spec.submodule_search_locations))) / "version.py").read_text(encoding="utf-8")
    except (OSError, StopIteration, UnicodeDecodeError):
        return {}
    return dict(re.findall(r"^(cuda|hip|__version__)\s*(?::[^=\n]*)?=\s*(.+?)\s*$", text, re.M))


def refuse_early(name: str) -> None:
    """DeviceError now, before any screen opens, for a GPU that this machine cannot have:
    cuda on a CPU-only torch build, mps off a Mac. Reads files only; anything it cannot tell
    without importing torch is left to `resolve`."""
    if is_cuda(name) and _cpu_only_build():
        version = _build_facts().get("__version__", "").strip("'\"")
        raise DeviceError(_no_gpu(name, ["cpu"], f"torch {version} is a CPU build"))
    if name == "mps" and sys.platform != "darwin":
        raise DeviceError(f"device {name!r} was asked for, but this machine has only cpu (mps is Apple's GPU, "
                          "on a Mac only); use --device cpu or auto")


def _no_gpu(device: str, here: list[str], build: str) -> str:
    return (f"device {device!r} was asked for, but this machine has only {', '.join(here)} ({build}); "
            "use --device cpu or auto (tui-lab doctor says more)")


def _cuda(device: str, here: list[str]) -> str:
    import torch

    if "cuda" not in here:
        build = f"torch {torch.__version__} is a CPU build" if torch.version.cuda is None else "torch sees no GPU"
        raise DeviceError(_no_gpu(device, here, build))
    found = _GPU.fullmatch(device)
    if found:
        n, count = int(found.group(1)), torch.cuda.device_count()
        if n >= count:
            have = "cuda:0" if count == 1 else f"cuda:0 to cuda:{count - 1}"
            raise DeviceError(f"device {device!r} was asked for, but this machine has {count} GPU"
                              f"{'' if count == 1 else 's'} ({have}); use --device {have.split(' ')[0]}")
        torch.cuda.set_device(n)
    make_deterministic()
    return device


def prepare_cuda(environ: MutableMapping[str, str] = os.environ) -> None:
    """Set what cuBLAS must read for deterministic results; it reads it once, when it starts.

    A value the person set is kept when it is one of the two deterministic ones.
    """
    if environ.get("CUBLAS_WORKSPACE_CONFIG") not in _CUBLAS_FIXED:
        environ["CUBLAS_WORKSPACE_CONFIG"] = CUBLAS_WORKSPACE


def make_deterministic() -> None:
    """Deterministic kernels, fixed cuDNN algorithms and no TF32, for everything torch runs from now on.

    TF32 rounds float32 products to 10 mantissa bits (about 1e-3 relative): off, a lab's
    float32 numbers on cuda agree with the CPU's to float32 rounding. `warn_only`: an
    operation without a deterministic kernel runs and warns rather than stopping a lab;
    `nondeterministic()` lists those seen.
    """
    import torch
    import torch.utils.deterministic

    prepare_cuda()
    torch.use_deterministic_algorithms(True, warn_only=True)
    # Deterministic mode also fills every new tensor with NaN, a guard against reading memory
    # never written; no lab does, and the fill would add to every timing (the forward pass, g).
    torch.utils.deterministic.fill_uninitialized_memory = False
    torch.backends.cudnn.benchmark = False
    torch.backends.cudnn.deterministic = True
    # The legacy switches: torch ≥ 2.9 also has fp32_precision, but mixing the two APIs makes
    # reading either one raise, so the engine uses only these.
    torch.backends.cuda.matmul.allow_tf32 = False
    torch.backends.cudnn.allow_tf32 = False
    _listen()


def settings() -> dict[str, object]:
    """What decides reproducibility and precision right now (for doctor and the GPU check)."""
    import torch
    import torch.utils.deterministic

    return {
        "deterministic": torch.are_deterministic_algorithms_enabled(),
        "warn_only": torch.is_deterministic_algorithms_warn_only_enabled(),
        "fill_uninitialized_memory": torch.utils.deterministic.fill_uninitialized_memory,
        "cudnn_benchmark": torch.backends.cudnn.benchmark,
        "tf32_matmul": torch.backends.cuda.matmul.allow_tf32,
        "tf32_cudnn": torch.backends.cudnn.allow_tf32,
        "cublas_workspace": os.environ.get("CUBLAS_WORKSPACE_CONFIG"),
    }


# --- operations that ran without a deterministic kernel ------------------------------------
_seen: set[str] = set()
_seen_lock = threading.Lock()
_listening = False


def nondeterministic() -> tuple[str, ...]:
    """Operations torch ran without a deterministic kernel in this process (sorted names)."""
    with _seen_lock:
        return tuple(sorted(_seen))


def note_warning(message: str) -> str | None:
    """Record the operation a torch determinism warning names; returns it (None: another warning)."""
    found = _ALERT.search(message)
    if found is None:
        return None
    with _seen_lock:
        _seen.add(found.group(1))
    return found.group(1)


def _listen() -> None:
    """Hear torch's determinism warnings: they come through Python's warnings module."""
    global _listening
    with _seen_lock:
        if _listening:
            return
        _listening = True
    shown = warnings.showwarning

    def show(message, category, filename, lineno, file=None, line=None):  # noqa: ANN001 - warnings' own signature
        note_warning(str(message))
        return shown(message, category, filename, lineno, file, line)

    warnings.showwarning = show


def describe(device: str) -> str:
    """A short label for the screen, e.g. 'cuda (NVIDIA H100)'."""
    if is_cuda(device):
        import torch

        return f"{device} ({torch.cuda.get_device_name(device)})"
    return device


@contextlib.contextmanager
def cpu_threads(n: int | None) -> Iterator[None]:
    """Compute on `n` CPU threads (None: torch's own setting), then back to torch's setting.
    For torch work only: a frame computed in numpy (a lab's first, while torch loads in the
    background) is computed outside it, so as not to import torch for it."""
    import torch  # loaded, or loading in another thread: then this waits for it to finish

    before = torch.get_num_threads()
    if n is None or n == before:
        yield
        return
    torch.set_num_threads(n)
    try:
        yield
    finally:
        torch.set_num_threads(before)
