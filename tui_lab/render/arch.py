"""Architecture frames: the layer's formulas, its volumes as boxes, the running table, the parameter bars.

Everything fits 78 columns: the boxes are drawn to a log scale (a 227-pixel image and a
3-pixel one, 3 channels and 4,096, on one screen), and the table and bars shrink with the width.
"""

from __future__ import annotations

import math
from typing import Any, Collection, Mapping, Sequence

from rich import box
from rich.cells import cell_len
from rich.console import Console, ConsoleOptions, Group, RenderableType, RenderResult
from rich.measure import Measurement
from rich.segment import Segment
from rich.style import Style
from rich.table import Table
from rich.text import Text

from engine.arch.layers import SAME_SHAPE
from engine.core.fmt import count, mb, percent, shape

from . import ViewKey
from .common import CellGrid, check_line
from .pictures import bar


def toggle_table(view: dict) -> None:
    view["table"] = "memory" if view.get("table", "compute") == "compute" else "compute"


VIEW_KEYS = (ViewKey("m", "table", "table: switch between compute (params, MACs) and memory (bytes) columns", toggle_table),)


def render(frame: Any, width: int, view: dict) -> RenderableType:
    v = frame.values
    ghost = view.get("ghost")
    if ghost is not None and (ghost.index != frame.index or ghost.values.get("mode") != v["mode"]):
        view = {**view, "ghost": None}  # the ghost compares one step before and after a turn, nothing else
    if v["mode"] == "model":  # a model from code: its steps and joins (arch_model.py)
        from .arch_model import model

        return model(v, max(40, width), view)
    draw = {"network": network, "why_conv": why_conv, "memory": memory}[v["mode"]]
    return draw(v, max(40, width), view)


# --- small pieces -------------------------------------------------------------------------


class Facts:
    """Label / value lines, each value wrapped beside its dim label. Laid out here rather than as
    a Rich Table.grid, which measures every cell several times (half a frame's drawing time)."""

    def __init__(self, rows: Sequence[tuple[str, str | Text, str]]) -> None:
        self.rows = [(label, value if isinstance(value, Text) else Text(value, style=style))
                     for label, value, style in rows]
        self.label_w = max((cell_len(label) for label, _ in self.rows), default=0)

    def __rich_measure__(self, console: Console, options: ConsoleOptions) -> Measurement:
        widest = max((value.cell_len for _, value in self.rows), default=0)
        return Measurement(self.label_w + 2, min(options.max_width, self.label_w + 1 + widest))

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        room = max(8, options.max_width - self.label_w - 1)
        dim = Style(dim=True)
        for label, value in self.rows:
            for i, line in enumerate(value.wrap(console, room)):
                line.rstrip()
                yield Segment((label if i == 0 else "").ljust(self.label_w) + " ", dim)
                yield from line.render(console)
                yield Segment.line()




def before_turn(v: Mapping[str, Any], view: dict) -> Text | None:
    """What the last knob turn changed, as it was (the ghost: the frame before the turn)."""
    ghost = view.get("ghost")
    if ghost is None:
        return None
    g = ghost.values
    was = []
    if "totals" in g:
        for key, label, fmt in (("params", "parameters", count), ("macs", "MACs", count),
                                ("forward_bytes", "forward memory", mb), ("training_bytes", "training memory", mb)):
            if g["totals"][key] != v["totals"][key]:
                was.append(f"{label} {fmt(g['totals'][key])}")
    for old, new in zip(g.get("variants", ()), v.get("variants", ())):
        if old["params"] != new["params"]:
            was.append(f"{old['name'].lower()} {count(old['params'])}")
    if g.get("total_bytes", 0) != v.get("total_bytes", 0):
        was.append(f"memory so far {mb(g['total_bytes'])}")
    return Text("before the last knob turn: " + ", ".join(was), style="dim italic") if was else None


def ghost_shape(v: Mapping[str, Any], view: dict) -> Sequence[int] | None:
    """The output shape this step had before the last knob turn, where it differs."""
    ghost = view.get("ghost")
    if ghost is None:
        return None
    old, new = ghost.values["layer"], v["layer"]
    return old["out_shape"] if old["name"] == new["name"] and old["out_shape"] != new["out_shape"] else None


# --- boxes to scale -------------------------------------------------------------------------


