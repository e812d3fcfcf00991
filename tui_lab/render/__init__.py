"""Frame -> Rich renderable, one module per lab; the app and headless replay share these."""

from __future__ import annotations

import importlib
from typing import Any, Callable

from rich.console import RenderableType
from rich.text import Text

from engine.core.frame import Frame


def renderer(lab: str):
    """The lab's render module; it defines `render(frame, width, view)` and may define
    `KEYS`: (key, description, function(view)) for view-only changes such as zoom or pan."""
    return importlib.import_module(f"tui_lab.render.{lab}")


def view_keys(lab: str) -> list[tuple[str, str, Callable[[dict[str, Any]], None]]]:
    return list(getattr(renderer(lab), "KEYS", []))


def render_frame(lab: str, frame: Frame, width: int = 100, view: dict[str, Any] | None = None) -> RenderableType:
    """Draw a frame for a terminal `width` columns wide; `view` holds the screen's zoom/pan state."""
    try:
        module = renderer(lab)
    except ModuleNotFoundError:
        return Text(f"(no renderer for the {lab} lab yet)")
    return module.render(frame, width, {} if view is None else view)
