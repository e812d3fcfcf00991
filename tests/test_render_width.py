"""Every bundled scenario draws within 78 columns (an 80×24 terminal less the frame's padding)."""

import pytest
from rich.cells import cell_len

from conftest import draw
from engine.session import Session
from scenarios import load
from scenarios.catalog import bundled_paths

NAMES = [p.stem for p in bundled_paths()]


@pytest.mark.parametrize("name", NAMES)
def test_frames_fit_78_columns(name):
    session = Session(load(name), device="cpu")
    try:
        if session.lab.live:
            # A training run plays its script (what replay shows), not a full-length run.
            frames = [s.frame for s in session.run_script() if s.event == "frame"]
        else:
            # The first frames and the last: enough to see every kind of frame a lab draws.
            session.goto(40)
            frames = list(session.stepper.frames)
            session.finish()
            frames.append(session.stepper.frames[-1])
        for frame in frames:
            text = draw(session.scenario.lab, frame, 78)
            widest = max(cell_len(line.rstrip()) for line in text.splitlines())
            assert widest <= 78, (name, frame.index, widest)
    finally:
        session.close()
