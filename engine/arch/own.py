"""The arch lab on a model from code (`model = "net.py:Net"`): one frame per step of the walk.

Frame 0 is the input; each later frame is one leaf-module call or one join (walk.py), with its
output shape, parameters (trainable and frozen; a shared module's second call counts none),
activations, MACs and the running totals; the last frame checks the totals against
sum(p.numel()) and FlopCounterMode's total. Memory follows the AlexNet steps' rules.
"""

from __future__ import annotations

import json
import threading
from functools import partial
from typing import TYPE_CHECKING, Any, Iterator, Mapping

from ..core.check import record
from ..core.fmt import count, mb, shape, visible
from ..core.frame import Frame
from ..core.params import ParamError
from .layers import numel
from ..core.lazy import LazyFrame
from .memory import totals
from .model import ModelError, build, check_spec, quote
from .walk import JOINS, UNSEEN, Step, Walk, walk

if TYPE_CHECKING:  # config.py imports this module to check a model's keys
    from .config import ArchConfig

ROWS = 12  # table rows a frame carries (a screenful); the totals cover every step
MAX_DIMS = 6
REFERENCE = "sum(p.numel()) + FlopCounterMode"  # the walk is torch's; its totals are checked against these
CONVENTION = ("MACs = FLOPs / 2, FLOPs as torch's FlopCounterMode counts them: 2 per multiply-add in matmul, "
              "convolution and attention; bias adds, activations, norms and pooling count 0")


def check(p: dict[str, Any], max_tensor: int) -> None:
    """The scenario's model keys, without importing anything (ParamError names the key)."""
    try:
        check_spec(p["model"])
    except ModelError as exc:
        raise ParamError("params.model", exc.message) from None
    if p["layers"]:
        raise ParamError("params.layers", "give either model or [[params.layers]], not both")
    if p["mode"] != "network":
        raise ParamError("params.mode", 'a model from code is stepped in mode "network"')
    if p["tokens"] and p["input"] and len(p["input"]) > 2:
        raise ParamError("params.tokens", f"token ids come as [T] or [N, T]; the input is {len(p['input'])}-dimensional")
    if p["bias_flops"]:
        raise ParamError("params.bias_flops", "applies to [[params.layers]]; FlopCounterMode never counts bias adds")
    if not 1 <= len(p["input"]) <= MAX_DIMS:
        raise ParamError("params.input", f"expected 1 to {MAX_DIMS} sizes (one example, without the batch), "
                         f"got {len(p['input'])}")
    if numel(p["input"]) * p["batch"] > max_tensor:
        raise ParamError("params.batch", f"a batch of {count(p['batch'])} inputs of {shape(p['input'])} "
                         f"is more values than one torch tensor holds ({count(max_tensor)})")
    check_kwargs(p["kwargs"])


def check_kwargs(kwargs: Any) -> None:
    if not isinstance(kwargs, dict):
        raise ParamError("params.kwargs", "expected a table of keyword arguments, e.g. {num_classes = 10}")
    for k, v in kwargs.items():
        if not k.isidentifier():
            raise ParamError("params.kwargs", f'"{visible(k)}" is not a Python argument name')
        if v is None:
            raise ParamError(f"params.kwargs.{k}", "null has no form in a scenario file; leave the key out")


# Walks of recent models, so the command line's check, the session and a reset walk once.
_walks: dict[tuple, Walk] = {}
_walks_lock = threading.Lock()


def open_walk(p: Mapping[str, Any]) -> Walk:
    """Build the model on the meta device and walk it; ModelError for anything the model rejects."""
    return _walk(p["model"], p["kwargs"], tuple(p["input"]), p["tokens"])


