"""A model from code in the arch lab: the step's facts, its volumes, the last steps, where the parameters are.

The frames come from engine/arch/own.py; the pieces (facts, boxes, bars) are the AlexNet steps'.
Everything a model names (module names, class names) is drawn as plain Text, never markup.
"""

from __future__ import annotations

from typing import Any, Mapping

from rich.console import Group, RenderableType
from rich.text import Text

from engine.core.fmt import clip, count, mb, shape

from .arch import Facts, before_turn, boxes, ghost_shape, grid_table, memory_line, param_bars
from .common import check_line


def model(v: Mapping[str, Any], width: int, view: dict) -> RenderableType:
    layer = v["layer"]
    parts: list[RenderableType] = [input_facts(v) if layer["kind"] == "input" else step_facts(v, layer, width)]
    ins, out = layer["in_shape"], layer["out_shape"]
    if len(out) in (1, 3) and (ins is None or len(ins) in (1, 3)):
        parts.append(boxes(ins, clip(layer["name"], 24), out, width, ghost_shape(v, view)))
    if v["layers"]:
        which = view.get("table", "compute")
        parts.append(step_table(v, which, width))
        parts.append(param_bars(v["groups"], v["totals"]["params"], width))
    if "total_params" in v:
        parts.append(checks(v))
    parts.append(memory_line(v))
    return Group(*parts, *filter(None, [before_turn(v, view)]))


def input_facts(v: Mapping[str, Any]) -> Facts:
    s, layer = v["summary"], v["layer"]
    kwargs = ", ".join(f"{k}={val!r}" for k, val in v["kwargs"].items())
    return Facts([
        ("model", f"{v['model']}" + (f" ({clip(kwargs, 60)})" if kwargs else ""), "bold"),
        ("", f"{s['class_name']}: {count(s['total_params'])} parameters, {s['steps']} steps, output "
             f"{shape(s['output_shape'])}", ""),
        ("input", f"{shape(layer['out_shape'])} = {count(layer['activations'])} values; {layer['describe']}", "bold"),
        ("", "built on the meta device (shapes, no memory) and walked one forward pass: a step per leaf-module "
             "call, and per join between them", "dim"),
        ("unseen", v["unseen"], "dim"),
    ])


def step_facts(v: Mapping[str, Any], layer: Mapping[str, Any], width: int) -> Facts:
    batch = f", batch {v['batch']}" if v["batch"] > 1 else ""
    acts = (f"{shape(layer['out_shape'])} = {count(layer['activations'])} values "
            f"({mb(layer['activation_bytes'])} at {v['dtype']}{batch})")
    if layer["module"]:
        params = f"{count(layer['params'])}"
        if layer["params"]:
            params += f" (trainable {count(layer['trainable'])}, frozen {count(layer['frozen'])})"
        rows = [("step", f"{layer['name']} ({layer['kind']})", "bold"),
                ("", clip(layer["describe"], max(20, width - 14)), "dim"),
                ("output", f"{' , '.join(shape(s) for s in layer['in_shapes']) or 'no tensor'} → "
                           f"{shape(layer['out_shape'])}", "bold"),
                ("parameters", params, "bold")]
        if layer["shared"]:
            rows.append(("", f"call {layer['call']} of a shared module: its parameters were counted at step "
                             f"{layer['first_step']}, not again", "yellow"))
    else:
        where = f"  ({layer['name']})" if layer["name"] != layer["kind"] else ""
        rows = [("torch call", f"{layer['describe']} → {shape(layer['out_shape'])}{where}", "bold"),
                ("", "not a module: a torch call between leaf modules, seen by a TorchFunctionMode; 0 parameters",
                 "dim")]
    rows += [("activations", acts, ""),
             ("compute", f"{count(layer['macs'])} MACs, {count(layer['flops'])} FLOPs", ""),
             ("", v["convention"], "dim")]
    return Facts(rows)


def step_table(v: Mapping[str, Any], which: str, width: int) -> RenderableType:
    rows, totals = v["layers"], v["totals"]
    name_w = max(8, min(24, width - 52))

    def first(r: Mapping[str, Any]) -> list[str]:
        return [str(r["step"]), clip(r["name"], name_w), clip(shape(r["out_shape"]), 14)]

    if which == "memory":
        return grid_table(["#", "step", "output", "weights", "activations"],
                          [first(r) + [mb(r["weight_bytes"]), mb(r["activation_bytes"])] for r in rows],
                          ["", "total", "", mb(totals["weight_bytes"]), mb(totals["activation_bytes"])], (1, 2),
                          table_note(v, which))
    return grid_table(["#", "step", "output", "kind", "params", "MACs"],
                      [first(r) + [clip(r["kind"], 12), f"({count(r['params'])})" if r["shared"] else count(r["params"]),
                                   count(r["macs"])] for r in rows],
                      ["", "total", "", "", count(totals["params"]), count(totals["macs"])], (1, 2, 3),
                      table_note(v, which))


def table_note(v: Mapping[str, Any], which: str) -> str:
    earlier = f"{v['earlier']} earlier steps above; " if v["earlier"] else ""
    shared = "(n): a shared module's call, counted once; " if which != "memory" and any(
        r["shared"] for r in v["layers"]) else ""
    return f"{earlier}{shared}press m for {'compute' if which == 'memory' else 'memory'} columns"


def checks(v: Mapping[str, Any]) -> Facts:
    """The totals against sum(p.numel()) and FlopCounterMode's, and the engine's verdict."""
    ok_p, ok_m = v["matches"]["params"], v["matches"]["macs"]
    uncalled = v["uncalled"]
    never = ""
    if uncalled:
        names = ", ".join(u["name"] for u in uncalled[:3]) + (" …" if len(uncalled) > 3 else "")
        never = f" + {count(sum(u['params'] for u in uncalled))} in modules not called as modules ({names})"
    params = (f"{count(v['counted_params'])} counted once over the steps{never} = {count(v['total_params'])}, "
              "sum(p.numel()) over model.parameters()")
    if v["frozen_params"]:
        params += f"; {count(v['frozen_params'])} frozen"
    macs = f"{count(v['total_macs'])} over the steps = FlopCounterMode's total {count(v['total_flops'])} FLOPs / 2"
    if not ok_m:
        macs = (f"{count(v['total_macs'] - v['unattributed_macs'])} over the steps; FlopCounterMode's total is "
                f"{count(v['total_macs'])}: {count(v['unattributed_macs'])} MACs outside every step")
    return Facts([
        ("parameters", params, "bold" if ok_p else "bold red"),
        ("MACs", macs, "bold" if ok_m else "bold red"),
        ("check", check_line(v["check"]), ""),
    ])

