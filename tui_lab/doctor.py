"""`tui-lab doctor`: one screen of facts a person on a new server needs, a hint for each problem.

Python, torch and its build, the devices torch sees, the terminal (size, colours, TERM),
the locale and NO_COLOR. The output is plain ASCII apart from the values themselves, so it
reads in the very terminal whose locale or TERM is the problem.
"""

from __future__ import annotations

import os
import re
import shutil
import sys
from dataclasses import dataclass
from pathlib import Path
from importlib import metadata
from typing import Any, Mapping

from engine.core.fmt import visible

UTF8 = re.compile(r"utf-?8", re.IGNORECASE)
LOCALE_VARS = ("LC_ALL", "LC_CTYPE", "LANG")  # the first one set decides the character set
SERVE = "textual-serve"


@dataclass(frozen=True)
class Fact:
    name: str
    value: str
    hint: str = ""  # not empty: a problem, and what to do about it


def version_of(package: str) -> str | None:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return None


def python_facts() -> list[Fact]:
    from . import __version__

    out = [Fact("python", f"{sys.version.split()[0]} ({sys.executable})"),
           Fact("tui-lab", f"{__version__} ({os.path.dirname(os.path.dirname(os.path.abspath(__file__)))})")]
    for pkg in ("textual", "rich"):
        out.append(Fact(pkg, version_of(pkg) or "not installed", "" if version_of(pkg) else f"pip install {pkg}"))
    serve = version_of(SERVE)
    out.append(Fact(SERVE, serve or "not installed",
                    "" if serve else "tui-lab serve needs it: pip install 'textual-serve>=1.1,<1.2'"))
    return out


def torch_facts(env: Mapping[str, str], nvidia: bool | None = None) -> list[Fact]:
    """torch's version and build, then one line per device it can use."""
    try:
        import torch
    except ImportError:
        return [Fact("torch", "not installed", "the labs need it: pip install torch (a CUDA build for a GPU)")]
    cuda = torch.version.cuda
    hip = getattr(torch.version, "hip", None)
    build = f"CUDA {cuda}" if cuda else f"ROCm {hip}" if hip else "CPU only"
    if cuda and torch.backends.cudnn.is_available():
        build += f", cuDNN {torch.backends.cudnn.version()}"
    out = [Fact("torch", f"{torch.__version__} ({build})")]
    out.append(Fact("device", f"cpu, {os.cpu_count()} cores, torch uses {torch.get_num_threads()} threads"))
    gpus = torch.cuda.device_count() if (cuda or hip) and torch.cuda.is_available() else 0
    for i in range(gpus):
        p = torch.cuda.get_device_properties(i)
        out.append(Fact("device", f"cuda:{i}  {p.name}, {p.total_memory / 2**30:.1f} GiB, compute {p.major}.{p.minor}"))
    mps = getattr(torch.backends, "mps", None)
    if mps is not None and mps.is_available():
        out.append(Fact("device", "mps (Apple GPU)"))
    nvidia = nvidia_present() if nvidia is None else nvidia
    if not cuda and not hip and nvidia:
        out.append(Fact("gpu", "an NVIDIA GPU is here, but this torch cannot use it",
                        "install a CUDA build of torch, or use the server's own torch: pip install --no-deps tui-lab "
                        "beside it (README: on a GPU server)"))
    elif (cuda or hip) and not gpus:
        seen = env.get("CUDA_VISIBLE_DEVICES")
        where = f"; CUDA_VISIBLE_DEVICES={visible(seen)!r} hides them" if seen is not None else ""
        out.append(Fact("gpu", f"torch is built for {build.split(',')[0]} but sees no GPU{where}",
                        "check nvidia-smi and the driver; --device cpu works meanwhile"))
    if gpus:
        out.append(Fact("on cuda", "deterministic kernels, TF32 off, CUBLAS_WORKSPACE_CONFIG=:4096:8 "
                                   "(set by tui-lab; check: python benchmarks/gpu_check.py)"))
    return out


def nvidia_present() -> bool:
    return os.path.exists("/dev/nvidia0") or shutil.which("nvidia-smi") is not None


def terminal_size() -> tuple[int, int] | None:
    for stream in (sys.stdout, sys.stderr, sys.stdin):
        try:
            size = os.get_terminal_size(stream.fileno())
            return size.columns, size.lines
        except (AttributeError, OSError, ValueError):
            continue
    return None


def colours(env: Mapping[str, str]) -> str | None:
    """What a terminal with this environment gets from Rich, which Textual draws with."""
    import io

    from rich.console import Console

    return Console(file=io.StringIO(), force_terminal=True, _environ=dict(env)).color_system


