"""The independent reference: each layer built as a real torch.nn module on the meta device.

No memory is touched on the meta device, so VGG-19's 143 M parameters cost nothing. Each
module runs on the shape the formulas say it receives, under torch's FlopCounterMode; its
output shape, `sum(p.numel())` and FLOPs / 2 must equal the lab's shape, parameters and
MACs exactly. The lab decides that here, once, as the check record every frame carries.

Traces are kept by (layer, input shape): a knob turn re-traces only the layers whose input
it changed, and only as far as the cursor has gone.
"""

from __future__ import annotations

import math
import threading
from collections import OrderedDict
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Mapping, Sequence

from ..core.check import record
from .layers import Layer, LayerPlan, numel, plan_layer

REFERENCE = "nn modules (meta) + FlopCounterMode"
NETWORK_REFERENCE = "nn modules (meta): sum(p.numel()) + FlopCounterMode"
WHY_CONV_REFERENCE = "nn.Linear, nn.Conv2d (meta)"


def torch_module(layer: Layer | Mapping[str, Any], shape: Sequence[int]) -> Any:
    """The torch module for one layer on an input of `shape` (an fc on a volume gets nn.Flatten in front).

    Built on the current default device: under `torch.device("meta")` no memory is touched."""
    from torch import nn

    layer = Layer.of(layer)
    kind = layer.kind
    if kind == "conv":
        return nn.Conv2d(shape[0], layer.filters, layer.size, layer.stride, layer.padding,
                         groups=layer.groups, bias=layer.bias)
    if kind == "pool" and layer.adaptive:
        return nn.AdaptiveAvgPool2d(layer.output)
    if kind == "pool":
        return (nn.MaxPool2d if layer.pool == "max" else nn.AvgPool2d)(layer.size, layer.stride, layer.padding)
    if kind == "batchnorm":
        return (nn.BatchNorm2d if len(shape) == 3 else nn.BatchNorm1d)(shape[0])
    if kind == "norm":
        return nn.LocalResponseNorm(layer.size)
    if kind == "dropout":
        return nn.Dropout(layer.p)
    if kind == "fc":
        fc = nn.Linear(numel(shape), layer.units, bias=layer.bias)
        return nn.Sequential(nn.Flatten(), fc) if len(shape) > 1 else fc
    simple = {"relu": nn.ReLU, "sigmoid": nn.Sigmoid, "flatten": nn.Flatten}
    return simple[kind]() if kind in simple else nn.Softmax(dim=1)


def torch_layers(input_shape: Sequence[int], layers: Sequence[Layer | Mapping[str, Any]]) -> list[Any]:
    """One torch module per layer, in order (the training lab's model and the GPU forward pass)."""
    mods: list[Any] = []
    shape: tuple[int, ...] = tuple(input_shape)
    for layer in layers:
        mods.append(torch_module(layer, shape))
        shape = plan_layer(0, layer, shape).out_shape
    return mods


@dataclass(frozen=True)
class Traced:
    """What torch says one layer does: its module, output shape, parameter count and MACs."""

    module: str
    out_shape: tuple[int, ...]
    params: int
    macs: int

    def diff(self, plan: LayerPlan) -> float:
        """The largest difference from the lab's plan over the shape, the parameters and the MACs."""
        if len(self.out_shape) != len(plan.out_shape):
            return math.inf
        pairs = [*zip(self.out_shape, plan.out_shape), (self.params, plan.params), (self.macs, plan.macs)]
        return float(max(abs(a - b) for a, b in pairs))

    def json(self) -> dict[str, Any]:
        return {"module": self.module, "out_shape": list(self.out_shape), "params": self.params, "macs": self.macs}


_traced: OrderedDict[tuple[Layer, tuple[int, ...]], Traced] = OrderedDict()
_lock = threading.Lock()
KEEP = 4096  # traces kept: every layer of every bundled network, and many knob turns


def trace(layer: Layer, in_shape: tuple[int, ...]) -> Traced:
    """Build the layer's module on the meta device and run it on one example of `in_shape`."""
    key = (layer, in_shape)
    with _lock:
        if key in _traced:
            _traced.move_to_end(key)
            return _traced[key]
    import torch
    from torch.utils.flop_counter import FlopCounterMode

    with torch.device("meta"):
        module = torch_module(layer, in_shape).eval()  # batch norm in training mode refuses a batch of one
        with torch.no_grad(), FlopCounterMode(display=False) as counter:
            out = module(torch.empty(1, *in_shape))
    found = Traced(repr(module).replace("\n", " ").replace("  ", ""), tuple(out.shape[1:]),
                   sum(p.numel() for p in module.parameters()), counter.get_total_flops() // 2)
    with _lock:
        _traced[key] = found
        if len(_traced) > KEEP:
            _traced.popitem(last=False)
    return found


def layer_check(plan: LayerPlan, traced: Traced) -> dict[str, Any]:
    """This layer's shape, parameters and MACs against its torch module: exact, so tolerance 0."""
    return record(REFERENCE, traced.diff(plan), 0)


def network_check(plans: Sequence[LayerPlan], traced: Sequence[Traced]) -> dict[str, Any]:
    """Every layer, and the totals: the lab's against the modules' sum(p.numel()) and FlopCounterMode's."""
    diffs = [t.diff(q) for q, t in zip(plans, traced)]
    diffs.append(abs(sum(q.params for q in plans) - sum(t.params for t in traced)))
    diffs.append(abs(sum(q.macs for q in plans) - sum(t.macs for t in traced)))
    return record(NETWORK_REFERENCE, max(diffs), 0)


@lru_cache(maxsize=64)
def why_conv_modules(image: int, filter_: int, maps: int) -> dict[str, Any]:
    """The fully connected and the convolutional variants as modules (weights only, as the slides count)."""
    import warnings

    import torch
    from torch import nn

    with torch.device("meta"):
        fc = nn.Linear(image * image, maps * image * image, bias=False)
        conv = nn.Conv2d(1, maps, filter_, padding="same", bias=False)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # an even filter pads one side more; fine on meta
            out = conv(torch.empty(1, 1, image, image))
    return {"fc": repr(fc), "fc_params": fc.weight.numel(), "conv": repr(conv), "conv_params": conv.weight.numel(),
            "positions": out.shape[-2] * out.shape[-1]}
