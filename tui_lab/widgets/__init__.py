"""The lab's own widgets, each imported where it is first named: the home screen uses
KeptStatic alone, and importing the frame view brings numpy (~75 ms) before its first paint."""

import importlib

_MODULES = {"CaptionBox": "caption_box", "FrameView": "frame_view", "KeptStatic": "kept_static",
            "StatusBar": "status_bar"}

__all__ = list(_MODULES)


def __getattr__(name: str):
    if name in _MODULES:
        return getattr(importlib.import_module(f".{_MODULES[name]}", __name__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
