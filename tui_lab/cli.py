"""The command line of DESIGN.md. Every error is one line on stderr and exit status 2."""

from __future__ import annotations

import argparse
import io
import os
import sys
from pathlib import Path
from typing import Sequence

from . import cli_model

EXIT_BAD_INPUT = 2


class CliError(Exception):
    """A problem the person can fix; printed as one line."""


def _parser() -> argparse.ArgumentParser:
    from engine.core.device import DEVICES

    from .export import FORMATS

    p = argparse.ArgumentParser(prog="tui-lab", description="See how deep networks work, one operation at a time.")
    sub = p.add_subparsers(dest="command")
    sub.add_parser("list", help="bundled scenarios: name, lab, title")
    o = sub.add_parser("open", help="the app, straight into one scenario")
    o.add_argument("scenario", nargs="?", help="bundled name or path to a .toml file")
    for q in (o,):
        q.add_argument("--device", choices=DEVICES, default="auto")
        q.add_argument("--seed", type=int, default=None)
    c = sub.add_parser("check", help="validate scenario files")
    c.add_argument("files", nargs="+", metavar="FILE")
    r = sub.add_parser("replay", help="play a scenario headless")
    r.add_argument("scenario", nargs="?", help="bundled name or path to a .toml file")
    r.add_argument("--format", choices=FORMATS, default="text")
    r.add_argument("--out", help="write here instead of standard output (svg: a folder)")
    r.add_argument("--interval", type=float, default=1.0, help="cast: seconds per frame (default 1)")
    r.add_argument("--steps", type=int, help="play N steps instead of the scenario's script")
    r.add_argument("--device", choices=DEVICES, default="auto")
    r.add_argument("--seed", type=int, default=None)
    r.add_argument("--color", choices=("auto", "always", "never"), default="auto", help="colour in text output (auto: only on a terminal)")
    for q in (o, r):  # a model from code (cli_model.py)
        cli_model.add_options(q)
    sub.add_parser("doctor", help="python, torch, devices, terminal and locale, with a hint for each problem")
    v = sub.add_parser("serve", help="the app in a browser (textual-serve), behind a token")
    v.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1: this machine only)")
    v.add_argument("--port", type=int, default=8000, help="port (default 8000)")
    p.add_argument("--device", choices=DEVICES, default="auto", help="for the app: auto, cpu, cuda or mps")
    p.add_argument("--seed", type=int, default=None, help="for the app: override each scenario's seed")
    for q, dest in ((p, "allow_dir"), (o, "allow_dir_sub"), (c, "allow_dir_sub"), (r, "allow_dir_sub")):
        # Before or after the subcommand, and both add up: a subcommand's own dest, since
        # argparse would otherwise let the subcommand's default replace what came before.
        q.add_argument("--allow-dir", action="append", metavar="DIR", dest=dest, default=[],
                       help="a folder whose files a scenario may read besides its own folder (repeatable)")
    return p


def _allow_dirs(args: argparse.Namespace) -> list[str]:
    """--allow-dir folders, each checked to be a folder."""
    dirs = [*args.allow_dir, *getattr(args, "allow_dir_sub", [])]
    for d in dirs:
        if not Path(d).expanduser().is_dir():
            raise CliError(f"--allow-dir {d}: no such folder")
    return dirs


def _check_seed(seed: int | None) -> None:
    from engine.core.seeding import SEED_MAX

    if seed is not None and not 0 <= seed <= SEED_MAX:
        raise CliError(f"--seed must be from 0 to {SEED_MAX}, got {seed}")


def cmd_list() -> int:
    from scenarios import bundled

    rows = bundled()
    w = max(len(s.name) for s in rows)
    for s in rows:
        print(f"{s.name:<{w}}  {s.lab:<8} {s.title}")
    return 0


def cmd_check(files: Sequence[str], allow: Sequence[str] = ()) -> int:
    from scenarios import ScenarioError, load

    bad = 0
    for f in files:
        try:
            sc = load(f, allow=allow)
        except ScenarioError as exc:
            print(exc, file=sys.stderr)
            bad += 1
        else:
            unrun = f"; its model {sc.params['model']} was not imported" if sc.params.get("model") else ""
            print(f"{f}: ok ({sc.lab}: {sc.title}{unrun})")
    return EXIT_BAD_INPUT if bad else 0


def cmd_replay(args: argparse.Namespace) -> int:
    from engine.core.params import ParamError

    if args.steps is not None and args.steps < 0:
        raise CliError("--steps must be 0 or more")
    _check_seed(args.seed)
    if not 0 < args.interval <= 600:
        raise CliError("--interval must be more than 0 and at most 600 seconds")
    scenario = cli_model.scenario_for(args, _allow_dirs(args))
    try:
        return _replay(args, scenario)
    except ParamError as exc:
        from scenarios.loader import located

        raise located(scenario, exc) from None


def _replay(args: argparse.Namespace, scenario) -> int:
    from .replay import replay

    out_path = Path(args.out) if args.out else None
    if args.format == "svg":
        if out_path is not None and out_path.exists() and not out_path.is_dir():
            raise CliError(f"--out {out_path}: svg writes one file per frame, so --out must be a folder")
        written = replay(scenario, "svg", out_path=out_path, device=args.device, seed=args.seed, steps=args.steps)
    else:
        # Written to a temporary file first, so a failure never leaves half an output behind.
        out = io.StringIO() if out_path else sys.stdout
        colour = args.color == "always" or (args.color == "auto" and out_path is None and sys.stdout.isatty())
        written = replay(scenario, args.format, out, out_path=out_path, device=args.device, seed=args.seed,
                         steps=args.steps, colour=colour, interval=args.interval)
        if out_path is not None:
            from engine.core.files import write_atomic

            write_atomic(out_path, out.getvalue())
    for path in written:
        print(f"wrote {path}", file=sys.stderr)
    return 0


def cmd_app(args: argparse.Namespace, scenario: str | None) -> int:
    from .app import LabApp

    allow = _allow_dirs(args)
    _check_seed(args.seed)
    if args.command == "open":
        # --model's scenario, or the file's (its model allowed with --trust-code); either way
        # any problem is one line before the screen opens.
        built = cli_model.scenario_for(args, allow)
        scenario = built if args.model else scenario
    app = LabApp(scenario=scenario, device=args.device, seed=args.seed, allow_dirs=allow)
    app.run()
    return app.return_code or 0


def main(argv: Sequence[str] | None = None) -> int:
    from engine.core.device import DeviceError
    from engine.core.params import ParamError
    from scenarios import ScenarioError

    args = _parser().parse_args(argv)
    try:
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
            from .serve import serve

            return serve(args.host, args.port, device=getattr(args, "device", "auto"), seed=getattr(args, "seed", None))
        return cmd_app(args, getattr(args, "scenario", None))
    except (ScenarioError, ParamError, DeviceError, CliError) as exc:
        print(f"tui-lab: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except BrokenPipeError:
        # The reader stopped early (`| head`): quiet, and no flush error at exit.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 0
    except OSError as exc:
        where = f"{exc.filename}: " if exc.filename else ""
        print(f"tui-lab: {where}{exc.strerror or exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except KeyboardInterrupt:
        return 130
    except Exception as exc:  # a bug, not bad input: one line, the traceback on request
        if os.environ.get("TUI_LAB_DEBUG"):
            raise
        print(f"tui-lab: internal error: {type(exc).__name__}: {exc} (TUI_LAB_DEBUG=1 shows the traceback)", file=sys.stderr)
        return 1


if __name__ == "__main__":
    raise SystemExit(main())
