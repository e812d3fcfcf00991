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
