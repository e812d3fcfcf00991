"""asciicast v2: a header line, then [time, "o", text] events; playable by asciinema's player.

Time is made up, not measured (one `interval` per frame, plus the script's pauses), so
the recording is byte-identical from run to run. Frames are written as they are made: the
header's height fits frame 0, and a taller frame later is preceded by a resize event
([time, "r", "100x40"], asciicast v2; asciinema-player ≥ 3.6 follows it).

A frame is drawn from the top-left corner of a cleared screen, its lines joined by CR LF
with none after the last: a frame exactly as tall as the terminal must not scroll its
first line (the title) away.
"""

from __future__ import annotations

import json
from typing import IO, Iterable

from engine.core.files import MARKER
from engine.core.fmt import visible
from engine.session import Session, Shown

from .look import COLOUR
from .text import WIDTH, frame_text

CLEAR = "\x1b[2J\x1b[H"
MIN_HEIGHT = 24


def screen(text: str) -> tuple[str, int]:
    """The output event for one frame's text, and the rows it takes."""
    lines = text.rstrip("\n").split("\n")
    return CLEAR + "\r\n".join(lines), len(lines)


def _event(when: float, kind: str, data: str) -> str:
    return json.dumps([round(when, 3), kind, data], ensure_ascii=False) + "\n"


def write_cast(session: Session, shows: Iterable[Shown], out: IO[str], interval: float = 1.0) -> None:
    t = 0.0
    height = 0
    for shown in shows:
        if shown.event == "pause":
            t += float(shown.arg)
            continue
        if shown.event != "frame":
            continue
        data, rows = screen(frame_text(session, shown, COLOUR))
        if not height:
            height = max(MIN_HEIGHT, rows)
            # The marker first, so it stays in the first bytes whatever the title's length.
            header = {"version": 2, "generator": MARKER, "width": WIDTH, "height": height,
                      "title": visible(session.scenario.title), "env": {"TERM": "xterm-256color", "SHELL": "/bin/sh"}}
            out.write(json.dumps(header, ensure_ascii=False) + "\n")
        elif rows > height:
            height = rows
            out.write(_event(t, "r", f"{WIDTH}x{height}"))
        out.write(_event(t, "o", data))
        out.flush()
        t += interval
