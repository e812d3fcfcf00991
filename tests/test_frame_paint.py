"""The frame view's shortcuts paint what Textual's own path paints (widgets/line_cache.py,
widgets/frame_scrollbar.py): same lines, same styles, checked against Textual itself."""

from textual._styles_cache import StylesCache
from textual.geometry import Region

from tui_lab.app import LabApp
from tui_lab.widgets import FrameView

from test_app import wait_for, wait_ready

# Frames of 22 to 26 lines in a view of 24 at 100×30: some fit, some need the scrollbar.
SCENARIO = "lstm-sonnets-checkpoint"


def screen_cells(screen) -> list:
    """What the screen shows: each line's characters, each with its style (how the line is cut
    into segments aside; mouse actions aside)."""
    return [[(char, segment.style) for segment in strip.simplify() for char in segment.text]
            for strip in screen._compositor.render_strips()]


def textual_lines(widget) -> list:
    """The widget's lines as Textual's StylesCache finishes them (its own render_widget), all
    of them: padding and scrollbar columns too (`size` is the content's)."""
    return StylesCache().render_widget(widget, whole(widget))


def whole(widget) -> Region:
    return Region(0, 0, *widget.region.size)


async def test_kept_lines_are_the_lines_textual_would_paint():
    app = LabApp(scenario=SCENARIO, device="cpu")
    async with app.run_test(size=(100, 30)) as pilot:
        screen = await wait_ready(pilot, app)
        view = screen.query_one(FrameView)
        for _ in range(6):
            await pilot.press("right")
            await pilot.pause(0.1)  # painted, and the next step laid out ahead
            view._styles_cache.clear()
            assert view._styles_cache.render_widget(view, whole(view)) == textual_lines(view)
        # A line shown again comes from what was kept: still the same.
        await pilot.press("left")
        await pilot.pause(0.1)
        assert view._styles_cache.render_widget(view, whole(view)) == textual_lines(view)
        # Padding at the sides is finished here too, as Textual pads.
        view.styles.padding = (0, 2)
        await pilot.pause(0.1)
        kept = view._styles_cache.render_widget(view, whole(view))
        assert view._styles_cache._plain
        assert kept == textual_lines(view)
        assert all(str(line.text).startswith("  ") for line in kept)
        # CSS that adds more to a line (a border, padding above) goes Textual's way, with the same result.
        for css in ("border: solid red;", "padding: 1 2;"):
            view.styles.padding = 0
            view.set_styles(css)
            await pilot.pause(0.1)
            kept = view._styles_cache.render_widget(view, whole(view))
            assert not view._styles_cache._plain, css
            assert kept == textual_lines(view), css
            view.styles.border = None


async def test_the_caption_and_status_lines_are_the_lines_textual_would_paint():
    """The caption and the status keep their finished lines too (with their padding at the
    sides): checked against Textual's own StylesCache, step after step and back."""
    app = LabApp(scenario="optim-zigzag", device="cpu")
    async with app.run_test(size=(100, 30)) as pilot:
        screen = await wait_ready(pilot, app)
        for key in ["right"] * 4 + ["left"] * 2:
            await pilot.press(key)
            await pilot.pause(0.1)
            for widget in (screen.caption_box, screen.status_bar):
                assert widget.styles.padding.left  # the case the shortcut now takes
                assert widget._styles_cache.render_widget(widget, whole(widget)) == textual_lines(widget)
                assert widget._styles_cache._plain  # and it took it


async def test_the_kept_scrollbar_looks_as_no_scrollbar_while_the_frame_fits():
    """Shown always (so a frame a line taller than the view lays nothing out), the bar paints
    the screen that Textual paints with `overflow-y: auto`, frame by frame."""
    app = LabApp(scenario=SCENARIO, device="cpu")
    async with app.run_test(size=(100, 30)) as pilot:
        screen = await wait_ready(pilot, app)
        view = screen.query_one(FrameView)
        fits = []
        for _ in range(8):
            await pilot.press("right")
            await pilot.pause(0.1)
            ours = screen_cells(screen)
            view.styles.overflow_y = "auto"
            await pilot.pause(0.1)
            fits.append(not view.show_vertical_scrollbar)
            assert screen_cells(screen) == ours, f"step {screen.session.index}"
            view.styles.overflow_y = "scroll"
            await pilot.pause(0.1)
        assert any(fits) and not all(fits)  # both cases were seen


async def test_a_frame_taller_than_the_last_lays_nothing_out():
    app = LabApp(scenario=SCENARIO, device="cpu")
    async with app.run_test(size=(100, 30)) as pilot:
        screen = await wait_ready(pilot, app)
        view = screen.query_one(FrameView)
        await pilot.press("right")
        await pilot.pause(0.1)
        layouts, heights = [], []
        refresh_layout = screen._refresh_layout
        screen._refresh_layout = lambda *a, **k: layouts.append(1) or refresh_layout(*a, **k)
        for _ in range(8):
            await pilot.press("right")
            await pilot.pause(0.1)
            heights.append(view.virtual_size.height > view.size.height)
        assert any(heights) and not all(heights)
        assert not layouts


