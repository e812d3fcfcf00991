"""Char-RNN frames: the training and validation losses and the samples while training; the
next-character bars while sampling.

The losses are in nats per character in the frames; `b` (view["bits"]) shows them in bits
(÷ ln 2) and `y` (view["ylog"]) on a log scale. Without colour the curves still differ: the
training loss is a solid line, the validation loss a line with a • at every measurement, the
uniform-guessing level a ─ line.
"""

from __future__ import annotations

import math

from rich.console import Group, RenderableType
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from engine.charrnn.captions import sampled_from
from engine.charrnn.sampling import shown_char
from engine.core.fmt import count, counted, num, shape, visible
from engine.core.frame import Frame

from . import ViewKey
from .common import check_line

TRAIN_MARK, VALID_MARK, LEVEL_MARK = "braille", "•", "─"


def _toggle_rate(view: dict) -> None:
    view["rate"] = not view.get("rate", False)


# View-only: the live training speed is never in a frame (replays stay byte-identical),
# so it shows only when a person asks for it in the app.
VIEW_KEYS = (ViewKey("t", "rate", "show / hide the training speed and threads", _toggle_rate),)
PLOT_VIEWS = ("ylog", "bits")  # the `y` and `b` keys this lab's plots honour


def render(frame: Frame, width: int, view: dict) -> RenderableType:
    v = frame.values
    if v["phase"] == "sample":
        return _sampling(v, width)
    if v["phase"] == "data":
        return _overview(v, width, view)
    return _training(v, width, view)


class Units:
    """Nats or bits per character, as the view asks."""

    def __init__(self, view: dict) -> None:
        self.bits = bool(view.get("bits"))
        self.name = "bits/char" if self.bits else "nats/char"
        self.scale = 1 / math.log(2) if self.bits else 1.0

    def __call__(self, nats: float) -> float:
        return nats * self.scale

    def level(self, vocab_size: int) -> str:
        return f"log₂ {vocab_size}" if self.bits else f"ln {vocab_size}"


def _status(v, view: dict, u: Units) -> Text:
    line = Text()
    line.append(f"iteration {v['iteration']}", style="bold")
    line.append(f" · loss {num(u(v['loss']))} {u.name}")
    if v.get("valid_loss") is not None:
        line.append(f" · validation {num(u(v['valid_loss']))}", style="bold yellow" if v.get("overfitting") else "")
        best = v.get("best_valid")
        if best and best["iteration"] != v["iteration"]:
            line.append(f" (best {num(u(best['valid_loss']))} at {best['iteration']})")
    if v.get("grad_norm") is not None:
        line.append(f" · ‖g‖ {num(v['grad_norm'])}")
        if v.get("clipped"):
            line.append(" clipped", style="bold yellow")
    line.append(f" · {v['device']}")
    if view.get("rate"):
        live = view.get("live", {})
        rate = live.get("chars_per_s")
        line.append(f" · {count(rate)} chars/s" if rate else " · – chars/s", style="cyan")
        if live.get("threads"):
            line.append(f" · {live['threads']} CPU thread{'s' if live['threads'] > 1 else ''}", style="cyan")
    return line


def loss_plot(v, width: int, view: dict, u: Units) -> Text:
    """The training loss (solid), the validation loss (• at each measurement) and ln V (─)."""
    import plotext as plt

    train = [(x, u(y)) for x, y in v["curve"] if math.isfinite(y)]
    valid = [(x, u(y)) for x, y in v.get("valid_curve", ()) if math.isfinite(y)]
    ylog = bool(view.get("ylog")) and all(y > 0 for _, y in train + valid)
    plt.clf()
    plt.plotsize(max(20, width), 12 if width >= 90 else 9)
    plt.theme("pro")
    plt.xlabel("iteration")
    plt.ylabel(u.name + (" (log)" if ylog else ""))
    if ylog:
        plt.yscale("log")
    if train:
        plt.plot([p[0] for p in train], [p[1] for p in train], label="training", marker=TRAIN_MARK)
    if valid:
        plt.plot([p[0] for p in valid], [p[1] for p in valid], marker=TRAIN_MARK)
        plt.scatter([p[0] for p in valid], [p[1] for p in valid], label="validation", marker=VALID_MARK)
    xs = [p[0] for p in train + valid]
    plt.plot([min(xs), max(xs)], [u(v["ln_vocab"])] * 2, label=u.level(v["vocab_size"]), marker=LEVEL_MARK)
    out = plt.build()
    plt.clf()
    return Text.from_ansi(out)


def _vocabulary(v) -> Text:
    return Text(f"vocabulary ({v['vocab_size']}): " + "".join(shown_char(c) for c in v["vocab"]), style="dim")


def _text_facts(v, tail: str) -> Text:
    """The text's size, what is held out, and the streams it is trained in, then `tail`."""
    held = f"; {count(v['held_out'])} held out for validation" if v.get("held_out") else ""
    return Text(f"{count(v['text_chars'])} characters of text{held}; training in {counted(v['streams'], 'stream')} "
                f"of {count(v['stream_chars'])}{tail}", style="dim")


