"""A model from code: `net.py:Net` (a file) or `package.module:build` (an installed module).

NAME is an nn.Module class or a function returning one, called with no arguments or with
keyword arguments, and built on the meta device: parameters get shapes but no memory, so a
7-billion-parameter model opens on a laptop.

Importing a model runs its code. Nothing here imports until a person has said yes:
`allow(spec)` records that (the command line's --model or --trust-code, the app's question);
the example models bundled beside the scenarios are ours and always allowed. `check_spec`
looks only at the form of the string and that the file exists; it never imports.
Every failure is a ModelError: one line naming the file and quoting the model's own error.
"""

from __future__ import annotations

import importlib
import importlib.util
import re
import sys
import threading
import traceback
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..core.fmt import clip, visible

IDENT = r"[A-Za-z_][A-Za-z0-9_]*"
MODULE = re.compile(rf"{IDENT}(\.{IDENT})*")
FORM = "FILE.py:NAME or package.module:NAME, e.g. net.py:Net"


class ModelError(ValueError):
    """A model that cannot be opened; `key` is the scenario key to blame (model, kwargs, input)."""

    def __init__(self, message: str, key: str = "model") -> None:
        super().__init__(message)
        self.message = message
        self.key = key


@dataclass(frozen=True)
class ModelSpec:
    text: str  # as written
    source: str  # the file's path, or the module's dotted name
    name: str
    is_file: bool

    @property
    def path(self) -> Path:
        return Path(self.source).expanduser()

    @property
    def shown(self) -> str:
        """How messages name it: the file as given, or the module."""
        return visible(self.source)

    @property
    def short(self) -> str:
        """`resnet_tiny.py:ResNetTiny`: the same on every machine (frames and golden files hold this)."""
        return visible(f"{self.path.name if self.is_file else self.source}:{self.name}")


def parse_spec(text: str) -> ModelSpec:
    """The form only: FILE.py:NAME or package.module:NAME."""
    source, colon, name = text.rpartition(":")
    if not colon or not source or not re.fullmatch(IDENT, name):
        raise ModelError(f'"{visible(clip(text, 80))}" is not a model; expected {FORM}')
    if source.endswith(".py"):
        return ModelSpec(text, source, name, True)
    if MODULE.fullmatch(source):
        return ModelSpec(text, source, name, False)
    raise ModelError(f'"{visible(clip(text, 80))}": before the colon expected a .py file or a dotted module name; '
                     f"expected {FORM}")


def check_spec(text: str) -> ModelSpec:
    """The form, and for a file that it is there; never imports (scenario `check` uses this)."""
    spec = parse_spec(text)
    if spec.is_file:
        if not spec.path.exists():
            raise ModelError(f"{spec.shown}: no such file")
        if not spec.path.is_file():
            raise ModelError(f"{spec.shown}: not a regular file; expected a Python file defining {spec.name}")
    return spec


# --- trust ------------------------------------------------------------------------------

_allowed: set[str] = set()
_lock = threading.Lock()


def _trust_key(spec: ModelSpec) -> str:
    return str(spec.path.resolve()) if spec.is_file else f"module {spec.source}"


def bundled_folder() -> Path:
    """scenarios/models/, found without importing the scenarios package."""
    found = importlib.util.find_spec("scenarios")
    assert found is not None and found.origin is not None
    return Path(found.origin).resolve().parent / "models"


def is_bundled(spec: ModelSpec) -> bool:
    return spec.is_file and spec.path.resolve().parent == bundled_folder()


def allow(text: str) -> ModelSpec:
    """A person said yes to importing this model (and running its code) in this process."""
    spec = check_spec(text)
    with _lock:
        _allowed.add(_trust_key(spec))
    return spec


def allowed(text: str) -> bool:
    spec = parse_spec(text)
    return is_bundled(spec) or _trust_key(spec) in _allowed


def needs_trust(params: dict[str, Any]) -> str | None:
    """The model an arch scenario names, when importing it still needs a person's yes."""
    text = params.get("model") or ""
    if not text:
        return None
    try:
        return None if allowed(text) else text
    except ModelError:
        return None  # a malformed model string fails at load with its own message


# --- import and build -------------------------------------------------------------------