def locale_of(env: Mapping[str, str]) -> tuple[str, str]:
    """(the variable that decides the character set, its value): LC_ALL, then LC_CTYPE, then LANG."""
    for var in LOCALE_VARS:
        if env.get(var):
            return var, env[var]
    return "LANG", ""


def utf8_locale(env: Mapping[str, str]) -> bool:
    """Whether the terminal is told to expect UTF-8 (the app's glyphs need it; Textual does not check)."""
    return bool(UTF8.search(locale_of(env)[1]))


def terminal_facts(env: Mapping[str, str], size: tuple[int, int] | None) -> list[Fact]:
    from .screens.too_small import MIN_HEIGHT, MIN_WIDTH

    out = []
    if size is None:
        out.append(Fact("terminal", "not a terminal (output is piped or redirected)"))
    else:
        w, h = size
        small = w < MIN_WIDTH or h < MIN_HEIGHT
        out.append(Fact("terminal", f"{w}x{h}",
                        f"the lab needs at least {MIN_WIDTH}x{MIN_HEIGHT} (80x24 or larger is best): enlarge the window"
                        if small else ""))
    term = env.get("TERM", "")
    hint = ""
    if not term:
        hint = "TERM is not set: export TERM=xterm-256color (most terminals understand it)"
    elif term == "dumb":
        hint = "TERM=dumb cannot move the cursor or show colour: export TERM=xterm-256color if your terminal can"
    elif term.startswith("screen") and "256" not in term and env.get("TMUX"):
        hint = "inside tmux with TERM=screen: set -g default-terminal tmux-256color in ~/.tmux.conf"
    out.append(Fact("TERM", visible(term) or "(not set)", hint))
    system = colours(env)
    names = {"truecolor": "16 million (truecolor)", "256": "256", "standard": "16", "windows": "16 (Windows)", None: "none"}
    colour_hint = ""
    if system in ("standard", "windows") and not env.get("NO_COLOR"):
        colour_hint = ("only 16 colours, so pictures lose their shades: if your terminal does more, "
                       "export COLORTERM=truecolor or TERM=xterm-256color")
    out.append(Fact("colours", names.get(system, str(system)) + (f" (COLORTERM={visible(env['COLORTERM'])})"
                                                                   if env.get("COLORTERM") else ""), colour_hint))
    no_colour = env.get("NO_COLOR")
    out.append(Fact("NO_COLOR", "set: the app and replay show no colour" if no_colour else "not set"))
    var, value = locale_of(env)
    utf8 = utf8_locale(env)
    out.append(Fact("locale", f"{var}={visible(value) or '(not set)'}: {'UTF-8' if utf8 else 'not UTF-8'}",
                    "" if utf8 else "box lines, arrows and symbols need UTF-8: export LANG=C.UTF-8 (or en_US.UTF-8), "
                                    "and set your terminal to UTF-8"))
    if env.get("SSH_CONNECTION"):
        out.append(Fact("ssh", f"from {visible(env['SSH_CONNECTION'].split()[0])}; tui-lab serve shows the app in "
                               "your browser through ssh -L"))
    return out


def launch_environ() -> dict[str, str]:
    """os.environ with the locale variables as the person set them.

    In the C locale Python sets LC_CTYPE=C.UTF-8 in its own environment before any of our
    code runs (PEP 538), which would hide LANG=C; /proc/self/environ still holds what the
    process was started with.
    """
    env = dict(os.environ)
    try:
        raw = Path("/proc/self/environ").read_bytes()
    except OSError:
        return env
    started = dict(e.decode("utf-8", "replace").partition("=")[::2] for e in raw.split(b"\0") if b"=" in e)
    for var in LOCALE_VARS:
        if var in started:
            env[var] = started[var]
        else:
            env.pop(var, None)
    return env


def facts(env: Mapping[str, str] | None = None, size: Any = "detect", nvidia: bool | None = None) -> list[Fact]:
    env = launch_environ() if env is None else env
    size = terminal_size() if size == "detect" else size
    return python_facts() + torch_facts(env, nvidia) + terminal_facts(env, size)


def report(found: list[Fact]) -> str:
    width = max(len(f.name) for f in found)
    lines = ["tui-lab doctor"]
    for f in found:
        lines.append(f"  {f.name:<{width}}  {f.value}")
        if f.hint:
            lines.append(f"  {'':<{width}}  hint: {f.hint}")
    problems = sum(1 for f in found if f.hint)
    lines.append(f"{problems} problem{'' if problems == 1 else 's'} found" if problems else "no problems found")
    return "\n".join(lines)


def main() -> int:
    """Exit 1 where a hint was given, so a setup script can test `tui-lab doctor` (2 stays bad input)."""
    found = facts()
    print(report(found))
    return 1 if any(f.hint for f in found) else 0
