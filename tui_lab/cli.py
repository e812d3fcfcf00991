"""The command line of DESIGN.md. Every error is one line on stderr and exit status 2.

Options shared by several commands (--device, --seed …) are declared once, in
`shared_options()`, and work before or after the command: `tui-lab --seed 5 open conv-sobel` and
`tui-lab open conv-sobel --seed 5` mean the same. Text from files and from the person
(titles, names, paths) is printed with control characters made visible.
"""

from __future__ import annotations

import argparse
import os
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Sequence

from . import cli_model

EXIT_BAD_INPUT = 2
APP = "app"  # the command name when none is given: the app's home screen


class CliError(Exception):
    """A problem the person can fix; printed as one line."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # argparse would print the usage too: one line only
        raise CliError(message)


@dataclass(frozen=True)
class Shared:
    """An option several commands take: declared once, accepted before or after the command."""

    flag: str
    commands: tuple[str, ...]
    default: Any = None
    kwargs: dict[str, Any] = field(default_factory=dict)

    @property
    def dest(self) -> str:
        return self.flag.lstrip("-").replace("-", "_")


def shared_options() -> tuple[Shared, ...]:
    from engine.core.device import DEVICES

    running = (APP, "open", "replay", "serve")
    return (
        Shared("--device", running, "auto", dict(choices=DEVICES, help="where torch runs: auto, cpu, cuda, cuda:N or mps")),
        Shared("--seed", running, None, dict(type=int, metavar="N", help="override the scenario's seed")),
        Shared("--allow-dir", (APP, "open", "replay", "check"), [], dict(action="append", metavar="DIR",
               help="a folder whose files a scenario may read besides its own folder (repeatable)")),
    )


AFTER = "{}_after_command"  # where argparse puts an option given after the command


def _parser(shared: tuple[Shared, ...]) -> argparse.ArgumentParser:
    from .export import FORMATS, format_named

    p = _Parser(prog="tui-lab", description="See how deep networks work, one operation at a time.")
    for opt in shared:
        p.add_argument(opt.flag, dest=opt.dest, default=argparse.SUPPRESS, **opt.kwargs)
    sub = p.add_subparsers(dest="command", parser_class=_Parser)
    commands = {
        "list": sub.add_parser("list", help="bundled scenarios: name, lab, title"),
        "open": sub.add_parser("open", help="the app, straight into one scenario"),
        "check": sub.add_parser("check", help="validate scenario files"),
        "replay": sub.add_parser("replay", help="play a scenario headless"),
        "doctor": sub.add_parser("doctor", help="python, torch, devices, terminal and locale, with a hint for each problem"),
        "serve": sub.add_parser("serve", help="the app in a browser (textual-serve), behind a token"),
    }
    for name in ("open", "replay"):  # a scenario, or a model from code instead (cli_model.py)
        commands[name].add_argument("scenario", nargs="?", help="bundled name or path to a .toml file")
        cli_model.add_options(commands[name])
    commands["check"].add_argument("files", nargs="+", metavar="FILE")
    v = commands["serve"]
    v.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1: this machine only)")
    v.add_argument("--port", type=int, default=8000, help="port (default 8000)")
    r = commands["replay"]
    r.add_argument("--format", type=format_named, choices=tuple(FORMATS), default="text",
                   help="; ".join(f"{name}: {what}" for name, what in FORMATS.items()))
    r.add_argument("--out", metavar="PATH", help="write here instead of standard output (-); svg: a folder")
    r.add_argument("--force", action="store_true", help="replace an existing --out file that is not a tui-lab export")
    r.add_argument("--interval", type=float, default=1.0, help="cast: seconds per frame (default 1)")
    r.add_argument("--steps", type=int, help="play N steps instead of the scenario's script")
    r.add_argument("--color", choices=("auto", "always", "never"), default="auto",
                   help="escape codes in text output (auto: on a terminal, not with TERM=dumb; NO_COLOR: no colour)")
    for opt in shared:
        for name in opt.commands:
            if name in commands:
                commands[name].add_argument(opt.flag, dest=AFTER.format(opt.dest), default=argparse.SUPPRESS, **opt.kwargs)
    return p


def parse(argv: Sequence[str] | None) -> argparse.Namespace:
    """Parse, then give each shared option its one value, wherever it was written."""
    shared = shared_options()
    args = _parser(shared).parse_args(argv)
    args.command = args.command or APP
    for opt in shared:
        after = vars(args).pop(AFTER.format(opt.dest), None)
        before = getattr(args, opt.dest, None)
        if before is not None and args.command not in opt.commands:
            raise CliError(f"{opt.flag} does not apply to `{args.command}`")
        if opt.kwargs.get("action") == "append":  # a list: what was given in both places
            value = [*(before or []), *(after or [])] or opt.default
        else:  # written twice, the later one (after the command) wins, as repeating an option does
            value = after if after is not None else before if before is not None else opt.default
        setattr(args, opt.dest, value)
    return args


def _check_seed(seed: int | None) -> None:
    from engine.core.seeding import SEED_MAX

    if seed is not None and not 0 <= seed <= SEED_MAX:
        raise CliError(f"--seed must be from 0 to {SEED_MAX}, got {seed}")


def say(line: str, stream=None) -> None:
    """One line of output, with whatever came from a file or the person made visible, in
    ASCII on a terminal whose locale cannot show more."""
    from engine.core.fmt import visible

    from .export.look import ascii_text, look_for

    stream = stream or sys.stdout
    line = visible(line)
    if look_for("never", stream.isatty(), os.environ, getattr(stream, "encoding", None) or "utf-8").ascii:
        line = ascii_text(line)
    print(line, file=stream)


def cmd_list() -> int:
    from scenarios import bundled

    rows = bundled()
    w = max(len(s.name) for s in rows)
    for s in rows:
        say(f"{s.name:<{w}}  {s.lab:<8} {s.title}")
    return 0


def _allow_dirs(args: argparse.Namespace) -> tuple[str, ...]:
    """--allow-dir folders, each checked to be a folder."""
    dirs = tuple(getattr(args, "allow_dir", None) or ())
    for d in dirs:
        path = Path(d).expanduser()
        if not d:  # Path("") is the current folder, which nobody named
            raise CliError("--allow-dir is empty: name a folder")
        if not path.is_dir():
            raise CliError(f"--allow-dir {d}: " + ("not a folder" if path.exists() else "no such folder"))
    return dirs


def cmd_check(files: Sequence[str], allow: Sequence[str] = ()) -> int:
    from scenarios import ScenarioError, load

    bad = 0
    for f in files:
        try:
            sc = load(f, allow=allow)
        except ScenarioError as exc:
            say(f"tui-lab: {exc}", sys.stderr)
            bad += 1
        else:
            code = cli_model.code_model(sc)
            say(f"{f}: ok ({sc.lab}: {sc.title})" + (f"; its model {code} is code, which check does not import" if code else ""))
    return EXIT_BAD_INPUT if bad else 0


def cmd_replay(args: argparse.Namespace) -> int:
    from engine.core.params import ParamError

    from .export.look import look_for
    from .replay import replay

    if args.steps is not None and args.steps < 0:
        raise CliError("--steps must be 0 or more")
    _check_seed(args.seed)
    if not 0 < args.interval <= 600:
        raise CliError("--interval must be more than 0 and at most 600 seconds")
    if args.out == "":  # Path("") is the current folder: the person meant to name a path
        raise CliError("--out is empty: give a path (svg: a folder), or - for standard output")
    if args.format == "svg" and args.out == "-":
        raise CliError("--out -: svg writes one file per frame, so it cannot go to standard output; give a folder")
    to_stdout = args.out in (None, "-")
    if to_stdout:
        look = look_for(args.color, sys.stdout.isatty(), os.environ, sys.stdout.encoding or "utf-8")
    else:
        look = look_for(args.color, False, {})  # a file: UTF-8, escape codes only when asked
    scenario = cli_model.scenario_for(args, _allow_dirs(args))
    try:
        written = replay(scenario, args.format, out_path=None if to_stdout else Path(args.out), device=args.device,
                         seed=args.seed, steps=args.steps, look=look, interval=args.interval, force=args.force)
    except ParamError as exc:
        from scenarios.loader import located

        raise located(scenario, exc) from None
    for path in written:
        say(f"wrote {path}", sys.stderr)
    return 0


def cmd_app(args: argparse.Namespace, scenario: str | None) -> int:
    from engine.core.device import refuse_early

    from .app import LabApp

    refuse_early(args.device)  # one line and exit 2, not a screen that opens to say so
    if os.environ.get("TERM") == "dumb":
        raise CliError("TERM=dumb: this terminal cannot draw the app; `tui-lab replay SCENARIO` prints plain text, "
                       "or set TERM=xterm-256color")
    allow = _allow_dirs(args)
    _check_seed(args.seed)
    if args.command == "open":
        # --model's scenario, or the file's (its model allowed with --trust-code); either way any
        # problem is one line before the screen opens.
        built = cli_model.scenario_for(args, allow)
        scenario = built if args.model else scenario
    app = LabApp(scenario=scenario, device=args.device, seed=args.seed, allow_dirs=allow)
    app.run()
    return app.return_code or 0


def run(args: argparse.Namespace) -> int:
    if args.command == "list":
        return cmd_list()
    if args.command == "check":
        return cmd_check(args.files, _allow_dirs(args))
    if args.command == "replay":
        return cmd_replay(args)
    if args.command == "doctor":
        from .doctor import main as doctor

        return doctor()
    if args.command == "serve":
        from engine.core.device import refuse_early

        from .serve import serve

        refuse_early(args.device)
        return serve(args.host, args.port, device=args.device, seed=args.seed)
    return cmd_app(args, getattr(args, "scenario", None))


def main(argv: Sequence[str] | None = None) -> int:
    from engine.core.device import DeviceError
    from engine.core.params import ParamError
    from engine.core.files import Refused, WriteError
    from scenarios import ScenarioError

    from engine.core.files import install_cleanup

    install_cleanup()  # from the main thread: a worker's checkpoint write is cleaned up on SIGTERM too
    try:
        return run(parse(argv))
    except (ScenarioError, ParamError, DeviceError, CliError, Refused) as exc:
        say(f"tui-lab: {exc}", sys.stderr)
        return EXIT_BAD_INPUT
    except BrokenPipeError:
        # The reader stopped early (`| head`): quiet, and no flush error at exit.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 0
    except OSError as exc:
        if isinstance(exc, WriteError):
            say(f"tui-lab: {exc}", sys.stderr)
        else:
            where = f"{exc.filename}: " if exc.filename else ""
            say(f"tui-lab: {where}{exc.strerror or exc}", sys.stderr)
        return EXIT_BAD_INPUT
    except KeyboardInterrupt:
        return 130
    except Exception as exc:  # a bug, not bad input: one line, the traceback on request
        if os.environ.get("TUI_LAB_DEBUG"):
            raise
        say(f"tui-lab: internal error: {type(exc).__name__}: {exc} (TUI_LAB_DEBUG=1 shows the traceback)", sys.stderr)
        return 1


if __name__ == "__main__":
    raise SystemExit(main())
