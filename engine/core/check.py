"""The one record of how a lab's numbers were checked against an independent reference.

Every lab that cross-checks its arithmetic puts `values["check"] = record(...)` in its
frames; the renderers draw it with one helper, so "matches torch" is decided here, in the
engine, at the tolerance the lab states, and nowhere else.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np


def max_diff(ours: Any, ref: Any) -> float:
    """The largest |ours − ref|, where equal values (the same infinity, or NaN on both sides)
    differ by 0 and a value finite on one side only (or NaN on one side) differs by ∞;
    arrays of different shapes differ by ∞. No numpy warnings."""
    a = np.asarray(ours, dtype=float)
    b = np.asarray(ref, dtype=float)
    if a.shape != b.shape:
        return math.inf
    with np.errstate(all="ignore"):
        same = (a == b) | (np.isnan(a) & np.isnan(b))
        diff = np.where(same, 0.0, np.abs(a - b))
        diff = np.where(np.isnan(diff), np.inf, diff)
        return float(diff.max()) if diff.size else 0.0


def both_nan(ours: Any, ref: Any) -> int:
    """How many values are NaN on both sides (∞ − ∞, 0·∞ after an overflow): the two agree
    there, but on no number, so no match can be claimed for them."""
    a = np.asarray(ours, dtype=float)
    b = np.asarray(ref, dtype=float)
    return int((np.isnan(a) & np.isnan(b)).sum()) if a.shape == b.shape else 0


def record(reference: str, diff: float, tolerance: float, nan_cells: int = 0, cells: int = 0) -> dict[str, Any]:
    """{reference, max_diff, tolerance, ok}: `reference` names what the lab was checked
    against (`F.conv2d`, `nn.LSTMCell`, `torch.optim.Adam`, `autograd`, …). When `nan_cells`
    of the `cells` values were NaN on both sides it is not ok, and the record says so."""
    diff = float(diff)
    rec = {"reference": reference, "max_diff": diff, "tolerance": float(tolerance),
           "ok": bool(math.isfinite(diff) and diff <= tolerance and not nan_cells)}
    if nan_cells:  # only then, so every record without NaN keeps its four keys
        rec.update(nan_cells=int(nan_cells), cells=int(cells))
    return rec


def compare(reference: str, ours: Any, ref: Any, tolerance: float) -> dict[str, Any]:
    """The record for two arrays."""
    return record(reference, max_diff(ours, ref), tolerance, both_nan(ours, ref), np.size(ref))
