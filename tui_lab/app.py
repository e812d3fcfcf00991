"""The Textual app: home screen, scenario screens, the command palette (palette.py), the size guard.

Two rules about the screen stack live here, for every screen:
- the too-small notice is on top exactly while the terminal is below the minimum, whatever
  else opens or closes meanwhile (it is never left behind under another screen);
- a key typed for a screen that has closed since does nothing when it arrives: it cannot
  close the screen below, or quit from the home screen.
"""

from __future__ import annotations

from pathlib import Path
from typing import Iterable, Sequence

from textual._context import active_message_pump
from textual.app import App, SystemCommand
from textual.await_complete import AwaitComplete
from textual.command import CommandPalette
from textual.content import Content
from textual.dom import NoScreen
from textual.events import Key, MouseDown, MouseScrollDown, MouseScrollUp
from textual.screen import Screen
from textual.widget import Widget

from engine.core.fmt import visible

from . import warm
from .screens.home import HomeScreen
from .screens.too_small import NoticeStack


def _lab_commands():
    """The palette's provider, imported when the palette first opens (Textual takes a callable)."""
    from .palette import LabCommands

    return LabCommands


# Every screen's layout but the home screen's (app.tcss): read as the first other screen
# opens, since parsing it cost the home screen's first paint as much as its search box did.
SCREENS_CSS = Path(__file__).with_name("screens.tcss")

# What a person does and waits to see answered: the torch warm-up is held until the next
# paint (warm.hold). A moving mouse is not one: it would hold the warm-up while it moves.
_ANSWERED = (Key, MouseDown, MouseScrollDown, MouseScrollUp)


