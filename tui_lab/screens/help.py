"""Help for the lab on show: its idea and formulas (the lab's help.md), then every key,
generated from the screen's own bindings so help, palette and footer cannot disagree."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Markdown

from engine.registry import LAB_TITLES

from ..keys import described

HOME = "# tui-lab\n\nPick a scenario with ↑ ↓ and enter; type to filter the list.\n"


def key_table(bindings: list[Binding]) -> str:
    rows = "".join(f"| `{keys}` | {what} |\n" for keys, what in described(bindings))
    return "| Key | What it does |\n|:--|:--|\n" + rows + "| `ctrl+p` | command palette: every action and scenario |\n"


class HelpScreen(ModalScreen[None]):
    BINDINGS = [Binding("escape,q,question_mark", "close", "Close", id="close")]

    def __init__(self, lab: str | None, bindings: list[Binding] = ()) -> None:
        super().__init__()
        self.lab = lab
        self.bindings = list(bindings)

    def compose(self) -> ComposeResult:
        if self.lab is None:
            text = HOME
        else:
            from engine.registry import lab_class

            text = f"# {LAB_TITLES.get(self.lab, self.lab)}\n\n{lab_class(self.lab).help_text()}\n"
        if self.bindings:
            text += "\n## Keys\n\n" + key_table(self.bindings)
        with VerticalScroll(id="help-dialog"):
            yield Markdown(text)

    def action_close(self) -> None:
        self.dismiss(None)
