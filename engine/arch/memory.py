"""The memory rules, once for the AlexNet steps and a model from code alike.

Forward: the weights, the input and every output (× batch) at the dtype's bytes a value (an
upper bound: without gradients torch frees each activation once used). Training keeps those
and adds a gradient and the optimizer's state (momentum 1, Adam 2 values) per trainable weight.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Sequence

if TYPE_CHECKING:  # config imports own.py, which uses these rules
    from .config import ArchConfig
    from .layers import LayerPlan


def totals(cfg: ArchConfig, params: int, activations: int, macs: int, flops: int,
           trainable: int | None = None, buffers: int | None = None) -> dict[str, Any]:
    """Counts in, bytes out; `trainable` and `buffers` only where a model has them."""
    b = cfg.bytes
    out: dict[str, Any] = {"params": params}
    if trainable is not None:
        out["trainable"] = trainable
    out.update(activations=activations, macs=macs, flops=flops, input_bytes=cfg.input_bytes, weight_bytes=params * b)
    if buffers is not None:
        out["buffer_bytes"] = buffers * b
    forward = cfg.input_bytes + params * b + (buffers or 0) * b + activations * cfg.batch * b
    grads = (params if trainable is None else trainable) * b
    out.update(activation_bytes=activations * cfg.batch * b, forward_bytes=forward, gradient_bytes=grads,
               optimizer_bytes=cfg.opt_state * grads, training_bytes=forward + grads + cfg.opt_state * grads)
    return out


def network_totals(cfg: ArchConfig, plans: Sequence[LayerPlan]) -> dict[str, Any]:
    return totals(cfg, sum(q.params for q in plans), sum(q.activations for q in plans),
                  sum(q.macs for q in plans), sum(cfg.flops(q) for q in plans))
