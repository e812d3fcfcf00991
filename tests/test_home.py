"""The home screen's filter, driven by the Pilot: arrows move the list while typing, the best
matches come first, and lab headings read as headings."""

from textual.widgets import Input

from tui_lab.app import LabApp
from tui_lab.screens.scenario import ScenarioScreen


def highlighted(options) -> str | None:
    return options.get_option_at_index(options.highlighted).id


def listed(options) -> list[str]:
    """The scenario ids in the list, top to bottom (headings left out)."""
    return [o.id for o in options.options if o.id]


async def typed(pilot, app, text: str):
    """The home screen, and its list, once `text` is typed into its filter."""
    await pilot.pause()
    home = app.screen
    await pilot.press(*text)
    return home, home.query_one("#scenarios")


async def test_arrows_in_the_filter_move_the_list_and_enter_opens_that_one():
    app = LabApp(device="cpu")
    async with app.run_test(size=(100, 30)) as pilot:
        home, options = await typed(pilot, app, "conv-image")
        search = home.query_one("#search", Input)
        ids = listed(options)
        assert ids[:2] == ["conv-image-blur", "conv-image-edges"] and len(ids) == 4
        assert highlighted(options) == ids[0]
        await pilot.press("down", "down")
        assert highlighted(options) == ids[2] and search.has_focus
        await pilot.press("up")
        assert highlighted(options) == ids[1] and search.has_focus
        await pilot.press("pagedown")
        assert highlighted(options) == ids[-1] and search.has_focus
        await pilot.press("pageup")
        assert highlighted(options) == ids[0] and search.has_focus
        await pilot.press("down", "x")  # still typing: the key reaches the box
        assert search.value == "conv-imagex"
        await pilot.press("backspace", "down", "down", "enter")
        for _ in range(600):
            await pilot.pause(0.05)
            if isinstance(app.screen, ScenarioScreen):
                break
        assert isinstance(app.screen, ScenarioScreen) and app.screen.scenario.name == ids[2]


async def test_matches_in_name_or_title_come_before_matches_in_the_description():
    app = LabApp(device="cpu")
    async with app.run_test(size=(100, 30)) as pilot:
        home, options = await typed(pilot, app, "five")
        # "five" is in train-five-steps' title and only in VGG-16's description.
        assert listed(options) == ["train-five-steps", "arch-vgg16"]
        assert highlighted(options) == "train-five-steps"
        for needle in ("alexnet", "gradient", "stride", "digits", "lr"):
            home.query_one("#search", Input).value = needle
            await pilot.pause()
            by_name = {s.name: s for s in home.scenarios}
            ids = listed(options)
            strong = [i for i in ids if needle in f"{i} {by_name[i].title} {by_name[i].lab}".lower()]
            assert ids, needle
            if strong:  # the first scenario listed is a title match whenever there is one
                assert ids[0] in strong, (needle, ids)
            # Still grouped by lab: each lab's heading once, its scenarios under it.
            labs = [by_name[i].lab for i in ids]
            assert labs == sorted(labs, key=labs.index), (needle, labs)
            headings = [o for o in options.options if o.id is None]
            assert len(headings) == len(set(labs)), needle


async def test_lab_headings_are_drawn_as_headings_not_as_rows():
    app = LabApp(device="cpu")
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        options = app.screen.query_one("#scenarios")
        # The list's own lines, its border (▊ … ▎) taken off.
        lines = [str(s.text)[1:-1] for s in options.render_lines(options.region.reset_offset)]
        heading = next(line for line in lines if "Convolution arithmetic" in line)
        row = next(line for line in lines if "Sobel kernel" in line)
        assert heading.startswith(" ── Convolution arithmetic ──") and heading.rstrip().endswith("──")
        assert row.startswith("   Sobel kernel")


