"""asciicast v2: a header line, then [time, "o", text] events; playable by asciinema's player.

Time is made up, not measured (one `interval` per frame, plus the script's pauses), so
the recording is byte-identical from run to run.
"""

from __future__ import annotations

import json
from typing import IO

from engine.session import Session, Shown

from .text import WIDTH, frame_text

CLEAR = "\x1b[2J\x1b[H"


def write_cast(session: Session, shows: list[Shown], out: IO[str], interval: float = 1.0) -> None:
    screens = []
    t = 0.0
    for shown in shows:
        if shown.event == "pause":
            t += float(shown.arg)
            continue
        if shown.event != "frame":
            continue
        text = frame_text(session, shown, colour=True).rstrip("\n")
        screens.append((round(t, 3), text))
        t += interval
    height = max((s.count("\n") + 1 for _, s in screens), default=24)
    header = {"version": 2, "width": WIDTH, "height": max(24, height), "title": session.scenario.title,
              "env": {"TERM": "xterm-256color", "SHELL": "/bin/sh"}}
    out.write(json.dumps(header, ensure_ascii=False) + "\n")
    for when, text in screens:
        out.write(json.dumps([when, "o", CLEAR + text.replace("\n", "\r\n") + "\r\n"], ensure_ascii=False) + "\n")
