"""Architectures layer by layer: output sizes, parameters, activations, MACs and memory.

Modes of one lab (config.py builds the typed config; frames.py the frames):
  network   the lecture's AlexNet case study: one frame per layer, the output-size
            formula (W − F + 2P)/S + 1 and the parameter formula with the numbers in,
            a running table with totals, each layer checked against a real torch module
            on the meta device (torch_check.py).
  model     a model from code (own.py): one frame per leaf-module call or join.
  why_conv  the "why convolution" slides: a 1000×1000 image into 1M hidden units,
            fully connected (10^12), locally connected (10^8), convolution (shared).
  memory    the "challenges" slide: weights and activations at 4 bytes a value,
            26 M weights + 16 M activations → 168 MB, then what training adds.
"""

from __future__ import annotations

from typing import Any, Iterator

from ..core.fmt import mb, num
from ..core.frame import Frame
from ..core.knobs import Knob
from ..core.lab import Lab
from ..core.params import validate
from . import frames, own
from .config import PARAMS, ArchConfig, plan
from .layers import normalize_layers
from .memory import network_totals
from .torch_check import torch_layers
from .turns import change_note, knobs

# Still imported from here by tests/test_train.py, tests/test_cuda.py and benchmarks/gpu_check.py;
# their homes are layers.py, torch_check.py and engine/core/fmt.py.
__all__ = ["ArchLab", "LAB", "mb", "normalize_layers", "torch_layers"]


class ArchLab(Lab):
    name = "arch"
    title = "Architectures: shapes, parameters, memory"
    PARAMS = PARAMS
    KEYS = (("g", "forward", "run one real forward pass on the GPU: time and peak memory"),)

    @classmethod
    def validate(cls, raw: dict[str, Any]) -> dict[str, Any]:
        params = validate(cls.PARAMS, raw)
        params["layers"] = normalize_layers(params["layers"])
        cls.check(params)
        return params

    @classmethod
    def check(cls, params: dict[str, Any]) -> None:
        plan(params)  # shapes and sizes only: nothing is imported or built

    @classmethod
    def draws_random(cls, params: dict[str, Any]) -> bool:
        """Formulas, and torch modules on the meta device, which draw nothing: nothing to seed at
        an open or a knob turn. A model from code runs the person's code, which may draw."""
        return bool(params.get("model"))

    @classmethod
    def torch_from(cls, params: dict[str, Any]) -> int | None:
        """Frame 0 (the input, the slides' question) is formulas alone; torch checks from frame 1
        on. A model from code is walked with torch as the lab opens; the memory calculator never
        asks torch."""
        if params.get("model"):
            return 0
        return None if params.get("mode") == "memory" else 1

    def __init__(self, params: dict[str, Any], *, seed: int = 0, device: str = "cpu") -> None:
        super().__init__(params, seed=seed, device=device)
        self.cfg: ArchConfig = plan(params)
        self.own = own.OwnModel(self.cfg) if self.cfg.mode == "model" else None

    def length(self) -> int:
        if self.own is not None:
            return self.own.length()
        return {"network": 1 + len(self.cfg.plans), "why_conv": 4, "memory": 5}[self.cfg.mode]

    def frames(self) -> Iterator[Frame]:
        if self.own is not None:
            return self.own.frames()
        return {"network": frames.network_frames, "why_conv": frames.why_conv_frames,
                "memory": frames.memory_frames}[self.cfg.mode](self.cfg)

    # --- knobs -----------------------------------------------------------------------------
    def knobs(self) -> list[Knob]:
        return knobs(self.cfg)

    def change_note(self, before: Lab) -> str:
        return change_note(before, self) if isinstance(before, ArchLab) else ""

    # --- one real forward pass (key g) -------------------------------------------------------
    def forward_pass(self) -> str:
        """One real forward pass on the GPU: measured time and peak memory beside the estimate."""
        import torch

        cfg = self.cfg
        dev = torch.device(self.device)
        if self.own is not None:
            model, x = self.own.real(dev)
        else:
            model = torch.nn.Sequential(*torch_layers(cfg.input, cfg.layers)).to(dev).eval()
            x = torch.randn(cfg.batch, *cfg.input, device=dev)
        with torch.no_grad():
            model(x)  # warm-up: cuDNN chooses its algorithms on the first call
            torch.cuda.synchronize(dev)
            torch.cuda.reset_peak_memory_stats(dev)
            start, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
            start.record()
            model(x)
            end.record()
            torch.cuda.synchronize(dev)
        ms = start.elapsed_time(end)
        peak = torch.cuda.max_memory_allocated(dev)
        del model, x
        torch.cuda.empty_cache()
        if self.own is not None:
            estimate = self.own.estimate()
        else:
            t = network_totals(cfg, cfg.plans)
            estimate = (f"{mb(t['forward_bytes'])} (weights {mb(t['weight_bytes'])} + input "
                        f"{mb(t['input_bytes'])} + every activation {mb(t['activation_bytes'])}, an upper bound: "
                        "without gradients torch frees each activation once used)")
        return (f"forward pass on {torch.cuda.get_device_name(dev)}, batch {cfg.batch}: {num(ms, 3)} ms, "
                f"peak {mb(peak)}; estimate {estimate}")

    def adjust(self, name: str) -> str:
        if name != "forward":
            raise KeyError(name)
        if self.cfg.mode not in ("network", "model"):
            return "a forward pass needs a network (mode = \"network\")"
        from ..core.device import is_cuda

        if not is_cuda(self.device):
            return (f"a real forward pass needs a GPU; this session runs on {self.device}. "
                    "Open the scenario with --device cuda on a machine with one")
        try:
            return self.forward_pass()
        except Exception as exc:  # out of memory and the like: a line for the person
            return f"forward pass failed: {type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}"


LAB = ArchLab
