"""Char-RNN frames: the loss curve and the samples while training; the next-character bars while sampling."""

from __future__ import annotations

from rich.console import Group, RenderableType
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from engine.charrnn.lab import shown_char
from engine.core.fmt import count, num
from engine.core.frame import Frame

from .common import plot
from . import ViewKey


def _toggle_rate(view: dict) -> None:
    view["rate"] = not view.get("rate", False)


# View-only: the live training speed is never in a frame (replays stay byte-identical),
# so it shows only when a person asks for it in the app.
VIEW_KEYS = (ViewKey("t", "rate", "show / hide the training speed and threads", _toggle_rate),)


def render(frame: Frame, width: int, view: dict) -> RenderableType:
    v = frame.values
    if v["phase"] == "sample":
        return _sampling(v, width)
    return _training(v, width, view)


def _status(v, view: dict) -> Text:
    line = Text()
    line.append(f"iteration {v['iteration']}", style="bold")
    line.append(f" · loss {num(v['loss'])} nats/char")
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
            line.append(f" · {live['threads']} thread{'s' if live['threads'] > 1 else ''}", style="cyan")
    return line


def _training(v, width: int, view: dict) -> RenderableType:
    parts: list[RenderableType] = [_status(v, view)]
    if v["phase"] == "setup":
        parts.append(Text(f"vocabulary ({v['vocab_size']}): " + "".join(shown_char(c) for c in v["vocab"]), style="dim"))
        parts.append(Text(f"{count(v['text_chars'])} characters of text in {v['streams']} stream(s) of "
                          f"{count(v['stream_chars'])}; {count(v['parameters'])} parameters", style="dim"))
    pts = v["curve"]
    if pts:
        xs, ys = [p[0] for p in pts], [p[1] for p in pts]
        parts.append(plot([("loss", xs, ys)], width - 2, 12 if width >= 90 else 9, xlabel="iteration", ylabel="nats/char",
                          hlines=[(v["ln_vocab"], f"ln {v['vocab_size']}")]))
    timeline = list(v["timeline"])
    if timeline:
        *older, newest = timeline
        for it, loss, text in older:
            flat = text.replace("\n", "⏎")
            head = f"it {it} ({num(loss, 3)}): "
            parts.append(Text(head, style="dim").append(flat[: max(10, width - len(head) - 1)], style="dim"))
        it, loss, text = newest
        fresh = "sample" in v
        title = f"sample at iteration {it}, loss {num(loss, 3)}" + (" (new)" if fresh else "")
        parts.append(Panel(Text(text), title=title, title_align="left", width=min(width, 100),
                           border_style="green" if fresh else "dim"))
    return Group(*parts)


def _sampling(v, width: int) -> RenderableType:
    written = Text()
    written.append(v["prime"], style="dim underline")
    written.append(v["context"][len(v["prime"]):])
    written.append(v["char"], style="bold reverse")
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
        Text(f"after iteration {v['iteration']} · {rule} · {v['device']}", style="bold"),
        Panel(written, title=f"character {v['position']}", title_align="left", width=min(width, 100)),
        Text("p(next character), most likely first:"),
        table,
    )
