"""The optimizer map, legend, rules and loss plot: colours by kind, joined paths, letters that read
without colour and never hide each other, the first screen at 80×24, the log scale, the ghost."""

from __future__ import annotations

import io

import numpy as np
import pytest
from rich.cells import cell_len
from rich.console import Console

from engine.optim.lab import OptimLab
from engine.session import Session
from scenarios import bundled, load
from tui_lab.render import optim as r
from tui_lab.render import render_frame
from tui_lab.render.canvas import BRAILLE, Canvas, Picture

OPTIM = sorted(info.name for info in bundled() if load(info.name).lab == "optim")


def frame_at(name: str, step: int):
    session = Session(load(name), device="cpu")
    frame = session.goto(step)
    session.close()
    return frame


def lab_frames(**params) -> list:
    return list(OptimLab(OptimLab.validate(params)).frames())


def plain(renderable, width: int) -> list[str]:
    out = io.StringIO()
    Console(file=out, width=width, no_color=True, color_system=None, highlight=False, emoji=False).print(renderable)
    return out.getvalue().splitlines()


def cells(picture: Picture) -> list[list[tuple[str, object]]]:
    """(char, style) per cell of a Picture."""
    return [[(ch, seg.style) for seg in row for ch in seg.text] for row in picture.rows]


def hex_of(style) -> str | None:
    return style.color.triplet.hex.lower() if style is not None and style.color is not None else None


def is_braille(ch: str) -> bool:
    return BRAILLE < ord(ch) <= BRAILLE + 0xFF


# --- colours ---------------------------------------------------------------------------------------------


def colours_seen(frame) -> dict[str, set[str]]:
    """kind -> the colours its optimizer's marks have on the map, the rules and the plot."""
    v = frame.values
    opts = v["optimizers"]
    seen: dict[str, set[str]] = {o["kind"]: set() for o in opts}
    letters = {o["letter"]: o["kind"] for o in opts}
    grid = cells(r.surface_map(v, 60, 16, {}))
    for row in grid:
        for ch, style in row:
            if ch in letters:  # where an optimizer is now
                seen[letters[ch]].add(hex_of(style))
    for i, o in enumerate(opts):
        head = r.rule_block(v, i)[0]
        seen[o["kind"]].add(hex_of(head.get_style_at_offset(Console(), 0)))
        legend = r.legend(v, {"selected": i}, roomy=True)
        at = legend.plain.index(o["letter"] + " ")
        seen[o["kind"]].add(hex_of(legend.get_style_at_offset(Console(), at)))
    plot = r.loss_plot(v, 80, {}).renderables[1]
    for row in cells(plot):
        for ch, style in row:
            if ch in letters:  # each curve's letter at its end
                seen[letters[ch]].add(hex_of(style))
    return seen


def test_each_kind_has_one_colour_on_map_rules_and_plot_in_every_scenario():
    everywhere: dict[str, set[str]] = {}
    for name in OPTIM:
        frame = frame_at(name, 6)
        for kind, found in colours_seen(frame).items():
            assert found == {r.KIND_COLOURS[kind].lower()}, (name, kind, found)
            everywhere.setdefault(kind, set()).update(found)
    assert everywhere["adam"] == {"#e69f00"} and everywhere["sgd"] == {"#d55e00"}
    assert len(set(r.KIND_COLOURS.values())) == len(r.KIND_COLOURS)  # kinds never share a colour


def test_the_paths_braille_is_in_its_kinds_colour():
    v = frame_at("optim-zigzag", 12).values
    colours = {r.KIND_COLOURS[o["kind"]].lower() for o in v["optimizers"]}
    drawn = {hex_of(st) for row in cells(r.surface_map(v, 60, 16, {})) for ch, st in row if is_braille(ch)}
    assert drawn and drawn <= colours


# --- joined paths ------------------------------------------------------------------------------------------


def drawn_cells(picture: Picture, letter: str) -> set[tuple[int, int]]:
    return {(i, j) for i, row in enumerate(cells(picture)) for j, (ch, _) in enumerate(row)
            if is_braille(ch) or ch in (letter, letter.lower(), "o", "*")}  # marks lie over the line


def connected(found: set[tuple[int, int]]) -> bool:
    todo, seen = [next(iter(found))], set()
    while todo:
        i, j = todo.pop()
        if (i, j) in seen:
            continue
        seen.add((i, j))
        todo += [(i + a, j + b) for a in (-1, 0, 1) for b in (-1, 0, 1) if (i + a, j + b) in found]
    return seen == found


@pytest.mark.parametrize("o", [{"kind": "sgd", "lr": 0.18}, {"kind": "momentum", "lr": 0.05, "rho": 0.9},
                               {"kind": "adam", "lr": 0.5, "bias_correction": True}], ids=lambda o: o["kind"])
def test_a_path_on_the_bowl_is_drawn_without_gaps(o):
    frames = lab_frames(surface="bowl", eigenvalues=[1, 10], start=[-4, 2], steps=40, optimizers=[o])
    v = frames[-1].values
    letter = v["optimizers"][0]["letter"]
    for cols, rows in ((60, 18), (40, 12), (24, 8)):
        picture = r.surface_map(v, cols, rows, {})
        found = drawn_cells(picture, letter)
        assert connected(found), (cols, rows)  # consecutive drawn cells touch: no gap of more than one cell
        path = np.asarray(v["paths"][v["optimizers"][0]["name"]])
        win = r.window(list(v["view"]), {})
        for x, y in path:  # every position on the path lies on the drawing
            at = r._cell(x, y, win, cols, rows)
            assert at is None or at in found


