"""LSTM gates, one gate per step; the vanilla RNN the same way; and RNN gradient flow.

Step mode follows the lecture's LSTM slides in order: the concatenation [h_{t−1}, x_t],
the forget gate f_t, the input gate i_t, the candidate C̃_t, the new cell state C_t,
the output gate o_t and h_t, then the next time step (stepping.py). cell = "rnn" steps
h_t = tanh(W_hh·h_{t−1} + W_xh·x_t) and y_t = W_hy·h_t instead.

Gradient mode follows the "vanilla RNN gradient flow" slides (gradflow.py).

The package: config.py (the params and the one plan built from them), math.py (the cells
and their Jacobians as pure functions), stepping.py and gradflow.py (the frames of each
mode), captions.py, reference.py (torch's cells and autograd, the check record),
knobs.py, checkpoint.py (layer 0 of a char-RNN checkpoint), help.md.
"""

from __future__ import annotations

from typing import Any, Iterator

from ..core.frame import Frame
from ..core.knobs import Knob
from ..core.lab import Lab
from . import captions, gradflow, knobs, stepping
from .config import PARAMS, FlowConfig, StepConfig, cell_arrays, check_ragged_x, plan, unset_empty


class LSTMLab(Lab):
    name = "lstm"
    title = "LSTM gates and RNN gradient flow"
    uses_torch = False  # numpy throughout; torch only checks the last frame (imported then)
    PARAMS = PARAMS

    @classmethod
    def validate(cls, raw: dict[str, Any]) -> dict[str, Any]:
        raw = unset_empty(raw)
        check_ragged_x(raw)
        return super().validate(raw)

    @classmethod
    def check(cls, params: dict[str, Any]) -> None:
        plan(params)  # every rule and the size budget; a checkpoint is read once and cached

    def __init__(self, params: dict[str, Any], *, seed: int = 0, device: str = "cpu") -> None:
        super().__init__(params, seed=seed, device=device)
        self.cfg = plan(params)
        if isinstance(self.cfg, FlowConfig):
            self.draws = gradflow.setup(self.cfg, seed)
            self.flow = gradflow.run(self.cfg, self.draws)
        else:
            self.arrays = cell_arrays(self.cfg, params, seed)
            self.steps = stepping.trace(self.cfg, self.arrays)

    def length(self) -> int:
        return self.cfg.length

    def frames(self) -> Iterator[Frame]:
        cfg = self.cfg
        if isinstance(cfg, FlowConfig):
            yield from gradflow.frames(cfg, self.draws, self.flow)
            return
        source = captions.source(cfg, self.params["checkpoint"], self.arrays.drawn, self.seed)
        yield from stepping.frames(cfg, self.arrays, self.steps, source)

    # --- knobs -----------------------------------------------------------------------
    def knobs(self) -> list[Knob]:
        if isinstance(self.cfg, FlowConfig):
            return knobs.flow_knobs(self.cfg)
        return knobs.step_knobs(self.cfg, self.params)

    def change_note(self, before: Lab) -> str:
        """What a knob turn did: the caption unit's values that changed, or the plot's end."""
        cfg, old = self.cfg, before.cfg  # type: ignore[attr-defined]
        if isinstance(cfg, FlowConfig) and isinstance(old, FlowConfig):
            return knobs.flow_note(cfg, gradflow.summary(before.flow), gradflow.summary(self.flow))  # type: ignore[attr-defined]
        if isinstance(cfg, StepConfig) and isinstance(old, StepConfig) and (old.cell, old.steps) == (cfg.cell, cfg.steps):
            return knobs.step_note(cfg, before.steps, self.steps, old.unit)  # type: ignore[attr-defined]
        return ""


LAB = LSTMLab
