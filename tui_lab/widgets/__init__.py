from .frame_view import FrameView
from .kept_static import KeptStatic
from .status_bar import StatusBar

__all__ = ["FrameView", "KeptStatic", "StatusBar"]
