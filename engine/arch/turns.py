"""Knobs, and what turning one changed.

A network's knobs are its input's height and width, each conv layer's kernel, stride and
filters, each pooling window's size and stride, each fc layer's units, and the batch. A
turn that would break the network (an output size ≤ 0, filters that no longer split into
groups) is refused by the same rules as `tui-lab check` (config.plan).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Callable

from ..core.fmt import count, mb, power, shape
from ..core.knobs import Knob
from .config import DTYPES, OPT_STATE, ArchConfig
from .layers import numel
from .memory import network_totals

if TYPE_CHECKING:
    from .lab import ArchLab

SIDE = 4096  # the largest input height or width a knob reaches (the edit form goes to 100,000)
WIDE = 1 << 20  # the most filters or units a knob reaches


def batch() -> Knob:
    return Knob("batch", "batch", step=2, big=8, low=1, high=100_000, log=True)


def network_knobs(cfg: ArchConfig) -> list[Knob]:
    out = [Knob("input height", "input[1]", step=1, big=16, low=1, high=SIDE),
           Knob("input width", "input[2]", step=1, big=16, low=1, high=SIDE)]
    for q in cfg.plans:
        layer, key = q.layer, f"layers[{q.index}]"
        if layer.kind == "conv" or (layer.kind == "pool" and not layer.adaptive):
            padded = max(q.in_shape[1:]) + 2 * layer.padding  # no window is larger than the padded input
            # Pooling's padding may be at most half its window.
            low = max(1, 2 * layer.padding) if layer.kind == "pool" else 1
            out.append(Knob(f"{layer.name} kernel", f"{key}.size", step=1, big=2, low=low, high=max(low, padded)))
            out.append(Knob(f"{layer.name} stride", f"{key}.stride", step=1, big=2, low=1, high=max(1, padded)))
        if layer.kind == "conv":
            out.append(Knob(f"{layer.name} filters", f"{key}.filters", step=2, big=4, low=layer.groups, high=WIDE,
                            log=True))
        elif layer.kind == "fc":
            out.append(Knob(f"{layer.name} units", f"{key}.units", step=2, big=4, low=1, high=WIDE, log=True))
    return out + [batch()]


def knobs(cfg: ArchConfig) -> list[Knob]:
    if cfg.mode == "network":
        return network_knobs(cfg)
    if cfg.mode == "why_conv":
        return [Knob("image", "image", step=2, big=10, low=1, high=32_000, log=True),
                Knob("filter", "filter", step=1, big=5, low=1, high=cfg.image),
                Knob("maps", "maps", step=2, big=10, low=1, high=10_000, log=True)]
    dtype = Knob("dtype", "dtype", choices=tuple(DTYPES))
    if cfg.mode == "memory":
        return [batch(), dtype, Knob("optimizer", "optimizer", choices=tuple(OPT_STATE))]
    return [batch(), dtype]  # a model from code: its shapes are its own


# --- what a turn changed ------------------------------------------------------------------


def moved(label: str, old: Any, new: Any, fmt: Callable[[Any], str] = count) -> list[str]:
    """["parameters 62,378,344 → 91,738,472"], or nothing where the two read the same."""
    a, b = fmt(old), fmt(new)
    return [f"{label} {a} → {b}"] if a != b else []


def memory(lab: "ArchLab") -> tuple[int, int]:
    """(forward, training) bytes, in every mode that has them."""
    cfg = lab.cfg
    if cfg.mode == "network":
        t = network_totals(cfg, cfg.plans)
    elif cfg.mode == "model" and lab.own is not None:
        w = lab.own.walk
        t = lab.own.totals(w.total_params, w.trainable_params, sum(numel(s.out_shape) for s in w.steps), 0, 0)
    elif cfg.mode == "memory":
        forward = (cfg.weights + cfg.activations * cfg.batch) * cfg.bytes
        return forward, forward + (1 + cfg.opt_state) * cfg.weights * cfg.bytes
    else:
        return 0, 0
    return t["forward_bytes"], t["training_bytes"]


def network_change(old: ArchConfig, new: ArchConfig) -> list[str]:
    changed = [(a, b) for a, b in zip(old.plans, new.plans) if a.out_shape != b.out_shape]
    parts = []
    if changed:
        a, b = changed[0]
        later = f" (and {len(changed) - 1} later layer{'s' if len(changed) > 2 else ''})" if len(changed) > 1 else ""
        parts.append(f"{b.name} output {shape(a.out_shape)} → {shape(b.out_shape)}{later}")
    parts += moved("parameters", sum(q.params for q in old.plans), sum(q.params for q in new.plans))
    parts += moved("MACs", sum(q.macs for q in old.plans), sum(q.macs for q in new.plans))
    parts += moved("floored layers", sum(bool(q.warning) for q in old.plans), sum(bool(q.warning) for q in new.plans))
    return parts


def why_conv_change(old: ArchConfig, new: ArchConfig) -> list[str]:
    def counts(c: ArchConfig) -> tuple[int, int, int]:
        pixels, hidden = c.image ** 2, c.maps * c.image ** 2
        return pixels * hidden, hidden * c.filter ** 2, c.maps * c.filter ** 2

    names = ("fully connected", "locally connected", "convolution")
    return [p for name, a, b in zip(names, counts(old), counts(new)) for p in moved(name, a, b, power)]


def change_note(before: "ArchLab", after: "ArchLab") -> str:
    """"CONV1 output 96×55×55 → 96×73×73 (and 20 later layers); parameters 62,378,344 → …"."""
    old, new = before.cfg, after.cfg
    if old.mode != new.mode:
        return ""
    parts = {"network": network_change, "why_conv": why_conv_change}.get(new.mode, lambda a, b: [])(old, new)
    (f0, t0), (f1, t1) = memory(before), memory(after)
    parts += moved("forward memory", f0, f1, mb)
    if new.mode == "memory" or not parts:  # elsewhere training memory follows from what is said
        parts += moved("training memory", t0, t1, mb)
    return "; ".join(parts) if parts else "nothing else changed"
