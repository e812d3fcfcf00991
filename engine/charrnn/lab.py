"""Char-RNN: train a character-level model on a text and watch it learn to write.

Frames: 0 is the text and the model's shapes, arithmetic alone (overview.py: it shows while
torch loads); 1 the set-up (the untrained loss, and a sample: "at first"); then one frame per
`per_step` training iterations (the validation loss where it is measured); then one frame
per character sampled, from the best model by validation unless `sample_from = "last"`.
The arithmetic lives in training.py and sampling.py, the rules and budgets in config.py.
"""

from __future__ import annotations

import contextlib
import math
import threading
import time
from collections import deque
from typing import Any, Iterator

from . import captions, overview
from .config import PARAMS, CharRNNConfig, plan
from .controls import Controls
from .data import encode
from .model import build_model
from .sampling import Sampler, draw, softmax_check, top
from .training import GRAD_CHECK, Curve, Trainer, cpu_thread_count, cpu_threads, evaluating
from .validation import Validation
from ..core.check import record
from ..core.frame import Frame
from ..core.lab import Lab

TIMELINE = 4  # samples a training frame carries (the newest last)


class CharRNNLab(Controls, Lab):
    name = "charrnn"
    title = "Char-RNN: a model learning to write"
    live = True
    PARAMS = PARAMS
    # Temperature, top-k and lr are knobs (`[` `]` choose, `,` `.` turn); these are the lab's own keys.
    KEYS = (
        ("g", "greedy", "greedy (always the most likely character) / sampled"),
        ("w", "save", "save a checkpoint (to the save parameter's path, default charrnn.pt) and the best by "
                      "validation to <save>.best"),
        ("l", "load", "load a checkpoint into the running lab (from the checkpoint parameter's path, "
                      "else the save parameter's)"),
    )

    @classmethod
    def check(cls, params: dict[str, Any]) -> None:
        plan(params)  # the text, a checkpoint's header, the rules and the budgets: no weights allocated

    @classmethod
    def torch_from(cls, params: dict[str, Any]) -> int | None:
        """Frame 0 (the text and the model's shapes) is arithmetic; frame 1's untrained loss is a forward
        pass in torch. A checkpoint is read (torch.load) as the lab opens, so a bad one is refused there."""
        return 0 if params["checkpoint"] else 1

    def __init__(self, params: dict[str, Any], *, seed: int = 0, device: str = "cpu") -> None:
        super().__init__(params, seed=seed, device=device)
        self.cfg: CharRNNConfig = plan(params)
        cfg = self.cfg
        self.sampler = Sampler(cfg.vocab, device, params["temperature"], params["top_k"], params["greedy"], seed)
        self.origin: dict[str, Any] | None = None  # the checkpoint the model came from
        self.curve, self.validation = Curve(), Validation()
        self.samples: deque[list[Any]] = deque(maxlen=TIMELINE)  # [iteration, loss, text]
        self.trained, self.drawn, self.generation = False, 0, 0  # generation: models swapped in by `l`
        self.lock = threading.Lock()  # the generator (a worker) and the w / l keys (another thread)
        self.chars_per_s: float | None = None  # measured, never in a frame: see live_facts()
        self.threads_now: int | None = None  # what the last step used
        self.default_threads = 1  # torch's own count, read when the model is built
        self.lr_turned: float | None = None  # the lr knob turned before the model was built
        self._built: Trainer | None = None
        self._building = threading.Lock()  # the frames' worker and a key's (w, l) that needs the model
        # Held only to hand over the built trainer: an lr turn never waits for a build (~0.1 s)
        # under way, else a → pressed after it would start training at the old lr.
        self._handover = threading.Lock()
        if cfg.checkpoint:
            self.trainer  # noqa: B018 - read now: a checkpoint that does not load is refused as the lab opens

    @property
    def trainer(self) -> Trainer:
        """The model, its optimizer and the streams it reads, built when first needed (frame 1, or a key)."""
        with self._building:
            if self._built is None:
                trainer = self._build()
                with self._handover:
                    if self.lr_turned is not None:
                        trainer.set_lr(self.lr_turned)
                    self._built = trainer
            return self._built

    def _build(self) -> Trainer:
        import torch

        cfg = self.cfg
        torch.manual_seed(self.seed)  # the weights are the same whenever they are built
        loaded = self._read(cfg.checkpoint) if cfg.checkpoint else None
        model = loaded.model if loaded else build_model(cfg.cell, len(cfg.vocab), cfg.hidden_size, cfg.layers,
                                                        cfg.embedding, self.device, cfg.dropout)
        optimizer = self._optimizer(model, loaded.optimizer if loaded else None, cfg.checkpoint)
        ids = torch.from_numpy(encode(cfg.text, cfg.vocab)).to(self.device)
        trainer = Trainer(cfg, model, optimizer, ids)
        if loaded:
            self.origin = {"kind": "checkpoint", "iteration": cfg.start_iteration,
                           "valid_loss": loaded.settings.get("valid_loss")}
        self.default_threads = torch.get_num_threads()
        return trainer

    @property
    def model(self) -> Any:
        return self.trainer.model

    def length(self) -> int:
        return self.cfg.frames

    def live_facts(self) -> dict[str, Any]:
        return {"chars_per_s": self.chars_per_s, "threads": self.threads_now}

    @contextlib.contextmanager
    def busy(self) -> Iterator[None]:
        """The model to this step alone (the w and l keys wait), on the CPU threads decided in the
        thread that computes it (see training.cpu_thread_count)."""
        self.trainer  # noqa: B018 - built before the first step, so torch's thread count is known
        self.threads_now = cpu_thread_count(self.device, self.default_threads)
        with self.lock, cpu_threads(self.threads_now):
            yield

    # --- frames ---------------------------------------------------------------------------------
    def frames(self) -> Iterator[Frame]:
        cfg = self.cfg
        base = {"device": self.device, "cell": cfg.cell, "vocab_size": len(cfg.vocab), "ln_vocab": math.log(len(cfg.vocab))}
        values = {**base, **overview.values(cfg)}
        yield Frame(0, captions.overview(cfg, values), values)
        t = self.trainer  # torch from here on (torch_from)
        with self.busy():
            loss0 = t.first_loss()
            values: dict[str, Any] = {**base, "phase": "setup", "iteration": t.iteration, "loss": loss0, "grad_norm": None,
                                      "vocab": "".join(cfg.vocab), "text_chars": len(cfg.text), "parameters": cfg.parameters,
                                      "streams": cfg.batch, "stream_chars": cfg.train.length, "lr": t.lr, "curve": []}
            if cfg.valid is not None:
                values["held_out"] = cfg.valid.chars
                self.validation.train([loss0])
                values.update(self.validation.measure(t))
            self._maybe_sample(values, loss0, due=bool(cfg.sample_every))
        self.trained = cfg.iterations == 0
        yield Frame(1, captions.setup(cfg, values), values)
        index, done = 1, 0
        while done < cfg.iterations:
            k = min(cfg.per_step, cfg.iterations - done)
            with self.busy():
                values = self._train(base, k, last=done + k == cfg.iterations)
            done, index = done + k, index + 1
            if values.get("diverged"):
                yield Frame(index, captions.diverged(values, t.lr), values)  # the weights are NaN/∞ now: stop
                return
            self.trained = done >= cfg.iterations
            yield Frame(index, captions.train(cfg, values, k), values)
        yield from self._sampling_frames(index, base)

    def _train(self, base: dict[str, Any], k: int, last: bool) -> dict[str, Any]:
        import torch

        cfg, t = self.cfg, self.trainer
        started = time.perf_counter()
        reset = False
        stats = []
        every = cfg.eval_every
        due = last or t.iteration // every < (t.iteration + k) // every  # measure, and check ‖g‖, at this step's end
        for i in range(k):
            reset |= t.pos + cfg.seq_len > t.inputs.shape[0]
            stats.append(t.step(check=due and i == k - 1))
        rows = torch.stack(stats).tolist()  # the one copy to the CPU this step: k × (loss, ‖g‖, clamped, ‖g‖ in float64)
        elapsed = time.perf_counter() - started
        self.chars_per_s = k * cfg.batch * cfg.seq_len / elapsed if elapsed > 0 else None
        losses = [r[0] for r in rows]
        for i, loss in enumerate(losses):
            self.curve.add(t.iteration - k + 1 + i, loss)
        self.validation.train(losses)
        loss, norm = sum(losses) / k, max(r[1] for r in rows)
        clipped = sum(1 for r in rows if (r[1] > cfg.clip if cfg.clip_mode == "norm" else r[2] > 0)) if cfg.clip else 0
        values = {**base, "phase": "train", "iteration": t.iteration, "loss": loss, "grad_norm": norm, "clipped": clipped,
                  "clamped": int(sum(r[2] for r in rows)), "reset": reset, "lr": t.lr, "curve": self.curve.values()}
        if due:
            values["check"] = record("√Σg² in float64", abs(rows[-1][1] - rows[-1][3]), GRAD_CHECK * max(1.0, rows[-1][3]))
        if not (math.isfinite(loss) and math.isfinite(norm)):
            values["diverged"] = True
            return values
        if cfg.valid is not None and due:
            values.update(self.validation.measure(t))
        if cfg.valid is not None:
            values["valid_curve"] = self.validation.curve.values()
        every = cfg.sample_every
        self._maybe_sample(values, loss, due=bool(every) and (last or t.iteration // every > (t.iteration - k) // every))
        return values

    def _maybe_sample(self, values: dict[str, Any], loss: float, due: bool) -> None:
        if due:
            with evaluating(self.model):
                values["sample"] = self.sampler.text(self.model, self.prime_text(), self.cfg.sample_len)
            self.samples.append([self.trainer.iteration, loss, values["sample"]])
        values["timeline"] = list(self.samples)
        values["prime"] = self.prime_text()  # each sample goes on from it: shown before the sample

    def prime_text(self) -> str:
        return self.cfg.prime or self.cfg.text[0]

    # --- sampling, one character per frame -------------------------------------------------------------
    def _sampling_frames(self, index: int, base: dict[str, Any]) -> Iterator[Frame]:
        prime = written = self.prime_text()
        s = self.sampler
        with self.busy():
            model, origin = self.sampling_model()
            generation = self.generation
            with evaluating(model):
                logits, state = s.prime(model, prime)
        for position in range(self.cfg.generate):
            with self.busy():
                if self.generation != generation:  # the l key swapped in a checkpoint: read the context again
                    (model, origin), generation = self.sampling_model(), self.generation
                    with evaluating(model):
                        logits, state = s.prime(model, written)
                z, probs = s.distribution(logits)
                i = draw(probs, s.rng, s.greedy)
                values = {**base, "phase": "sample", "iteration": self.trainer.iteration, "position": position + 1,
                          "char": self.cfg.vocab[i], "prob": float(probs[i]), "top": top(probs, self.cfg.vocab, s.top_k),
                          "temperature": s.temperature, "top_k": s.top_k, "greedy": s.greedy, "prime": prime,
                          "context": written, "model": origin, "check": softmax_check(z, probs, s.temperature, s.top_k)}
                with evaluating(model):
                    logits, state = s.feed(model, i, state)
            written += values["char"]
            self.drawn = position + 1
            yield Frame(index + position + 1, captions.sample(values), values)


LAB = CharRNNLab
