from .frame_view import FrameView
from .status_bar import StatusBar

__all__ = ["FrameView", "StatusBar"]
