"""The edit form: `EditScreen(scenario)` dismisses with the new validated params, or None."""

from .form import EditScreen

__all__ = ["EditScreen"]
