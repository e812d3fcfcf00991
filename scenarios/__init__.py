"""Bundled scenario files, the catalogue that lists them and the loader that validates any file.

Names are imported lazily, so listing scenarios loads neither numpy nor a lab.
"""

from __future__ import annotations

from .catalog import ScenarioInfo, bundled, bundled_paths

__all__ = ["ScenarioError", "ScenarioInfo", "bundled", "bundled_paths", "load", "load_text"]


def __getattr__(name: str):
    if name in ("ScenarioError", "load", "load_text"):
        from . import loader

        return getattr(loader, name)
    raise AttributeError(name)
