"""Headless replay: the scenario's script through the same session and renderers as the app.

text: what the screen shows, plain when piped, colour when asked.
json: JSON Lines, one object per shown frame (DESIGN.md's contract).
svg:  screenshots of the app's scenario screen, one per frame, or one per `snapshot` action
      when the script has any.
cast: an asciicast v2 recording. html: one page that steps with the arrow keys.
A `snapshot` action writes an SVG in every format; `pause` only delays cast recordings.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import IO

from engine.session import Session, Shown
from scenarios.scenario import Scenario

from .export.text import WIDTH, console, heading, print_shown



def frame_json(scenario: Scenario, shown: Shown, device: str) -> str:
    record = {"scenario": scenario.name, "lab": scenario.lab, "device": device, **shown.frame.to_json()}
    if shown.last is not None:
        record["total"] = shown.last
    if shown.note:
        record["note"] = shown.note
    # Python's float repr round-trips, so float64 values keep full precision.
    return json.dumps(record, ensure_ascii=False, allow_nan=False)


def write_text(session: Session, shows: list[Shown], out: IO[str], colour: bool) -> None:
    con = console(out, colour, WIDTH)
    con.print(heading(session))
    for shown in shows:
        if shown.event == "frame":
            print_shown(con, session.scenario.lab, shown, WIDTH)


def svg_name(scenario: Scenario, shown: Shown, n: int) -> str:
    stem = shown.arg if shown.event == "snapshot" and shown.arg else f"{scenario.name}-{n:04d}-step{shown.frame.index:04d}"
    return f"{stem}.svg"


def write_svgs(session: Session, shows: list[Shown], folder: Path) -> list[Path]:
    from .export.svg import screenshots

    folder.mkdir(parents=True, exist_ok=True)
    pictures = screenshots(session, shows)
    paths = []
    for n, (shown, svg) in enumerate(zip(shows, pictures)):
        path = folder / svg_name(session.scenario, shown, n)
        path.write_text(svg, encoding="utf-8")
        paths.append(path)
    return paths


def replay(scenario: Scenario, fmt: str, out: IO[str] | None = None, out_path: Path | None = None,
           device: str = "auto", seed: int | None = None, steps: int | None = None, colour: bool = False,
           interval: float = 1.0) -> list[Path]:
    """Play `scenario` and write it in `fmt`; returns the SVG files written, if any."""
    session = Session(scenario, device=device, seed=seed)
    try:
        shows = list(session.run_script(() if steps is not None else None, max_steps=steps))
        frames = [s for s in shows if s.event == "frame"]
        snaps = [s for s in shows if s.event == "snapshot"]
        written: list[Path] = []
        if fmt == "svg":
            folder = out_path or Path(f"{scenario.name}-svg")
            return write_svgs(session, snaps or frames, folder)
        stream = out or sys.stdout
        if fmt == "json":
            for shown in frames:
                stream.write(frame_json(scenario, shown, session.device) + "\n")
        elif fmt == "cast":
            from .export.cast import write_cast

            write_cast(session, shows, stream, interval)
        elif fmt == "html":
            from .export.html import write_html

            write_html(session, frames, stream)
        else:
            write_text(session, frames, stream, colour)
        if snaps:
            folder = out_path.parent if out_path is not None else Path(".")
            written = write_svgs(session, snaps, folder)
        return written
    finally:
        session.close()
