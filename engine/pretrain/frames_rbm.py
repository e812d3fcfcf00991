"""One RBM, stepped: the first CD-k update one operation at a time, then training, with the
exact log-likelihood beside the reconstruction error wherever the RBM can be enumerated,
filters and reconstructions for the digits, and last the fair test of its features.

Yields (caption, values); the lab numbers the frames.
"""

from __future__ import annotations

import math
from typing import Any, Iterator

import numpy as np

from . import checks, classify
from . import rbm as R
from .common import one_blas_thread, pct, thin, unit_grid
from .config import Config, Live
from .data import Data, load_digits, toy
from ..core.fmt import factor, num

SHOWN_FILTERS = 8
SHOWN_DIGITS = 4
SHOWN_DATA = 14  # training rows the set-up frame shows (all of bars and stripes)
GIBBS_SHOWN = 4  # a longer chain shows its first steps one by one, then its last


def shown_row(batch: np.ndarray) -> int:
    """The row a walk-through follows: the first with some units on and some off."""
    ink = batch.sum(axis=1)
    mixed = np.flatnonzero((ink > 0) & (ink < batch.shape[1]))
    return int(mixed[0]) if len(mixed) else 0


def rbm_data(cfg: Config, seed: int) -> Data:
    if cfg.digits:
        return load_digits(seed, True, cfg.threshold, cfg.classes)
    return toy(cfg.toy_rows(), "3×3 bars and stripes" if cfg.data == "bars" else "the rows given")


