"""*Why Momentum Really Works* (Distill, 2017) on the quadratic bowl: the closed forms and the rates.

On f = (λ1·x² + λ2·y²)/2 each coordinate contracts by a fixed factor per step, so the
optimal step sizes and rates follow from the Hessian's extreme eigenvalues; beside them,
each path's measured rate.
"""

from __future__ import annotations

import math

import numpy as np

from .config import Hyper


def closed_forms(eigenvalues: tuple[float, float]) -> dict[str, float]:
    """Optimal step sizes and rates from the Hessian's extreme eigenvalues."""
    lo, hi = min(eigenvalues), max(eigenvalues)
    kappa = hi / lo
    sk = math.sqrt(kappa)
    return {
        "lambda_min": lo, "lambda_max": hi, "kappa": kappa,
        "gd_step": 2 / (lo + hi),                                   # α* = 2/(λ1 + λn)
        "gd_rate": (kappa - 1) / (kappa + 1),                       # (κ − 1)/(κ + 1)
        "momentum_step": (2 / (math.sqrt(lo) + math.sqrt(hi))) ** 2,  # α* = (2/(√λ1 + √λn))²
        "momentum_rho": ((sk - 1) / (sk + 1)) ** 2,                 # β* = ((√κ − 1)/(√κ + 1))²
        "momentum_rate": (sk - 1) / (sk + 1),                       # (√κ − 1)/(√κ + 1)
    }


def predicted_rate(h: Hyper, eigenvalues: tuple[float, float]) -> float | None:
    """The worst per-step contraction of ‖x − x*‖ on the bowl for this optimizer's α (and ρ), or None."""
    if h.lr_change or h.noise:
        return None
    a, b = h.lr, h.rho
    rates = []
    for lam in eigenvalues:
        if h.kind == "sgd":
            rates.append(abs(1 - a * lam))
        elif h.kind == "momentum":  # Distill's R = [[β, λ], [−αβ, 1 − αλ]] on (z, x)
            rates.append(max(abs(np.linalg.eigvals(np.array([[b, lam], [-a * b, 1 - a * lam]])))))
        elif h.kind == "nesterov":  # the same with the look-ahead gradient: z' = βz + λx; x' = x − α(λx + βz')
            rates.append(max(abs(np.linalg.eigvals(np.array([[b, lam], [-a * b * b, 1 - a * lam * (1 + b)]])))))
        else:
            return None
    return float(max(rates))


def measured_rate(path: np.ndarray, target: tuple[float, float]) -> float | None:
    """(‖x_k − x*‖/‖x_0 − x*‖)^(1/k): the mean contraction per step along the path."""
    k = len(path) - 1
    d0 = float(np.hypot(*(path[0] - target)))
    dk = float(np.hypot(*(path[-1] - target)))
    if k < 1 or d0 == 0 or not math.isfinite(dk):
        return None
    if dk == 0:
        return 0.0
    return (dk / d0) ** (1 / k)


def summary(eigenvalues: tuple[float, float], hs: tuple[Hyper, ...], paths: dict[str, np.ndarray]) -> dict:
    """The closed forms, and each optimizer's predicted and measured rate towards the minimum (0, 0)."""
    rates = {h.name: {"predicted": predicted_rate(h, eigenvalues), "measured": measured_rate(paths[h.name], (0.0, 0.0))}
             for h in hs}
    return {**closed_forms(eigenvalues), "rates": rates}