def _training(v, width: int, view: dict) -> RenderableType:
    u = Units(view)
    parts: list[RenderableType] = [_status(v, view, u)]
    if v["phase"] == "setup":
        parts += [_vocabulary(v), _text_facts(v, f"; {count(v['parameters'])} parameters")]
    if len(v["curve"]) + len(v.get("valid_curve", ())) > 1:  # one point is no curve yet
        parts.append(loss_plot(v, width - 2, view, u))
    if v.get("check"):
        parts.append(check_line(v["check"]))
    timeline = list(v["timeline"])
    if timeline:
        *older, newest = timeline
        for it, loss, text in older:
            flat = visible(text.replace("\n", "⏎"))
            head = f"it {it} ({num(u(loss), 3)}): "
            parts.append(Text(head, style="dim").append(flat[: max(10, width - len(head) - 1)], style="dim"))
        it, loss, text = newest
        fresh = "sample" in v
        title = f"sample at iteration {it}, loss {num(u(loss), 3)}" + (" (new)" if fresh else "")
        written = Text(visible(v.get("prime", ""), keep_newlines=True), style="dim underline")
        written.append(visible(text, keep_newlines=True))
        parts.append(Panel(written, title=title, title_align="left",
                           width=min(width, 100), border_style="green" if fresh else "dim"))
    return Group(*parts)


# The lecture's names for torch's: h_t = tanh(W_hh·h_{t−1} + W_xh·x_t), y_t = W_hy·h_t.
LECTURE_NAMES = {"weight_ih": "W_xh", "weight_hh": "W_hh", "head.weight": "W_hy"}
FORMULAS = {"rnn": "h_t = tanh(W_xh·x_t + W_hh·h_{t−1} + b) · y_t = W_hy·h_t + b_y · p(next) = softmax(y_t)",
            "lstm": "i f g o = W_xh·x_t + W_hh·h_{t−1} + b (4 gates stacked) · c_t = f⊙c_{t−1} + i⊙g · h_t = o⊙tanh c_t"
                    " · y_t = W_hy·h_t + b_y · p(next) = softmax(y_t)"}


def _overview(v, width: int, view: dict) -> RenderableType:
    """Frame 0: the text, a character's way in (its index, one-hot) and out (the next one), the weights."""
    u, V = Units(view), v["vocab_size"]
    status = Text(f"before training · {V} distinct characters · {count(v['parameters'])} parameters · {v['device']}",
                  style="bold")
    text = _text_facts(v, f": {count(v['pass_iterations'])} iterations of {v['seq_len']} per pass")
    hot = max(8, min(V, width - 24))
    how = Text(f"input → target: each character one-hot ({V} entries)" + (
        f"; x_t is then its row of the {V}×{v['input_width']} embedding" if v["input_width"] != V else ""))
    pairs = Table(box=None, padding=(0, 1), pad_edge=False)
    for name, justify in (("x_t", "left"), ("index", "right"), ("one-hot x_t", "left"), ("next", "left"), ("", "right")):
        pairs.add_column(name, justify=justify, no_wrap=True)
    for c, i, nxt, j in v["pairs"]:
        strip = "·" * i + "1" + "·" * (V - i - 1)
        strip = strip[:hot - 1] + "…" if len(strip) > hot else strip
        pairs.add_row(shown_char(c), str(i), strip, shown_char(nxt), str(j))
    weights = Table(box=None, padding=(0, 1), pad_edge=False)
    for name, justify in (("weights", "left"), ("shape", "right"), ("count", "right"), ("", "left")):
        weights.add_column(name, justify=justify, no_wrap=True)
    for name, dims, n in v["weights"]:
        lecture = next((w for key, w in LECTURE_NAMES.items() if key in name), "")
        weights.add_row(name, shape(dims), count(n), lecture)
    weights.add_row(Text("total", style="bold"), "", Text(count(v["parameters"]), style="bold"), "")
    two = v.get("second_bias", 0)
    biases = Text(f"torch has two biases per layer (b_ih, b_hh); with one b, as min-char-rnn: "
                  f"{count(v['parameters'] - two)}", style="dim") if two else Text("")
    return Group(
        status,
        _vocabulary(v),
        text, how, pairs, weights, biases,
        Text(FORMULAS[v["cell"]], style="dim"),
        Text(f"untrained, about uniform: {u.level(V)} = {num(u(v['ln_vocab']))} {u.name}; the next step builds the "
             "weights and measures it"),
    )


def _sampling(v, width: int) -> RenderableType:
    written = Text()
    written.append(visible(v["prime"], keep_newlines=True), style="dim underline")
    written.append(visible(v["context"][len(v["prime"]):], keep_newlines=True))
    written.append(shown_char(v["char"]) if v["char"] in " \n\t" else visible(v["char"]), style="bold reverse")
    rule = "greedy (argmax)" if v["greedy"] else f"temperature {num(v['temperature'])}" + (
        f" · top-k {v['top_k']}" if v["top_k"] else " · all characters")
    table = Table(box=None, show_header=False, padding=(0, 1), pad_edge=False)
    table.add_column(justify="right", no_wrap=True)
    table.add_column(no_wrap=True)
    table.add_column(justify="right", no_wrap=True)
    table.add_column(no_wrap=True)
    bar_width = max(10, min(50, width - 24))
    for c, q in v["top"]:
        chosen = c == v["char"]
        bar = "█" * max(1, round(q * bar_width)) if q > 0 else ""
        table.add_row(Text(shown_char(c), style="bold" if chosen else ""), Text(bar, style="green" if chosen else "blue"),
                      Text(f"{q:.3f}", style="bold" if chosen else ""), Text("◀ drawn" if chosen else ""))
    return Group(
        Text(f"{sampled_from(v['model'])} · {rule} · {v['device']}", style="bold"),
        Panel(written, title=f"character {v['position']}", title_align="left", width=min(width, 100)),
        Text("p(next character), most likely first:"),
        table,
        check_line(v.get("check")),
    )
