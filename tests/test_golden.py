"""Every bundled scenario replays to its golden files, byte for byte.

Golden files change only on purpose: `UPDATE_GOLDEN=1 python -m pytest tests/test_golden.py`.
"""

import json
import os

import pytest

from conftest import ROOT
from scenarios.loader import bundled_paths

GOLDEN = ROOT / "tests" / "golden"
NAMES = [p.stem for p in bundled_paths()]


def _replay(name: str, fmt: str) -> str:
    import io

    from scenarios import load
    from tui_lab.replay import replay

    buf = io.StringIO()
    replay(load(name), fmt, buf, device="cpu")
    return buf.getvalue()


@pytest.mark.parametrize("name", NAMES)
def test_replay_matches_golden(name):
    for fmt, ext in (("text", "txt"), ("json", "jsonl")):
        path = GOLDEN / f"{name}.{ext}"
        got = _replay(name, fmt)
        if os.environ.get("UPDATE_GOLDEN"):
            path.write_text(got, encoding="utf-8")
        assert path.exists(), f"no golden file {path.name}; create it with UPDATE_GOLDEN=1"
        want = path.read_text(encoding="utf-8")
        assert got == want, f"{name} {fmt} replay differs from {path.name}"
        if fmt == "json":
            for line in got.splitlines():
                record = json.loads(line)
                assert record["scenario"] == name and "caption" in record and "values" in record
