"""Training lab speed: the lab's training loop against a plain PyTorch loop of the same model.

    python benchmarks/train_loop.py [--device cpu|cuda] [--epochs 5] [--repeats 5] [--scenario train-digits]
                                    [--json PATH]

Samples per second over `--epochs` epochs of the bundled scenario's model (default
train-digits: conv 3×3 ×16 → ReLU → max-pool 2 → dropout → fc 10), same weights, batch,
optimizer and device, measured three ways, alternately in one process, best of `--repeats`:
  loop   the lab's Trainer.epoch: what every training frame runs
  frames the lab's frames end to end: the loop plus the evaluation on the training and
         validation images after every epoch (the curves) and the frame itself
  plain  the textbook loop: randperm, slice, forward, F.cross_entropy, zero_grad, backward, step
The ratios loop/plain and frames/plain are the figures (goal: loop ≥ 0.9× plain). On the CPU
all three run on one thread, as the lab does (engine/train/model.py says why).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402

from engine.train import model as tm  # noqa: E402
from engine.train.lab import TrainLab  # noqa: E402
from scenarios import load  # noqa: E402


def sync(device: str) -> None:
    if device == "cuda":
        torch.cuda.synchronize()


def make_lab(scenario: str, device: str, epochs: int) -> TrainLab:
    params = load(scenario).with_params(epochs=epochs).params
    return TrainLab(params, seed=0, device=device)


def loop_rate(scenario: str, device: str, epochs: int) -> float:
    lab = make_lab(scenario, device, epochs)
    lab.start_training()
    tr = lab.trainer
    tr.epoch()  # warm-up: allocator, cuDNN algorithms
    sync(device)
    start = time.perf_counter()
    for _ in range(epochs):
        tr.epoch()
    sync(device)
    return epochs * len(lab.y_train) / (time.perf_counter() - start)


def frames_rate(scenario: str, device: str, epochs: int) -> float:
    lab = make_lab(scenario, device, epochs)
    frames = lab.frames()
    next(frames), next(frames)  # frame 0 the data and the model, frame 1 the untrained model's numbers: not timed
    sync(device)
    start = time.perf_counter()
    for _ in frames:
        pass
    sync(device)
    return epochs * len(lab.data.y_train) / (time.perf_counter() - start)


def plain_rate(scenario: str, device: str, epochs: int) -> float:
    lab = make_lab(scenario, device, epochs)
    model = tm.build(lab.cfg.layers, lab.weights, device)
    x, y = tm.to_device(lab.data.x_train, lab.data.y_train, device)
    opt = torch.optim.SGD(model.parameters(), lr=lab.cfg.lr, momentum=0.9)
    gen = torch.Generator().manual_seed(0)
    batch, n = lab.cfg.batch, len(y)

    def epoch() -> None:
        model.train()
        perm = torch.randperm(n, generator=gen).to(device)
        for i in range(0, n, batch):
            idx = perm[i:i + batch]
            loss = F.cross_entropy(model(x[idx]), y[idx])
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()

    epoch()
    sync(device)
    start = time.perf_counter()
    for _ in range(epochs):
        epoch()
    sync(device)
    return epochs * n / (time.perf_counter() - start)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--device", default="cpu", choices=("cpu", "cuda"))
    ap.add_argument("--epochs", type=int, default=5)
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--scenario", default="train-digits")
    ap.add_argument("--json", type=Path)
    args = ap.parse_args()
    if args.device == "cuda" and not torch.cuda.is_available():
        print("no cuda device here; run with --device cpu")
        return
    if load(args.scenario).params["optimizer"] != "momentum":
        sys.exit("the plain loop is SGD with momentum 0.9: pick a scenario that trains with it")
    best = {"loop": 0.0, "frames": 0.0, "plain": 0.0}
    runs = {"loop": loop_rate, "frames": frames_rate, "plain": plain_rate}
    with tm.cpu_threads(args.device):
        for _ in range(args.repeats):  # alternately, so a busy moment on a shared machine hits all three
            for name, fn in runs.items():
                best[name] = max(best[name], fn(args.scenario, args.device, args.epochs))
    ratios = {"loop/plain": best["loop"] / best["plain"], "frames/plain": best["frames"] / best["plain"]}
    label = torch.cuda.get_device_name(0) if args.device == "cuda" else "cpu, one thread as the lab runs"
    print(f"{args.scenario} on {label}: {args.epochs} epochs, best of {args.repeats}")
    for name, rate in best.items():
        print(f"  {name:<7} {rate:>12,.0f} samples/s")
    for name, r in ratios.items():
        print(f"  {name:<13} {r:.2f}×")
    if args.json:
        args.json.write_text(json.dumps({"device": args.device, "label": label, "scenario": args.scenario,
                                         "epochs": args.epochs, "samples_per_s": best, "ratios": ratios}, indent=1))


if __name__ == "__main__":
    main()
