"""Files the lab writes: one atomic writer for every output, and the mark on its exports;
and the one rule for a file it reads (`not_a_file`).

Engine code (checkpoints) and the front ends (exports, saved scenarios) all write through
`atomic_writer` / `write_atomic`: the bytes go to a temporary file beside the target, renamed
over it only when everything was written. A crash, a full disk, Ctrl+C or SIGTERM never
leaves half a file behind, and a failure names the file it could not write.

Exports carry `MARKER` in their first bytes (an XML/HTML comment or a header field), so an
output folder can be written again without asking: a file that carries it is this program's
own; any other existing file is the person's, replaced only when they say so (--force).
"""

from __future__ import annotations

import atexit
import os
import secrets
import signal
import stat
import threading
from pathlib import Path
from typing import IO, Any

MARKER = "tui-lab export"
# How each kind of export carries it, in its first bytes (checking reads only those): a
# comment after an SVG's opening tag, a generator tag in an HTML head, a cast header field.
MARKS = {"svg": f"<!-- {MARKER} -->", "html": f'<meta name="generator" content="{MARKER}">',
         "cast": f'"generator": "{MARKER}"'}
_MARK_WITHIN = 4096

# Temporary files being written now, removed by the signal handler or at exit if still there.
_pending: set[str] = set()
# Reentrant: the SIGTERM handler and the atexit cleanup run on the main thread, which may be
# inside `with _pending_lock` at that moment (or may have left it by a KeyboardInterrupt
# between the acquire and the block, which leaves the lock held); a plain Lock deadlocks there.
_pending_lock = threading.RLock()
_CLEANUP_SIGNALS = tuple(getattr(signal, s) for s in ("SIGTERM", "SIGHUP") if hasattr(signal, s))
_handled = False


class Refused(ValueError):
    """A write that would replace something of the person's, or cannot be done at all."""


class WriteError(OSError):
    """A file that could not be written; its message names the file."""

    def __init__(self, path: Path | str, cause: OSError) -> None:
        super().__init__(cause.errno, cause.strerror or str(cause), str(path))
        self.path = path

    def __str__(self) -> str:
        return f"could not write {self.path}: {self.strerror}"


class AtomicFile:
    """A file being written as a whole or not at all; use as `with AtomicFile(path) as fh`.

    Text is written as UTF-8 with "\\n" line ends; `binary=True` for bytes. Writes stream
    into the temporary file, so output of any length needs no memory for itself.
    """

    def __init__(self, path: str | os.PathLike[str], binary: bool = False) -> None:
        self.path = Path(path).expanduser()
        self.binary = binary
        self._fh: IO[Any] | None = None
        self._tmp = ""

    def __enter__(self) -> "AtomicFile":
        if not self.path.parent.is_dir():
            raise FileNotFoundError(2, "no such folder", str(self.path.parent))
        install_cleanup()
        fd = self._create()
        self._fh = os.fdopen(fd, "wb") if self.binary else os.fdopen(fd, "w", encoding="utf-8", newline="\n")
        return self

    def _create(self) -> int:
        """The temporary file, named in `_pending` before it exists: a signal that arrives
        while it is being made still finds it to remove (mkstemp would leave a moment when
        the file is on disk and nobody knows its name)."""
        for _ in range(100):
            self._tmp = str(self.path.parent / f".{self.path.name}.{secrets.token_hex(4)}.tmp")
            with _pending_lock:
                _pending.add(self._tmp)
            try:
                return os.open(self._tmp, os.O_RDWR | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0), 0o600)
            except FileExistsError:
                self._forget()
            except OSError as exc:
                self._forget()
                raise WriteError(self.path, exc) from None
        raise WriteError(self.path, FileExistsError(17, "no free temporary name", str(self.path.parent)))

    def _forget(self) -> None:
        with _pending_lock:
            _pending.discard(self._tmp)
        self._tmp = ""

    def write(self, data: Any) -> int:
        try:
            return self._fh.write(data)
        except OSError as exc:
            raise WriteError(self.path, exc) from None

    def flush(self) -> None:
        try:
            self._fh.flush()
        except OSError as exc:
            raise WriteError(self.path, exc) from None

    def __getattr__(self, name: str) -> Any:  # tell, seek … for writers such as torch.save
        return getattr(self._fh, name)

    def __exit__(self, kind, exc, tb) -> None:
        try:
            if kind is None:
                self._commit()
        finally:
            self._discard()

    def _commit(self) -> None:
        # mkstemp makes the file private (0600); give it the mode a plain open() would, or the
        # mode of the file it replaces.
        umask = os.umask(0)
        os.umask(umask)
        try:
            mode = stat.S_IMODE(self.path.stat().st_mode) if self.path.exists() else 0o666 & ~umask
            self._fh.close()
            os.chmod(self._tmp, mode)
            os.replace(self._tmp, self.path)
        except OSError as exc:
            raise WriteError(self.path, exc) from None

    def _discard(self) -> None:
        try:
            if self._fh is not None and not self._fh.closed:
                self._fh.close()
        except OSError:
            pass  # a full disk fails the final flush too; the file is removed below anyway
        finally:
            if self._tmp:
                Path(self._tmp).unlink(missing_ok=True)
                with _pending_lock:
                    _pending.discard(self._tmp)


