"""One forward pass on the meta device, seen step by step.

Forward hooks on every leaf module (one with no submodules) record each call in execution
order: its output shape, its parameters and the MACs torch's FlopCounterMode counts while it
runs. A TorchFunctionMode sees the torch calls made between leaf calls: a residual `+`, a
torch.cat, a torch.flatten, or a functional matmul become steps of their own. Inside a leaf
module its sums are part of its step; nothing else is hidden from the walk.

Convention: FlopCounterMode counts 2 FLOPs per multiply-add in matmul and convolution (and
attention), nothing for bias adds, activations, norms or pooling; MACs = FLOPs / 2.
The walk feeds one example (batch 1); shapes are shown without that leading batch dimension.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Iterator

from ..core.fmt import clip, shape

# Torch functions between leaf calls that join or reshape tensors, by the kind they are shown as.
JOINS = {"add": "add", "add_": "add", "__add__": "add", "__iadd__": "add", "__radd__": "add",
         "sub": "sub", "sub_": "sub", "__sub__": "sub", "__isub__": "sub",
         "mul": "mul", "mul_": "mul", "__mul__": "mul", "__imul__": "mul", "__rmul__": "mul",
         "cat": "cat", "concat": "cat", "concatenate": "cat", "stack": "stack"}
RESHAPES = {"flatten": "flatten"}
SYMBOL = {"add": " + ", "sub": " − ", "mul": " × ", "cat": ", ", "stack": ", "}
UNSEEN = ("joins (+, −, ×, torch.cat, torch.stack) are seen when they run between leaf modules; inside a "
          "leaf module (nn.LSTM's gates, nn.MultiheadAttention's sums) they are part of its step, and "
          "calls with no parameters and no MACs (F.relu, view, reshape) are not shown as steps")


@dataclass(frozen=True)
class Step:
    """One leaf-module call, or one join between them."""

    name: str  # the module's qualified name (layer1.0.conv1), or its parent's + the join (layer1.0.add)
    kind: str  # the module's class name, or add / sub / mul / cat / stack / flatten / a function's name
    module: bool  # a module call (False: a torch function between them)
    in_shapes: tuple[tuple[int, ...], ...]
    out_shape: tuple[int, ...]
    params: int  # the module's own parameters, at every call (torchinfo counts them so too)
    trainable: int
    new_params: int  # not counted by an earlier step: 0 on a second call of a shared module
    new_trainable: int
    flops: int
    call: int  # 1 on a module's first call, 2 on its second ...
    first_step: int  # the index of this module's first call
    describe: str

    @property
    def macs(self) -> int:
        return self.flops // 2

    @property
    def frozen(self) -> int:
        return self.params - self.trainable


@dataclass(frozen=True)
class Walk:
    class_name: str
    input_shape: tuple[int, ...]
    output_shape: tuple[int, ...]
    steps: tuple[Step, ...]
    total_params: int  # sum(p.numel()) over model.parameters(): each parameter once
    trainable_params: int
    buffers: int  # values in buffers (BatchNorm's running statistics …): memory, not parameters
    total_flops: int  # FlopCounterMode's total for the whole forward pass
    # Modules with parameters the forward pass never called as modules: unused, or used by their
    # parent directly (nn.MultiheadAttention passes out_proj's weight to a function).
    uncalled: tuple[tuple[str, int], ...]

    @property
    def total_macs(self) -> int:
        return self.total_flops // 2

    @property
    def unattributed_macs(self) -> int:
        """MACs counted by FlopCounterMode outside every step (0 unless a leaf's hooks were bypassed)."""
        return self.total_macs - sum(s.macs for s in self.steps)


def per_example(shape: Any) -> tuple[int, ...]:
    """The shape without the leading batch dimension of 1 the walk feeds."""
    dims = tuple(int(d) for d in shape)
    return dims[1:] if dims and dims[0] == 1 else dims


def tensors(value: Any) -> Iterator[Any]:
    """Every tensor in a module's output or arguments, in order (tuples, lists, dicts, nested)."""
    import torch

    if isinstance(value, torch.Tensor):
        yield value
    elif isinstance(value, (list, tuple)):
        for v in value:
            yield from tensors(v)
    elif isinstance(value, dict):
        for v in value.values():
            yield from tensors(v)


def one_line(module: Any) -> str:
    return clip(" ".join(repr(module).split()), 100)


class _Recorder:
    """The hooks' shared state while the forward pass runs."""

    def __init__(self, model: Any, counter: Any) -> None:
        self.counter = counter
        self.names = {m: (n or type(m).__name__) for n, m in model.named_modules()}
        self.leaves = {m for m in self.names if not any(True for _ in m.children())}
        # A module with children that also holds parameters itself (a class token, a scale):
        # a step after its children, so that every parameter belongs to some step.
        self.owners = {m for m in self.names if m not in self.leaves and any(True for _ in m.parameters(recurse=False))}
        self.stack: list[tuple[Any, int, tuple]] = []
        self.inside = 0  # leaf modules now running: the torch calls they make are theirs
        self.steps: list[Step] = []
        self.seen: set[int] = set()
        self.first: dict[Any, int] = {}
        self.calls: dict[Any, int] = {}

    def flops(self) -> int:
        return self.counter.get_total_flops()

    def pre(self, module: Any, args: tuple, kwargs: dict) -> None:
        shapes = tuple(per_example(t.shape) for t in tensors((args, kwargs)))
        self.stack.append((module, self.flops(), shapes))
        if module in self.leaves:
            self.inside += 1

    def post(self, module: Any, args: tuple, kwargs: dict, output: Any) -> None:
        _, before, shapes = self.stack.pop()
        leaf = module in self.leaves
        if leaf:
            self.inside -= 1
        elif module not in self.owners:
            return
        own = list(module.parameters(recurse=leaf))
        fresh = [p for p in own if id(p) not in self.seen]
        self.seen.update(id(p) for p in own)
        out = next(tensors(output), None)
        n = self.calls[module] = self.calls.get(module, 0) + 1
        self.first.setdefault(module, len(self.steps))
        # An owner's MACs are its children's and its joins' steps; its own step holds only its parameters.
        flops = self.flops() - before if leaf else 0
        describe = one_line(module) if leaf else f"parameters of {type(module).__name__} outside its submodules"
        self.steps.append(Step(self.names[module], type(module).__name__, True, shapes,
                               per_example(out.shape) if out is not None else (),
                               sum(p.numel() for p in own), sum(p.numel() for p in own if p.requires_grad),
                               sum(p.numel() for p in fresh), sum(p.numel() for p in fresh if p.requires_grad),
                               flops, n, self.first[module], describe))

    def parent(self) -> str:
        return self.names[self.stack[-1][0]] if self.stack else ""

    def function(self, func: Any, args: tuple, kwargs: dict, run: Any) -> Any:
        """A torch call outside every leaf module: a step when it joins, flattens or multiplies-adds."""
        if self.inside:
            return run()
        before = self.flops()
        result = run()
        flops = self.flops() - before
        name = getattr(func, "__name__", "")
        kind = JOINS.get(name) or RESHAPES.get(name)
        if kind is None and not flops:
            return result
        operands = list(tensors(list(args[:1]) + [a for a in args[1:] if not isinstance(a, (int, float))]))
        if kind in ("add", "sub", "mul") and (len(operands) < 2 or any(t.numel() == 1 for t in operands[:2])):
            kind = None  # a tensor and a number (or a one-value tensor): scaling, not a join
        if kind is None and flops:
            kind = name.strip("_") or "function"
        if kind is None:
            return result
        out = next(tensors(result), None)
        if out is None:
            return result
        ins = tuple(per_example(t.shape) for t in operands)
        outs = per_example(out.shape)
        describe = f"{kind}: {SYMBOL.get(kind, ', ').join(shape(s) for s in ins)}"
        if kind in ("cat", "stack"):
            dim = kwargs.get("dim", args[1] if len(args) > 1 and isinstance(args[1], int) else 0)
            describe += f" along dim {dim}"
        parent = self.parent()
        top = self.stack[0][0] if self.stack else None
        label = kind if not self.stack or self.stack[-1][0] is top else f"{parent}.{kind}"
        self.steps.append(Step(label, kind, False, ins, outs, 0, 0, 0, 0, flops, 1, len(self.steps), describe))
        return result


def _spy(recorder: _Recorder) -> Any:
    from torch.overrides import TorchFunctionMode

    class Spy(TorchFunctionMode):
        def __torch_function__(self, func, types, args=(), kwargs=None):
            kwargs = kwargs or {}
            return recorder.function(func, args, kwargs, lambda: func(*args, **kwargs))

    return Spy()


def walk(model: Any, input_shape: tuple[int, ...] | list[int], tokens: bool = False) -> tuple[Walk, Any]:
    """Run `model` (on the meta device) on one example of `input_shape` (token ids: int64); the walk and the output.

    Raises whatever the model raises (the caller words it)."""
    import torch
    from torch.utils.flop_counter import FlopCounterMode

    model.eval()  # dropout off, BatchNorm on its running statistics: one example is enough
    counter = FlopCounterMode(display=False)
    rec = _Recorder(model, counter)
    handles = []
    for m in rec.names:
        handles.append(m.register_forward_pre_hook(rec.pre, with_kwargs=True))
        handles.append(m.register_forward_hook(rec.post, with_kwargs=True))
    x = torch.empty(1, *input_shape, device="meta", dtype=torch.int64 if tokens else torch.float32)
    try:
        with torch.no_grad(), torch.device("meta"), counter, _spy(rec):
            output = model(x)
    finally:
        for h in handles:
            h.remove()
    out = next(tensors(output), None)
    params = list(model.parameters())
    uncalled = []
    for m, name in rec.names.items():
        if (m in rec.leaves or m in rec.owners) and m not in rec.first:
            fresh = [p for p in m.parameters(recurse=m in rec.leaves) if id(p) not in rec.seen]
            rec.seen.update(id(p) for p in fresh)
            if fresh:
                uncalled.append((name, sum(p.numel() for p in fresh)))
    result = Walk(type(model).__name__, tuple(input_shape), per_example(out.shape) if out is not None else (),
                  tuple(rec.steps), sum(p.numel() for p in params),
                  sum(p.numel() for p in params if p.requires_grad),
                  sum(b.numel() for b in model.buffers()), counter.get_total_flops(), tuple(uncalled))
    return result, output
