"""What each architecture frame says, in the lecture's own terms."""

from __future__ import annotations

from typing import Any

from ..core.fmt import count, mb, power, shape
from .config import OPT_WORDS, ArchConfig
from .layers import LayerPlan, numel


def convention(cfg: ArchConfig) -> str:
    bias = "bias adds counted (one add per biased output)" if cfg.bias_flops else "bias adds not counted"
    return f"1 MAC = 1 multiply + 1 add; FLOPs = 2 × MACs; conv and fc only; {bias}"


def network_input(cfg: ArchConfig) -> str:
    return f"Input: {shape(cfg.input)} = {count(numel(cfg.input))} values; {len(cfg.plans)} layers to go"


def layer(plan: LayerPlan, total_params: int | None) -> str:
    """One layer: its size formula where a window slides, its parameters, and the total at the last."""
    head = f"{plan.name}: {plan.describe}"
    if plan.kind in ("conv", "pool") and plan.describe and "adaptive" not in plan.describe:
        text = f"{head}: {plan.size_formula} → {shape(plan.out_shape)}, "
    else:
        text = f"{head} → {shape(plan.out_shape)}, "
    text += f"{plan.params_formula} parameters" if plan.params else "0 parameters"
    if plan.warning:
        text += " ⚠ floored"
    if total_params is not None:
        text += f"; total {count(total_params)} parameters"
    return text


def why_conv_question(cfg: ArchConfig) -> str:
    pixels, hidden = cfg.image ** 2, cfg.maps * cfg.image ** 2
    units = f"{power(hidden)} hidden units" + (f" ({cfg.maps} maps)" if cfg.maps > 1 else "")
    return f"A {cfg.image}×{cfg.image} image ({power(pixels)} pixels) into {units}: how many parameters?"


def why_conv_variant(variant: dict[str, Any], fewer: int | None) -> str:
    text = f"{variant['name'].capitalize()}: {variant['formula']} parameters"
    return text + (f" ({power(fewer)} times fewer than fully connected)" if fewer is not None else "")


def memory_intro(cfg: ArchConfig) -> str:
    return (f"{count(cfg.weights)} weight parameters and {count(cfg.activations)} activations in the forward pass, "
            f"at {cfg.bytes} bytes a value ({cfg.dtype})")


def memory_parts(cfg: ArchConfig) -> list[tuple[str, int, str]]:
    """(name, bytes, formula) for the weights, the activations, the gradients and the optimizer state."""
    b, batch, w, a, k = cfg.bytes, cfg.batch, cfg.weights, cfg.activations, cfg.opt_state
    acts = a * batch
    values = f"{count(a)} activations · {batch} images" if batch > 1 else f"{count(a)} activations"
    return [
        ("WEIGHTS", w * b, f"{count(w)} weights · {b} bytes = {mb(w * b)}"),
        ("ACTIVATIONS", acts * b, f"{values} · {b} bytes = {mb(acts * b)}"),
        ("GRADIENTS", w * b, f"Training: one gradient per weight, {count(w)} · {b} bytes = {mb(w * b)}"),
        ("OPTIMIZER", k * w * b, f"{OPT_WORDS[cfg.optimizer].capitalize()}: {k} · {count(w)} · {b} bytes = "
                                 f"{mb(k * w * b)}"),
    ]


def memory_step(i: int, text: str, total: int) -> str:
    if i == 2:
        return f"{text}; weights + activations = {mb(total)}, kept until the backward pass"
    if i == 4:
        return f"{text}; training needs {mb(total)}"
    return text
