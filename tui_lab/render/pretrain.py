"""Pretraining frames: pictures of data, units and filters, the Gibbs chain, curves, the 2007
table, weight changes and gradient norms as bars. Everything fits 78 columns and reads
without colour (pictures fall back to an ASCII ramp, marks are characters)."""

from __future__ import annotations

import math
from typing import Any, Mapping, Sequence

import numpy as np
from rich.console import Console, ConsoleOptions, Group, RenderableType, RenderResult
from rich.measure import Measurement
from rich.table import Table
from rich.text import Text

from engine.core.fmt import num
from engine.core.frame import Frame
from engine.pretrain.common import pct, sci

from . import ViewKey
from .common import check_line, grid, plot
from .pictures import bar, image

SPARK = " ▁▂▃▄▅▆▇█"


def _toggle_curve(view: dict[str, Any]) -> None:
    view["no_curve"] = not view.get("no_curve", False)


VIEW_KEYS = (ViewKey("v", "curves", "curves shown / hidden (more room for pictures)", _toggle_curve),)


# --- pieces ------------------------------------------------------------------------

class Sized:
    """A picture that tells Rich its width, so pictures sit side by side at their own size."""

    def __init__(self, picture: RenderableType, width: int) -> None:
        self.picture, self.width = picture, width

    def __rich_measure__(self, console: Console, options: ConsoleOptions) -> Measurement:
        return Measurement(self.width, self.width)

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        yield self.picture


def _picture(a: np.ndarray, title: str, lo: float | None, hi: float | None) -> Sized:
    cols = a.shape[1]
    return Sized(image(a, title, cols, lo, hi), max(cols, min(len(title), cols + 8)))


def square(vec: Any, title: str, side: int, lo: float | None = 0.0, hi: float | None = 1.0) -> Sized:
    """A vector of side² values as a half-block picture (probabilities: 0 black, 1 white)."""
    return _picture(np.asarray(vec, dtype=float).reshape(side, side), title, lo, hi)


def units(vec: Any, shape: Sequence[int], title: str, lo: float | None = 0.0, hi: float | None = 1.0) -> Sized:
    """Hidden units laid out as a picture, rows × cols (the last row padded when short)."""
    a = np.asarray(vec, dtype=float).ravel()
    rows, cols = shape
    full = np.full(rows * cols, np.nan)
    full[: a.size] = a
    return _picture(full.reshape(rows, cols), title, lo, hi)


