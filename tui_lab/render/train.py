"""Training frames: pictures of weights, feature maps and gradients; curves; bars; a confusion matrix.

Feature maps and filters are half-block pictures (grey: black = lowest, white = highest of the
row); gradients are heatmaps on a diverging scale (blue negative, red positive). Without colour
they fall back to character ramps: grey " .:-=+*#%@", gradients "-=≡" for negatives and "+*#"
for positives, so a plain replay still reads.
"""

from __future__ import annotations

import math
from typing import Any, Mapping, Sequence

import numpy as np
from rich.console import Console, ConsoleOptions, Group, RenderableType, RenderResult
from rich.measure import Measurement
from rich.segment import Segment
from rich.style import Style
from rich.text import Text

from engine.core.fmt import count, num
from engine.core.frame import Frame

from .common import CellGrid, check_line, diverging, plot
from .pictures import RAMP, bar, grey_levels
from .train_overview import overview

NEG_RAMP, POS_RAMP = " -=≡", " +*#"  # no mark in common: even the smallest value shows its sign


class MapRow:
    """Small 2-D arrays side by side as half-block pictures, each `zoom`× larger, with titles above.

    grey: one scale for the whole row (so maps compare); heat: diverging around 0, one scale.
    """

    def __init__(self, maps: Sequence[np.ndarray], titles: Sequence[str], width: int, heat: bool = False,
                 zoom: int = 1, title: str = "") -> None:
        arrays = [np.kron(np.atleast_2d(np.asarray(m, dtype=float)), np.ones((zoom, zoom))) for m in maps]
        cell = max((a.shape[1] for a in arrays), default=1)
        fit = max(1, (width + 1) // (cell + 1))
        self.arrays, self.titles = arrays[:fit], [t[:cell] for t in titles[:fit]]
        self.more = len(arrays) - fit
        self.heat, self.cell, self.title = heat, cell, title
        finite = np.concatenate([a[np.isfinite(a)].ravel() for a in arrays] or [np.zeros(1)])
        self.scale = float(np.abs(finite).max()) if finite.size else 0.0
        self.lo, self.hi = (float(finite.min()), float(finite.max())) if finite.size else (0.0, 1.0)

    @property
    def width(self) -> int:
        return max(len(self.arrays) * (self.cell + 1) - 1 + (len(f" +{self.more}") if self.more > 0 else 0),
                   len(self.title))

    def __rich_measure__(self, console: Console, options: ConsoleOptions) -> Measurement:
        return Measurement(self.width, self.width)

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        plain = console.no_color or console.color_system is None
        if self.title:
            yield Segment(self.title, Style(bold=True))
            yield Segment.line()
        if any(self.titles):
            yield Segment(" ".join(t.ljust(self.cell) for t in self.titles).rstrip(), Style(dim=True))
            yield Segment.line()
        rows = max(a.shape[0] for a in self.arrays) if self.arrays else 0
        for r in range(0, rows, 2):
            for k, a in enumerate(self.arrays):
                if k:
                    yield Segment(" ")
                top = a[r] if r < a.shape[0] else np.full(a.shape[1], np.nan)
                bottom = a[r + 1] if r + 1 < a.shape[0] else np.full(a.shape[1], np.nan)
                for t, b in zip(top, bottom):
                    yield self._cell(t, b, plain)
                yield Segment(" " * (self.cell - a.shape[1]))
            if r == 0 and self.more > 0:
                yield Segment(f" +{self.more}", Style(dim=True))
            yield Segment.line()

    def _cell(self, top: float, bottom: float, plain: bool) -> Segment:
        if plain:
            vals = [v for v in (top, bottom) if math.isfinite(v)]
            v = float(np.mean(vals)) if vals else math.nan
            return Segment(self._char(v))
        return Segment("▀", Style(color=self._colour(top), bgcolor=self._colour(bottom)))

    def _char(self, v: float) -> str:
        if not math.isfinite(v):
            return " "
        if self.heat:
            ramp = POS_RAMP if v >= 0 else NEG_RAMP
            return ramp[min(3, int(abs(v) / self.scale * 3.999))] if self.scale else " "
        g = grey_levels([v], self.lo, self.hi)[0]
        return RAMP[min(9, int(g / 25.6))]

    def _colour(self, v: float) -> str | None:
        if not math.isfinite(v):
            return None
        if self.heat:
            return str(diverging(v, self.scale).bgcolor.name) if self.scale else "rgb(64,64,64)"
        g = int(grey_levels([v], self.lo, self.hi)[0])
        return f"rgb({g},{g},{g})"


def maps_of(a: Any) -> list[np.ndarray]:
    """A layer's output for one image as pictures: one per channel, or a vector as one row."""
    arr = np.asarray(a, dtype=float)
    return list(arr) if arr.ndim == 3 else [arr.reshape(1, -1)]


def vector_bars(values: Sequence[float], labels: Sequence[str], width: int, marks: Mapping[int, str] = {},
                signed: bool = False) -> CellGrid:
    """One row per value: label, bar, number, mark. Signed values diverge from a zero axis
    (negatives to its left), so the sign reads without colour and a large negative logit
    does not look like the winner."""
    vals = [float(v) for v in values]
    top = max((abs(v) for v in vals if math.isfinite(v)), default=0.0) or 1.0
    span = max(8, min(40, width - 24))
    half = span // 2
    rows = []
    for i, v in enumerate(vals):
        if signed:
            f = v / top if math.isfinite(v) else 0.0
            left = ("█" * round(-f * half) or "▕").rjust(half) if f < 0 else " " * half  # a sliver, as bar() draws
            drawn = left + "│" + (bar(f, half).ljust(half) if f > 0 else " " * half)
            style = Style(color="red" if v > 0 else "blue")
        else:
            drawn, style = bar(abs(v) / top, span).ljust(span), Style(color="green" if i in marks else "cyan")
        rows.append([(labels[i], Style(dim=True)), (drawn, style), (num(v, 3), None), (marks.get(i, ""), Style(bold=True))])
    return CellGrid(rows)


def digit_bars(probs: Sequence[float], label: int, width: int) -> CellGrid:
    best = int(np.argmax(probs))
    marks = {label: "◀ label" + (" = most likely" if best == label else "")}
    if best != label:
        marks[best] = "◀ most likely"
    return vector_bars(probs, [str(i) for i in range(len(probs))], width, marks)


def network_table(rows) -> CellGrid:
    body = [[(r["name"], Style(bold=True)), ("×".join(map(str, r["out_shape"])), None), (count(r["params"]), None)]
            for r in rows]
    return CellGrid(body, header=["layer", "output", "parameters"])


def render(frame: Frame, width: int, view: dict) -> RenderableType:
    v = frame.values
    mode, phase = v["mode"], v["phase"]
    if phase == "data":
        return overview(v, width)
    if mode == "dilution":
        return dilution(v, width)
    if mode == "search":
        return search(v, width)
    if phase in ("setup", "init", "forward", "error", "backward", "update") and mode == "steps":
        return STEPS[phase](v, width)
    return training(v, width, view)


# --- the five steps ----------------------------------------------------------------

def image_of(v, width: int, zoom: int = 2) -> MapRow:
    return MapRow([v["image"]], [f"a {v['label']}"], width, zoom=zoom, title=f"training image {v['image_index']}")


def steps_setup(v, width: int) -> RenderableType:
    split = v["split"]
    return Group(image_of(v, width), network_table(v["network"]),
                 Text(f"{count(v['parameters'])} parameters · split {split['train']:,} / {split['valid']} / "
                      f"{split['test']} (train / validation / test) · initialisation {v['init']} · η = {num(v['lr'])}",
                      style="dim"))


def filters(pics, width: int, title: str, heat: bool = False) -> MapRow:
    maps = [np.asarray(m, dtype=float) for m in pics["maps"]]
    zoom = 2 if maps and maps[0].shape[0] <= 4 else 1
    return MapRow(maps, [str(i) for i in range(len(maps))], width, heat=heat, zoom=zoom,
                  title=f"{title}: {pics['layer']}")


def steps_init(v, width: int) -> RenderableType:
    lines = [Text.assemble((f"{r['name']} ", "bold"), f"{'×'.join(map(str, r['shape']))}: {r['rule']}; "
                           f"std {num(r['std'], 3)}, range {num(r['min'], 3)} … {num(r['max'], 3)}")
             for r in v["init"]]
    return Group(*lines, filters(v["pictures"], width, "weights as pictures (black lowest, white highest)"))


def steps_forward(v, width: int) -> RenderableType:
    parts: list[RenderableType] = [image_of(v, width, zoom=1)]
    if "probs" in v:
        parts += [Text("p(digit) = softmax(z)", style="bold"), digit_bars(v["probs"], v["label"], width)]
    else:
        out = np.asarray(v["out"], dtype=float)
        if out.ndim == 3:
            parts.append(MapRow(maps_of(out), [str(i) for i in range(len(out))], width,
                                title=f"{v['name']} output: {out.shape[0]} maps {out.shape[1]}×{out.shape[2]}"))
        else:
            parts += [Text(f"{v['name']} output: {out.size} values", style="bold"),
                      vector_bars(out, [str(i) for i in range(out.size)], width, signed=True) if out.size <= 16
                      else MapRow([out.reshape(1, -1)], [""], width)]
    return Group(*parts)


def steps_error(v, width: int) -> RenderableType:
    y = v["label"]
    return Group(digit_bars(v["probs"], y, width),
                 Text(f"cross-entropy: L = −Σ_k y_k ln p_k = −ln p[{y}] = −ln {num(v['p_label'])} = {num(v['loss'])}",
                      style="bold"),
                 Text(f"a sure right answer (p = 1) costs 0; guessing all ten at 0.1 costs ln 10 = {num(math.log(10))}",
                      style="dim"))


def steps_backward(v, width: int) -> RenderableType:
    d = np.asarray(v["d_in"], dtype=float)
    parts: list[RenderableType] = []
    if d.ndim == 3:
        parts.append(MapRow(maps_of(d), [str(i) for i in range(len(d))], width, heat=True,
                            title=f"∂L/∂(input of {v['name']}): blue < 0 < red"))
    elif d.size <= 16:
        parts += [Text(f"∂L/∂(input of {v['name']})", style="bold"),
                  vector_bars(d, [str(i) for i in range(d.size)], width, signed=True)]
    else:
        parts.append(MapRow([d.reshape(1, -1)[:, :width]], [""], width, heat=True,
                            title=f"∂L/∂(input of {v['name']}): {d.size} values, blue < 0 < red"))
    g = v["grads"].get("weight")
    if g is not None:
        g = np.asarray(g, dtype=float)
        maps = list(g[:, 0]) if g.ndim == 4 else [g[:, :: max(1, math.ceil(g.shape[1] / (width - 2)))]]
        parts.append(MapRow(maps, [str(i) for i in range(len(maps))] if g.ndim == 4 else [""], width, heat=True,
                            zoom=2 if g.ndim == 4 and g.shape[-1] <= 4 else 1,
                            title=f"∂L/∂{v['name']}.w" + (" (first input channel)" if g.ndim == 4 else
                                                          f": {g.shape[0]}×{g.shape[1]}")))
    if "chain" in v:
        parts += chain_lines(v["chain"])
    parts.append(check_line(v.get("check")))
    return Group(*parts)


def chain_lines(c) -> list[RenderableType]:
    lines: list[RenderableType] = []  # the formula itself is the caption
    top = c.get("top")
    if top:
        idx = ",".join(map(str, top["out"]))
        lines.append(Text(f"the largest term: δ = ∂L/∂{c['layer']}[{idx}] = {num(top['delta'])}, times x = "
                          f"{num(top['x'])}; where δ came from:"))
        for step in c["path"]:
            factor = f" (× {num(step['factor'])})" if "factor" in step else ""
            lines.append(Text(f"  ← {step['why']}{factor}", style="dim"))
    return lines


def steps_update(v, width: int) -> RenderableType:
    parts: list[RenderableType] = [filters(v["before"], width, "before"), filters(v["after"], width, "after")]
    w = v.get("weight")
    if w:
        parts.append(Text(f"{w['layer']}.w{index(w['index'])}: {num(w['before'])} − {num(v['lr'])}·({num(w['grad'])}) = "
                          f"{num(w['after'])}", style="bold"))
    parts.append(Text(f"loss on this image: {num(v['loss_before'])} → {num(v['loss_after'])}; step 5 repeats "
                      "this for every minibatch (training)"))
    parts.append(check_line(v.get("check")))
    return Group(*parts)


STEPS = {"setup": steps_setup, "init": steps_init, "forward": steps_forward, "error": steps_error,
         "backward": steps_backward, "update": steps_update}


# --- training ------------------------------------------------------------------------

def index(i) -> str:
    return "[" + ",".join(str(int(k)) for k in i) + "]"


def pct(x: float | None) -> str:
    return "–" if x is None else f"{num(100 * x, 3)}%"


def training(v, width: int, view: dict | None = None) -> RenderableType:
    head = Text()
    head.append(f"epoch {v.get('epoch', 0)}/{v.get('epochs', 0)}", style="bold")
    head.append(f" · iteration {v['iteration']} · lr {num(v['lr'])} · batch {v['batch']} · {v['optimizer']}"
                f" · {v['device']}")
    rate = (view or {}).get("live", {}).get("samples_per_s")
    if rate:  # measured in the app, never in a frame
        head.append(f" · {count(rate)} samples/s", style="cyan")
    parts: list[RenderableType] = [head]
    if v.get("diverged"):
        loss = v["diverged_loss"]
        why = f"{num(loss)} > {num(v['limit'])}" if loss is not None and math.isfinite(loss) else "not a finite number"
        parts.append(Text(f"✗ diverged at iteration {v['diverged_at']}: the loss is {why}; training stopped",
                          style="bold red"))
    if v["phase"] == "setup":
        parts.append(network_table(v["network"]))
    curve = v.get("curve") or []
    if len(curve) > 1:
        xs = [c[0] for c in curve]
        h = 9 if width >= 90 else 7
        parts.append(plot([("train", xs, [c[1] for c in curve]), ("valid", xs, [c[2] for c in curve])],
                          width - 2, h, xlabel="epoch", ylabel="loss (log)", ylog=True))
        parts.append(plot([("train", xs, [100 * c[3] for c in curve]), ("valid", xs, [100 * c[4] for c in curve])],
                          width - 2, h, xlabel="epoch", ylabel="error % (log; 0 not drawn)", ylog=True))
    if "pictures" in v:
        parts.append(filters(v["pictures"], width, "learned filters" if v.get("final") else "filters"))
    if v.get("final"):
        parts.append(Text(f"test error {pct(v['test_error'])} (test loss {num(v['test_loss'])}), measured once, "
                          "at the end", style="bold"))
        parts.append(confusion(np.asarray(v["confusion"])))
    return Group(*parts)


def confusion(m: np.ndarray) -> CellGrid:
    rows = []
    for t in range(m.shape[0]):
        cells = [(str(t), Style(dim=True))]
        for p in range(m.shape[1]):
            n = int(m[t, p])
            style = Style(bold=True, color="green") if t == p else Style(bold=True, color="red") if n else Style(dim=True)
            cells.append((str(n) if n else "·", style))
        rows.append(cells)
    return CellGrid(rows, title="confusion (rows: true digit, columns: predicted)", header=[""] + [str(i) for i in range(10)])


# --- dilution -------------------------------------------------------------------------

def dilution(v, width: int) -> RenderableType:
    """One row per layer (the last on top, as backpropagation meets them), one column per set-up."""
    variants = v["variants"]
    found = [n for s in variants for n in s["norms"] if n is not None and n > 0]
    parts: list[RenderableType] = []
    if found:
        lo, hi = math.log10(min(found)), math.log10(max(found))
        lo = min(lo, hi - 1)
        parts.append(Text(f"‖∂L/∂W‖ on a log scale: ▏ = {num(10 ** lo, 2)} … █ full = {num(10 ** hi, 2)} "
                          f"(batch of {v['batch']})", style="dim"))
    cur = v.get("current") or {}
    letters = [chr(ord("A") + k) for k in range(len(variants))]
    for k, s in enumerate(variants):
        ratio = "" if s["ratio"] is None else f"   first/last = {num(s['ratio'], 3)}"
        parts.append(Text(f"{letters[k]}  {s['label']}{ratio}", style="bold" if k == cur.get("variant") else ""))
    span = max(3, (width - 6) // max(1, len(variants)) - 11)
    depth = max(len(s["norms"]) for s in variants)
    rows = []
    for j in range(depth - 1, -1, -1):
        row: list[tuple[str, Style | None]] = [(next(s["layers"][j] for s in variants if j < len(s["layers"])), Style(dim=True))]
        for k, s in enumerate(variants):
            n = s["norms"][j] if j < len(s["norms"]) else None
            here = k == cur.get("variant") and j == cur.get("layer")
            if n is None:
                row.append(("", None))
                continue
            frac = (math.log10(n) - lo) / (hi - lo) if n > 0 else 0.0
            row.append((bar(frac, span).ljust(span) + f" {num(n, 3):>8}" + ("◀" if here else " "),
                        Style(bold=True, color="yellow") if here else Style(color="cyan")))
        rows.append(row)
    parts.append(CellGrid(rows, header=[""] + letters))
    if v["phase"] == "summary":
        parts.append(Text("first/last near 1: every layer learns at the same pace; the absolute norms say whether "
                          "any of them learns at all", style="dim"))
    parts.append(check_line(v.get("check")))
    return Group(*parts)


# --- search ---------------------------------------------------------------------------

def scatter(points, best: Mapping[str, Any], space, width: int, height: int = 10) -> Text:
    """Validation error against log10(learning rate): g = grid, r = random, G / R = each method's best."""
    cols = max(20, width - 10)
    lo, hi = math.log10(space["lr"][0]), math.log10(space["lr"][1])
    hi = hi if hi > lo else lo + 1
    top = max([p["valid_error"] for p in points] + [0.1])
    canvas = [[" "] * cols for _ in range(height)]
    marks = {id(b): m.upper()[0] for m, b in best.items() if b}
    for p in sorted(points, key=lambda p: id(p) in marks):
        c = min(cols - 1, int((math.log10(p["lr"]) - lo) / (hi - lo) * (cols - 1) + 0.5))
        r = height - 1 - min(height - 1, int(p["valid_error"] / top * (height - 1) + 0.5))  # higher error, higher up
        canvas[r][c] = marks.get(id(p), p["method"][0])
    out = Text()
    for i, row in enumerate(canvas):
        label = pct(top * (height - 1 - i) / (height - 1)) if i in (0, height - 1) else ""
        out.append(f"{label:>7} │", style="dim")
        for ch in row:
            out.append(ch, style={"g": "blue", "r": "magenta", "G": "bold blue", "R": "bold magenta"}.get(ch, ""))
        out.append("\n")
    out.append(" " * 8 + "└" + "─" * cols + "\n", style="dim")
    left, right = f"lr {num(space['lr'][0], 2)}", f"{num(space['lr'][1], 2)} (log scale)"
    out.append(" " * 9 + left + " " * max(1, cols - len(left) - len(right)) + right, style="dim")
    return out


def search(v, width: int) -> RenderableType:
    parts: list[RenderableType] = [Text(f"{v['done']}/{v['total']} runs · {v['budget']} per method per seed · "
                                        f"{v['seeds']} seeds · {v['epochs']} epoch(s) each", style="bold")]
    if v["phase"] == "setup":
        lrs = sorted({p["lr"] for p in v["grid"]})
        parts.append(Text(f"the grid: lr {', '.join(num(x, 3) for x in lrs)} × batch "
                          f"{', '.join(str(b) for b in sorted({p['batch'] for p in v['grid']}))} × dropout "
                          f"{', '.join(num(d, 2) for d in sorted({p['dropout'] for p in v['grid']}))} × "
                          f"{', '.join(v['space']['optimizers'])}"))
        parts.append(Text("random search draws the same number of runs, each hyperparameter on its own "
                          "(Bergstra & Bengio 2012)", style="dim"))
        return Group(*parts)
    best = v["best"]
    seed_best = {m: min((p for p in v["points"] if p["method"] == m), key=lambda p: p["valid_error"], default=None)
                 for m in ("grid", "random")}
    parts.append(Text("validation error against the learning rate (g grid, r random; G, R the best of each)"
                      + (" for the last seed" if v["phase"] == "summary" else ""), style="dim"))
    parts.append(scatter(v["points"], seed_best, v["space"], width))
    for m in ("grid", "random"):
        b = best.get(m)
        if b:
            parts.append(Text(f"best {m:<6} {pct(b['valid_error'])}: lr {num(b['lr'], 3)}, batch {b['batch']}, "
                              f"dropout {num(b['dropout'], 2)}, {b['optimizer']}"
                              + (" (over all seeds)" if v["phase"] == "summary" else "")))
    w = v["wins"]
    parts.append(Text(f"wins so far: random {w['random']} · grid {w['grid']} · ties {w['tie']}", style="bold"))
    if v["phase"] == "summary":
        rows = [[(str(s["seed"]), Style(dim=True)), (pct(s["grid"]), None), (pct(s["random"]), None),
                 (s["winner"], Style(bold=True))] for s in v["per_seed"]]
        parts.append(CellGrid(rows, header=["seed", "grid", "random", "winner"]))
        parts.append(Text(f"the lesson is {v['verdict']} by these numbers", style="bold"))
    return Group(*parts)
