"""engine.core.frame.freeze: what a frame keeps is a read-only copy in plain types."""

from types import MappingProxyType

import numpy as np
import pytest
import torch

from engine.core.frame import freeze


def test_freeze_copies_into_read_only_plain_types():
    arr = np.arange(4.0)
    nested = {"a": [1, 2.5, "s", None, True], 3: {"b": (np.float64(1.5), np.int64(2), np.bool_(True))},
              "arr": arr, "t": torch.tensor([1.0, 2.0])}
    frozen = freeze(nested)
    assert isinstance(frozen, MappingProxyType) and set(frozen) == {"a", "3", "arr", "t"}
    assert frozen["a"] == (1, 2.5, "s", None, True)
    # numpy scalars become Python's own (np.float64 is a float subclass, and would print as np.float64(1.5))
    assert [type(v) for v in frozen["3"]["b"]] == [float, int, bool]
    assert frozen["3"]["b"] == (1.5, 2, True)
    arr[0] = 99.0  # a later in-place update does not leak into the frame
    assert frozen["arr"][0] == 0.0 and not frozen["arr"].flags.writeable
    assert isinstance(frozen["t"], np.ndarray) and frozen["t"].tolist() == [1.0, 2.0]
    with pytest.raises(TypeError):
        frozen["a"] = 1
    assert freeze(MappingProxyType({"k": [1]})) == {"k": (1,)}


def test_a_row_of_plain_numbers_is_copied_once_and_kept_apart():
    """The shortcut for rows of plain scalars: a tuple, equal, not the list (a later append or
    assignment does not leak), a plain tuple from a tuple subclass, and a row with one
    non-plain item still freezes that item."""
    from collections import namedtuple

    row = [1.0, 2, "x", None, False]
    frozen = freeze(row)
    row[0], row[1:] = 99.0, []
    assert type(frozen) is tuple and frozen == (1.0, 2, "x", None, False)
    point = namedtuple("point", "x y")(1.0, 2.0)
    assert type(freeze(point)) is tuple and freeze(point) == (1.0, 2.0)
    mixed = freeze([1.0, np.float64(2.5), [3]])
    assert mixed == (1.0, 2.5, (3,)) and type(mixed[1]) is float