def quote(exc: BaseException, spec: ModelSpec) -> str:
    """The model's own error in one line, with the line of the model's file it came from."""
    if isinstance(exc, SyntaxError):
        where = f" (line {exc.lineno})" if exc.lineno else ""
        return clip(visible(f"SyntaxError: {exc.msg}{where}"), 200)
    text = str(exc).strip().splitlines()
    msg = f"{type(exc).__name__}: {text[0]}" if text else type(exc).__name__
    if spec.is_file:
        path = str(spec.path.resolve())
        lines = [f.lineno for f in traceback.extract_tb(exc.__traceback__) if f.filename == path]
        if lines:
            msg += f" (line {lines[-1]})"
    return clip(visible(msg), 200)


def _import_file(spec: ModelSpec) -> Any:
    path = spec.path.resolve()
    stat = path.stat()
    # A unique module name per file and version, so an edited file is imported afresh.
    name = f"_tui_lab_model_{abs(hash(str(path))):x}_{stat.st_mtime_ns:x}"
    if name in sys.modules:
        return sys.modules[name]
    found = importlib.util.spec_from_file_location(name, path)
    if found is None or found.loader is None:
        raise ModelError(f"{spec.shown}: cannot be imported as a Python file")
    module = importlib.util.module_from_spec(found)
    sys.modules[name] = module  # dataclasses and pickling look the module up by name
    folder = str(path.parent)
    sys.path.insert(0, folder)  # so the file can import its neighbours
    try:
        found.loader.exec_module(module)
    except (Exception, SystemExit) as exc:
        del sys.modules[name]
        raise ModelError(f"{spec.shown}: import failed: {quote(exc, spec)}") from None
    finally:
        if folder in sys.path:
            sys.path.remove(folder)
    return module


def _import_module(spec: ModelSpec) -> Any:
    try:
        return importlib.import_module(spec.source)
    except ModuleNotFoundError as exc:
        if exc.name and (spec.source == exc.name or spec.source.startswith(exc.name + ".")):
            raise ModelError(f"{spec.shown}: no module by that name is installed (it is imported as "
                             f"{spec.source}; a file needs its .py)") from None
        raise ModelError(f"{spec.shown}: import failed: {quote(exc, spec)}") from None
    except (Exception, SystemExit) as exc:
        raise ModelError(f"{spec.shown}: import failed: {quote(exc, spec)}") from None


def _builder(module: Any, spec: ModelSpec) -> Any:
    from torch import nn

    if not hasattr(module, spec.name):
        defined = [k for k, v in vars(module).items()
                   if not k.startswith("_") and isinstance(v, type) and issubclass(v, nn.Module)
                   and v.__module__ == module.__name__]
        hint = f"; it defines {', '.join(defined[:6])}" if defined else "; it defines no nn.Module class"
        raise ModelError(f"{spec.shown}: no {spec.name} in it{hint}")
    obj = getattr(module, spec.name)
    if isinstance(obj, type) and not issubclass(obj, nn.Module):
        raise ModelError(f"{spec.shown}: {spec.name} is a class but not a torch.nn.Module")
    if not callable(obj):
        raise ModelError(f"{spec.shown}: {spec.name} is not an nn.Module class or a function returning one "
                         f"(it is a {type(obj).__name__})")
    return obj


def build(text: str, kwargs: dict[str, Any] | None = None, device: str = "meta") -> Any:
    """Import the model (only when allowed) and build it on `device`: meta for the walk."""
    import torch
    from torch import nn

    spec = check_spec(text)
    if not allowed(text):
        raise ModelError(f"{spec.shown}: not trusted: opening it imports the file and runs its code; "
                         "allow it first (replay --trust-code, or answer y in the app)")
    module = _import_file(spec) if spec.is_file else _import_module(spec)
    make = _builder(module, spec)
    args = ", ".join(f"{k}={v!r}" for k, v in (kwargs or {}).items())
    call = f"{spec.name}({clip(args, 60)})"
    try:
        with torch.device(device):
            model = make(**(kwargs or {}))
    except TypeError as exc:  # most often: a constructor argument missing or unknown
        hint = "; give them as kwargs (--kwargs '{\"name\": value}' on the command line)" if "missing" in str(exc) else ""
        raise ModelError(f"{spec.shown}: {call} failed: {quote(exc, spec)}{hint}", key="kwargs") from None
    except (Exception, SystemExit) as exc:
        where = " on the meta device (shapes, no values)" if device == "meta" else f" on {device}"
        raise ModelError(f"{spec.shown}: {call} failed{where}: {quote(exc, spec)}", key="kwargs") from None
    if not isinstance(model, nn.Module):
        raise ModelError(f"{spec.shown}: {call} returned {type(model).__name__}, not a torch.nn.Module")
    return model
