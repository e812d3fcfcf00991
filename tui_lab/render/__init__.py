"""Frame -> Rich renderable, one module per lab; the app and headless replay share these.

A lab's render module defines `render(frame, width, view)` and may define `VIEW_KEYS`:
view-only keys (zoom, pan, which unit is shown) that change the `view` dict and never
recompute a frame. `tui_lab/keys.py` turns them into Bindings. It may also define
`follow_knob(view, key) -> bool`: the view follows the knob chosen (True when it changed).
"""

from __future__ import annotations

import importlib
from types import ModuleType
from typing import Any, Callable, NamedTuple

from rich.console import RenderableType

from engine.core.frame import Frame


class ViewKey(NamedTuple):
    """A renderer's view-only key: `fn(view)` changes the view dict."""

    key: str
    name: str
    description: str
    fn: Callable[[dict[str, Any]], None]


def renderer(lab: str) -> ModuleType:
    return importlib.import_module(f"tui_lab.render.{lab}")


def view_key(lab: str, name: str) -> ViewKey:
    return next(k for k in getattr(renderer(lab), "VIEW_KEYS", ()) if k.name == name)


def follow_knob(lab: str, view: dict[str, Any], key: str) -> bool:
    """Let the view show what the chosen knob turns (the optimizer lab selects its optimizer)."""
    follow = getattr(renderer(lab), "follow_knob", None)
    return bool(follow and follow(view, key))


def render_frame(lab: str, frame: Frame, width: int = 100, view: dict[str, Any] | None = None) -> RenderableType:
    """Draw a frame for a terminal `width` columns wide; `view` holds the screen's view state
    (zoom, pan, plot scales, a ghost of the previous result, live figures)."""
    return renderer(lab).render(frame, width, {} if view is None else view)
