"""The Scenario type: which lab, its validated params, a seed and a script.

Read by `loader.py`, written by `writer.py`; both sides of the file format live here in
`scenarios/`.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class Scenario:
    """A validated scenario file (or one built in the app)."""

    name: str
    title: str
    lab: str
    params: dict[str, Any]
    seed: int = 0
    description: str = ""
    script: tuple[dict[str, Any], ...] = ()
    path: Path | None = None

    def with_params(self, **changes: Any) -> "Scenario":
        """A copy with some params changed and re-validated (ParamError if invalid)."""
        raw = {**self.params, **changes}
        from engine.registry import lab_class

        return replace(self, params=lab_class(self.lab).validate(raw))