def _walk(text: str, kwargs: Mapping[str, Any], input_: tuple[int, ...], tokens: bool) -> Walk:
    spec = check_spec(text)
    stamp = (spec.path.stat().st_mtime_ns, spec.path.stat().st_size) if spec.is_file else None
    key = (text, json.dumps(dict(kwargs), sort_keys=True), input_, tokens, stamp)
    with _walks_lock:
        if key in _walks:
            return _walks[key]
    model = build(text, dict(kwargs))
    try:
        result, _ = walk(model, input_, tokens=tokens)
    except (Exception, SystemExit) as exc:
        hint = ""
        if isinstance(exc, TypeError) and "forward()" in str(exc):
            hint = "; the lab calls forward with one tensor [1, *input]: a model needing more inputs is not supported"
        elif "indices" in str(exc) and not tokens:
            hint = "; is the input token ids? say so with tokens = true (--tokens)"
        elif "meta" in str(exc):
            hint = "; the walk runs on the meta device, where tensors have shapes but no values"
        raise ModelError(f"{spec.shown}: {spec.name} rejected input {'×'.join(map(str, (1, *input_)))}: "
                         f"{quote(exc, spec)}{hint}", key="input") from None
    with _walks_lock:
        if len(_walks) >= 4:
            _walks.pop(next(iter(_walks)))
        _walks[key] = result
    return result