def box_size(shape: Sequence[int], max_cols: int) -> tuple[int, int]:
    """(inner rows, inner columns): rows ∝ log₂ H, columns ∝ log₂ C; a flat vector is one row."""
    if len(shape) == 1:
        return 1, min(max_cols, max(2, round(2 * math.log2(shape[0] + 1))))
    c, h = shape[0], shape[1]
    return max(1, round(0.8 * math.log2(h + 1))), min(max_cols, max(2, round(2 * math.log2(c + 1))))


def box_lines(dims: Sequence[int], max_cols: int, label: str = "") -> list[str]:
    rows, cols = box_size(dims, max_cols)
    label = label or shape(dims)
    lines = ["┌" + "─" * cols + "┐"] + ["│" + " " * cols + "│"] * rows + ["└" + "─" * cols + "┘"]
    width = max(cols + 2, len(label))
    return [ln.center(width) for ln in lines] + [label.center(width)]


def boxes(in_shape: Sequence[int] | None, name: str, out_shape: Sequence[int], width: int,
          was: Sequence[int] | None = None) -> Text:
    """Input volume ── layer ──▶ output volume, bottoms aligned, labels underneath; `was`: the
    output before the last knob turn, drawn faintly beside the new one."""
    arrow = f" ── {name} ──▶ "
    gap = "   "
    count_ = (1 if in_shape is None else 2) + (was is not None)
    max_cols = max(4, (width - len(arrow) - (len(gap) if was is not None else 0)) // count_ - 2)
    parts = ([] if in_shape is None else [box_lines(in_shape, max_cols)]) + [box_lines(out_shape, max_cols)]
    if was is not None:
        parts.append(box_lines(was, max_cols, f"was {shape(was)}"))
    height = max(len(p) for p in parts)
    parts = [[" " * len(p[0])] * (height - len(p)) + p for p in parts]
    out = 0 if in_shape is None else 1
    text = Text()
    for r in range(height):
        if in_shape is not None:
            text.append(parts[0][r], style="dim")
            mid = r == height - 1 - (len(parts[1]) - 1) // 2 - 1
            text.append(arrow if mid else " " * len(arrow), style="bold")
        text.append(parts[out][r], style="bold cyan")
        if was is not None:
            text.append(gap + parts[-1][r], style="dim")
        text.append("\n")
    text.append("boxes to log scale: height ∝ log₂ H, width ∝ log₂ C", style="dim italic")
    return text


# --- network ----------------------------------------------------------------------------------


def network(v: Mapping[str, Any], width: int, view: dict) -> RenderableType:
    layer = v["layer"]
    parts: list[RenderableType] = [layer_facts(v, layer)]
    parts.append(boxes(layer["in_shape"], layer["name"], layer["out_shape"], width, ghost_shape(v, view)))
    if v["layers"]:
        parts.append(layer_table(v, view.get("table", "compute")))
        parts.append(param_bars(v["layers"], v["totals"]["params"], width))
    parts.append(memory_line(v))
    return Group(*parts, *filter(None, [before_turn(v, view)]))


def values_text(layer: Mapping[str, Any], v: Mapping[str, Any]) -> str:
    dims = layer["out_shape"]
    n = count(layer["activations"])
    batch = f", batch {v['batch']}" if v["batch"] > 1 else ""
    where = f"({mb(layer['activation_bytes'])} at {v['dtype']}{batch})"
    return f"{n} values {where}" if len(dims) == 1 else f"{shape(dims)} = {n} values {where}"


def layer_facts(v: Mapping[str, Any], layer: Mapping[str, Any]) -> Facts:
    if layer["kind"] == "input":
        return Facts([
            ("input", values_text(layer, v), "bold"),
            ("", layer["why"], "dim"),
        ])
    same = layer["kind"] in SAME_SHAPE
    size = f"unchanged: {shape(layer['out_shape'])}" if same else f"{layer['size_formula']}  → {shape(layer['out_shape'])}"
    rows = [
        ("output size", size, "bold"),
        ("parameters", layer["params_formula"], "bold"),
        ("", layer["why"], "dim"),
        ("activations", values_text(layer, v), ""),
        ("compute", f"{count(layer['macs'])} MACs, {count(layer['flops'])} FLOPs", ""),
        ("", v["convention"], "dim"),
    ]
    if layer["warning"]:
        rows.append(("⚠", layer["warning"], "bold yellow"))
    ref = layer["torch"]
    rows.append(("torch", f"{ref['module']} → {shape(ref['out_shape'])}, {count(ref['params'])} parameters, "
                          f"{count(ref['macs'])} MACs (FlopCounterMode)", ""))
    if "total_params" in v:
        rows.append(("network", f"{count(v['total_params'])} parameters by the formulas, "
                                f"{count(v['torch_total_params'])} in the modules (sum of p.numel())", "bold"))
    rows.append(("check", check_line(v["check"]), ""))
    return Facts(rows)


def out_text(row: Mapping[str, Any]) -> str:
    """The output shape, with ⚠ where the size formula was floored."""
    return shape(row["out_shape"]) + (" ⚠" if row["floored"] else "")


BOLD, THIS, WARN = Style(bold=True), Style(bold=True, reverse=True), Style(color="yellow")


def grid_table(header: Sequence[str], body: Sequence[Sequence[str]], footer: Sequence[str], left: Collection[int],
               note: str, warn: Sequence[bool] = ()) -> Group:
    """Rows laid out once (common.CellGrid: Rich's Table costs a knob turn tens of milliseconds): the
    columns in `left` flush left, the others right, a rule under the header, this step's row
    reversed, the totals bold; a floored output (`warn`, column 1) in yellow."""
    everything = [header, *body, footer]
    widths = [max(cell_len(r[j]) for r in everything) for j in range(len(header))]

    def cells(row: Sequence[str], style: Style | None, flagged: bool = False) -> list[tuple[str, Style | None]]:
        out = []
        for j, (text, w) in enumerate(zip(row, widths)):
            cell_style = (style or Style()) + WARN if flagged and j == 1 else style
            out.append((text + " " * (w - cell_len(text)) if j in left else text, cell_style))
        return out

    last = len(body) - 1
    rows = [[("─" * w, None) for w in widths]]
    rows += [cells(r, THIS if i == last else None, i < len(warn) and warn[i]) for i, r in enumerate(body)]
    rows += [[("", None)], cells(footer, BOLD)]
    head = [h + " " * (w - cell_len(h)) if j in left else h for j, (h, w) in enumerate(zip(header, widths))]
    return Group(CellGrid(rows, header=head), Text(note, style="dim"))


def layer_table(v: Mapping[str, Any], which: str) -> Group:
    rows, totals = v["layers"], v["totals"]
    other = f"press m for {'compute' if which == 'memory' else 'memory'} columns"
    warn = [r["floored"] for r in rows]
    if which == "memory":
        k = totals["optimizer_bytes"] // max(1, totals["weight_bytes"])
        return grid_table(
            ["layer", "output", "weights", "activations", f"grad+{v['optimizer']}"],
            [[r["name"], out_text(r), mb(r["weight_bytes"]), mb(r["activation_bytes"]), mb(r["weight_bytes"] * (1 + k))]
             for r in rows],
            ["total", "", mb(totals["weight_bytes"]), mb(totals["activation_bytes"]), mb(totals["weight_bytes"] * (1 + k))],
            (0, 1), other, warn)
    return grid_table(
        ["layer", "output", "params", "activations", "MACs"],
        [[r["name"], out_text(r), count(r["params"]), count(r["activations"]), count(r["macs"])] for r in rows],
        ["total", "", count(totals["params"]), count(totals["activations"]), count(totals["macs"])], (0, 1), other, warn)


def param_bars(rows: Sequence[Mapping[str, Any]], total: int, width: int) -> Text:
    """Where the parameters are: one bar per layer that has any, as a share of the total so far."""
    named = [r for r in rows if r["params"]]
    text = Text("where the parameters are (share of the total so far)\n", style="bold")
    if not named or not total:
        return text.append("no parameters yet", style="dim")
    name_w = max(len(r["name"]) for r in named)
    bar_w = max(8, width - name_w - 22)
    for i, r in enumerate(named):
        share = r["params"] / total
        last = r is rows[-1]
        text.append(f"{r['name']:<{name_w}} ", style="bold" if last else "")
        text.append(f"{bar(share, bar_w):<{bar_w}}", style="magenta")
        text.append(f" {count(r['params']):>11} {percent(share):>6}" + ("\n" if i < len(named) - 1 else ""))
    return text


def memory_line(v: Mapping[str, Any]) -> Text:
    t = v["totals"]
    text = Text(f"memory at {v['dtype']} ({v['bytes_per_value']} bytes a value), batch {v['batch']}: ", style="bold")
    buffers = f" + buffers {mb(t['buffer_bytes'])}" if "buffer_bytes" in t else ""  # a model's BatchNorm statistics
    text.append(f"weights {mb(t['weight_bytes'])}{buffers} + input {mb(t['input_bytes'])} + activations "
                f"{mb(t['activation_bytes'])} = {mb(t['forward_bytes'])} forward; training keeps the activations "
                f"and adds gradients {mb(t['gradient_bytes'])} + {v['optimizer']} state {mb(t['optimizer_bytes'])} "
                f"= {mb(t['training_bytes'])}")
    return text


# --- why convolution ---------------------------------------------------------------------


def why_conv(v: Mapping[str, Any], width: int, view: dict) -> RenderableType:
    n = v["image"]
    parts: list[RenderableType] = [Facts([
        ("image", f"{n}×{n} = {count(n * n)} pixels", "bold"),
        ("hidden units", f"{count(v['hidden'])}" + (f" ({v['maps']} feature maps)" if v["maps"] > 1 else ""), "bold"),
        ("", v["note"], "dim"),
    ])]
    variants = v["variants"]
    if variants:
        top = max(math.log10(x["params"]) for x in variants if x["params"] > 0)
        bar_w = max(8, width - 44)
        t = Table(box=box.SIMPLE_HEAD, padding=(0, 1), pad_edge=False, show_edge=False)
        t.add_column("connection", no_wrap=True)
        t.add_column("parameters", justify="right", no_wrap=True)
        t.add_column("log₁₀ scale", no_wrap=True)
        for i, x in enumerate(variants):
            frac = math.log10(x["params"]) / top if x["params"] > 1 and top > 0 else 0.0
            style = "bold reverse" if i == len(variants) - 1 else ""
            t.add_row(Text(x["name"].lower(), style=style), count(x["params"]), Text(bar(frac, bar_w), style="magenta"))
        parts.append(t)
        for x in variants:
            parts.append(Text(f"{x['name'].lower()}: {x['formula']} ({x['why']})\n", style="bold" if x is variants[-1] else "")
                         .append(f"  torch: {x['torch']['module']}, {count(x['torch']['params'])} weights", style="dim"))
        parts.append(check_line(v["check"]))
    return Group(*parts, *filter(None, [before_turn(v, view)]))


# --- memory calculator ---------------------------------------------------------------------


def memory(v: Mapping[str, Any], width: int, view: dict) -> RenderableType:
    rows: list[tuple[str, str, str]] = [
        ("# weights", count(v["weights"]), "bold"),
        ("# activations", count(v["activations"]) + (f" per image · batch {v['batch']}" if v["batch"] > 1 else ""), "bold"),
        ("bytes", f"{v['bytes_per_value']} a value ({v['dtype']}); MB = 10^6 bytes, as the slide counts", ""),
    ]
    parts_ = v["parts"]
    for x in parts_:
        rows.append((x["name"].lower(), x["formula"], "bold" if x is parts_[-1] else ""))
    if len(parts_) >= 2:
        rows.append(("inference", f"weights + activations = {mb(v['inference_bytes'])}", "bold green"))
    if len(parts_) == 4:
        rows.append(("training", f"weights + activations + gradients + {v['optimizer']} state = {mb(v['total_bytes'])}",
                     "bold green"))
    out: list[RenderableType] = [Facts(rows)]
    total = sum(x["bytes"] for x in parts_)
    if total:
        bar_w = max(20, width - 4)
        colours = ("cyan", "magenta", "yellow", "green")
        line = Text()
        legend = Text()
        for x, c in zip(parts_, colours):
            cells = round(bar_w * x["bytes"] / total)
            line.append("█" * cells, style=c)
            legend.append(f"■ {x['name'].lower()} {mb(x['bytes'])}  ", style=c)
        out += [Text(f"memory so far: {mb(total)}", style="bold"), line, legend]
    return Group(*out, *filter(None, [before_turn(v, view)]))
