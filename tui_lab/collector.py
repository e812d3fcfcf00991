"""Python's cyclic garbage collector, kept out of the steps.

A step and the next one laid out ahead make a few thousand young objects (lines, strips,
segments). Left to itself, the collector runs when enough have piled up, which is inside
whichever step crosses the line: at Python's default (700) three steps in ten had a
collection in them. Once a lab is open (`settle`), the long-lived objects are frozen, so no
collection walks them again, and the line is raised to YOUNG; then, while the person reads
a step (`between_steps`, once the next step is laid out ahead), the collection that is
coming is made there, so a step itself almost never has one: only a step that makes more
than YOUNG - EARLY young objects on its own reaches the line.
Measured with benchmarks/step_latency.py (arch-vgg19, 200 steps): a young collection in one
step in six, each 3-8 ms, and one older in two hundred, 60-150 ms; with this, none.
"""

from __future__ import annotations

import gc

# Young objects the collector lets pile up before it runs by itself (Python's default is 700).
YOUNG = 20_000
# Young objects after which the collection is made between steps, rather than waiting for
# YOUNG inside a step (rarer collections: fewer objects kept alive by one step are walked
# again as older ones).
EARLY = YOUNG // 2


def settle() -> None:
    """A lab is open: what exists now lives as long as it (torch, the app), so no collection
    walks it again, and the collector waits for YOUNG young objects."""
    gc.freeze()
    young, *older = gc.get_threshold()
    gc.set_threshold(max(YOUNG, young), *older)


def between_steps() -> int | None:
    """Make the collection the collector would make next, if it is near (EARLY young objects
    or more): between steps, where a person reading does not see it. The generation chosen is
    the collector's own: the oldest whose count has passed its threshold (a count of
    collections of the generation below; for the oldest, Python also weighs how many objects
    it holds, which it does not tell: here a full collection comes at most as often as
    Python's, between steps). Returns the generation collected, or None."""
    if not gc.isenabled():
        return None
    counts, thresholds = gc.get_count(), gc.get_threshold()
    if counts[0] < min(EARLY, thresholds[0]):
        return None
    generation = next((g for g in (2, 1) if counts[g] > thresholds[g]), 0)
    gc.collect(generation)
    return generation