def write_atomic(path: str | os.PathLike[str], data: str | bytes) -> None:
    """Write `data` (text as UTF-8, or bytes) to `path` as a whole or not at all."""
    with AtomicFile(path, binary=isinstance(data, bytes)) as fh:
        fh.write(data)


# --- leaving nothing behind on a signal ---------------------------------------------------
def _remove_pending() -> None:
    with _pending_lock:
        for tmp in list(_pending):
            Path(tmp).unlink(missing_ok=True)
        _pending.clear()


def _on_signal(signum: int, frame: Any) -> None:
    # Remove what is half-written, then die of the signal as if it had not been caught, so
    # the parent sees the usual status (killed by SIGTERM).
    _remove_pending()
    signal.signal(signum, signal.SIG_DFL)
    os.kill(os.getpid(), signum)


def install_cleanup() -> None:
    """SIGTERM and SIGHUP remove temporary files before the process dies (SIGINT already
    unwinds through `AtomicFile.__exit__` as KeyboardInterrupt). Handlers someone else set
    are left alone; signals can only be handled from the main thread."""
    global _handled
    if _handled or threading.current_thread() is not threading.main_thread():
        return
    _handled = True
    atexit.register(_remove_pending)
    for signum in _CLEANUP_SIGNALS:
        if signal.getsignal(signum) is signal.SIG_DFL:
            signal.signal(signum, _on_signal)


# --- the export marker ----------------------------------------------------------------------
def is_ours(path: str | os.PathLike[str]) -> bool:
    """Whether `path` is a regular file this program exported (it carries one of `MARKS`)."""
    try:
        if not stat.S_ISREG(os.stat(path).st_mode):
            return False  # never open a FIFO or a device just to look
        with open(path, "rb") as fh:
            head = fh.read(_MARK_WITHIN)
        return any(mark.encode() in head for mark in MARKS.values())
    except OSError:
        return False


def replaceable(path: str | os.PathLike[str], force: bool = False) -> bool:
    """Whether writing `path` loses nothing of the person's: it does not exist, or it is a
    regular file that is our own export, or they said `force` (still only a regular file)."""
    p = Path(path)
    if not p.exists() and not p.is_symlink():
        return True
    if not p.is_file():
        return False
    return force or is_ours(p)


# --- files the lab reads ----------------------------------------------------------------------
def not_a_file(path: Path, shown: str) -> str | None:
    """Why `path` (written `shown` in messages) cannot be read as a file, or None when it is a
    regular one: only those are opened, since a FIFO waits for a writer and a device may not end."""
    if path.is_file():
        return None
    if path.is_dir():
        return f"{shown} is a folder"
    if path.exists():
        return f"{shown} is not a regular file (a device, pipe or socket)"
    return f"no such file: {shown}"
