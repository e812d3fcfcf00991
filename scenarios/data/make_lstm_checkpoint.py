"""Regenerate sonnets-lstm.pt: a small LSTM trained on the lecture's two sonnets by the char-RNN lab.

    python scenarios/data/make_lstm_checkpoint.py

Seeded and on one CPU thread, so it writes the same weights on the same machine and torch
build (another CPU may differ in the last digits). It trains through the lab itself, exactly
as `tui-lab open` would, and saves with the lab's own `w` key: the file is an ordinary
char-RNN checkpoint (format "tui-lab/charrnn", version 1), read by the LSTM lab's
`checkpoint = "data/sonnets-lstm.pt"` (scenarios/lstm-sonnets-checkpoint.toml) and by the
char-RNN lab. The sonnets are stable text, the same everywhere; nothing here depends on
the Python release.
"""

from __future__ import annotations

import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parents[1]))

OUT = HERE / "sonnets-lstm.pt"
PARAMS = {
    "cell": "lstm", "hidden_size": 32, "embedding": 16, "seq_len": 32, "batch": 8, "lr": 0.01,
    "iterations": 600, "per_step": 50, "val_frac": 0, "sample_every": 0, "generate": 0, "save": str(OUT),
}


def main() -> None:
    import torch

    from engine.charrnn.lab import CharRNNLab

    torch.set_num_threads(1)
    lab = CharRNNLab(CharRNNLab.validate(PARAMS), seed=0, device="cpu")
    for frame in lab.frames():
        print(frame.caption[:100])
    if OUT.exists():
        OUT.unlink()  # regenerate from scratch (the lab refuses nothing of ours, but say it plainly)
    print(lab.adjust("save"))
    print(f"{OUT.stat().st_size:,} bytes")


if __name__ == "__main__":
    main()
