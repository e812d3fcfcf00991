"""Script actions: what replay (and the app's play) does with a scenario.

Each action is a table with `do` and its own keys, declared here once and validated
with the same machinery as lab params.
"""

from __future__ import annotations

import re
from typing import Any, Sequence

from .core.params import Param, ParamError, did_you_mean, unknown_key, validate

# A snapshot's file name stem: no folders, so a scenario cannot write outside the output folder.
SNAPSHOT_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,99}")

ACTIONS: dict[str, tuple[Param, ...]] = {
    "step": (Param("times", "int", 1, "how many steps forward", min=1),),
    "back": (Param("times", "int", 1, "how many steps back", min=1),),
    "first": (),
    "last": (),
    "play": (Param("steps", "int", 0, "how many steps to play; 0 = to the end", min=0),),
    "finish": (),
    "set": (
        Param("key", "str", doc="the parameter to change"),
        Param("value", "any", doc="its new value, validated like the file's own"),
    ),
    "knob": (
        Param("key", "str", doc="the knob's parameter path, e.g. stride or optimizers[2].beta1"),
        Param("value", "any", doc="its new value; the lab recomputes at the current step"),
    ),
    "snapshot": (Param("name", "str", "", "file name stem for the SVG written at this point"),),
    "caption": (Param("text", "str", doc="the teacher's note shown with the current frame"),),
    "pause": (Param("seconds", "float", 1.0, "a delay in the recording", min=0, max=600),),
}


def validate_script(raw: Any, lab_params: Sequence[Param], where: str = "script") -> list[dict[str, Any]]:
    """Validate a list of action tables; `set` keys must be the lab's own params."""
    if not isinstance(raw, list) or not all(isinstance(a, dict) for a in raw):
        raise ParamError(where, "expected a list of tables ([[script]] entries)")
    names = {p.name for p in lab_params}
    out = []
    for i, action in enumerate(raw):
        key = f"{where}[{i}]"
        do = action.get("do")
        if do is None:
            raise ParamError(f"{key}.do", "missing; expected one of " + ", ".join(ACTIONS))
        if not isinstance(do, str) or do not in ACTIONS:
            raise ParamError(f"{key}.do", f"unknown action {do!r}; {did_you_mean(do, ACTIONS)}expected one of "
                             + ", ".join(ACTIONS))
        spec = ACTIONS[do]
        rest = {k: v for k, v in action.items() if k != "do"}
        if do == "set":
            for k in rest:
                if k not in ("key", "value"):
                    raise unknown_key(f"{key}.{k}", k, ["key", "value"], "unknown key for 'set'")
            if not isinstance(rest.get("key"), str):
                raise ParamError(f"{key}.key", "missing; expected the name of a parameter")
            if rest["key"] not in names:
                raise ParamError(f"{key}.key", f"unknown parameter {rest['key']!r}; {did_you_mean(rest['key'], names)}"
                                 "allowed: " + ", ".join(sorted(names)))
            if "value" not in rest:
                raise ParamError(f"{key}.value", "missing; expected the parameter's new value")
            clean = dict(rest)
        else:
            clean = validate(spec, rest, key)
        if do == "snapshot" and clean["name"] and not SNAPSHOT_NAME.fullmatch(clean["name"]):
            raise ParamError(f"{key}.name", f"{clean['name']!r} is not a plain file name; use letters, digits, '.', '_' "
                             "and '-' (the SVG is written beside the output)")
        if do == "knob":
            from .core.knobs import parse_path

            try:
                head = parse_path(clean["key"])[0]
            except KeyError:
                raise ParamError(f"{key}.key", f"{clean['key']!r} is not a parameter path such as stride or "
                                 "optimizers[2].beta1") from None
            if head not in names:
                raise ParamError(f"{key}.key", f"unknown parameter {head!r}; allowed: " + ", ".join(sorted(names)))
        out.append({"do": do, **clean})
    return out