async def test_keys_typed_faster_than_the_list_refills_still_move_and_open_the_right_one():
    """Keys that arrive together (a fast typist, tmux send-keys): ↓ acts on the list the letters
    before it select, and is not undone when their filtering message arrives after it."""
    from textual import events

    app = LabApp(device="cpu")
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        keys = [(c, c) for c in "conv-image"] + [("down", None), ("down", None), ("enter", "\r")]
        for key, char in keys:  # from the list: the first letter moves focus to the filter box
            event = events.Key(key, char)  # as the terminal's driver sends them (and Pilot.press), but
            event.set_sender(app)  # all queued before the first is handled
            app._driver.send_message(event)
        for _ in range(600):
            await pilot.pause(0.05)
            if isinstance(app.screen, ScenarioScreen):
                break
        assert isinstance(app.screen, ScenarioScreen) and app.screen.scenario.name == "conv-image-sharpen"


async def test_keys_typed_with_q_in_one_burst_search_the_list():
    """`q/arch` typed at once from a lab: every key passes the lab's screen before q's binding
    closes it; the keys after q are meant for the list, and its filter gets them."""
    from textual import events

    from test_app import wait_ready

    app = LabApp(scenario="conv-sobel", device="cpu")
    async with app.run_test(size=(100, 30)) as pilot:
        await wait_ready(pilot, app)
        for key, char in [("q", "q"), ("slash", "/"), ("a", "a"), ("r", "r"), ("c", "c"), ("h", "h")]:
            app.post_message(events.Key(key, char))  # all queued before the app handles the first
        for _ in range(100):
            await pilot.pause(0.02)
            if app.screen.query("#search") and app.screen.query_one("#search", Input).value == "arch":
                break
        home = app.screen
        assert not isinstance(home, ScenarioScreen)
        assert home.query_one("#search", Input).value == "arch"
        assert listed(home.query_one("#scenarios"))[0] == "arch-alexnet"  # filtered for it, the arch lab first


async def test_a_word_typed_with_q_in_one_burst_reaches_the_filter_whole_and_in_order():
    """`qalexnet-224` and `q/lstm gates and more` typed at once from a lab: every letter after q
    (spaces, lab keys such as a, n, e, and letters the list's own bindings name) lands in
    the filter, in the order typed."""
    from textual import events

    from test_app import wait_ready

    names = {" ": "space", "-": "minus", "/": "slash"}
    for typed, want in [("qalexnet-224", "alexnet-224"), ("q/lstm gates and more", "lstm gates and more")]:
        app = LabApp(scenario="conv-sobel", device="cpu")
        async with app.run_test(size=(100, 30)) as pilot:
            await wait_ready(pilot, app)
            for c in typed:
                app.post_message(events.Key(names.get(c, c), c))  # all queued before the app handles the first
            for _ in range(100):
                await pilot.pause(0.02)
                if app.screen.query("#search") and app.screen.query_one("#search", Input).value == want:
                    break
            assert not isinstance(app.screen, ScenarioScreen)
            assert app.screen.query_one("#search", Input).value == want


async def test_the_search_box_stand_in_looks_as_the_box_and_keeps_what_is_typed(monkeypatch):
    """Until the search box is mounted (just after the first paint), a Static stands in its
    place: it looks as the unfocused box does, and what is typed meanwhile filters the list
    and is in the box once it is there, with the focus; / pressed meanwhile focuses it."""
    from tui_lab.screens.home import HomeScreen

    mount = HomeScreen._mount_filter

    async def later(self):
        pass

    monkeypatch.setattr(HomeScreen, "_mount_filter", later)
    for keys, want, focused in [(["g", "a", "t", "e"], "gate", True), (["slash"], "", True),
                                (["x", "escape"], "", False)]:
        app = LabApp(device="cpu")
        async with app.run_test(size=(100, 30)) as pilot:
            await pilot.pause()
            home = app.screen
            assert home.filter_box.box() is None and home.query_one("#search-stub").display
            before = looks(home._compositor.render_strips()[1:4])
            await pilot.press(*keys)
            if want:
                assert "gate" in str(home.query_one("#search-stub").render())
                assert listed(home.query_one("#scenarios")) and all(
                    "lstm" in i for i in listed(home.query_one("#scenarios")))
            await mount(home)
            await pilot.pause()
            search = home.filter_box.box()
            assert search is not None and not home.query("#search-stub")
            assert search.value == want and search.has_focus == focused, keys
            if not focused:  # the box as painted now, unfocused: the stand-in's look
                assert looks(home._compositor.render_strips()[1:4]) == before


