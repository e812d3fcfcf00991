"""Help for the lab on show: the idea, the formulas, and the keys."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.keys import format_key
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Markdown

from engine.registry import LAB_TITLES, lab_class

KEYS = """
| Key | What it does |
|:--|:--|
| → n space | next step |
| ← p | previous step |
| home / end | first / last computed step |
| a enter | play / pause |
| + / − | faster / slower |
| f | finish: compute every remaining step |
| r | reset to step 0 |
| e | edit the parameters |
| s | save the parameters as a scenario file |
| ctrl+r | start / stop recording a walk-through |
| ctrl+p | command palette: every action and scenario |
| ? | this help |
| q escape | back / quit |
"""


class HelpScreen(ModalScreen[None]):
    BINDINGS = [Binding("escape,q,question_mark", "close", "Close", id="close")]

    def __init__(self, lab: str | None) -> None:
        super().__init__()
        self.lab = lab

    def compose(self) -> ComposeResult:
        if self.lab is None:
            text = "# tui-lab\n\nPick a scenario with ↑ ↓ and enter; type to filter the list.\n"
        else:
            text = f"# {LAB_TITLES.get(self.lab, self.lab)}\n\n{lab_class(self.lab).help}\n"
            from ..render import view_keys

            extra = [(k, d) for k, d, _ in view_keys(self.lab)] + [(k, d) for k, _n, d in lab_class(self.lab).KEYS]
            if extra:
                text += "\n## Keys of this lab\n\n| Key | What it does |\n|:--|:--|\n"
                text += "".join(f"| `{format_key(k)}` | {d} |\n" for k, d in extra)
        with VerticalScroll(id="help-dialog"):
            yield Markdown(text + "\n## Keys\n" + KEYS)

    def action_close(self) -> None:
        self.dismiss(None)
