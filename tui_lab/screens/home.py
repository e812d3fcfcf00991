"""The home screen: bundled scenarios grouped by lab, filtered as you type."""

from __future__ import annotations

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.content import Content
from textual.css.styles import RulesMap
from textual.reactive import reactive
from textual.screen import Screen
from textual.strip import Strip
from textual.style import Style
from textual.visual import RenderOptions, Visual
from textual.widgets import Footer, Input, OptionList
from textual.widgets.option_list import Option, OptionDoesNotExist

from engine.core.fmt import visible
from engine.registry import LAB_TITLES
from scenarios import ScenarioInfo, bundled

from .. import warm
from ..widgets.kept_static import KeptStatic
from .filter_box import FilterBox
from .header import LabHeader

# Below this many cells a row drops its id column (the description box still shows the id).
ID_COLUMN_FROM = 80
# Trips through the list's queue and the screen's, at most, waiting for typed keys to arrive
# before the filter box takes the focus (each a fraction of a millisecond).
FOCUS_ROUNDS = 50


def ranked(scenarios: list[ScenarioInfo], needle: str) -> list[ScenarioInfo]:
    """The scenarios that hold every word typed, still grouped by lab: scenarios whose name,
    title or lab hold every word come first within their lab, and a lab holding such a
    scenario comes before labs that match only in descriptions; otherwise the given order."""
    words = needle.lower().split()

    def holds(*texts: str) -> bool:
        hay = " ".join(texts).lower()
        return all(w in hay for w in words)

    rank: dict[str, int] = {}
    for s in scenarios:
        named = (s.name, s.lab, s.title, LAB_TITLES.get(s.lab, ""))
        if holds(*named):
            rank[s.name] = 0
        elif holds(*named, s.description):
            rank[s.name] = 1
    found = [s for s in scenarios if s.name in rank]
    labs: dict[str, int] = {}
    for s in found:
        labs[s.lab] = min(labs.get(s.lab, 1), rank[s.name])
    order = list(labs)
    return sorted(found, key=lambda s: (labs[s.lab], order.index(s.lab), rank[s.name]))  # stable


class Line(Visual):
    """One line of the list, drawn for the width it is given; never wraps.

    A Textual Visual of one line: the list need not render every row to learn its height, nor
    lay out a table per row (the home screen's first paint pays for what it lists)."""

    def line(self, width: int) -> Content:
        raise NotImplementedError

    def get_optimal_width(self, rules: RulesMap, container_width: int) -> int:
        return container_width

    def get_height(self, rules: RulesMap, width: int) -> int:
        return 1

    def render_strips(self, width: int, height: int | None, style: Style, options: RenderOptions) -> list[Strip]:
        return self.line(width).render_strips(width, height, style, options)


class Row(Line):
    """One scenario: its title, and its id at the right edge when the list is wide enough; a
    title too long for the row ends in an ellipsis."""

    def __init__(self, title: str, name: str) -> None:
        self.title, self.name = visible(title), visible(name)

    def line(self, width: int) -> Content:
        if width < ID_COLUMN_FROM:
            return Content("  " + self.title).truncate(width, ellipsis=True)
        title = Content(self.title).truncate(max(1, width - len(self.name) - 4), ellipsis=True, pad=True)
        return Content.assemble("  ", title, "  ", (self.name, "dim"))  # 2 cells before each


class Heading(Line):
    """A lab's title in a rule across the list (── Convolution arithmetic ─────): a heading at a
    glance, never read as one more scenario."""

    def __init__(self, title: str) -> None:
        self.title = visible(title)

    def line(self, width: int) -> Content:
        title = Content(self.title).truncate(max(1, width - 6), ellipsis=True).stylize("bold")
        rule = max(2, width - title.cell_length - 4)
        return Content.assemble(("── ", "dim"), title, (" " + "─" * rule, "dim"))


class ScenarioList(OptionList):
    """Textual's option list, whose rows are one line each (Row, the lab headings): moving
    the highlight repaints the two rows it leaves and reaches, not the whole list."""

    highlighted: reactive[int | None] = reactive(None, repaint=False)

    def watch_highlighted(self, old: int | None, new: int | None) -> None:
        for index in (old, new):
            if index is not None:
                self.refresh_line(index)  # one line per option: its index is its line
        super().watch_highlighted(new)

    # Textual's page moves look for a scenario only past the page's edge: above the first one
    # there is only a lab heading, and the highlight would be lost.
    def action_page_up(self) -> None:
        super().action_page_up()
        if self.highlighted is None:
            self.action_first()

    def action_page_down(self) -> None:
        super().action_page_down()
        if self.highlighted is None:
            self.action_last()


