"""Headless replay: the scenario's script through the same session and renderers as the app."""

from __future__ import annotations

import json
from typing import IO, Iterator

from rich.console import Console
from rich.rule import Rule
from rich.text import Text

from engine.session import Scenario, Session, Shown

from .render import render_frame

FORMATS = ("text", "json")
TEXT_WIDTH = 100


def frame_json(scenario: Scenario, shown: Shown, device: str) -> str:
    record = {"scenario": scenario.name, "lab": scenario.lab, "device": device, **shown.frame.to_json()}
    if shown.total is not None:
        record["total"] = shown.total - 1
    if shown.note:
        record["note"] = shown.note
    if shown.event != "frame":
        record["event"] = shown.event
        record["arg"] = shown.arg
    # Python's float repr round-trips, so float64 values keep full precision.
    return json.dumps(record, ensure_ascii=False, allow_nan=False)


def counter(shown: Shown) -> str:
    total = "?" if shown.total is None else str(shown.total - 1)
    return f"step {shown.frame.index} / {total}"


def write_text(session: Session, shows: Iterator[Shown], out: IO[str], colour: bool) -> None:
    console = Console(file=out, width=TEXT_WIDTH, force_terminal=colour, color_system="truecolor" if colour else None,
                      no_color=not colour, highlight=False, emoji=False, legacy_windows=False, soft_wrap=False)
    sc = session.scenario
    console.print(Text(f"{sc.title}  [{sc.lab} · {session.device} · seed {session.seed}]", style="bold"))
    for shown in shows:
        if shown.event != "frame":
            continue
        console.print(Rule(counter(shown)))
        console.print(Text(shown.frame.caption, style="bold"))
        console.print(render_frame(sc.lab, shown.frame, TEXT_WIDTH))
        if shown.note:
            console.print(Text(f"✎ {shown.note}", style="italic"))


def replay(scenario: Scenario, fmt: str, out: IO[str], device: str = "auto", seed: int | None = None,
           steps: int | None = None, colour: bool = False) -> None:
    session = Session(scenario, device=device, seed=seed)
    shows = session.run_script(() if steps is not None else None, max_steps=steps)
    try:
        if fmt == "json":
            for shown in shows:
                out.write(frame_json(scenario, shown, session.device) + "\n")
        else:
            write_text(session, shows, out, colour)
    finally:
        session.close()
