from .caption_box import CaptionBox
from .frame_view import FrameView
from .kept_static import KeptStatic
from .status_bar import StatusBar

__all__ = ["CaptionBox", "FrameView", "KeptStatic", "StatusBar"]
