"""The held-out loss over a run: its curve, the latest value, the best weights so far, overfitting.

`measure` is called where the lab measures (the set-up, every `eval_every` iterations, the
end); between calls `train` collects the training losses, so the training loss compared
with the best's is the mean over the same stretch, not one noisy chunk.
"""

from __future__ import annotations

from typing import Any

from .training import Curve, Trainer

# Validation this far above its best (relative), after it, while training fell: overfitting.
RISE = 0.02


class Validation:
    def __init__(self) -> None:
        self.curve = Curve()
        self.best: dict[str, Any] | None = None  # iteration, valid_loss, train_loss, state (the weights)
        self.latest: float | None = None
        self.at: int | None = None  # the iteration `latest` was measured at
        self.since: list[float] = []  # training losses since the last measurement

    def train(self, losses: list[float]) -> None:
        self.since += losses

    def measure(self, trainer: Trainer) -> dict[str, Any]:
        """The held-out loss now (the weights kept when it is the best so far), as frame values."""
        loss = self.latest = trainer.evaluate()
        self.at = trainer.iteration
        self.curve.add(trainer.iteration, loss)
        recent, self.since = sum(self.since) / max(1, len(self.since)), []
        best = self.best
        if best is None or loss < best["valid_loss"]:
            state = {k: v.detach().clone() for k, v in trainer.model.state_dict().items()}
            best = self.best = {"iteration": trainer.iteration, "valid_loss": loss, "train_loss": recent, "state": state}
        return {"valid_loss": loss, "best_valid": {"iteration": best["iteration"], "valid_loss": best["valid_loss"]},
                "overfitting": loss > best["valid_loss"] * (1 + RISE) and recent < best["train_loss"],
                "valid_curve": self.curve.values()}

    def measured_at(self, iteration: int) -> float | None:
        """The validation loss of the weights at `iteration`, if it was measured there."""
        return self.latest if self.at == iteration else None