class RBMRun:
    """The state of one RBM's training, kept between frames so a paused run resumes."""

    def __init__(self, cfg: Config, live: Live, seed: int) -> None:
        self.cfg, self.live = cfg, live
        self.rng = np.random.default_rng(seed)
        self.data = rbm_data(cfg, seed)
        self.x = self.data.train.x
        V, H = self.x.shape[1], cfg.hidden[0]
        self.small = R.enumerable(V, H)
        self.rbm = R.init(V, H, self.rng)
        self.epoch = 0
        self.walk_k: int | None = None  # the k of the update shown step by step, once begun
        self.curve: list[list[float | None]] = []
        self.base: dict[str, Any] = {"model": "rbm", "visible": V, "hidden": H, "side": self.data.side,
                                     "units": unit_grid(H), "data_name": self.data.name, "rows": len(self.x)}
        if self.small:
            self.base["best_log_likelihood"] = R.best_log_likelihood(self.x)
            self.base["zero_log_likelihood"] = -V * math.log(2)

    # --- measurements every frame carries ---------------------------------------------
    def measured(self, batch: np.ndarray | None = None) -> dict[str, Any]:
        m = self.rbm
        shown = self.x if batch is None else batch
        v: dict[str, Any] = {**self.base, "epoch": self.epoch, "k": self.live.k, "lr": self.live.lr,
                             "recon_error": R.recon_error(m, shown), "batch_rows": len(shown)}
        if self.small:
            v.update(log_likelihood=R.log_likelihood(m, self.x), W=m.W, b=m.b, c=m.c)
        return v

    def ll_text(self, v: dict[str, Any]) -> str:
        if not self.small:
            return ""
        return (f"; exact log-likelihood {num(v['log_likelihood'])} (best {num(v['best_log_likelihood'])}, "
                f"W = 0: {num(v['zero_log_likelihood'])})")

    # --- frames -------------------------------------------------------------------------
    def frames(self) -> Iterator[tuple[str, dict[str, Any]]]:
        yield self.setup()
        if self.cfg.epochs == 0:
            return
        with one_blas_thread():
            order = R.batches(len(self.x), self.cfg.batch, self.rng)
            first = self.x[order[0]]
        yield from self.walk(first)
        with one_blas_thread():
            for rows in order[1:]:
                self.rbm = R.cd_step(self.rbm, self.x[rows], self.live.k, self.live.lr, self.rng)[0]
            self.epoch = 1
        yield self.progress()
        while self.epoch < self.cfg.epochs:
            with one_blas_thread():
                for _ in range(min(self.cfg.per_step, self.cfg.epochs - self.epoch)):
                    self.rbm = R.epoch(self.rbm, self.x, self.live.k, self.live.lr, self.cfg.batch, self.rng)
                    self.epoch += 1
            yield self.progress()
        if self.cfg.digits:
            yield self.features()

    def setup(self) -> tuple[str, dict[str, Any]]:
        v = self.measured()
        V, H = v["visible"], v["hidden"]
        v["samples"] = self.x[:SHOWN_DATA]
        if self.small:
            v["check"] = checks.log_partition(self.rbm)
        self.curve.append([0, v["recon_error"], v.get("log_likelihood")])
        v["curve"] = list(self.curve)
        return (f"RBM with {V} visible and {H} hidden units on {self.data.name} ({len(self.x)} rows): "
                f"W ~ N(0, 0.01²), b = c = 0; reconstruction error {num(v['recon_error'])}{self.ll_text(v)}", v)

    def walk(self, batch: np.ndarray) -> Iterator[tuple[str, dict[str, Any]]]:
        """The first minibatch's CD-k update, one operation per frame, for its first row."""
        k, lr = self.live.k, self.live.lr
        self.walk_k = k
        with one_blas_thread():
            before = self.rbm
            chain = R.gibbs_chain(before, batch, k, self.rng)
            g = R.cd_gradient(chain)
        n, r = len(batch), shown_row(batch)
        x = chain.x0[r]
        v = {**self.measured(batch), "phase": "data", "x": x, "row": r}
        yield (f"CD-{k}, update 1: the data vector x (row {r + 1} of a minibatch of {n}), "
               f"{int(x.sum())} of {len(x)} units on", v)

        ph, h = chain.ph0[r], chain.h0[r]
        i = int(np.argmax(np.abs(ph - 0.5)))
        ink = np.flatnonzero(x)
        z = before.c[i] + before.W[i] @ x
        terms = " + ".join(factor(before.W[i, j], 3) for j in ink[:4]) + (f" + … ({len(ink)} terms)" if len(ink) > 4 else "")
        v = {**v, "phase": "up", "ph": ph, "h": h, "unit": i, "z": z}
        yield (f"P(h_i = 1 | x) = σ(c_i + Σ_j W_ij x_j); unit {i}: σ({num(before.c[i], 3)} + {terms or '0'}) = "
               f"σ({num(z)}) = {num(ph[i])}; h sampled: {int(h.sum())} of {len(h)} on", v)

        steps = list(range(k)) if k <= GIBBS_SHOWN + 1 else list(range(GIBBS_SHOWN)) + [k - 1]
        for t in steps:
            skipped = t == k - 1 and k > GIBBS_SHOWN + 1
            v = {**v, "phase": "gibbs", "t": t + 1, "px": chain.px[t][r], "xt": chain.xs[t][r],
                 "pht": chain.ph[t][r], "ht": chain.hs[t][r]}
            lead = f"Gibbs steps {GIBBS_SHOWN + 1}–{k}" if skipped else f"Gibbs step {t + 1} of {k}"
            yield (f"{lead}: down P(x_j = 1 | h) = σ(b_j + Σ_i W_ij h_i), x_{t + 1} sampled "
                   f"({int(chain.xs[t][r].sum())} on); up P(h | x_{t + 1}), h_{t + 1} sampled", v)

        i, j = np.unravel_index(int(np.argmax(np.abs(g.W))), g.W.shape)
        v = {**v, "phase": "negative", "stat_unit": int(i), "stat_pixel": int(j),
             "data_stat": self._stat(g.data, i), "model_stat": self._stat(g.model, i)}
        yield (f"negative phase: ⟨x hᵀ⟩_model from the chain's end x_{k} (over the {n} rows) against "
               f"⟨x hᵀ⟩_data; for W[{i},{j}]: {num(g.data[i, j])} (data) vs {num(g.model[i, j])} (model)", v)

        with one_blas_thread():
            self.rbm = R.apply(before, g, lr)
        dw = lr * g.W[i, j]
        v = {**self.measured(batch), **{key: v[key] for key in ("x", "ph", "h", "unit", "stat_unit", "stat_pixel",
                                                                 "data_stat", "model_stat")},
             "phase": "update", "delta_W": self._stat(lr * g.W, i), "check": checks.cd_gradient(before, chain, g)}
        yield (f"ΔW = α(⟨x hᵀ⟩_data − ⟨x hᵀ⟩_model): ΔW[{i},{j}] = {num(lr)}·({num(g.data[i, j])} − "
               f"{factor(g.model[i, j])}) = {num(dw)}, W[{i},{j}] {num(before.W[i, j])} → {num(self.rbm.W[i, j])}; "
               f"batch reconstruction error {num(v['recon_error'])}{self.ll_text(v)}", v)

    def _stat(self, a: np.ndarray, i: int) -> np.ndarray:
        """A statistic the frame carries: whole while the RBM is small, else hidden unit i's row."""
        return a if self.small else a[i]

    def progress(self) -> tuple[str, dict[str, Any]]:
        with one_blas_thread():
            v = self.measured()
            v["phase"] = "epoch"
            if self.small:
                v["check"] = checks.log_partition(self.rbm)
            if self.cfg.digits:
                test = self.data.test.x[:SHOWN_DIGITS]
                v.update(test_recon_error=R.recon_error(self.rbm, self.data.test.x), digits=test,
                         reconstructions=R.reconstruction(self.rbm, test), filters=self.rbm.W[:SHOWN_FILTERS])
        self.curve.append([self.epoch, v["recon_error"], v.get("log_likelihood")])
        v["curve"] = thin(self.curve)
        test = f", on test digits {num(v['test_recon_error'])}" if "test_recon_error" in v else ""
        return (f"epoch {self.epoch} of {self.cfg.epochs} (CD-{self.live.k}, α = {num(self.live.lr)}): reconstruction "
                f"error {num(v['recon_error'])}{test}{self.ll_text(v)}", v)

    def features(self) -> tuple[str, dict[str, Any]]:
        """Logistic regression on P(h | x) against the same on the binarised pixels."""
        d = self.data
        with one_blas_thread():
            feats = tuple(R.hidden_probs(self.rbm, p.x) for p in (d.train, d.valid, d.test))
            result = classify.compare(feats, (d.train.x, d.valid.x, d.test.x), (d.train.y, d.valid.y, d.test.y))
        f, p = result["features"]["test"], result["pixels"]["test"]
        images = round(abs(f - p) * len(d.test))
        if images == 0:
            verdict = "a tie"
        else:
            winner = f"the RBM's {self.cfg.hidden[0]} features" if f < p else f"the {d.train.x.shape[1]} binarised pixels"
            verdict = f"{winner} win by {images} test image{'s' if images > 1 else ''} of {len(d.test)}"
        v = {**self.measured(), "phase": "classify", "classifier": result, "test_rows": len(d.test)}
        return (f"logistic regression on P(h | x): test error {pct(f)}; on the binarised pixels: {pct(p)}: "
                f"{verdict}", v)
