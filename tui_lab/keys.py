"""The key plan of DESIGN.md, as Textual Bindings declared once.

Common keys are the same in every lab. A lab adds its own from two declarations: the
engine's `Lab.KEYS` (actions that change what the lab computes next, e.g. `g` a forward
pass) and its renderer's `VIEW_KEYS` (view-only changes, e.g. zoom). Each becomes a
Binding here, with an id, so the footer, the command palette and `?` help all read the
same table and none of them is written by hand.
"""

from __future__ import annotations

from dataclasses import replace
from functools import lru_cache

from textual.binding import Binding

SPEED = Binding.Group("Speed", compact=True)
KNOB = Binding.Group("Knob", compact=True)


def in_order(bindings: list[Binding]) -> list[Binding]:
    """Every key of the scenario screen as a priority binding. The app runs a priority binding
    as it takes the key, and any other only once the focused widget has passed the key up: in
    a burst, a priority key overtook the keys typed before it (`] ] . → →` in the char-RNN lab
    stepped twice before the turn). All priority, they run in the order typed; and stepping
    wins over the frame view's scrolling with the same keys (it still scrolls with ↑ ↓ pgup
    pgdn)."""
    return [replace(b, priority=True) for b in bindings]


COMMON: list[Binding] = in_order([
    Binding("right,n,space", "next", "Next", id="next", tooltip="next step"),
    Binding("left,p", "prev", "Prev", id="prev", tooltip="previous step"),
    Binding("home", "first", "First", show=False, id="first", tooltip="first step"),
    Binding("end", "last", "Last", show=False, id="last", tooltip="last computed step; again: compute to the end"),
    Binding("a,enter", "play", "Play", id="play", tooltip="play / pause"),
    Binding("plus,equals_sign", "speed(1)", "Faster", id="faster", key_display="+", group=SPEED,
            tooltip="play faster"),
    Binding("minus", "speed(-1)", "Slower", id="slower", key_display="−", group=SPEED, tooltip="play slower"),
    Binding("f", "finish", "Finish", id="finish", tooltip="finish: compute every remaining step"),
    Binding("r", "reset", "Reset", id="reset", tooltip="reset to step 0"),
    Binding("e", "edit", "Edit", id="edit", tooltip="edit the parameters in a form"),
    Binding("s", "save", "Save", id="save", show=False, tooltip="save the parameters as a scenario file"),
    Binding("ctrl+r", "record", "Record", show=False, id="record",
            tooltip="start / stop recording a walk-through (saved as a scenario script)"),
    Binding("left_square_bracket", "knob(-1)", "Prev knob", show=False, id="knob-prev", key_display="[",
            tooltip="choose the previous knob"),
    Binding("right_square_bracket", "knob(1)", "Next knob", show=False, id="knob-next", key_display="]",
            tooltip="choose the next knob"),
    Binding("comma", "turn(-1)", "Knob −", id="turn-down", key_display=",", group=KNOB,
            tooltip="turn the knob down one step"),
    Binding("full_stop", "turn(1)", "Knob +", id="turn-up", key_display=".", group=KNOB,
            tooltip="turn the knob up one step"),
    Binding("less_than_sign", "turn(-1, True)", "Knob −−", show=False, id="turn-down-big", key_display="<",
            tooltip="turn the knob down a big step"),
    Binding("greater_than_sign", "turn(1, True)", "Knob ++", show=False, id="turn-up-big", key_display=">",
            tooltip="turn the knob up a big step"),
    Binding("y", "plot('ylog')", "Log y", show=False, id="plot-log", tooltip="plots: linear / log scale"),
    Binding("b", "plot('bits')", "Bits", show=False, id="plot-bits",
            tooltip="plots: a loss in nats / in bits"),
    Binding("question_mark", "help", "Help", id="help", tooltip="help for this lab, with every key"),
    # Back runs as the app takes the key, before the keys typed after it in the same burst
    # reach the screen (else `n`, space or `p` there would step the closing lab instead of
    # reaching the list's filter).
    Binding("q,escape", "back", "Back", id="back", tooltip="back to the list (quit from there)"),
])


def lab_bindings(lab: str) -> list[Binding]:
    """The lab's own keys as Bindings (not in the footer; in the palette and help)."""
    from engine.registry import lab_class

    from .render import renderer

    out = [Binding(key, f"lab('{name}')", description, show=False, id=f"lab-{name}", tooltip=description)
           for key, name, description in lab_class(lab).KEYS]
    out += [Binding(k.key, f"view('{k.name}')", k.description, show=False, id=f"view-{k.name}",
                    tooltip=k.description)
            for k in getattr(renderer(lab), "VIEW_KEYS", ())]
    return in_order(out)


@lru_cache(maxsize=None)
def scenario_screen(lab: str) -> type:
    """The scenario screen for one lab: the common bindings plus the lab's own."""
    from .screens.scenario import ScenarioScreen

    return type(f"{lab.title()}ScenarioScreen", (ScenarioScreen,),
                {"BINDINGS": lab_bindings(lab), "LEFT_OUT": left_out(lab), "__module__": __name__})


PLOT_KEYS = {"plot-log": "ylog", "plot-bits": "bits"}  # binding id → the view it toggles


def left_out(lab: str) -> frozenset[str]:
    """The common bindings a lab has no use for: plot keys where its plots do not honour them."""
    from .render import renderer

    honoured = getattr(renderer(lab), "PLOT_VIEWS", ())
    return frozenset(i for i, view in PLOT_KEYS.items() if view not in honoured)


def described(bindings: list[Binding]) -> list[tuple[str, str]]:
    """(keys as shown, what they do) for help and the palette, one row per binding."""
    from textual.keys import format_key

    rows = []
    for b in bindings:
        keys = b.key_display or " ".join(format_key(k.strip()) for k in b.key.split(","))
        rows.append((keys, b.tooltip or b.description))
    return rows


def bindings_of(screen: type) -> list[Binding]:
    """Every binding a screen class declares, base classes first, one per id."""
    seen: dict[str, Binding] = {}
    gone = getattr(screen, "LEFT_OUT", frozenset())
    for cls in reversed(screen.__mro__):
        if not cls.__module__.startswith("tui_lab"):
            continue  # Textual's own (focus keys) are Textual's to document
        for b in cls.__dict__.get("BINDINGS", ()):
            if isinstance(b, Binding) and b.id not in gone:
                seen[b.id or b.action] = b
    return list(seen.values())


def palette_commands(screen, bindings: list[Binding]):
    """The command palette's entries for a screen: one per binding, plus "go to step"."""
    from textual.app import SystemCommand

    for binding, (keys, what) in zip(bindings, described(bindings)):
        yield SystemCommand(what[:1].upper() + what[1:], f"key: {keys}",
                            lambda a=binding.action: screen.run_action(a))
    if hasattr(screen, "ask_step"):
        yield SystemCommand("Go to step…", "type a step number", screen.ask_step)