class OwnModel:
    """The frames of one walked model; `real` builds it with random weights for `g`."""

    def __init__(self, cfg: "ArchConfig") -> None:
        self.cfg = cfg
        self.spec = check_spec(cfg.model)
        try:
            self.walk = _walk(cfg.model, cfg.kwargs or {}, cfg.input, cfg.tokens)
        except ModelError as exc:  # the lab's way to fail: ParamError on the key to blame
            raise ParamError(f"params.{exc.key}", exc.message) from None

    def length(self) -> int:
        return 1 + len(self.walk.steps)

    def common(self) -> dict[str, Any]:
        c = self.cfg
        return {"mode": "model", "model": self.spec.short, "kwargs": c.kwargs, "input": c.input, "tokens": c.tokens,
                "batch": c.batch, "dtype": c.dtype, "bytes_per_value": c.bytes, "optimizer": c.optimizer,
                "convention": CONVENTION, "unseen": UNSEEN}

    def totals(self, params: int, trainable: int, activations: int, macs: int, flops: int) -> dict[str, Any]:
        """The AlexNet steps' memory rules; gradients and optimizer state only for trainable parameters."""
        return totals(self.cfg, params, activations, macs, flops, trainable=trainable, buffers=self.walk.buffers)

    def row(self, i: int, s: Step) -> dict[str, Any]:
        acts, b = numel(s.out_shape), self.cfg.bytes
        return {"step": i, "name": visible(s.name), "kind": visible(s.kind), "out_shape": s.out_shape,
                "params": s.params, "new_params": s.new_params, "shared": s.call > 1 or s.new_params < s.params,
                "activations": acts, "macs": s.macs, "flops": s.flops, "weight_bytes": s.new_params * b,
                "activation_bytes": acts * self.cfg.batch * b, "floored": False}

    def frames(self) -> Iterator[Frame]:
        w, common, c = self.walk, self.common(), self.cfg
        layer0 = {"name": "INPUT", "kind": "input", "in_shape": None, "out_shape": c.input, "params": 0,
                  "activations": numel(c.input), "macs": 0, "flops": 0,
                  "activation_bytes": numel(c.input) * c.batch * c.bytes,
                  "describe": f"one example of {shape(c.input)}" + (" token ids" if c.tokens else "")
                  + "; the batch scales only the memory"}
        summary = {"class_name": w.class_name, "total_params": w.total_params, "steps": len(w.steps),
                   "output_shape": w.output_shape}
        yield Frame(0, f"{self.spec.short}: {w.class_name}, {count(w.total_params)} parameters, {len(w.steps)} steps; "
                       f"input {shape(c.input)}",
                    {**common, "layer": layer0, "summary": summary, "layers": [], "earlier": 0, "groups": [],
                     "totals": self.totals(0, 0, 0, 0, 0)})
        sums, groups = (0, 0, 0, 0, 0), {}  # params, trainable, activations, MACs, FLOPs so far
        for i, s in enumerate(w.steps, 1):
            sums = tuple(a + b for a, b in zip(sums, (s.new_params, s.new_trainable, numel(s.out_shape), s.macs, s.flops)))
            if s.new_params:
                top = s.name.split(".")[0]
                groups = {**groups, top: groups.get(top, 0) + s.new_params}
            yield LazyFrame(i, partial(self.step_frame, i, sums, groups))

    def step_frame(self, i: int, sums: tuple[int, ...], groups: dict[str, int]) -> Frame:
        """Step i (1-based) with the running totals `sums` and the parameters by top-level module."""
        s, first = self.walk.steps[i - 1], max(1, i - ROWS + 1)
        rows = [self.row(j, self.walk.steps[j - 1]) for j in range(first, i + 1)]
        layer = {**rows[-1], "in_shape": s.in_shapes[0] if s.in_shapes else None,
                 "in_shapes": s.in_shapes, "trainable": s.trainable, "frozen": s.frozen,
                 "call": s.call, "first_step": s.first_step + 1, "module": s.module,
                 "describe": visible(s.describe)}
        values = {**self.common(), "layer": layer, "layers": rows, "earlier": first - 1,
                  "groups": [{"name": visible(k), "params": v} for k, v in groups.items()],
                  "totals": self.totals(*sums)}
        last = i == len(self.walk.steps)
        if last:
            values.update(self.final(sums[0]))
        return Frame(i, self.caption(s, layer, values, last), values, {"step": i - 1, "join": not s.module})

    def final(self, counted: int) -> dict[str, Any]:
        """The totals against sum(p.numel()) and FlopCounterMode's total: exact, so tolerance 0."""
        w = self.walk
        uncalled = sum(n for _, n in w.uncalled)
        params_diff = abs(counted + uncalled - w.total_params)
        return {"total_params": w.total_params, "trainable_params": w.trainable_params,
                "frozen_params": w.total_params - w.trainable_params, "total_macs": w.total_macs,
                "total_flops": w.total_flops, "counted_params": counted,
                "uncalled": [{"name": visible(n), "params": k} for n, k in w.uncalled],
                "unattributed_macs": w.unattributed_macs, "output_shape": w.output_shape,
                "check": record(REFERENCE, max(params_diff, abs(w.unattributed_macs)), 0),
                "matches": {"params": params_diff == 0, "macs": w.unattributed_macs == 0}}

    def caption(self, s: Step, layer: dict[str, Any], values: dict[str, Any], last: bool) -> str:
        if s.module:
            text = f"{layer['name']} ({layer['kind']}) → {shape(s.out_shape)}, {count(s.params)} parameters"
            if layer["shared"]:
                text += f" (shared with step {layer['first_step']}: counted once)"
        else:
            what = "a join" if s.kind in JOINS.values() else "a torch call"
            text = f"{layer['describe']} → {shape(s.out_shape)} ({layer['name']}: {what}, not a module)"
        if s.macs:
            text += f", {count(s.macs)} MACs"
        if last:
            text += f"; total {count(values['total_params'])} parameters, {count(values['total_macs'])} MACs"
        return text

    # --- the real model, for `g` on a GPU --------------------------------------------------
    def real(self, device: Any) -> tuple[Any, Any]:
        """The model with random weights on `device`, and a random batch; ModelError if it fails."""
        import torch

        c = self.cfg
        dtype = getattr(torch, c.dtype)
        model = build(c.model, dict(c.kwargs or {}), device=str(device)).to(dtype).eval()
        if c.tokens:  # token 0 exists in every vocabulary
            x = torch.zeros(c.batch, *c.input, device=device, dtype=torch.int64)
        else:
            x = torch.randn(c.batch, *c.input, device=device, dtype=dtype)
        return model, x

    def estimate(self) -> str:
        w = self.walk
        t = self.totals(w.total_params, w.trainable_params, sum(numel(s.out_shape) for s in w.steps), 0, 0)
        return (f"{mb(t['forward_bytes'])} (weights {mb(t['weight_bytes'])} + buffers {mb(t['buffer_bytes'])} + "
                f"input {mb(t['input_bytes'])} + every step's output {mb(t['activation_bytes'])}, an upper bound: "
                "without gradients torch frees each activation once used)")
