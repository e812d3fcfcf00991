"""Whether the person's locale shows UTF-8: apart from the ASCII stand-ins (look.py), so the
app can ask at start-up without importing them (their tables and regex cost its first paint
~4 ms, and a UTF-8 terminal never needs them)."""

from __future__ import annotations

import sys
from typing import Mapping


def locale_is_utf8(environ: Mapping[str, str]) -> bool:
    """Whether the person's locale shows UTF-8: LC_ALL, then LC_CTYPE, then LANG (POSIX order).

    Python itself hides a C or POSIX locale: it switches to UTF-8 mode, and with LANG=C also
    sets LC_CTYPE=C.UTF-8 in its own environment (PEP 538, 540). UTF-8 mode that nobody asked
    for (PYTHONUTF8, -X utf8) therefore means the locale was C."""
    if sys.flags.utf8_mode and not environ.get("PYTHONUTF8") and "utf8" not in sys._xoptions:
        return False
    for name in ("LC_ALL", "LC_CTYPE", "LANG"):
        value = environ.get(name)
        if value:
            return "utf-8" in value.lower() or "utf8" in value.lower()
    return False  # no locale at all is the C locale