class HomeScreen(Screen):
    """Keys: type to filter; ↑ ↓ pgup pgdn to move (in the filter too); enter to open; ? help; q quit."""

    BINDINGS = [
        Binding("slash", "search", "Search", id="search"),
        Binding("question_mark", "help", "Help", id="help"),
        Binding("q", "quit", "Quit", id="quit"),
        Binding("escape", "clear", "Clear", show=False, id="clear"),
        # While typing in the filter: these move the list's highlight (enter opens it); on the
        # list itself the list's own bindings come first.
        Binding("down", "list('cursor_down')", show=False),
        Binding("up", "list('cursor_up')", show=False),
        Binding("pagedown", "list('page_down')", show=False),
        Binding("pageup", "list('page_up')", show=False),
    ]

    # Class titles, not set on mount: a change after mount updates the header once more
    # before the first paint.
    TITLE = "tui-lab"
    # The list has the focus from the start: focusing the search box first (Textual's default)
    # and then the list restyled both before the first paint.
    AUTO_FOCUS = "#scenarios"
    SUB_TITLE = "deep networks, one operation at a time"

    def __init__(self) -> None:
        super().__init__()
        self.scenarios: list[ScenarioInfo] = bundled()
        # The scenario opened last (set by the app); coming back to the list shows it again.
        self.visited: str | None = None
        self.needle: str | None = None  # what the list is filtered for
        self.filter_box = FilterBox(self)  # mounted just after the first paint

    def compose(self) -> ComposeResult:
        yield LabHeader(icon="≡")
        yield self.filter_box.stub
        # Built with its rows, highlighted and described: filling it on mount would lay out
        # and style it again before the first paint.
        self.needle = ""
        rows = self._options("")
        options = ScenarioList(*rows, id="scenarios")
        if rows:
            options.highlighted = 1  # the first scenario, under its lab's heading
        yield options
        yield KeptStatic(self._description(options), id="description")
        yield Footer()

    def on_mount(self) -> None:
        # Described as the highlight moves, not when the list's message about it arrives: by
        # then the list's new rows had been painted, and the description came a frame later.
        self.watch(self.query_one(OptionList), "highlighted", self._describe, init=False)
        self.call_after_refresh(self._mount_filter)
        # Once this screen is painted, torch loads in the background (tui_lab/warm.py); not
        # when a lab opened from the command line covers it (that lab starts it once painted).
        self.call_after_refresh(self._warm)

    async def _mount_filter(self) -> None:
        await self.filter_box.mount()
        if self.filter_box.wants_focus:  # asked for before it was there
            self._focus_filter()

    def _focus_filter(self) -> None:
        """Give the filter box the focus once no key sent to the list is still on its way here
        (keys pass the list's queue, then this screen's): focused sooner, the box would take
        the keys typed after those first, and `abc` typed fast would read `acb`."""
        self.filter_box.want_focus()
        self._focus_filter_when_caught_up(FOCUS_ROUNDS)

    def _focus_filter_when_caught_up(self, rounds: int) -> None:
        options = self.query_one(OptionList)
        if rounds and (options.message_queue_size or self.message_queue_size):
            options.call_later(self.call_later, self._focus_filter_when_caught_up, rounds - 1)
        else:
            self.filter_box.take_focus()

    def _warm(self) -> None:
        if self.app.screen is self:
            warm.start()

    def _options(self, needle: str) -> list[Option]:
        """The list's rows for what the box holds: each lab's heading, then its scenarios."""
        lab = None
        batch: list[Option] = []
        for s in ranked(self.scenarios, needle):
            if s.lab != lab:
                lab = s.lab
                batch.append(Option(Heading(LAB_TITLES.get(lab, lab)), disabled=True))
            # Text, not markup: titles may hold brackets, and parsing markup costs start-up time.
            batch.append(Option(Row(s.title, s.name), id=s.name))
        return batch

    def _fill(self, needle: str) -> None:
        self.needle = needle
        options = self.query_one(OptionList)
        options.clear_options()
        options.add_options(self._options(needle))
        if options.option_count == 0:
            options.add_option(Option(Content("no scenario matches; escape clears the filter"), disabled=True))
        else:
            options.action_first()
        self._describe()

    def _description(self, options: OptionList, index: int | None = None) -> Text:
        """The title, description and how to open it of the scenario at `index` (by default the
        one highlighted)."""
        index = options.highlighted if index is None else index
        if index is not None:
            opt = options.get_option_at_index(index)
            info = next((s for s in self.scenarios if s.name == opt.id), None)
            if info:  # Text, never markup: a title may hold [brackets]
                return Text.assemble((visible(info.title), "bold"), "\n", visible(info.description), "\n",
                                     (f"{info.lab} lab · tui-lab open {visible(info.name)}", "dim"))
        return Text()

    def _describe(self) -> None:
        text = self._description(self.query_one(OptionList))
        self.query_one("#description", KeptStatic).update(text, layout=False)  # its height is fixed (app.tcss)
        self.call_after_refresh(self._describe_ahead)

    def _describe_ahead(self) -> None:
        """Lay out the descriptions of the scenarios above and below the highlighted one once
        this one is painted, so that the next move shows one already laid out."""
        options, description = self.query_one(OptionList), self.query_one("#description", KeptStatic)
        at = options.highlighted
        if at is None or not self.is_current:
            return
        for step in (-1, 1):
            index = at + step
            while 0 <= index < options.option_count and options.get_option_at_index(index).disabled:
                index += step  # past a lab's heading
            if 0 <= index < options.option_count:
                description.prepare(self._description(options, index))

    def on_screen_resume(self) -> None:
        """Back from a scenario: the whole list again, on the scenario just left, so a new
        search starts from an empty box (not `gatesexploding`)."""
        if self.visited is None:
            return
        self._warm()  # back from a lab that may have failed to open before starting it
        visited, self.visited = self.visited, None
        self.filter_box.clear()
        self._fill("")
        options = self.query_one(OptionList)
        try:
            options.highlighted = options.get_option_index(visited)
        except OptionDoesNotExist:  # an id not in the list (opened from a file)
            pass
        options.focus()

    @on(Input.Changed, "#search")
    def _filter(self) -> None:
        self._sync()

    def _sync(self) -> None:
        """The list filtered for what the box holds now. Keys that arrive together are handled
        before the box's Changed messages: ↓ or enter must act on the list the letters typed
        before them select, and an older Changed must not refill (and reset) it afterwards."""
        value = self.filter_box.text
        if value != self.needle:
            self._fill(value)

    @on(Input.Submitted, "#search")
    def _open_first(self) -> None:
        self._sync()
        options = self.query_one(OptionList)
        options.focus()
        if options.highlighted is not None:
            options.action_select()

    @on(OptionList.OptionSelected)
    def _selected(self, event: OptionList.OptionSelected) -> None:
        if event.option.id:
            self.app.open_scenario(event.option.id)

    def on_key(self, event) -> None:
        """Typing on the list types into the search box, as in most pickers.

        The text is inserted here rather than left to the box, since focus moves only after
        this key: keys typed quickly would otherwise land on the list. `q` quits while the
        search box is empty, and is a letter once something has been typed.
        """
        box = self.filter_box
        if box.gone:  # a key that arrives while the app closes and takes the screen down
            return
        # Keys after one that asks for the box's focus, and before it has it, are typed too.
        typed, focused, wanted = box.text, box.has_focus, box.wants_focus
        char = event.character
        # The box itself takes the printable keys sent to it (they never get here); one that
        # does while it has focus was sent to the list before focus moved: it is typed too.
        if event.key == "slash" and not (typed or focused or wanted):
            # Here, not left to the / binding: that runs after the keys typed right behind it
            # have come here, and `/q` would quit.
            self._focus_filter()
            event.stop()
            event.prevent_default()
            return
        if event.key == "backspace" and typed and not focused:
            typed = typed[:-1]
        elif (char and char.isprintable() and event.key not in ("enter", "tab")
              and (char not in "q?/" or typed or focused or wanted)):
            typed += char
        else:
            return
        box.type(typed)
        self._sync()  # now: keys queued behind this one act on the list it filters
        self._focus_filter()
        event.stop()
        event.prevent_default()

    def action_list(self, action: str) -> None:
        if action in ("cursor_down", "cursor_up", "page_down", "page_up"):
            self._sync()
            getattr(self.query_one(OptionList), f"action_{action}")()

    def action_search(self) -> None:
        self._focus_filter()

    def action_clear(self) -> None:
        self.filter_box.clear()
        self._fill("")  # now, not when the Changed message arrives: keys typed next filter afresh
        self.query_one(OptionList).focus()

    def action_help(self) -> None:
        from .help import HelpScreen

        self.app.push_screen(HelpScreen(None))

    def action_quit(self) -> None:
        self.app.exit()
