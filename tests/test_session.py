"""The stepper's frames."""

import pytest


def test_a_frame_range_counts_and_makes_each_frame_when_read():
    """`FrameRange`, the frames of a lazy lab: the Sequence a list would be (length, negative
    indices, slices, IndexError past the end), each frame made once while it is among the
    last KEEP read, made again after."""
    from engine.core.frame import Frame
    from engine.core.lab import FrameRange

    made = []

    def make(i):
        made.append(i)
        return Frame(i, f"frame {i}", {})

    r = FrameRange(make)
    assert len(r) == 0 and list(r) == [] and made == []
    r.grow(5)
    r.grow(3)  # never shrinks
    assert len(r) == 5 and made == []
    assert [f.index for f in r] == [0, 1, 2, 3, 4] and r[-1] is r[4] and [f.index for f in r[1:4]] == [1, 2, 3]
    assert made == [0, 1, 2, 3, 4]
    for bad in (5, -6):
        with pytest.raises(IndexError):
            r[bad]
    second = r[1]
    r[1] = None  # a session that forgets passed frames
    assert r[1] is not second and r[1].caption == second.caption
    with pytest.raises(TypeError):
        r[2] = second
    r.grow(r.KEEP + 10)
    first = r[0]
    for i in range(1, r.KEEP + 1):
        r[i]
    assert r[0] is not first and r[0].caption == first.caption  # pushed out, made again

