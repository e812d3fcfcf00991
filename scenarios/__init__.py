"""Bundled scenario files and the loader that validates any scenario file."""

from .loader import ScenarioError, ScenarioInfo, bundled, load, load_text

__all__ = ["ScenarioError", "ScenarioInfo", "bundled", "load", "load_text"]