class LabApp(NoticeStack, App):
    """tui-lab: deep networks, one operation at a time."""

    CSS_PATH = "app.tcss"
    TITLE = "tui-lab"
    ENABLE_COMMAND_PALETTE = True
    COMMANDS = {_lab_commands}

    def __init__(self, scenario: str | None = None, device: str = "auto", seed: int | None = None,
                 screen: Screen | None = None, allow_dirs: Sequence[str | Path] = ()) -> None:
        super().__init__()
        self.start_scenario = scenario
        self.device_name = device
        self.seed = seed
        # Folders besides a scenario's own whose files it may read (--allow-dir).
        self.allow_dirs = tuple(allow_dirs)
        # Headless export shows one prepared screen instead of the home screen.
        self.start_screen = screen
        self.closing = False
        self._catalogue: list | None = None
        # Live runs left with q, by scenario: reopening one resumes it (see LabRunner).
        self.parked: dict = {}

    def get_default_screen(self) -> Screen:
        """The home screen is the bottom of the stack itself: pushed over Textual's blank
        default screen, it cost the first paint a second screen's widgets, styles and layouts
        (~7 ms of the start-up the home screen adds to a bare Textual app's)."""
        return super().get_default_screen() if self.start_screen is not None else HomeScreen()

    def on_mount(self) -> None:
        self._ascii_unless_utf8()
        # Textual honours NO_COLOR with a filter on what it writes; pictures that carry their
        # meaning in colour (a heatmap's sign) read this to draw it in characters instead.
        self.console.no_color = self.no_color
        if self.start_screen is not None:
            self.push_screen(self.start_screen)
            return
        if self.start_scenario:
            self.open_scenario(self.start_scenario)
        self._guard()

    def _ascii_unless_utf8(self) -> None:
        """A terminal whose locale is not UTF-8 (LANG=C) shows UTF-8 bytes as garbage and
        breaks the columns: every character the app writes goes out as ASCII of the same
        width instead (the escape codes are ASCII already)."""
        import os

        from .export.locale_utf8 import locale_is_utf8

        driver = self._driver
        if driver is None or driver.is_headless or locale_is_utf8(os.environ):
            return
        from .export.look import ascii_text  # only now: its tables cost the first paint ~4 ms

        write = driver.write
        driver.write = lambda data: write(data if data.isascii() else ascii_text(data))

    def open_scenario(self, name) -> None:
        """Open a bundled name, a path or a Scenario built in memory (`open --model`); a bad
        file is a notification, not a crash. A scenario whose model is code asks first.

        The new scenario replaces whatever was open above the home screen, so q always
        walks back home, not through every lab visited from the palette.
        """
        from scenarios import ScenarioError, load

        if isinstance(name, str):
            try:
                scenario = load(name, allow=self.allow_dirs)
            except ScenarioError as exc:
                self.notify(str(exc), title="Cannot open scenario", severity="error", timeout=10)
                return
        else:
            scenario = name
        spec = None
        if scenario.lab == "arch":
            from engine.arch.model import needs_trust

            spec = needs_trust(scenario.params)
        if spec:
            from .screens.trust import TrustScreen

            self.push_screen(TrustScreen(spec), lambda ok: ok and self._open(scenario))
        else:
            self._open(scenario)

    def _open(self, scenario) -> None:
        from .keys import scenario_screen

        # Textual's own pops and push, past the notice's rules: all down to home (the notice
        # too), the lab on it, and the notice back on top if the terminal is still too small.
        home = next((s for s in self.screen_stack if isinstance(s, HomeScreen)), None)
        if home is not None:
            while self.screen_stack[-1] is not home:
                App.pop_screen(self)
            home.visited = scenario.name
        screen = scenario_screen(scenario.lab)(scenario, device=self.device_name, seed=self.seed)
        App.push_screen(self, screen)
        self._guard()

    # --- what a person typed or a file holds is shown literally ------------------
    def format_title(self, title: str, sub_title: str) -> Content:
        return super().format_title(visible(title), visible(sub_title))

    def notify(self, message: str, *, title: str = "", severity: str = "information",
               timeout: float | None = None, markup: bool = False) -> None:
        """Every notification is literal text: messages quote file names, keys and values. One
        already on show is not shown again: a key held down where it does nothing (the last
        step, a knob's end) would stack one per press over the frame."""
        message, title = visible(message, keep_newlines=True), visible(title)
        if any(shown.message == message and shown.title == title for shown in self._notifications):
            return
        super().notify(message, title=title, severity=severity, timeout=timeout, markup=False)

    def action_help_quit(self) -> None:
        """ctrl+c: how to quit, in plain words (Textual's own message is markup, shown here as
        written: `Press [b]ctrl+q[/b] to quit the app`)."""
        for key, active in self.active_bindings.items():
            if active.binding.action in ("quit", "app.quit"):
                self.notify(f"Press {key} to quit the app", title="Do you want to quit?")
                return

    # --- the screen stack ---------------------------------------------------------
    def _load_screen_css(self, screen: Screen) -> None:
        """Where Textual reads a screen's own CSS as it opens (pushed, switched to, or a mode's),
        screens.tcss is read too, once, for the first screen other than home."""
        if not isinstance(screen, HomeScreen) and not self.stylesheet.has_source(str(SCREENS_CSS)):
            self.stylesheet.read(SCREENS_CSS)
            self.stylesheet.reparse()
            self.stylesheet.update(self)
        super()._load_screen_css(screen)

    def pop_screen(self) -> AwaitComplete:
        stack = self._under_notice()
        if self._from_closed_screen() or len(stack) <= 1 or isinstance(stack[-1], HomeScreen):
            return AwaitComplete.nothing()  # the home screen is never popped (q there quits)
        return super().pop_screen()

    def exit(self, *args, **kwargs) -> None:
        if not self._from_closed_screen():
            self.closing = True
            super().exit(*args, **kwargs)

    def _from_closed_screen(self) -> bool:
        """Is a handler of a screen that is no longer on show running (a key typed before it
        closed)? Its requests to close or quit were meant for it, not for what is now on top."""
        try:
            pump = active_message_pump.get()
        except LookupError:
            return False
        if not isinstance(pump, Widget):
            return False  # the app itself: a palette command, a resize, a test
        try:
            screen = pump if isinstance(pump, Screen) else pump.screen
        except NoScreen:
            return True
        stack = self.screen_stack
        if stack and screen is stack[-1]:
            return False
        # Under the notice, the screen below it is still the one a person is on.
        return not (self._guarded() and len(stack) >= 2 and screen is stack[-2])

    async def _shutdown(self) -> None:
        self.closing = True  # also when closed from outside exit() (a test's run_test)
        await super()._shutdown()

    # --- the torch warm-up waits while a key is answered (warm.py) ----------------------
    def post_message(self, message) -> bool:
        if isinstance(message, _ANSWERED):
            warm.hold()
        return super().post_message(message)

    def post_display_hook(self) -> None:
        warm.release()

    async def _on_key(self, event) -> None:
        # Keys still queued once the app is closing meet screens half taken down (or none:
        # Textual would raise), and a key for a screen not yet mounted would run its actions
        # before its widgets exist: both are dropped, never a crash.
        if self.closing or not self.screen_stack or not self.screen.is_mounted:
            event.prevent_default()
            event.stop()

    # --- command palette ----------------------------------------------------------
    def action_command_palette(self) -> None:
        """One palette at a time, and none while the terminal is too small to use it."""
        if self._guarded() or any(isinstance(s, CommandPalette) for s in self.screen_stack):
            return
        from .palette import LabPalette

        # No fixed id (Textual gives its palette one): the last one may still be unmounting.
        self.push_screen(LabPalette())

    def search_themes(self) -> None:
        """The palette's Theme command, in the same safe palette."""
        from textual.theme import ThemeProvider

        from .palette import LabPalette

        self.push_screen(LabPalette(providers=[ThemeProvider], placeholder="Search for themes…"))

    def get_system_commands(self, screen: Screen) -> Iterable[SystemCommand]:
        yield from super().get_system_commands(screen)
        from .screens.scenario import ScenarioScreen

        if isinstance(screen, ScenarioScreen):
            from .keys import bindings_of, palette_commands

            yield from palette_commands(screen, bindings_of(type(screen)))
        if self._catalogue is None:  # the palette asks on every key typed
            from scenarios import bundled

            self._catalogue = bundled()
        for info in self._catalogue:
            yield SystemCommand(f"Open: {visible(info.title)}", f"{info.lab} lab · {info.name}",
                                lambda n=info.name: self.open_scenario(n))