async def test_the_kept_scrollbar_lines_are_textuals():
    """Where the frame does not fit, the bar's kept lines (laid out ahead, or kept from a step
    before) are the lines Textual lays out for that bar when it keeps none."""
    app = LabApp(scenario="arch-vgg16", device="cpu")
    async with app.run_test(size=(100, 30)) as pilot:
        screen = await wait_ready(pilot, app)
        bar = screen.query_one(FrameView).vertical_scrollbar
        thumbs, index = set(), screen.session.index
        for key in ["right"] * 6 + ["left"] * 3:
            index += 1 if key == "right" else -1
            await pilot.press(key)
            # Its frames past the first wait for torch, which a busy machine loads slowly.
            await wait_for(pilot, lambda: screen.session.index == index)
            await pilot.pause(0.1)
            assert bar.window_virtual_size > bar.window_size
            thumbs.add(bar.window_virtual_size)
            assert bar._look(bar.window_virtual_size) in bar._kept
            shown = screen_cells(screen)
            bar._kept.clear()
            bar.refresh()
            assert screen_cells(screen) == shown, f"step {screen.session.index}"
        assert len(thumbs) >= 3


def test_kept_lines_are_dropped_one_at_a_time_least_recently_shown_first(monkeypatch):
    """A full cache drops one line per new line (dropping all of them at once freed thousands of
    objects inside one paint), and a line shown again is kept longer than one that was not."""
    from rich.segment import Segment
    from textual.color import Color
    from textual.strip import Strip

    from tui_lab.widgets import line_cache

    monkeypatch.setattr(line_cache, "KEPT", 8)
    cache, black, white = line_cache.LineCache(), Color(0, 0, 0), Color(255, 255, 255)
    lines = [Strip([Segment(f"line {i}")]) for i in range(12)]

    def finish(line):
        return cache.finish(line, 10, 12, black, white)

    first = [finish(line) for line in lines[:8]]
    assert finish(lines[0]) is first[0]  # kept, and now the most recently shown
    for line in lines[8:]:
        finish(line)
        assert len(cache._kept) == 8
    assert finish(lines[0]) is first[0]  # shown again just before: still kept
    assert finish(lines[1]) is not first[1]  # the least recently shown: dropped, laid out anew
    assert finish(lines[1]).text == first[1].text and finish(lines[1]).cell_length == 12


async def test_the_step_before_is_laid_out_ahead_too():
    """While the person reads a step, the one before is laid out as well as the one after, so ←
    in a scenario longer than the frames the view keeps shows its lines at once."""
    app = LabApp(scenario=SCENARIO, device="cpu")
    async with app.run_test(size=(100, 30)) as pilot:
        screen = await wait_ready(pilot, app)
        await pilot.press("right", "right", "right")
        await pilot.pause(0.3)
        view = screen.query_one(FrameView)
        view._cache.clear()  # as if the frames before had been dropped (a long scenario)
        screen._ahead()
        laid_out, layout = [], view._layout
        view._layout = lambda frame, width: laid_out.append(frame.index) or layout(frame, width)
        await pilot.press("left")
        await pilot.pause(0.1)
        assert screen.session.index == 2
        assert 2 not in laid_out
        assert view._strips == layout(screen.session.frame, view._width())


def test_equal_lines_are_one_object_and_the_least_recently_laid_out_go_first():
    """The frame view makes one Strip per distinct line (widgets/interned.py): a step compares
    lines by identity, so two lines are the same object exactly when they look the same."""
    from rich.segment import Segment
    from rich.style import Style
    from textual.strip import Strip

    from tui_lab.widgets.interned import Interned

    interned = Interned(kept=3)
    bold = Style(bold=True)

    def line(text, style=bold):
        return interned(Strip([Segment(" "), Segment(text, style)]))

    first = line("a")
    assert line("a") is first
    assert line("a", Style(italic=True)) is not first  # same text, another look: another line
    line("b")
    line("a")  # laid out again: now the most recently used
    line("c")  # the table is full: "a" in italic, the least recently laid out, goes
    assert [(strip.text, list(strip)[1].style) for strip in interned._lines.values()] == [
        (" b", bold), (" a", bold), (" c", bold)]
    assert line("a") is first


def test_the_labs_own_messages_stay_with_the_runner():
    """A worker's result is for the runner alone (it used to bubble through the screen and the
    app, looked up in each for a handler); what the screen draws goes to the screen."""
    from tui_lab.runner import LabRunner

    assert not any(m.bubble for m in (LabRunner._Computed, LabRunner._Refused, LabRunner._Built))
    assert all(m.bubble for m in LabRunner.PUBLIC)