def looks(strips) -> list:
    """What lines show: each cell's character and background, and its colour where it has ink."""
    return [[(char, seg.style.bgcolor, seg.style.color if char.strip() else None, seg.style.bold)
             for seg in strip.simplify() for char in seg.text] for strip in strips]


async def _trickle(app, text: str, at_mount: int | None = None, gap: float = 0.0) -> None:
    """Send `text` a key at a time, each as soon as the app's loop turns (faster than a person
    types; as a paste of keys arrives), the filter box mounted after key `at_mount` if given."""
    import asyncio

    from textual import events

    names = {"/": "slash", " ": "space", "?": "question_mark"}
    for i, c in enumerate(text):
        if i == at_mount:
            app.screen.call_later(_real_mount, app.screen.filter_box)
        app.post_message(events.Key(names.get(c, c), c))
        await asyncio.sleep(gap)


_real_mount = None


async def test_keys_typed_fast_reach_the_filter_in_order_and_slash_q_types_q(monkeypatch):
    """Keys typed on the list go through the screen into the filter; the box takes the focus
    only once none is still on its way (the keys after would reach it first: `abc` read
    `acb`), also while it is being mounted. `/` followed at once by q or ? types them: q does
    not quit, ? does not open the help."""
    global _real_mount
    from tui_lab.screens.filter_box import FilterBox

    _real_mount = FilterBox.mount

    async def later(self):
        pass

    for text, at_mount, want in [("abcdefghijkl", None, "abcdefghijkl"), ("lstm gates", None, "lstm gates"),
                                 ("/quad", None, "quad"), ("/?x", None, "?x"),
                                 ("abcdefghijkl", 1, "abcdefghijkl"), ("abcdefghijkl", 4, "abcdefghijkl"),
                                 ("/quad", 1, "quad"), ("/?x", 0, "?x")]:
        for gap in (0.0, 0.001):
            with monkeypatch.context() as patch:
                if at_mount is not None:
                    patch.setattr(FilterBox, "mount", later)
                app = LabApp(device="cpu")
                async with app.run_test(size=(100, 30)) as pilot:
                    await pilot.pause(0.2)
                    home = app.screen
                    await _trickle(app, text, at_mount, gap)
                    await pilot.pause(0.3)
                    assert app.is_running and app.screen is home, (text, at_mount, gap)
                    assert home.filter_box.text == want, (text, at_mount, gap)
                    assert home.filter_box.has_focus


async def test_a_move_on_the_list_paints_the_new_row_and_its_description_at_once():
    """One paint shows both: the description used to follow the highlight a frame later
    (it was set when the list's message reached the screen, after the list was painted)."""
    app = LabApp(device="cpu")
    painted = []
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause(0.3)
        home = app.screen
        description, options = home.query_one("#description"), home.query_one("#scenarios")
        compositor = home._compositor

        def hook():  # the screen's lines at each paint: the description's, and the highlighted row's
            lines = [line.text for line in compositor.render_strips()]
            painted.append(lines)

        app.post_display_hook = hook
        await pilot.press("down")
        await pilot.pause(0.3)
        title = next(s.title for s in home.scenarios if s.name == highlighted(options))
        assert painted and any(title in line for line in painted[0][description.region.y:])
        assert len(painted) == 1


async def test_a_backspace_in_the_filter_keeps_its_place_among_the_letters_around_it():
    """The box deletes at the backspace's turn: by Input's binding it deleted only once the key
    had passed up through the screen and the app, and `sobex⌫l` typed fast read `sobex`."""
    from textual import events

    app = LabApp(device="cpu")
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause(0.2)
        await pilot.press(*"sobex")
        await pilot.pause(0.3)
        home = app.screen
        assert home.filter_box.has_focus
        app.post_message(events.Key("backspace", "\x08"))  # one right behind the other
        app.post_message(events.Key("l", "l"))
        await pilot.pause(0.3)
        assert home.filter_box.text == "sobel"
        await pilot.press("shift+home", "backspace")  # a selection goes whole, as before
        await pilot.pause()
        assert home.filter_box.text == ""
