"""The command palette: Textual's, with commands found by title or help line and drawn
literally, and closed only while it is on top. Imported when the palette first opens."""

from __future__ import annotations

from typing import Iterable

from textual import work
from textual.await_complete import AwaitComplete
from textual.command import CommandPalette, DiscoveryHit, Hit
from textual.content import Content
from textual.markup import escape
from textual.system_commands import SystemCommandsProvider


class LabCommands(SystemCommandsProvider):
    """The palette's commands, found by title or by what the help line shows (a scenario's
    id, `arch-alexnet`, or the key), and drawn literally (titles are never markup)."""

    async def search(self, query: str) -> Iterable:
        matcher = self.matcher(query)
        for name, help_text, callback, *_ in self.app.get_system_commands(self.screen):
            score = max(matcher.match(name), matcher.match(help_text or ""))
            if score > 0:
                yield Hit(score, _highlight(matcher, name), callback, text=name, help=escape(help_text or ""))

    async def discover(self) -> Iterable:
        for name, help_text, callback, discover in self.app.get_system_commands(self.screen):
            if discover:
                yield DiscoveryHit(Content(name), callback, text=name, help=escape(help_text or ""))


def _highlight(matcher, name: str) -> Content:
    """Textual's Matcher.highlight reads the name as markup; this keeps it literal."""
    content = Content(name)
    _score, offsets = matcher.fuzzy_search.match(matcher.query, name)
    for offset in offsets:
        if not name[offset].isspace():
            content = content.stylize(matcher.match_style, offset, offset + 1)
    return content


class LabPalette(CommandPalette):
    """Textual's palette, closed only while it is the screen on top: an escape typed twice
    fast would otherwise close the palette and then the screen under it."""

    def dismiss(self, result=None) -> AwaitComplete:
        if self.app.screen is not self:
            return AwaitComplete.nothing()
        return super().dismiss(result)

    @work(exclusive=True, group=CommandPalette._GATHER_COMMANDS_GROUP, exit_on_error=False)
    async def _gather_commands(self, search_value: str) -> None:
        # Textual's own, in a worker whose failure does not end the app: it queries the list,
        # which is gone when the palette closes while it runs.
        await CommandPalette._gather_commands.__wrapped__(self, search_value)