def test_a_line_is_clipped_to_the_canvas_and_stays_joined():
    canvas = Canvas(10, 5)
    canvas.polyline(np.array([[-50.0, -3.0], [3.0, 7.0], [1e300, 19.0], [np.nan, 1.0], [5.0, 5.0]]), 0)
    found = {(i, j) for i in range(5) for j in range(10) if canvas.bits[i, j]}
    assert found and connected(found)


# --- letters that read without colour -----------------------------------------------------------------------


def map_text(v, cols=60, rows=16, view=None) -> str:
    return "\n".join("".join(ch for ch, _ in row) for row in cells(r.surface_map(v, cols, rows, view or {})))


def test_letters_at_one_place_stand_side_by_side():
    v = lab_frames(surface="bowl", start=[-4, 2], steps=2, optimizers=[
        {"kind": "sgd"}, {"kind": "momentum"}, {"kind": "nesterov"}, {"kind": "adam"}])[0].values
    assert "SMNA" in map_text(v)  # frame 0: all four at the start, none hiding another


def test_the_minimum_stays_visible_under_the_letters():
    v = lab_frames(surface="bowl", start=[0, 0], steps=2, optimizers=[{"kind": "sgd"}, {"kind": "adam"}])[-1].values
    text = map_text(v)
    assert "*" in text and "S" in text and "A" in text
    assert "*SA" in text  # both sit at the minimum: beside the *, not on it


def test_without_colour_each_optimizer_reads_by_letter_and_line():
    frame = frame_at("optim-saddle", 20)
    v = frame.values
    letters = [o["letter"] for o in v["optimizers"]]
    assert len(set(letters)) == len(letters)
    text = "\n".join(plain(render_frame("optim", frame, 100), 100))
    legend = plain(r.legend(v, {}, roomy=True), 60)
    assert "━ sgd" in legend[0] and "┅ noisy sgd" in legend[3]  # two of one kind: a solid and a dotted line
    plot = "\n".join(plain(r.loss_plot(v, 90, {}), 90))
    for letter in letters:
        assert letter in map_text(v) and letter in plot
    assert "f per step" in text


def test_an_optimizer_outside_the_view_is_an_arrow_and_its_letter():
    v = frame_at("optim-saddle", 50).values  # momentum and adam passed the bound, far outside
    text = map_text(v)
    assert any(a + "M" in text or a + "A" in text for a in r.ARROWS.values())


# --- the first screen at 80×24 ------------------------------------------------------------------------------


@pytest.mark.parametrize("name", OPTIM)
def test_at_80x24_the_map_the_legend_and_the_selected_rule_fit(name):
    frame = frame_at(name, 5)
    v = frame.values
    width = 77  # the frame's width in an 80-column terminal
    for pick, o in enumerate(v["optimizers"]):
        lines = plain(render_frame("optim", frame, width, {"selected": pick}), width)
        first = "\n".join(lines[:17])  # what 80×24 shows under the title, a two-line caption and above the status
        for other in v["optimizers"]:
            assert other["name"] in first
        rule = list(v["state"][o["name"]]["rule"])
        end = rule[-1][-12:]  # the rule's last line (Δx …) ends on the first screen
        assert end in first.replace("\n", ""), (o["name"], end)
        assert any(ch in first for ch in "·*o") and max(cell_len(line) for line in lines) <= width


# --- the plot -------------------------------------------------------------------------------------------------


def test_y_switches_the_loss_plot_to_a_log_scale():
    v = frame_at("optim-zigzag", 40).values
    linear = plain(r.loss_plot(v, 90, {}), 90)
    logged = plain(r.loss_plot(v, 90, {"ylog": True}), 90)
    assert "linear" in linear[0] and "log scale" in logged[0]
    low = min(float(np.min(c)) for c in v["loss"].values())
    assert r.num(low, 3) in "\n".join(logged)  # the lowest f labels the bottom of the log axis
    v = frame_at("optim-saddle", 20).values  # f < 0: no log of it
    assert "f ≤ 0 left off" in plain(r.loss_plot(v, 90, {"ylog": True}), 90)[0]


# --- the ghost after a knob turn ------------------------------------------------------------------------------


def test_the_paths_before_a_turn_stay_as_a_grey_ghost():
    from engine.controller import Controller

    controller = Controller(Session(load("optim-zigzag"), device="cpu"))
    controller.goto(12)
    ghost = controller.session.frame
    controller.knob("optimizers[0].lr", 0.1)
    v = controller.session.frame.values
    plain_map = {hex_of(st) for row in cells(r.surface_map(v, 60, 16, {})) for ch, st in row if is_braille(ch)}
    with_ghost = {hex_of(st) for row in cells(r.surface_map(v, 60, 16, {"ghost": ghost})) for ch, st in row
                  if is_braille(ch)}
    assert r.GHOST.color.triplet.hex.lower() in with_ghost - plain_map
    assert "grey: the paths before the turn" in r.legend(v, {"ghost": ghost}, roomy=True).plain
    controller.session.close()
