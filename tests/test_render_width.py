"""Every bundled scenario draws within 78 columns (an 80×24 terminal less the frame's padding)."""

import pytest
from rich.cells import cell_len

from conftest import draw
from engine.session import Session
from scenarios import load
from scenarios.catalog import bundled_paths

NAMES = [p.stem for p in bundled_paths()]
# Checked in the quick run by another test on the same frames, so only the full run draws them here
# (a second or so of training each): the pretraining scenarios that test_pretrain_lab's
# test_every_frame_fits_78_and_100_columns plays to the end and draws at 78 and 100 columns (they
# have no script, so replay plays them to the end too; pretrain-table, not among those, stays),
# and train-digits, whose first frames train-cuda (the same params) draws in the quick run.
QUICK_ELSEWHERE = {f"pretrain-{m}" for m in ("dilution", "finetune", "rbm-bars", "rbm-bars-cd10", "rbm-digits",
                                             "sparse-autoencoder", "stack", "stacked-autoencoders", "table-quick")}
QUICK_ELSEWHERE |= {"train-digits"}


@pytest.mark.parametrize("name", [pytest.param(n, marks=pytest.mark.slow) if n in QUICK_ELSEWHERE else n for n in NAMES])
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
