"""Headless replay: the scenario's script through the same session and renderers as the app.

text: what the screen shows, plain when piped, colour when asked.
json: JSON Lines, one object per shown frame (DESIGN.md's contract).
svg:  screenshots of the app's scenario screen, one per frame, or one per `snapshot` action
      when the script has any.
cast: an asciicast v2 recording. html: one page that steps with the arrow keys.
A `snapshot` action writes an SVG in every format; `pause` only delays cast recordings.

Every format is written as its frames are made, so memory does not grow with their number
and a reader of standard output sees the first frame at once. A file named by --out is
written through one atomic writer (engine/core/files.py): streamed into a temporary file
beside it, renamed at the end, removed on any failure or signal. Nothing that exists is
replaced unless it is this program's own export (it carries the export marker) or the
person said --force.
"""

from __future__ import annotations

import glob
import sys
from pathlib import Path
from typing import IO, Iterable, Iterator

from engine.core.files import AtomicFile, Refused, WriteError, replaceable, write_atomic
from engine.session import Session, Shown
from scenarios.scenario import Scenario

from .export.look import PLAIN, Look

def may_write(path: Path, force: bool) -> None:
    """Refuse to write over what is not ours (before anything runs, and again at the write)."""
    if replaceable(path, force):
        return
    if path.is_file():
        raise Refused(f"{path} exists and is not a tui-lab export; add --force to replace it")
    kind = "a folder" if path.is_dir() else "not a regular file"
    raise Refused(f"{path} is {kind}: a file cannot be written there")


def svg_name(scenario: Scenario, shown: Shown, n: int) -> str:
    stem = shown.arg if shown.event == "snapshot" and shown.arg else f"{scenario.name}-{n:04d}-step{shown.frame.index:04d}"
    return f"{stem}.svg"


def check_svg_folder(folder: Path, scenario: Scenario, force: bool) -> None:
    """An SVG folder may be written again when every file there that this replay could
    replace (its named snapshots, or `<scenario>-*.svg`) is our own export."""
    if folder.exists() and not folder.is_dir():
        raise Refused(f"{folder} is not a folder: svg writes one file per frame, so --out must be a folder")
    named = [folder / f"{a['name']}.svg" for a in scenario.script if a.get("do") == "snapshot" and a.get("name")]
    numbered = [Path(p) for p in glob.glob(str(folder / f"{glob.escape(scenario.name)}-*.svg"))]
    for path in (*named, *sorted(numbered)):
        may_write(path, force)


class SvgWriter:
    """Names and writes the pictures as they are taken, each file atomically."""

    def __init__(self, session: Session, folder: Path, force: bool) -> None:
        self.session, self.folder, self.force = session, folder, force
        self.written: list[Path] = []

    def __call__(self, shown: Shown, svg: str) -> None:
        path = self.folder / svg_name(self.session.scenario, shown, len(self.written))
        may_write(path, self.force)  # it may have appeared since the first check
        write_atomic(path, svg)
        self.written.append(path)


def write_svgs(session: Session, shows: Iterable[Shown], folder: Path, force: bool) -> list[Path]:
    from .export.svg import screenshots

    folder.mkdir(parents=True, exist_ok=True)
    writer = SvgWriter(session, folder, force)
    screenshots(session, shows, writer)
    return writer.written


def write_stream(session: Session, fmt: str, shows: Iterable[Shown], out: IO[str], look: Look = PLAIN,
                 interval: float = 1.0) -> None:
    if fmt == "json":
        from .export.jsonl import write_json

        write_json(session, shows, out)
    elif fmt == "cast":
        from .export.cast import write_cast

        write_cast(session, shows, out, interval)
    elif fmt == "html":
        from .export.html import write_html

        write_html(session, shows, out)
    else:
        from .export.text import write_text

        write_text(session, shows, out, look)


class Stdout:
    """Standard output whose write errors (a full disk behind `>`) name it."""

    def __init__(self, stream: IO[str]) -> None:
        self.stream = stream

    def write(self, text: str) -> int:
        return self._do(self.stream.write, text)

    def flush(self) -> None:
        self._do(self.stream.flush)

    def _do(self, call, *args):
        try:
            return call(*args)
        except BrokenPipeError:
            raise  # the reader left (`| head`): not a failure to report
        except OSError as exc:
            raise WriteError("standard output", exc) from None

    def __getattr__(self, name: str):
        return getattr(self.stream, name)


def _snapshots_kept(shows: Iterable[Shown], snaps: list[Shown]) -> Iterator[Shown]:
    """Pass every entry on, keeping the snapshot markers (a few per script) for the end."""
    for shown in shows:
        if shown.event == "snapshot":
            snaps.append(shown)
        yield shown


def replay(scenario: Scenario, fmt: str = "text", out: IO[str] | None = None, out_path: Path | None = None, *,
           device: str = "auto", seed: int | None = None, steps: int | None = None, look: Look = PLAIN,
           interval: float = 1.0, force: bool = False) -> list[Path]:
    """Play `scenario` and write it in `fmt`: to `out_path` (svg: a folder) written atomically,
    else to the stream `out`, else to standard output. `steps` plays N steps instead of the
    script; `look` is how text output may look. Returns the SVG files written."""
    if fmt == "svg":
        folder = out_path or Path(f"{scenario.name}-svg")
        check_svg_folder(folder, scenario, force)
    else:
        if out_path is not None:
            may_write(out_path, force)
        folder = out_path.parent if out_path is not None else Path(".")
        check_svg_folder(folder, scenario, force)  # where its snapshot pictures go
    session = Session(scenario, device=device, seed=seed)
    script = () if steps is not None else scenario.script
    session.forget = not any(a.get("do") in ("back", "first", "last") for a in script)
    try:
        shows = session.run_script(() if steps is not None else None, max_steps=steps)
        if fmt == "svg":
            snapshots = steps is None and any(a.get("do") == "snapshot" for a in scenario.script)
            wanted = "snapshot" if snapshots else "frame"
            return write_svgs(session, (s for s in shows if s.event == wanted), folder, force)
        snaps: list[Shown] = []
        if out_path is None:
            write_stream(session, fmt, _snapshots_kept(shows, snaps), out or Stdout(sys.stdout), look, interval)
            return write_svgs(session, snaps, folder, force) if snaps else []
        with AtomicFile(out_path) as fh:
            write_stream(session, fmt, _snapshots_kept(shows, snaps), fh, look, interval)
            # Pictures before the rename: if one cannot be written, neither is the output.
            written = write_svgs(session, snaps, folder, force) if snaps else []
        return written
    finally:
        session.close()
