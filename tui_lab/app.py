"""The Textual app: home screen, scenario screens, the command palette, the size guard."""

from __future__ import annotations

from typing import Iterable

from rich.text import Text
from textual.app import App, SystemCommand
from textual.events import Resize
from textual.screen import Screen

from .screens.home import HomeScreen
from .screens.too_small import MIN_HEIGHT, MIN_WIDTH, TooSmallScreen


class LabApp(App):
    """tui-lab: deep networks, one operation at a time."""

    CSS_PATH = "app.tcss"
    TITLE = "tui-lab"
    ENABLE_COMMAND_PALETTE = True

    def __init__(self, scenario: str | None = None, device: str = "auto", seed: int | None = None,
                 screen: Screen | None = None) -> None:
        super().__init__()
        self.start_scenario = scenario
        self.device_name = device
        self.seed = seed
        # Headless export shows one prepared screen instead of the home screen.
        self.start_screen = screen
        # Live runs left with q, by scenario: reopening one resumes it (see LabRunner).
        self.parked: dict = {}

    def on_mount(self) -> None:
        if self.start_screen is not None:
            self.push_screen(self.start_screen)
            return
        self.push_screen(HomeScreen())
        if self.start_scenario:
            self.open_scenario(self.start_scenario)
        self._guard_size(self.size.width, self.size.height)

    def open_scenario(self, name) -> None:
        """Open a bundled name, a path or a Scenario built in memory (`open --model`); a bad
        file is a notification, not a crash. A scenario whose model is code asks first."""
        from scenarios import ScenarioError, load

        from .keys import scenario_screen

        if isinstance(name, str):
            try:
                scenario = load(name)
            except ScenarioError as exc:
                self.notify(Text(str(exc)), title="Cannot open scenario", severity="error", timeout=10)
                return
        else:
            scenario = name

        def push(ok: bool = True) -> None:
            if ok:
                self.push_screen(scenario_screen(scenario.lab)(scenario, device=self.device_name, seed=self.seed))

        spec = None
        if scenario.lab == "arch":
            from engine.arch.model import needs_trust

            spec = needs_trust(scenario.params)
        if spec:
            from .screens.trust import TrustScreen

            self.push_screen(TrustScreen(spec), push)
        else:
            push()

    # --- size guard ---------------------------------------------------------------
    def on_resize(self, event: Resize) -> None:
        self._guard_size(event.size.width, event.size.height)

    def _guard_size(self, width: int, height: int) -> None:
        small = width < MIN_WIDTH or height < MIN_HEIGHT
        top = self.screen_stack[-1] if self.screen_stack else None
        if small and not isinstance(top, TooSmallScreen):
            self.push_screen(TooSmallScreen())
        elif small and isinstance(top, TooSmallScreen):
            top.update(width, height)
        elif not small and isinstance(top, TooSmallScreen):
            self.pop_screen()

    # --- command palette ----------------------------------------------------------
    def get_system_commands(self, screen: Screen) -> Iterable[SystemCommand]:
        yield from super().get_system_commands(screen)
        from .screens.scenario import ScenarioScreen

        if isinstance(screen, ScenarioScreen):
            from .keys import bindings_of, palette_commands

            yield from palette_commands(screen, bindings_of(type(screen)))
        from scenarios import bundled

        for info in bundled():
            yield SystemCommand(f"Open: {info.title}", f"{info.lab} lab · {info.name}",
                                lambda n=info.name: self.open_scenario(n))
