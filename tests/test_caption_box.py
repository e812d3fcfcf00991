"""The caption box's height follows its captions, but keeps the frame below it still."""

from textual.app import App

from tui_lab.widgets import CaptionBox
from tui_lab.widgets.caption_box import CAPTION_LINES


class Boxed(App):
    def compose(self):
        yield CaptionBox("", id="caption")


def words(lines: int, width: int = 40) -> str:
    """A caption that wraps to `lines` lines in a box `width` cells wide."""
    return " ".join(["x" * (width - 1)] * lines)


async def test_the_box_grows_with_its_caption_and_shrinks_only_by_two_lines_or_more():
    app = Boxed()
    async with app.run_test(size=(40, 20)) as pilot:
        box = app.query_one(CaptionBox)
        heights = []
        for lines in (1, 3, 2, 3, 1, 9, 4, 2):
            box.show(words(lines))
            await pilot.pause()
            heights.append(box.size.height)
            assert str(box.render()) == words(lines)
        # 3 after 1 grows; 2 after 3 stays (one line less); 1 after 3 shrinks; 9 is cut to the
        # most (5); 4 after it stays; 2 shrinks.
        assert CAPTION_LINES == 5
        assert heights == [1, 3, 3, 3, 1, 5, 5, 2]


async def test_at_another_width_the_height_starts_again_from_the_caption_on_show():
    app = Boxed()
    async with app.run_test(size=(40, 20)) as pilot:
        box = app.query_one(CaptionBox)
        box.show(words(3))
        await pilot.pause()
        box.show(words(2))
        await pilot.pause()
        assert box.size.height == 3  # kept: one line less
        box.rewrap()
        await pilot.pause()
        assert box.size.height == 2


async def test_a_caption_shown_ahead_is_measured_and_laid_out_once():
    app = Boxed()
    async with app.run_test(size=(40, 20)) as pilot:
        box = app.query_one(CaptionBox)
        await pilot.pause()
        box.ahead(words(2))
        assert len(box._heights) == 1 and len(box._texts) == 1
        box.show(words(2))
        assert len(box._heights) == 1 and len(box._texts) == 1  # the same, looked up
        assert box._text(words(2)) is box._text(words(2))
