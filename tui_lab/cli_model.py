"""The command line's side of a model from code: --model, --input, --batch, --kwargs, --trust-code.

`tui-lab open --model net.py:Net --input 3,224,224` and `tui-lab replay --model …` build a
scenario for the arch lab in memory (no file). Asking for a model on the command line is
the person's yes to importing it; a scenario file that names a model needs --trust-code
for replay (the app asks). Every problem is one line (cli.CliError, exit 2).
"""

from __future__ import annotations

import argparse
import json
from typing import Any

OPTIONS = {"params.model": "--model", "params.input": "--input", "params.kwargs": "--kwargs", "params.batch": "--batch", "params.tokens": "--tokens"}


def add_options(parser: argparse.ArgumentParser) -> None:
    g = parser.add_argument_group("your own model (instead of a scenario)")
    g.add_argument("--model", metavar="FILE.py:NAME", help="an nn.Module class or a function returning one, "
                   "in a file or an installed module (package.module:NAME); importing it runs its code")
    g.add_argument("--input", metavar="SHAPE", help="one example's shape without the batch, e.g. 3,224,224")
    g.add_argument("--batch", type=int, help="examples per forward pass (memory and the GPU pass; default 1)")
    g.add_argument("--kwargs", metavar="JSON", help="keyword arguments for NAME, e.g. '{\"num_classes\": 10}'")
    g.add_argument("--tokens", action="store_true", help="the input is token ids (int64), e.g. --input 128 --tokens")
    parser.add_argument("--trust-code", action="store_true",
                        help="a scenario that names a model may import it (and run its code)")


def parse_shape(text: str) -> list[int]:
    from .cli import CliError

    parts = [p.strip() for p in text.replace("×", ",").replace("x", ",").split(",")]
    if not parts or not all(p.isdigit() and int(p) > 0 for p in parts):
        raise CliError(f'--input "{text}": expected sizes above 0 separated by commas, e.g. 3,224,224')
    return [int(p) for p in parts]


def parse_kwargs(text: str) -> dict[str, Any]:
    from .cli import CliError

    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        raise CliError(f"--kwargs: not valid JSON: {exc.msg} (column {exc.colno}); "
                       "expected an object such as '{\"num_classes\": 10}'") from None
    if not isinstance(value, dict):
        raise CliError("--kwargs: expected a JSON object such as '{\"num_classes\": 10}', "
                       f"got {type(value).__name__}")
    return value


def model_scenario(args: argparse.Namespace) -> Any:
    """The in-memory scenario for --model, walked once here so that any problem is one line now."""
    from engine.arch import own
    from engine.arch.lab import ArchLab
    from engine.arch.model import ModelError, allow
    from engine.core.fmt import visible
    from engine.core.params import ParamError
    from scenarios.scenario import Scenario

    from .cli import CliError

    if getattr(args, "scenario", None):
        raise CliError(f"give a scenario or --model, not both (got {visible(args.scenario)} and --model)")
    if not args.input:
        raise CliError("--model needs --input, the shape of one example without the batch, e.g. --input 3,224,224")
    raw: dict[str, Any] = {"model": args.model, "input": parse_shape(args.input)}
    if args.kwargs is not None:
        raw["kwargs"] = parse_kwargs(args.kwargs)
    if args.batch is not None:
        raw["batch"] = args.batch
    if args.tokens:
        raw["tokens"] = True
    try:
        params = ArchLab.validate(raw)
        spec = allow(params["model"])  # asked for by name on the command line: that is the yes
        walk = own.open_walk(params)
    except ParamError as exc:
        raise CliError(f"{OPTIONS.get(exc.key, exc.key)}: {exc.message}") from None
    except ModelError as exc:
        raise CliError(exc.message) from None
    return Scenario(name=spec.name, title=f"{spec.short}: {walk.class_name}, your own model", lab="arch",
                    params=params, description=f"{spec.short} walked one forward pass on the meta device")


def code_model(scenario: Any) -> str | None:
    """The model from code (a file or module) a scenario names: only the arch lab's `model` is
    one; other labs' `model` names one of their built-in kinds (pretrain's rbm, table…)."""
    return scenario.params.get("model") or None if scenario.lab == "arch" else None


def scenario_for(args: argparse.Namespace, allow_dirs: tuple = ()) -> Any:
    """The scenario `open` or `replay` runs: --model's, or the named file once its model may be imported."""
    from engine.arch.model import allow, needs_trust
    from engine.core.fmt import visible
    from scenarios import load

    from .cli import CliError

    if args.model:
        return model_scenario(args)
    stray = [o for o in ("input", "kwargs", "batch") if getattr(args, o) is not None] + (["tokens"] if args.tokens else [])
    if stray:
        raise CliError(f"--{stray[0]} goes with --model")
    if not args.scenario:
        raise CliError("expected a scenario (bundled name or .toml file) or --model FILE.py:NAME --input SHAPE")
    scenario = load(args.scenario, allow=allow_dirs)
    untrusted = needs_trust(scenario.params) if code_model(scenario) else None
    if untrusted and args.trust_code:
        allow(untrusted)
    elif untrusted and args.command == "replay":
        raise CliError(f"{visible(args.scenario)}: names the model {visible(untrusted)}; replaying imports that "
                       "file and runs its code: add --trust-code if you trust it")
    return scenario
