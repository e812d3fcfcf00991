"""Files the lab reads and writes: one atomic writer for every output.

Engine code (checkpoints, through `open_atomic`, its binary twin) and the front ends (exports,
saved scenarios) all write through `write_atomic`, so a crash, a full disk or a signal never
leaves half a file behind.
"""

from __future__ import annotations

import contextlib
import os
import signal
import tempfile
import threading
from pathlib import Path
from typing import BinaryIO, Iterator


def write_atomic(path: Path, text: str) -> None:
    """Write via a temporary file in the same folder, so a crash never leaves half a file."""
    path = path.expanduser()
    if not path.parent.is_dir():
        raise FileNotFoundError(2, "no such folder", str(path.parent))
    # mkstemp makes the file private (0600); give it the mode a plain open() would.
    umask = os.umask(0)
    os.umask(umask)
    mode = path.stat().st_mode & 0o777 if path.exists() else 0o666 & ~umask
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as fh:
            fh.write(text)
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


# --- binary files (checkpoints) ---------------------------------------------------------
# Temporary files being written now: a SIGTERM removes them before the process dies (a
# SIGINT unwinds through `open_atomic` as KeyboardInterrupt and removes its own).
_pending: set[str] = set()


@contextlib.contextmanager
def open_atomic(path: Path) -> Iterator[BinaryIO]:
    """A binary file that appears at `path` whole or not at all: `with open_atomic(p) as fh`."""
    path = path.expanduser()
    if not path.parent.is_dir():
        raise FileNotFoundError(2, "no such folder", str(path.parent))
    _remove_on_sigterm()
    umask = os.umask(0)
    os.umask(umask)
    mode = path.stat().st_mode & 0o777 if path.exists() else 0o666 & ~umask
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    _pending.add(tmp)
    try:
        with os.fdopen(fd, "wb") as fh:
            yield fh
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    finally:
        Path(tmp).unlink(missing_ok=True)
        _pending.discard(tmp)


def _remove_on_sigterm() -> None:
    """Install (once, from the main thread, over the default action only) a SIGTERM handler
    that removes the temporary files and then dies of the signal as usual."""
    if threading.current_thread() is not threading.main_thread() or signal.getsignal(signal.SIGTERM) is not signal.SIG_DFL:
        return

    def handler(signum: int, _frame: object) -> None:
        for tmp in list(_pending):
            Path(tmp).unlink(missing_ok=True)
        signal.signal(signum, signal.SIG_DFL)
        os.kill(os.getpid(), signum)

    signal.signal(signal.SIGTERM, handler)
