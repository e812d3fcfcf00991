"""What a person does to a running char-RNN lab: knobs, the greedy key, saving and loading, and
which weights the samples after training come from.

A mixin of CharRNNLab, kept apart so the lab reads as orchestration. Every change applies
from the next iteration or the next character drawn; frames already made never change.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from . import checkpoint as ckpt
from .model import architecture, build_model
from .sampling import TOP_K_STEPS
from .training import make_optimizer, optimizer_matches
from ..core.fmt import num
from ..core.knobs import Knob
from ..core.params import ParamError

if TYPE_CHECKING:
    from .lab import CharRNNLab

BEST = ".best"  # `w` writes the best model by validation beside the save path, with this suffix


class Controls:
    # --- knobs and keys ------------------------------------------------------------------------------
    def knobs(self: CharRNNLab) -> list[Knob]:
        """Sampling knobs apply to the samples still to be drawn; lr from the next iteration."""
        return [
            Knob("temperature", "temperature", step=0.1, big=0.5, low=0.05, high=10, integer=False, live=True),
            Knob("top-k", "top_k", choices=tuple(k for k in TOP_K_STEPS if k <= len(self.cfg.vocab)), live=True),
            Knob("learning rate", "lr", step=2, big=10, low=1e-7, high=10, integer=False, log=True, live=True),
        ]

    def turn(self: CharRNNLab, key: str, value: Any) -> str:
        if key == "temperature":
            self.sampler.temperature = float(value)
            return self._for_samples("temperature").strip()
        if key == "top_k":
            self.sampler.top_k = int(value)
            return ("off: all characters; " if not self.sampler.top_k else "") + self._for_samples("top_k").strip()
        if key == "lr":
            with self._handover:
                if self._built is None:  # not built yet (or being built): the model starts with it
                    self.lr_turned = float(value)
                    return f"from iteration {self.cfg.start_iteration + 1}"
            with self.lock:  # never mid-iteration
                self.trainer.set_lr(float(value))
            return f"from iteration {self.trainer.iteration + 1}"
        raise KeyError(key)

    def adjust(self: CharRNNLab, name: str) -> str:
        if name == "greedy":
            self.sampler.greedy = not self.sampler.greedy
            return (("greedy: always the most likely character" if self.sampler.greedy
                     else "sampled: drawn from the distribution") + self._for_samples("greedy", left_note=""))
        if name == "save":
            return self.save_checkpoint(Path(self.cfg.save).expanduser())
        if name == "load":
            return self.load_checkpoint(Path(self.cfg.checkpoint or self.cfg.save).expanduser())
        raise KeyError(name)

    def _for_samples(self: CharRNNLab, key: str, left_note: str = " for the samples still to come") -> str:
        """What a sampling key changes: the samples still to be drawn, or nothing once all are drawn."""
        n, every = self.cfg.generate, self.cfg.sample_every
        if (not self.trained and every) or self.drawn < n:
            return left_note
        # Reset (r) starts again from the scenario's own value, so only editing the key keeps it.
        drawn = f"all {n} characters are drawn" if n else "generate = 0" + ("" if every else " and sample_every = 0")
        return f" (no samples left to draw: {drawn}; e sets {key} and starts again)"

    def sampling_model(self: CharRNNLab) -> tuple[Any, dict[str, Any]]:
        """The weights to sample from: the best by validation (unless sample_from = "last"), else the last."""
        t, best = self.trainer, self.validation.best
        if self.generation:
            return self.model, {"kind": "loaded", "iteration": t.iteration, "valid_loss": None}
        if self.cfg.iterations == 0 and self.origin:
            return self.model, self.origin
        if self.cfg.sample_from == "best" and best is not None and best["iteration"] != t.iteration:
            model = build_model(self.cfg.cell, len(self.cfg.vocab), self.cfg.hidden_size, self.cfg.layers,
                                self.cfg.embedding, self.device)
            model.load_state_dict(best["state"])
            return model, {"kind": "best", "iteration": best["iteration"], "valid_loss": best["valid_loss"]}
        return self.model, {"kind": "last", "iteration": t.iteration, "valid_loss": self.validation.measured_at(t.iteration)}

    # --- checkpoints ---------------------------------------------------------------------------------
    def settings(self: CharRNNLab, iteration: int, valid_loss: float | None) -> dict[str, Any]:
        cfg = self.cfg
        return {**architecture(self.model), "seq_len": cfg.seq_len, "batch": cfg.batch, "optimizer": cfg.optimizer, "lr": self.trainer.lr,
                "clip": cfg.clip, "clip_mode": cfg.clip_mode, "iteration": iteration, "valid_loss": valid_loss,
                "text": cfg.source}

    def save_checkpoint(self: CharRNNLab, path: Path) -> str:
        """The model now, and the best by validation beside it (with no optimizer state: it was not kept)."""
        t, best = self.trainer, self.validation.best
        with self.lock:  # never mid-iteration
            measured = self.validation.measured_at(t.iteration)
            try:
                ckpt.save(path, cell=self.model.cell, vocab=self.cfg.vocab, settings=self.settings(t.iteration, measured),
                          model_state=t.model.state_dict(), optimizer=t.optimizer.state_dict())
                note = f"saved iteration {t.iteration} to {path.resolve()}"
                if best is not None:
                    where = path.with_name(path.name + BEST)
                    ckpt.save(where, cell=self.cfg.cell, vocab=self.cfg.vocab,
                              settings=self.settings(best["iteration"], best["valid_loss"]), model_state=best["state"])
                    note += (f"; the best by validation (iteration {best['iteration']}, validation loss "
                             f"{num(best['valid_loss'])} nats/char) to {where.resolve()}")
            except ckpt.CheckpointError as exc:
                return str(exc)
        return note

    def load_checkpoint(self: CharRNNLab, path: Path) -> str:
        """Swap in a checkpoint's model and optimizer; on any problem keep the current ones."""
        try:
            loaded = ckpt.load(path, self.device)
            if tuple(loaded.vocab) != self.cfg.vocab:
                raise ckpt.CheckpointError(f"{path}: its vocabulary ({len(loaded.vocab)} characters) is not this "
                                           f"text's ({len(self.cfg.vocab)})")
            optimizer = self._optimizer(loaded.model, loaded.optimizer, path)
        except ckpt.CheckpointError as exc:
            return f"{exc}; the current model is kept"
        with self.lock:
            self.trainer.model, self.trainer.optimizer, self.trainer.state = loaded.model, optimizer, None
            self.generation += 1
            self.validation.best = None  # the best so far was another model's; the next validation starts it again
        s = loaded.settings
        return f"loaded {path.resolve()}: {ckpt.describe({'cell': loaded.cell, 'settings': s, 'vocab': loaded.vocab})}, " \
               f"trained {s.get('iteration', '?')} iterations"

    def _read(self: CharRNNLab, path: str) -> ckpt.CharRNNCheckpoint:
        try:
            loaded = ckpt.load(path, self.device)
            ckpt.check_vocab(loaded.vocab, self.cfg.text, path)
        except ckpt.CheckpointError as exc:
            raise ParamError("params.checkpoint", str(exc)) from None
        return loaded

    def _optimizer(self: CharRNNLab, model: Any, state: Any, path: Any) -> Any:
        """A fresh optimizer of the scenario's rule, with a saved state when it is that rule's."""
        optimizer = make_optimizer(self.cfg.optimizer, model.parameters(), self.cfg.lr)
        if state is not None and optimizer_matches(state, optimizer):
            ckpt.load_optimizer(optimizer, state, path)
        return optimizer
