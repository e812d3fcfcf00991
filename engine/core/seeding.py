"""One seed for python, numpy and torch, so replays are byte-identical.

torch.manual_seed seeds every cuda device as well. A generator on cuda draws from its own
(Philox) stream, so a lab's seeded noise on cuda is not the CPU's: the same bytes come back
for the same scenario, seed and device, not across devices (engine/core/device.py).
"""

from __future__ import annotations

import random

import numpy as np

# Labs derive further seeds from this one (seed·1009 + i for each optimizer's noise), and
# torch takes 64-bit seeds: 32 bits leave room for that arithmetic.
SEED_MAX = 2**32 - 1


def seed_all(seed: int, torch_too: bool = True) -> np.random.Generator:
    """Seed every generator a lab may touch; return a numpy Generator for the lab's own draws."""
    random.seed(seed)
    np.random.seed(seed % 2**32)
    if torch_too:
        import torch

        torch.manual_seed(seed)
    return np.random.default_rng(seed)