async def test_a_status_or_caption_that_looks_the_same_is_not_repainted():
    """The status takes a step's fields at once (one repaint, none when nothing changed); the
    caption skips a text that shows the same, and takes one that differs only in its style."""
    from rich.text import Text

    app = LabApp(scenario="optim-zigzag", device="cpu")
    async with app.run_test(size=(100, 30)) as pilot:
        screen = await wait_ready(pilot, app)
        status, caption = screen.status_bar, screen.caption_box
        refreshed = []
        for widget in (status, caption):
            widget.refresh = lambda *a, _w=widget, _r=widget.refresh, **k: refreshed.append(_w) or _r(*a, **k)
        status.show(step=status.step, last=status.last, playing=status.playing)
        assert refreshed == []
        status.show(step=status.step + 1, playing=not status.playing, speed=status.speed * 2)
        assert refreshed == [status] and str(status.render()).startswith(f"step {status.step} ")
        refreshed.clear()
        shown = caption.visual
        caption.update(Text(shown.plain), layout=False)
        assert refreshed == [] and caption.visual is shown
        caption.update(Text(shown.plain, style="reverse"), layout=False)
        assert refreshed == [caption] and caption.visual is not shown
        await pilot.pause()
        assert str(caption.render()) == shown.plain
        assert all(seg.style.reverse for seg in caption.render_line(0) if seg.text.strip())


async def test_what_the_runner_tells_the_screen_goes_to_the_screen_and_stops_there():
    """A public message is queued on the screen itself (not on the runner, to be passed on a
    trip through the event loop later), and goes no further than the screen."""
    app = LabApp(scenario="conv-sobel", device="cpu")
    async with app.run_test(size=(100, 30)) as pilot:
        screen = await wait_ready(pilot, app)
        posted, post = [], screen.post_message
        screen.post_message = lambda m: posted.append(m) or post(m)
        message = screen.runner.Busy("testing")
        screen.runner.post_message(message)
        assert posted == [message]  # at once, not when the runner's queue is next read
        await pilot.pause()
        assert message._stop_propagation
        assert "testing" in str(screen.status_bar.render())


async def test_a_new_theme_paints_the_frame_caption_and_status_in_its_colours():
    """The frame view paints in the style Textual keeps for the widget (not worked out anew per
    paint): a theme chosen from the palette still repaints it, and the caption and the status,
    in the new colours."""
    app = LabApp(scenario="conv-sobel", device="cpu")
    async with app.run_test(size=(100, 30)) as pilot:
        screen = await wait_ready(pilot, app)
        view = screen.frame_view
        before = view.rich_style.bgcolor
        app.theme = "textual-light"
        await pilot.pause(0.2)
        assert view.rich_style.bgcolor != before
        for widget in (view, screen.caption_box, screen.status_bar):
            lines = widget.render_lines(whole(widget))
            # The first cell of every line is the blank margin or padding, in the widget's own colours.
            assert {next(iter(line)).style.bgcolor for line in lines} == {widget.rich_style.bgcolor}, widget


async def test_a_status_line_is_made_once_for_its_fields():
    """The status for a set of fields is one Content, made once (stepping back shows it again
    without measuring a new text); a knob's value that cannot be a key (a list) is shown too."""
    app = LabApp(scenario="optim-zigzag", device="cpu")
    async with app.run_test(size=(100, 30)) as pilot:
        screen = await wait_ready(pilot, app)
        status = screen.status_bar
        first = status.line(3)
        assert status.line(3) is first and str(first).startswith("step 3 / ")
        assert status.line(4) is not first
        status.knob = ("start", [1.5, -2.0], "two numbers")
        line = status.line(3)
        assert line is not first and "⚙ start = " in str(line) and "1.5" in str(line)
        assert status.line(3) is line


async def test_the_next_step_is_laid_out_once_the_step_is_painted():
    """The laying out ahead waits for the step's paint to reach the terminal (not a fixed
    25 ms: a big frame's layout then ends sooner before a quick next key), and at the latest
    goes at AHEAD_AFTER, painted or not."""
    import time

    from tui_lab.screens import scenario_view

    app = LabApp(scenario="optim-zigzag", device="cpu")
    async with app.run_test(size=(100, 30)) as pilot:
        screen = await wait_ready(pilot, app)
        for _ in range(3):
            await pilot.press("right")
            await pilot.pause(0.1)
        assert screen._painted()
        laid_out = []
        screen.frame_view.prerender = lambda frame: laid_out.append(frame.index)
        screen.status_bar.refresh()  # a repaint on its way to the screen
        assert not screen._painted()
        screen._ahead_by = time.monotonic() + 10
        screen._ahead()
        assert laid_out == [] and screen._ahead_timer is not None  # looked for again soon
        screen._ahead_timer.stop()
        screen._ahead_by = time.monotonic() - 1  # too late to wait longer
        screen._ahead()
        assert laid_out  # laid out, painted or not
        await pilot.pause(0.1)
        assert screen._painted()
        assert scenario_view.AHEAD_SOON < scenario_view.AHEAD_AFTER
