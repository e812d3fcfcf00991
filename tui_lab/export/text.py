"""A frame as terminal text: the same renderer as the app, printed by a Rich console."""

from __future__ import annotations

import io
import os
import sys

from rich.console import Console
from rich.rule import Rule
from rich.text import Text

from engine.session import Session, Shown

from ..render import render_frame

WIDTH = 100


def counter(shown: Shown) -> str:
    total = "?" if shown.last is None else str(shown.last)
    return f"step {shown.frame.index} / {total}"


class _Console(Console):
    def on_broken_pipe(self) -> None:
        # `replay … | head` closes the pipe early; that is the reader's choice, not an error.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        raise BrokenPipeError


def console(out, colour: bool, width: int = WIDTH, record: bool = False) -> Console:
    return _Console(file=out, width=width, force_terminal=colour, color_system="truecolor" if colour else None,
                   no_color=not colour, highlight=False, emoji=False, legacy_windows=False, soft_wrap=False,
                   record=record, force_jupyter=False, force_interactive=False, _environ={})


def heading(session: Session) -> Text:
    sc = session.scenario
    return Text(f"{sc.title}  [{sc.lab} · {session.device} · seed {session.seed}]", style="bold")


def print_shown(con: Console, lab: str, shown: Shown, width: int = WIDTH) -> None:
    con.print(Rule(counter(shown)))
    con.print(Text(shown.frame.caption, style="bold"))
    con.print(render_frame(lab, shown.frame, width))
    if shown.note:
        con.print(Text(f"✎ {shown.note}", style="italic"))


def frame_text(session: Session, shown: Shown, colour: bool, width: int = WIDTH) -> str:
    """One frame alone, as it prints (ANSI colour codes when `colour`)."""
    buf = io.StringIO()
    con = console(buf, colour, width)
    con.print(heading(session))
    print_shown(con, session.scenario.lab, shown, width)
    return buf.getvalue()
