"""tui_lab/collector.py: the collection due is made between steps, and it is the one Python's
collector would make (its generation), never one that is not near."""

import gc

import pytest

from tui_lab import collector


@pytest.fixture
def young_line():
    """The collector's line at YOUNG (as once a lab is open), put back afterwards; what
    collections start is recorded."""
    thresholds, started = gc.get_threshold(), []

    def record(phase, info):
        if phase == "start":
            started.append(info["generation"])

    gc.set_threshold(collector.YOUNG, *thresholds[1:])
    gc.collect()
    gc.callbacks.append(record)
    yield started
    gc.callbacks.remove(record)
    gc.set_threshold(*thresholds)


def pile_up(n: int) -> list:
    return [[] for _ in range(n)]  # young objects the collector tracks


def test_nothing_is_collected_while_few_young_objects_have_piled_up(young_line):
    kept = pile_up(collector.EARLY // 2)
    assert collector.between_steps() is None
    assert young_line == [] and gc.get_count()[0] >= len(kept)


def test_a_near_collection_is_made_between_steps_as_the_collector_would(young_line):
    kept = pile_up(collector.EARLY + 100)
    assert collector.between_steps() == 0
    assert young_line == [0] and gc.get_count()[0] < 100 < len(kept)
    # After threshold[1] young collections the next one takes the middle generation along,
    # as Python's own does.
    for _ in range(gc.get_threshold()[1] + 1 - gc.get_count()[1]):
        gc.collect(0)
    young_line.clear()
    kept += pile_up(collector.EARLY + 100)
    assert collector.between_steps() == 1
    assert young_line == [1] and gc.get_count()[1] == 0


def test_a_disabled_collector_is_left_alone(young_line):
    gc.disable()
    try:
        kept = pile_up(collector.EARLY + 100)
        assert collector.between_steps() is None and young_line == [] and kept
    finally:
        gc.enable()
