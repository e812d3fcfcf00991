"""Frame 0 of training, dilution and search: the digits, the network's parameter tensors, an
epoch in iterations, the loss and the optimizer; the set-ups or the runs compared. It shows
while torch loads (engine/train/overview.py computes it)."""

from __future__ import annotations

import math

from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text

from engine.core.fmt import count, num, shape
from engine.train.overview import optimizer_words

DOING = {"train": "before training", "dilution": "before measuring", "search": "before searching"}
NEXT = {"train": "the next step builds the model in torch and measures the untrained one",
        "dilution": "the next step lists the set-ups; then one frame per layer, from the last down",
        "search": "the next step lays out the grid; then one frame per run"}


def overview(v, width: int) -> RenderableType:
    d, mode = v["data"], v["mode"]
    parts: list[RenderableType] = [
        Text(f"{DOING[mode]} · {count(v['parameters'])} parameters · {v['device']}", style="bold"),
        Text(f"digits: {count(d['images'])} (scikit-learn), split {count(d['split_train'])} training"
             + (f" ({count(d['train'])} of them used)" if d["train"] < d["split_train"] else "") + " / "
             f"{count(d['valid'])} validation / {count(d['test'])} test; input {shape(d['input'])} = "
             f"{math.prod(d['input'])} pixels in [{num(d['pixels'][0])}, {num(d['pixels'][1])}]; {d['classes']} classes, "
             f"{d['per_class'][0]}–{d['per_class'][1]} training images each", style="dim"),
        Text(" → ".join(name for name, _, _ in v["layers"]) + " → cross-entropy", no_wrap=True, overflow="ellipsis"),
        weights(v),
    ]
    guess = f"loss: cross-entropy −ln p[label], a minibatch's mean (guessing: ln 10 = {num(v['guess'])})"
    if mode == "train":
        last = f" (the last of {v['last_batch']})" if v["last_batch"] != v["batch"] else ""
        parts += [Text(f"one epoch: {v['epoch_iterations']} iterations of {v['batch']} images{last} · {v['epochs']} "
                       f"epochs = {count(v['iterations'])} iterations"), Text(guess),
                  Text(f"optimizer: {optimizer_words(v['optimizer'])} · lr and batch are live: a turn applies "
                       "from the next iteration")]
    elif mode == "dilution":
        parts += [variants(v), Text(f"one batch of {v['batch']} training digits, one gradient per set-up, loss −ln p[label]")]
    else:
        s = v["space"]
        lo, hi = v["epoch_iterations"]
        parts += [Text(f"runs compared: grid and random search, {v['budget']} each ({v['levels']}³ · "
                       f"{len(v['optimizers'])} optimizers) × {v['seeds']} seeds = {count(v['runs'])} runs of "
                       f"{v['epochs']} epoch(s); an epoch is {lo}–{hi} iterations (batch {s['batch'][1]}–{s['batch'][0]})"),
                  Text(f"lr {num(s['lr'][0])}–{num(s['lr'][1])} (log) · batch {s['batch'][0]}–{s['batch'][1]} (log) · "
                       f"dropout {num(s['dropout'][0])}–{num(s['dropout'][1])} · "
                       + " or ".join(optimizer_words(o) for o in v["optimizers"])), Text(guess)]
    parts.append(Text(NEXT[mode], style="dim"))
    return Group(*parts)


def weights(v) -> Table:
    """One row per layer with parameters: each tensor's shape, the layer's count, how step 1 fills it."""
    table = Table(box=None, padding=(0, 1), pad_edge=False)
    init = any("init" in r for r in v["weights"])
    for name, justify in (("layer", "left"), ("weight", "right"), ("bias", "right"), ("parameters", "right")):
        table.add_column(name, justify=justify, no_wrap=True, header_style="bold dim")
    if init:
        table.add_column(f"initialisation ({v['init']})", header_style="bold dim", no_wrap=True)
    for same in runs(v["weights"]):
        r = same[0]
        tensors = {k: shape(dims) for k, dims, _ in r["tensors"]}
        name = r["layer"] if len(same) == 1 else f"{r['layer']}–{same[-1]['layer']}"
        total = count(r["count"]) if len(same) == 1 else f"{len(same)} × {count(r['count'])}"
        table.add_row(name, tensors.get("weight", ""), tensors.get("bias", ""), total, *([r.get("init", "")] if init else []))
    table.add_row(Text("total", style="bold"), "", "", Text(count(v["parameters"]), style="bold"), *([""] if init else []))
    return table


def runs(rows) -> list[list[dict]]:
    """Consecutive layers with the same tensors and rule, grouped (a deep net's seven 32×32 layers: one row)."""
    out: list[list[dict]] = []
    for r in rows:
        if out and (out[-1][0]["tensors"], out[-1][0].get("init")) == (r["tensors"], r.get("init")):
            out[-1].append(r)
        else:
            out.append([r])
    return out


def variants(v) -> Table:
    table = Table(box=None, padding=(0, 1), pad_edge=False, title="the set-ups compared", title_justify="left")
    for name, justify in (("", "left"), ("set-up", "left"), ("weight layers", "right"), ("parameters", "right")):
        table.add_column(name, justify=justify, no_wrap=True, header_style="bold dim")
    for k, s in enumerate(v["variants"]):
        table.add_row(chr(ord("A") + k), s["label"], str(s["weight_layers"]), count(s["parameters"]))
    return table