def filters(W: Any, side: int, width: int, label: str = "filters (rows of W)") -> RenderableType:
    """Rows of W as pictures, each on its own symmetric scale (0 is mid-grey)."""
    W = np.asarray(W, dtype=float)
    per_row = max(1, (width + 1) // (side + 1))
    pics = []
    for i, w in enumerate(W[:per_row]):
        top = float(np.max(np.abs(w))) or 1.0
        pics.append(square(w, str(i), side, -top, top))
    return Group(Text(label, style="bold"), side_by_side(pics, 1))


def side_by_side(items: Sequence[RenderableType], gap: int = 2) -> Table:
    t = Table.grid(padding=(0, gap, 0, 0))
    if items:
        t.add_row(*items)
    return t


def spark(values: Sequence[float], top: float) -> str:
    """One character per value, its height ∝ value / top."""
    return "".join(SPARK[min(8, int(round(8 * max(0.0, v) / top)))] if top > 0 else SPARK[0] for v in values)


def spark_lines(values: Sequence[float], top: float, width: int) -> list[str]:
    s = spark(values, top)
    return [s[i:i + width] for i in range(0, len(s), width)] or [""]


def digits_and_reconstructions(v: Mapping[str, Any], width: int) -> RenderableType:
    side = v["side"]
    count = max(1, (width + 1) // (2 * (side + 1)))
    pics = []
    for d, r in zip(v["digits"][:count], v["reconstructions"][:count]):
        pics += [square(d, "x", side), square(r, "x̂", side)]
    return Group(Text("test digits x and reconstructions x̂", style="bold"), side_by_side(pics, 1))


def curve_plot(v: Mapping[str, Any], view: dict, width: int, series: list, title: str, hlines=(), height: int = 9):
    if view.get("no_curve") or len(v.get("curve", ())) < 2:
        return Text("")
    return plot(series, width, height, title=title, hlines=hlines, ylog=bool(view.get("ylog")))


def columns(v: Mapping[str, Any], i: int) -> list[float]:
    return [p[i] for p in v["curve"]]


def _stat_grid(a: Any, title: str, mark: tuple[int, int]) -> RenderableType:
    return grid(np.asarray(a, dtype=float), title, marked=[mark], digits=2)


# --- RBM --------------------------------------------------------------------------------

def rbm(v: Mapping[str, Any], width: int, view: dict) -> RenderableType:
    phase, side, shape = v.get("phase", "setup"), v["side"], v["units"]
    parts: list[RenderableType] = []
    parts.append(Text(f"{v['visible']} visible × {v['hidden']} hidden · {v['data_name']} · CD-{v['k']}, "
                      f"α = {num(v['lr'])}", style="dim"))
    pic = (lambda a, t: square(a, t, side)) if side else (lambda a, t: units(a, [1, len(a)], t))
    if phase == "data":
        parts.append(pic(v["x"], "x (data)"))
    elif phase == "up":
        parts.append(side_by_side([pic(v["x"], "x (data)"), units(v["ph"], shape, "P(h|x)"),
                                   units(v["h"], shape, "h sampled")]))
        parts.append(Text(f"unit {v['unit']}: c + Σ W x = {num(v['z'])} → P = {num(v['ph'][v['unit']])}"))
    elif phase == "gibbs":
        t = v["t"]
        parts.append(side_by_side([pic(v["px"], f"P(x|h{t - 1})"), pic(v["xt"], f"x{t}"),
                                   units(v["pht"], shape, f"P(h|x{t})"), units(v["ht"], shape, f"h{t}")]))
    elif phase in ("negative", "update"):
        parts.append(_statistics(v, width))
    elif phase == "epoch":
        parts.append(_rbm_epoch(v, width, view))
    elif phase == "classify":
        parts.append(_classifier(v))
    if phase == "setup":
        parts.append(_samples(v, width))
        if "W" in v and side:
            parts.append(filters(v["W"], side, width, "W: each hidden unit's weights over the pixels"))
    parts.append(check_line(v.get("check")))
    return Group(*parts)


def _samples(v: Mapping[str, Any], width: int) -> RenderableType:
    side = v["side"]
    rows = v.get("samples", ())
    if not side or not len(rows):
        return Text("")
    fit = max(1, (width + 1) // (side + 1))
    return Group(Text(f"training rows ({min(fit, len(rows))} of {v['rows']})", style="bold"),
                 side_by_side([square(r, "", side) for r in rows[:fit]], 1))


def _statistics(v: Mapping[str, Any], width: int) -> RenderableType:
    i, j = v["stat_unit"], v["stat_pixel"]
    if "W" in v and np.asarray(v["data_stat"]).ndim == 2:
        mark = (i, j)
        items = [_stat_grid(v["data_stat"], "⟨x hᵀ⟩_data [hidden][visible]", mark),
                 _stat_grid(v["model_stat"], "⟨x hᵀ⟩_model", mark)]
        if v["phase"] == "update":
            items.append(_stat_grid(v["delta_W"], "ΔW = α(data − model)", mark))
        return Group(*items)
    side = v["side"] or 1
    pics = [square(v["data_stat"], f"data, h{i}", side), square(v["model_stat"], f"model, h{i}", side)]
    if v["phase"] == "update":
        d = np.asarray(v["delta_W"], dtype=float)
        top = float(np.max(np.abs(d))) or 1.0
        pics.append(square(d, f"ΔW[{i}]", side, -top, top))
    return Group(Text(f"hidden unit {i}'s row of ⟨x hᵀ⟩, pixel {j} marked in the caption", style="dim"),
                 side_by_side(pics))


def _rbm_epoch(v: Mapping[str, Any], width: int, view: dict) -> RenderableType:
    parts: list[RenderableType] = []
    xs = columns(v, 0)
    recon = [("train rows", xs, columns(v, 1))]
    if "log_likelihood" in v:
        half = (width - 2) // 2
        parts.append(side_by_side([
            curve_plot(v, view, half, [("ln P", xs, columns(v, 2))], "exact log-likelihood",
                       [(v["best_log_likelihood"], "best"), (v["zero_log_likelihood"], "W=0")]),
            curve_plot(v, view, half, recon, "reconstruction error")], 1))
    else:
        parts.append(curve_plot(v, view, width, recon, "reconstruction error", height=7))
    if "filters" in v:
        parts.append(filters(v["filters"], v["side"], width))
        parts.append(digits_and_reconstructions(v, width))
    elif "W" in v and v["side"]:
        parts.append(filters(v["W"], v["side"], width, "W: each hidden unit's weights over the pixels"))
    return Group(*parts)


def _classifier(v: Mapping[str, Any]) -> RenderableType:
    r = v["classifier"]
    t = Table(title="logistic regression (same split, same C = 1)", title_justify="left", box=None, padding=(0, 2))
    for name in ("input", "train", "valid", "test"):
        t.add_column(name, justify="left" if name == "input" else "right")
    t.add_row(f"P(h | x), {v['hidden']} features", *(pct(r["features"][p]) for p in ("train", "valid", "test")))
    t.add_row(f"binarised pixels, {v['visible']}", *(pct(r["pixels"][p]) for p in ("train", "valid", "test")))
    return Group(t, Text(f"one test image = {pct(1 / v['test_rows'])}", style="dim"))


# --- autoencoders ------------------------------------------------------------------------

def autoencoder(v: Mapping[str, Any], width: int, view: dict) -> RenderableType:
    phase, side = v.get("phase", "setup"), v["side"]
    parts: list[RenderableType] = [Text(f"{' → '.join(map(str, v['sizes']))} · {v['data_name']}")]
    pic = (lambda a, t: square(a, t, side)) if side else (lambda a, t: units(a, [1, len(a)], t))
    if phase in ("encode", "sparsity", "decode"):
        items = [pic(v["x"], "x"), units(v["a"], v["units"], "a = f(Wx+b)")]
        if phase == "decode":
            items.append(pic(v["xh"], "x̂"))
        parts.append(side_by_side(items))
    if phase in ("sparsity", "decode", "epoch"):
        parts.append(_rho(v, width))
    if phase == "epoch":
        xs = columns(v, 0)
        parts.append(curve_plot(v, view, width, [("reconstruction", xs, columns(v, 1)), ("β Σ KL", xs, columns(v, 2))],
                                f"autoencoder {v['layer']}: J"))
        if "filters" in v:
            parts.append(filters(v["filters"], side, width, "features: each unit's weights over the pixels"))
            parts.append(digits_and_reconstructions(v, width))
    if phase == "stacked":
        parts.append(Text("codes a of the first training images, one row each (full height: a = 1)", style="bold"))
        parts += [Text(spark(row, 1.0)[:width]) for row in v["codes"]]
    parts.append(check_line(v.get("check")))
    return Group(*parts)


def _rho(v: Mapping[str, Any], width: int) -> RenderableType:
    r = np.asarray(v["rho_hat"], dtype=float)
    top = max(float(r.max()), v["rho"]) if r.size else 1.0
    lines = spark_lines(r, top, width)
    target = spark([v["rho"]] * min(len(r), width), top)
    return Group(Text(f"ρ̂_j per unit (one column each, full height = {num(top, 3)}); target ρ = {num(v['rho'])}:",
                      style="bold"),
                 *(Text(line) for line in lines), Text(target, style="dim"),
                 Text(f"ρ̂ from {num(r.min())} to {num(r.max())}, mean {num(r.mean())}; the dim row is ρ"))


# --- stacking and fine-tuning -------------------------------------------------------------

def stack(v: Mapping[str, Any], width: int, view: dict) -> RenderableType:
    phase = v.get("phase", "setup")
    parts: list[RenderableType] = [Text(f"{' → '.join(map(str, v['sizes']))} · {v['data_name']}")]
    if phase == "rbm":
        parts.append(Text(f"RBM {v['layer']}, epoch {v['epoch']}: reconstruction error {num(v['recon_error'])}"))
        parts.append(filters(v["filters"], v["side"], width,
                             "filters over the pixels" + (" (W^l ⋯ W¹, a linear view)" if v["layer"] > 1 else "")))
        parts.append(_codes(v))
    elif phase == "stacked":
        parts.append(_codes(v))
    elif phase == "unrolled":
        shapes = " · ".join(f"W{i + 1} {a}×{b}" for i, (a, b) in enumerate(v["layer_shapes"]))
        parts.append(Text(f"layers: {shapes}"))
        parts.append(_errors_line("before fine-tuning", v["errors"]))
    elif phase == "finetune":
        xs = columns(v, 0)
        parts.append(curve_plot(v, view, width, [("train", xs, columns(v, 1)), ("valid", xs, columns(v, 2)),
                                                 ("test", xs, columns(v, 3))], "error while fine-tuning"))
        te = v["test_error"]
        parts.append(Text(f"test error before fine-tuning {pct(te['before'])} → after {pct(te['after'])} "
                          f"(epoch {v['best_epoch']}, by validation)", style="bold"))
    parts.append(check_line(v.get("check")))
    return Group(*parts)


def _codes(v: Mapping[str, Any]) -> RenderableType:
    pics = [units(c, v["units"], f"x{i}") for i, c in enumerate(v["codes"][:6])]
    return Group(Text("hidden probabilities of test digits", style="bold"), side_by_side(pics, 1))


def _errors_line(label: str, errors: Sequence[float]) -> Text:
    return Text(f"{label}: train {pct(errors[0])}, valid {pct(errors[1])}, test {pct(errors[2])}")


def finetune(v: Mapping[str, Any], width: int, view: dict) -> RenderableType:
    phase = v.get("phase", "setup")
    parts: list[RenderableType] = [Text(f"{' → '.join(map(str, v['sizes']))} → softmax, {v['units']} · digits "
                                        f"{v['first_task']}, then {v['new_task']} · frozen {v['frozen']}", style="dim")]
    if phase == "first":
        xs = columns(v, 0)
        parts.append(curve_plot(v, view, width, [("train", xs, columns(v, 1)), ("valid", xs, columns(v, 2))],
                                "first task: error"))
    elif phase == "finetune":
        te = v["test_error"]
        parts.append(Text(f"test error: fine-tuned {pct(te['finetuned'])}, from scratch {pct(te['scratch'])}",
                          style="bold"))
        parts.append(_changes(v, width))
        xs = columns(v, 0)
        parts.append(curve_plot(v, view, width, [("fine-tuned", xs, columns(v, 1)), ("scratch", xs, columns(v, 2))],
                                "test error on the new digits", height=8))
    parts.append(check_line(v.get("check")))
    return Group(*parts)


def _changes(v: Mapping[str, Any], width: int) -> RenderableType:
    tuned, scratch = v["changed"], v["changed_scratch"]
    top = max(max(tuned), max(scratch)) or 1.0
    size = max(8, (width - 40) // 2)
    rows = [Text("weights moved ‖θ − θ_start‖   fine-tuned / from scratch", style="bold")]
    for i, (a, b) in enumerate(zip(tuned, scratch)):
        tag = "frozen" if i < v["frozen"] else ("new" if i == len(tuned) - 1 else "")
        rows.append(Text(f"W{i + 1:<2} {tag:>6} {num(a, 3):>7} {bar(a / top, size):<{size}} "
                         f"{num(b, 3):>7} {bar(b / top, size)}"))
    return Group(*rows)


# --- the table ----------------------------------------------------------------------------

SHORT = {"dbn": "DBN (RBMs) pre-training", "autoassociator": "auto-associator pre-training",
         "supervised": "supervised pre-training", "deep": "deep net, no pre-training",
         "shallow": "shallow net, no pre-training"}


def table(v: Mapping[str, Any], width: int, view: dict) -> RenderableType:
    t = Table(box=None, padding=(0, 1), header_style="bold", pad_edge=False)
    t.add_column("", no_wrap=True)
    for name in ("train", "valid", "test ± sd", "2007"):
        t.add_column(name, justify="right", no_wrap=True)
    wide = width >= 100
    if wide:
        t.add_column("test per seed", no_wrap=True)
    for e in v["table"]:
        sd = e["test_error_sd"]
        test = "…" if e["test_error"] is None else pct(e["test_error"]) + ("" if sd is None else f" ± {pct(sd)}")
        cells = [SHORT.get(e["row"], e["name"]), _maybe(e["train_error"]), _maybe(e["valid_error"]), test,
                 pct(e["paper"]["test"])]
        if wide:
            cells.append(" ".join(pct(x) for x in e["test_errors"]))
        t.add_row(*cells)
    done, total = v["runs"], v["total_runs"]
    mode = "ReLU + He + Adam" if v["modern"] else "σ + SGD (as in 2007)"
    parts: list[RenderableType] = [t, Text(f"runs {done}/{total} {bar(done / total, 30):<30} · {mode}"),
                                   Text("2007: MNIST (50k/10k/10k), test error; here the 8×8 digits, one test "
                                        "image = 0.28%", style="dim")]
    if v.get("stuck"):
        parts.append(Text("this run learned almost nothing: a deep net stuck where it started", style="bold"))
    return Group(*parts)


def _maybe(x: float | None) -> str:
    return "…" if x is None else pct(x)


# --- gradient dilution ---------------------------------------------------------------------

def dilution(v: Mapping[str, Any], width: int, view: dict) -> RenderableType:
    nets = v["nets"]
    parts: list[RenderableType] = [Text(f"{' → '.join(map(str, v['sizes']))} · ‖∂L/∂W‖ per layer over "
                                        f"{v['rows']} training images", style="dim")]
    if v.get("phase") == "done":
        parts.append(_norm_table(nets))
    else:
        for n in nets[:-1]:
            parts.append(Text(f"{n['name']}: first / last hidden layer {sci(n['ratio'])}", style="dim"))
        if nets:
            parts.append(_norm_bars(nets[-1], width))
    parts.append(check_line(v.get("check")))
    return Group(*parts)


# Every net's bars on one log axis, so they compare across nets and frames.
DECADES = (-9, 1)


def _norm_bars(n: Mapping[str, Any], width: int) -> RenderableType:
    norms, shown = n["norms"], n["shown"]
    size = max(10, width - 22)
    lo, hi = DECADES
    rows = [Text(f"{n['name']}  (bars: log scale, 1e{lo} to 1e{hi})".replace("-", "−"), style="bold")]
    for i in range(len(norms) - 1, -1, -1):
        label = f"W{i + 1:<2}" + (" out" if i == len(norms) - 1 else "    ")
        if i >= len(norms) - shown:
            frac = (math.log10(max(norms[i], 1e-300)) - lo) / (hi - lo)
            rows.append(Text(f"{label} {sci(norms[i]):>8} {bar(max(frac, 0.0), size)}"))
        else:
            rows.append(Text(f"{label} {'·':>8}", style="dim"))
    if shown == len(norms) and len(norms) > 1:
        rows.append(Text(f"first / last hidden layer: {sci(n['ratio'])}", style="bold"))
    return Group(*rows)


def _norm_table(nets: Sequence[Mapping[str, Any]]) -> RenderableType:
    t = Table(box=None, padding=(0, 1), header_style="bold")
    t.add_column("layer")
    for n in nets:
        t.add_column(f"{n['activation']}, {n['init']}", justify="right")
    depth = len(nets[0]["norms"]) if nets else 0
    for i in range(depth - 1, -1, -1):
        t.add_row(f"W{i + 1}" + (" (out)" if i == depth - 1 else ""), *(sci(n["norms"][i]) for n in nets))
    t.add_row("first/last", *(sci(n["ratio"]) for n in nets), style="bold")
    return t


MODELS = {"rbm": rbm, "autoencoder": autoencoder, "stack": stack, "table": table, "finetune": finetune,
          "dilution": dilution}


def render(frame: Frame, width: int, view: dict) -> RenderableType:
    v = frame.values
    return MODELS[v["model"]](v, min(width, 200), view)
