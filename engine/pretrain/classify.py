"""Logistic regression (softmax, L2) on any features: the fair test of what an RBM learned.

Minimises (1/n) Σ −ln softmax(W x_n + c)_{y_n} + ‖W‖² / (2 C n), scikit-learn's
LogisticRegression objective (C = 1 by default, the bias not penalised), with L-BFGS, so
the two agree to the optimiser's tolerance; the tests hold it to that.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .common import one_blas_thread
from .net import softmax


@dataclass(frozen=True)
class Model:
    W: np.ndarray  # [classes][features]
    c: np.ndarray  # [classes]

    def predict(self, x: np.ndarray) -> np.ndarray:
        return (x @ self.W.T + self.c).argmax(axis=1)

    def error(self, x: np.ndarray, y: np.ndarray) -> float:
        return float(np.mean(self.predict(x) != y))


def objective(theta: np.ndarray, x: np.ndarray, onehot: np.ndarray, C: float) -> tuple[float, np.ndarray]:
    n, d = x.shape
    k = onehot.shape[1]
    W, c = theta[: k * d].reshape(k, d), theta[k * d:]
    z = x @ W.T + c
    z = z - z.max(axis=1, keepdims=True)
    logp = z - np.log(np.exp(z).sum(axis=1, keepdims=True))
    loss = -np.sum(onehot * logp) / n + np.sum(W * W) / (2 * C * n)
    delta = (softmax(z) - onehot) / n
    gW = delta.T @ x + W / (C * n)
    return float(loss), np.concatenate([gW.ravel(), delta.sum(axis=0)])


def fit(x: np.ndarray, y: np.ndarray, C: float = 1.0, classes: int | None = None) -> Model:
    from scipy.optimize import minimize

    k = classes or int(y.max()) + 1
    onehot = np.eye(k)[y]
    d = x.shape[1]
    with one_blas_thread():  # entered after scipy's own BLAS is loaded, so it is limited too
        res = minimize(objective, np.zeros(k * d + k), args=(x, onehot, C), jac=True, method="L-BFGS-B",
                       options={"maxiter": 5000, "gtol": 1e-10, "ftol": 1e-14})
    return Model(res.x[: k * d].reshape(k, d), res.x[k * d:])


def compare(features: tuple[np.ndarray, np.ndarray, np.ndarray], pixels: tuple[np.ndarray, np.ndarray, np.ndarray],
            y: tuple[np.ndarray, np.ndarray, np.ndarray]) -> dict[str, dict[str, float]]:
    """Train / validation / test error of logistic regression on each input, trained on the train part."""
    out = {}
    for name, (tr, va, te) in (("features", features), ("pixels", pixels)):
        m = fit(tr, y[0], classes=10)
        out[name] = {"train": m.error(tr, y[0]), "valid": m.error(va, y[1]), "test": m.error(te, y[2])}
    return out
