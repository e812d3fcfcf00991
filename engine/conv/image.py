"""Images for the convolution lab: built-in procedural pictures, a user's PNG/JPEG, named filters.

Pixels are grey levels 0..255 (one channel), so every product on screen is a small
readable number. Pillow is imported only when a file is actually named.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ..core.files import not_a_file
from ..core.params import ParamError

BUILTIN = ("shapes", "checker", "gradient", "stripes")
# A named image is decoded whole before it is resized: cap its pixels (Pillow's own
# decompression-bomb limit is 179 million) and the height it takes once resized.
MAX_SOURCE_PIXELS = 50_000_000
MAX_HEIGHT = 1024


def builtin(name: str, width: int) -> np.ndarray:
    """A procedural picture, `width` pixels wide and 3/4 as tall: (H, W) float grey levels."""
    h, w = max(4, width * 3 // 4), width
    y, x = np.mgrid[0:h, 0:w].astype(float)
    if name == "checker":
        cell = max(2, w // 8)
        img = 40 + 180 * (((y // cell) + (x // cell)) % 2)
    elif name == "gradient":
        img = 255 * x / max(1, w - 1)
    elif name == "stripes":
        img = 40 + 180 * ((x // max(2, w // 10)) % 2)
    else:  # shapes: a bright disc, a grey square and a dark diagonal bar on a mid background
        img = np.full((h, w), 110.0)
        img[(y - h * 0.45) ** 2 + (x - w * 0.3) ** 2 < (h * 0.28) ** 2] = 235
        img[int(h * 0.25):int(h * 0.75), int(w * 0.6):int(w * 0.88)] = 170
        img[np.abs((y - h * 0.8) - (x - w * 0.2) * 0.25) < 1.2] = 20
    return np.round(img)


# PNG and JPEG only, told by their first bytes (Pillow would otherwise try every format it
# knows; an EPS would even call Ghostscript where it is installed).
SIGNATURES = {b"\x89PNG\r\n\x1a\n": "PNG", b"\xff\xd8\xff": "JPEG"}


def _checked(path: str, key: str) -> tuple[Path, str]:
    p = Path(path).expanduser()
    problem = not_a_file(p, path)
    if problem:
        raise ParamError(key, f"{problem}; name a PNG or JPEG, or one of " + ", ".join(f'"{b}"' for b in BUILTIN))
    try:
        with p.open("rb") as fh:
            head = fh.read(8)
    except OSError as exc:
        raise ParamError(key, f'cannot read "{path}": {exc.strerror}') from None
    kind = next((k for sig, k in SIGNATURES.items() if head.startswith(sig)), None)
    if kind is None:
        raise ParamError(key, f'"{path}" is not a PNG or JPEG file (by its first bytes); convert it to PNG')
    return p, kind


def size(path: str, width: int, key: str = "params.image") -> tuple[int, int]:
    """(height, width) of the picture once resized to `width`, from the file's header alone."""
    if path in BUILTIN:
        return max(4, width * 3 // 4), width
    w, h0 = _header(path, key)
    h = max(2, round(h0 * width / w))
    if h > MAX_HEIGHT:
        raise ParamError(key, f'"{path}" is {w}×{h0} pixels: {width} pixels wide it would be {h:,} tall; '
                         f"at most {MAX_HEIGHT} rows: use an image closer to square")
    return h, width


def _header(path: str, key: str) -> tuple[int, int]:
    from PIL import Image, UnidentifiedImageError

    p, kind = _checked(path, key)
    try:
        with Image.open(p, formats=[kind]) as im:
            w, h0 = im.size
    except Image.DecompressionBombError:
        raise ParamError(key, f'"{path}" is too large an image (Pillow refuses it as a decompression bomb); '
                         "use a smaller image") from None
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError, EOFError) as exc:
        raise ParamError(key, f'cannot read "{path}" as an image ({type(exc).__name__}); expected a PNG or JPEG file') from None
    if w < 1 or h0 < 1 or w * h0 > MAX_SOURCE_PIXELS:
        raise ParamError(key, f'"{path}" is {w}×{h0} pixels; at most {MAX_SOURCE_PIXELS:,} pixels '
                         "are read: use a smaller image")
    return w, h0


def load(path: str, width: int, key: str = "params.image") -> np.ndarray:
    """A PNG/JPEG as grey levels, resized to `width` pixels wide keeping its aspect ratio."""
    from PIL import Image, UnidentifiedImageError

    h, _ = size(path, width, key)  # the size is checked before any pixel is decoded
    p, kind = _checked(path, key)
    try:
        with Image.open(p, formats=[kind]) as im:
            im = im.convert("L")
            im = im.resize((width, h), Image.Resampling.LANCZOS)
            return np.asarray(im, dtype=float)
    except Image.DecompressionBombError:
        raise ParamError(key, f'"{path}" is too large an image (Pillow refuses it as a decompression bomb); '
                         "use a smaller image") from None
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError, EOFError) as exc:
        raise ParamError(key, f'cannot read "{path}" as an image ({type(exc).__name__}); expected a PNG or JPEG file') from None
    except MemoryError:
        raise ParamError(key, f'"{path}" is too large an image to decode; use a smaller image') from None


def picture(name: str, width: int) -> np.ndarray:
    return builtin(name, width) if name in BUILTIN else load(name, width)


def filters() -> dict[str, np.ndarray]:
    """The lecture's named kernels, written as the lecture writes them (before any flip)."""
    identity = np.zeros((3, 3))
    identity[1, 1] = 1
    box = np.ones((3, 3)) / 9
    shift = np.zeros((3, 3))
    shift[1, 0] = 1  # flipped by true convolution, it reads the pixel to the right: the image moves left
    return {
        "identity": identity,
        "shift-left": shift,
        "box": box,
        "sharpen": 2 * identity - box,
        "sobel": np.array([[-1.0, -2, -1], [0, 0, 0], [1, 2, 1]]),
    }


# How the "after" picture maps values to grey: smoothing filters keep the 0..255 range
# (clip), edge filters give signed responses around 0, drawn as their magnitude (abs).
DISPLAY = {"identity": "clip", "shift-left": "clip", "box": "clip", "sharpen": "clip", "sobel": "abs"}
