"""A frame as terminal text: the same renderer as the app, printed by a Rich console."""

from __future__ import annotations

import io
import os
import sys
from typing import IO, Iterable

from rich.console import Console
from rich.rule import Rule
from rich.text import Text

from engine.core.fmt import visible
from engine.session import Session, Shown

from ..render import render_frame
from .look import COLOUR, PLAIN, Look, Safe

WIDTH = 100


def counter(shown: Shown) -> str:
    """The one numbering of frames, `step k / last`, wherever a frame is shown."""
    total = "?" if shown.last is None else str(shown.last)
    return f"step {shown.frame.index} / {total}"


class _Console(Console):
    ascii = False

    @property
    def encoding(self) -> str:
        # Rich draws rules and table borders in ASCII for a non-UTF encoding.
        return "ascii" if self.ascii else "utf-8"

    def on_broken_pipe(self) -> None:
        # `replay … | head` closes the pipe early; that is the reader's choice, not an error.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        raise BrokenPipeError


def console(out: IO[str], colour: bool = False, width: int = WIDTH, record: bool = False,
            look: Look | None = None) -> Console:
    look = look or (COLOUR if colour else PLAIN)
    con = _Console(file=out, width=width, force_terminal=look.styles,
                   color_system="truecolor" if look.styles else None, no_color=not look.colour,
                   highlight=False, emoji=False, legacy_windows=False, soft_wrap=False, record=record,
                   force_jupyter=False, force_interactive=False, _environ={})
    con.ascii = look.ascii
    con.look = look  # type: ignore[attr-defined]
    return con


def _look(con: Console) -> Look:
    return getattr(con, "look", PLAIN)


def heading(session: Session) -> Text:
    sc = session.scenario
    return Text(f"{visible(sc.title)}  [{sc.lab} · {session.device} · seed {session.seed}]", style="bold")


def print_shown(con: Console, lab: str, shown: Shown, width: int = WIDTH) -> None:
    look = _look(con)
    con.print(Safe(Rule(counter(shown)), look))
    # Strings are made visible before Rich sees them (it would drop a BEL silently); Safe
    # does the same for whatever a renderer draws from the frame's values.
    con.print(Safe(Text(visible(shown.frame.caption), style="bold"), look))
    con.print(Safe(render_frame(lab, shown.frame, width), look))
    if shown.note:
        con.print(Safe(Text(f"✎ {visible(shown.note)}", style="italic"), look))


def print_heading(con: Console, session: Session) -> None:
    con.print(Safe(heading(session), _look(con)))


def frame_text(session: Session, shown: Shown, look: Look = COLOUR, width: int = WIDTH) -> str:
    """One frame alone, as it prints (with escape codes where `look` has styles)."""
    buf = io.StringIO()
    con = console(buf, width=width, look=look)
    print_heading(con, session)
    print_shown(con, session.scenario.lab, shown, width)
    return buf.getvalue()


def write_text(session: Session, shows: Iterable[Shown], out: IO[str], look: Look = PLAIN) -> None:
    """Each frame printed as it is made, flushed, so a reader sees it at once."""
    con = console(out, look=look)
    print_heading(con, session)
    for shown in shows:
        if shown.event == "frame":
            print_shown(con, session.scenario.lab, shown, WIDTH)
            out.flush()
