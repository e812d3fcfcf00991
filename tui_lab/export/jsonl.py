"""JSON Lines: one object per shown frame (DESIGN.md's contract), written as each is made."""

from __future__ import annotations

import json
from typing import IO, Iterable

from engine.session import Session, Shown

# The JSON record's contract, numbered so that consumers can tell versions apart as labs grow:
# 1 = DESIGN.md's fields; 2 adds `schema_version` itself and every lab's `values.check` record.
SCHEMA_VERSION = 2


def frame_json(session: Session, shown: Shown) -> str:
    sc = session.scenario
    record = {"schema_version": SCHEMA_VERSION, "scenario": sc.name, "lab": sc.lab, "device": session.device,
              **shown.frame.to_json()}
    if shown.last is not None:
        record["total"] = shown.last
    if shown.note:
        record["note"] = shown.note
    # Python's float repr round-trips, so float64 values keep full precision. Control
    # characters are escaped by JSON itself (\u001b), so the values stay as they are.
    return json.dumps(record, ensure_ascii=False, allow_nan=False)


def write_json(session: Session, shows: Iterable[Shown], out: IO[str]) -> None:
    for shown in shows:
        if shown.event == "frame":
            out.write(frame_json(session, shown) + "\n")
            out.flush()
