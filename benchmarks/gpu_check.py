"""The cuda path, proved in one command: tests, identical replays, cuda against cpu, speed.

    python benchmarks/gpu_check.py [--out gpu_check.json] [--steps 40] [--device cuda|cuda:N]

On a machine with a GPU it runs these stages, each in its own process under its own time
limit, all within BUDGET_S (under six minutes on one H100-class GPU), then prints one table
and writes it as JSON (--out):

  tests    the test suite's cuda-marked tests (tests/test_cuda.py)
  replay   every bundled scenario replayed on cuda, twice, in two processes; the JSON
           Lines must be byte-identical (each capped at --steps shown items)
  agree    each lab's frames on cuda against its frames on cpu: the largest difference
           per lab against the lab's stated tolerance; TF32 measured off
  charrnn  char-RNN training: the lab's loop against a plain cuDNN nn.LSTM loop (ratio)
  swarm    the optimizer swarm at 100k starts: cuda against cpu (ratio), positions agreeing
  arch     the arch lab's real forward pass (key g) for AlexNet and VGG-16: time, peak
           memory against the lab's estimate

Without cuda it says so in one line and exits 0. It needs torch, numpy and rich, nothing
else (a GPU server's own torch will do). The hidden `--device cpu --dry-run` runs every
stage on the CPU at small sizes, so each code path has run before a GPU sees it.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import math
import os
import re
import subprocess
import sys
import time
from itertools import islice
from pathlib import Path
from typing import Any, Callable

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

BUDGET_S = 330  # every stage together; each also has its own limit below
LIMIT_S = {"tests": 120, "replay": 60, "agree": 75, "charrnn": 50, "swarm": 50, "arch": 40}
# Largest |cuda − cpu| / max(1, |cuda|, |cpu|) over every number of every frame compared.
TOLERANCE = {"conv": 0.0, "lstm": 0.0, "arch": 0.0, "optim": 1e-9, "charrnn": 1e-2, "pretrain": 0.0, "train": 1e-2}
# The untrained char-RNN's loss is one float32 forward pass: rounding apart (TF32 shows ~1e-4).
FIRST_LOSS_TOLERANCE = 1e-5
WHY = {
    "conv": "float64 numpy on the CPU whatever the device: identical",
    "lstm": "float64 numpy on the CPU whatever the device: identical",
    "arch": "shapes and counts on the meta device: identical",
    "optim": "float64 torch on the device; noisy scenarios left out (cuda draws its own stream)",
    # Float32 rounding grows through training: nudging every weight by 3e-7 on the CPU moves
    # the first 8 frames by up to 2.6e-4 (charrnn-sampling's gradient norm).
    "charrnn": "float32 cuDNN against the CPU, TF32 off, first CHARRNN_FRAMES frames of training",
    "pretrain": "float64 numpy on the CPU whatever the device: identical",
    "train": "float32 torch training on the device, TF32 off: rounding grows through training",
}
CHARRNN_FRAMES = 8  # float32 training drifts apart slowly; compare its start
TRAIN_FRAMES = 5  # the overview, the untrained model, 3 epochs (an epoch a frame: float32 drift compounds faster, 2e-2 on the loss by epoch 7 on an H200)
# float32 against float64, largest error over the largest value: IEEE float32 (Winograd and
# FFT convolutions included) stays near 1e-6; TF32 rounds inputs to 10 bits, about 5e-4 here.
TF32_TOLERANCE = 5e-5
SWARM_STARTS, SWARM_STEPS = 100_000, 50
ARCH_SCENARIOS = (("AlexNet", "arch-alexnet"), ("VGG-16", "arch-vgg16"))
TEST_DEVICE_VAR = "TUI_LAB_TEST_DEVICE"  # tests/test_cuda.py runs against this device


# --- comparing two replays ------------------------------------------------------------------


def untrained_loss(records: list[dict[str, Any]]) -> float:
    """A char-RNN replay's untrained loss: its set-up frame's (frame 1; frame 0 has no model yet)."""
    return next(r["values"]["loss"] for r in records if r["values"]["phase"] == "setup")


def largest_difference(a: Any, b: Any, where: str = "") -> tuple[float, str, int]:
    """(largest |a − b| / max(1, |a|, |b|) over matching numbers, where it is, strings that differ).

    Two JSON values must have the same shape: another key, length or type is an infinite
    difference. Strings (captions, samples) are only counted: they round numbers for reading,
    and a last-digit difference may change one. The key "device" is skipped.
    """
    if isinstance(a, bool) or isinstance(b, bool) or a is None or b is None:
        return (0.0, where, 0) if type(a) is type(b) and a == b else (math.inf, where, 0)
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        if a == b or (isinstance(a, float) and isinstance(b, float) and math.isnan(a) and math.isnan(b)):
            return 0.0, where, 0
        d = abs(a - b) / max(1.0, abs(a), abs(b))
        return (d if math.isfinite(d) else math.inf), where, 0
    if isinstance(a, str) and isinstance(b, str):
        return 0.0, where, int(a != b)
    if isinstance(a, dict) and isinstance(b, dict):
        if a.keys() != b.keys():
            return math.inf, f"{where} keys", 0
        pairs = [(a[k], b[k], f"{where}.{k}") for k in a if k != "device"]
    elif isinstance(a, list) and isinstance(b, list):
        if len(a) != len(b):
            return math.inf, f"{where} length {len(a)} vs {len(b)}", 0
        pairs = [(x, y, f"{where}[{i}]") for i, (x, y) in enumerate(zip(a, b))]
    else:
        return math.inf, f"{where} type", 0
    worst, at, strings = 0.0, where, 0
    for x, y, w in pairs:
        d, w2, s = largest_difference(x, y, w)
        strings += s
        if d > worst:
            worst, at = d, w2
    return worst, at, strings


def replay_lines(name: str, device: str, cap: int) -> list[str]:
    """`replay NAME --format json` as lines, the script capped at `cap` shown items."""
    from engine.session import Session
    from scenarios import load
    from tui_lab.export.jsonl import frame_json

    scenario = load(name)
    session = Session(scenario, device=device)
    try:
        return [frame_json(session, s) for s in islice(session.run_script(), cap) if s.event == "frame"]
    finally:
        session.close()


def noisy(name: str) -> bool:
    """A scenario whose numbers depend on the device's own random generator: an optimizer's
    seeded gradient noise, or a training lab's dropout masks (cuda and the CPU draw different
    streams from the same seed, so only the start agrees)."""
    from scenarios import load

    sc = load(name)
    if sc.lab == "optim":
        return any(o.get("noise") for o in sc.params.get("optimizers", ()))
    if sc.lab == "train":
        return any(layer.get("kind") == "dropout" and layer.get("p", 0) for layer in sc.params.get("layers", ()))
    return False


def parse_forward(line: str) -> float | None:
    """The milliseconds in the arch lab's forward-pass line, or None."""
    found = re.search(r"batch \d+: (\S+) ms", line)
    try:
        return float(found.group(1).replace("−", "-")) if found else None
    except ValueError:
        return None


# --- stages: each runs in its own process and returns rows for the table ----------------------


def row(check: str, result: str, limit: str = "", ok: bool | None = None, **data: Any) -> dict[str, Any]:
    return {"check": check, "result": result, "limit": limit, "ok": ok, **data}


def scenario_names() -> list[str]:
    from scenarios import bundled

    return [s.name for s in bundled()]


def stage_replay(device: str, a: argparse.Namespace) -> dict[str, Any]:
    """Every bundled scenario once: a hash of its JSON Lines (the parent compares two runs)."""
    from engine.core import device as devices

    hashes: dict[str, Any] = {}
    for name in scenario_names():
        t = time.perf_counter()
        try:
            lines = replay_lines(name, device, a.steps)
            digest = hashlib.sha256("\n".join(lines).encode()).hexdigest()
            hashes[name] = {"sha256": digest, "frames": len(lines), "seconds": round(time.perf_counter() - t, 3)}
        except Exception as exc:  # one broken scenario must not hide the others
            hashes[name] = {"error": f"{type(exc).__name__}: {exc}"}
    return {"hashes": hashes, "nondeterministic": list(devices.nondeterministic()), "settings": devices.settings()}


def stage_agree(device: str, a: argparse.Namespace) -> dict[str, Any]:
    import torch

    from scenarios import load

    worst: dict[str, tuple[float, str, int]] = {}
    first_loss = (0.0, "")
    left_out, errors = [], []
    for name in scenario_names():
        lab = load(name).lab
        if noisy(name):
            left_out.append(name)
            continue
        cap = min(a.steps, CHARRNN_FRAMES if lab == "charrnn" else TRAIN_FRAMES) if lab in ("charrnn", "train") else a.steps
        try:
            here = [json.loads(x) for x in replay_lines(name, "cpu", cap)]
            there = [json.loads(x) for x in replay_lines(name, device, cap)]
        except Exception as exc:
            errors.append(f"{name}: {type(exc).__name__}: {exc}")
            continue
        d, where, strings = largest_difference(there, here)
        if lab == "charrnn":
            a_, b_ = (untrained_loss(records) for records in (there, here))
            first_loss = max(first_loss, (abs(a_ - b_) / abs(b_), name))
        old = worst.get(lab, (-1.0, "", 0))
        worst[lab] = (d, f"{name}{where}", old[2] + strings) if d > old[0] else (old[0], old[1], old[2] + strings)
    rows = []
    for lab, (d, where, strings) in sorted(worst.items()):
        tol = TOLERANCE[lab]
        why = WHY[lab].replace("CHARRNN_FRAMES", str(CHARRNN_FRAMES))
        note = f"; {strings} caption/sample string(s) differ" if strings else ""
        limit = f"= 0 ({why})" if tol == 0 else f"≤ {tol:.0e} ({why})"
        rows.append(row(f"{lab}: {device} vs cpu, largest difference", f"{d:.2e} at {where}{note}", limit,
                        d <= tol, lab=lab, difference=d if math.isfinite(d) else None, where=where,
                        strings_differ=strings, tolerance=tol))
    if "charrnn" in worst:
        rows.append(row(f"charrnn: untrained loss, {device} vs cpu", f"{first_loss[0]:.1e} at {first_loss[1]}",
                        f"≤ {FIRST_LOSS_TOLERANCE:.0e} (float32, TF32 off; TF32 shows ~1e-4)",
                        first_loss[0] <= FIRST_LOSS_TOLERANCE, difference=first_loss[0]))
    if left_out:
        rows.append(row(f"left out of {device} vs cpu", ", ".join(left_out),
                        "seeded noise or dropout masks differ by device", None))
    for e in errors:
        rows.append(row("cuda vs cpu failed", e, "", False))
    rows += tf32_rows(torch, device)
    return {"rows": rows}


def tf32_rows(torch: Any, device: str) -> list[dict[str, Any]]:
    """float32 matmul and conv on the device against float64: TF32 shows as ~5e-4."""
    import torch.nn.functional as F

    g = torch.Generator().manual_seed(0)
    a, b = torch.randn(512, 512, generator=g), torch.randn(512, 512, generator=g)
    x, w = torch.randn(1, 32, 32, 32, generator=g), torch.randn(32, 32, 3, 3, generator=g)
    out = []
    for what, f32, f64 in (
        ("matmul", lambda: a.to(device) @ b.to(device), lambda: a.double() @ b.double()),
        ("conv2d", lambda: F.conv2d(x.to(device), w.to(device)), lambda: F.conv2d(x.double(), w.double())),
    ):
        got, ref = f32().double().cpu(), f64()
        err = float((got - ref).abs().max() / ref.abs().max())
        flag = (torch.backends.cuda.matmul.allow_tf32 if what == "matmul" else torch.backends.cudnn.allow_tf32)
        out.append(row(f"float32 {what} vs float64 (TF32 {'on' if flag else 'off'})", f"{err:.1e}",
                       f"≤ {TF32_TOLERANCE:.0e} (TF32 gives ~5e-4)", err <= TF32_TOLERANCE, error=err, tf32=flag))
    return out


def stage_charrnn(device: str, a: argparse.Namespace) -> dict[str, Any]:
    sys.path.insert(0, str(ROOT / "benchmarks"))
    import charrnn_throughput as ct

    n, repeats = (5, 1) if a.dry_run else (200, 3)
    params = {"cell": "lstm", "hidden_size": 128, "layers": 1, "embedding": 32, "seq_len": 32, "batch": 32,
              "lr": 0.003, "clip": 5.0, "clip_mode": "norm", "optimizer": "adam"}
    dev = "cuda" if device.startswith("cuda") else device  # the current GPU: charrnn_throughput syncs "cuda"
    ct.lab_rate(params, dev, 3), ct.plain_rate(params, dev, 3, None)  # warm-up: cuDNN plans, allocator
    ours, plain = [], []
    for _ in range(repeats):
        ours.append(ct.lab_rate(params, dev, n))
        plain.append(ct.plain_rate(params, dev, n, None))
    ratio = max(ours) / max(plain)
    size = f"LSTM 1×128, embedding 32, batch 32, seq_len 32, Adam; {n} iterations, best of {repeats}"
    return {"rows": [row("char-RNN training, lab vs plain cuDNN nn.LSTM loop",
                         f"lab {max(ours):,.0f} chars/s, plain {max(plain):,.0f} chars/s, ratio {ratio:.2f}", size,
                         None, ratio=ratio, lab_chars_per_s=max(ours), plain_chars_per_s=max(plain))]}


def stage_swarm(device: str, a: argparse.Namespace) -> dict[str, Any]:
    """The bundled Himmelblau swarm's optimizers over a grid of 100k starts on its view."""
    import numpy as np
    import torch

    from engine.optim.race import Race
    from engine.optim.swarm import starts as grid_starts
    from engine.session import Session
    from scenarios import load

    starts_n, steps = (2_500, 3) if a.dry_run else (SWARM_STARTS, SWARM_STEPS)
    lab = Session(load("optim-himmelblau-swarm"), device="cpu").lab
    starts = grid_starts(lab.cfg.view, math.ceil(math.sqrt(starts_n)))  # past the lab's own 200×200 limit, on purpose

    def run(dev: str) -> tuple[float, np.ndarray]:
        race = Race(lab.cfg.surface, lab.cfg.hypers, starts, lab.cfg.bound, dev, 0)
        sync(torch, dev)
        t = time.perf_counter()
        for _ in range(steps):
            race.step()
        sync(torch, dev)
        return time.perf_counter() - t, np.stack([r.x.cpu().numpy() for r in race.runners])

    run(device)  # warm-up
    t_dev, x_dev = run(device)
    t_cpu, x_cpu = run("cpu")
    diff = float(np.max(np.abs(x_dev - x_cpu) / np.maximum(1.0, np.maximum(np.abs(x_dev), np.abs(x_cpu)))))
    what = f"{len(starts):,} starts × {len(lab.cfg.hypers)} optimizers × {steps} steps"
    return {"rows": [
        row(f"optimizer swarm on {device} vs cpu", f"{t_dev:.3f} s vs {t_cpu:.3f} s: {t_cpu / t_dev:.1f}× faster", what,
            None, seconds_device=t_dev, seconds_cpu=t_cpu, ratio=t_cpu / t_dev),
        row(f"swarm positions, {device} vs cpu", f"{diff:.1e}", f"≤ {TOLERANCE['optim']:.0e}, float64",
            diff <= TOLERANCE["optim"], difference=diff)]}


def stage_arch(device: str, a: argparse.Namespace) -> dict[str, Any]:
    import torch

    from engine.arch.memory import network_totals
    from engine.core.fmt import mb
    from engine.session import Session
    from scenarios import load

    rows = []
    for label, name in ARCH_SCENARIOS:
        # The lab asks for "cuda" by name; cuda:N is already the current GPU.
        lab = Session(load(name), device="cuda" if device.startswith("cuda") else device).lab
        estimate = network_totals(lab.cfg, lab.cfg.plans)["forward_bytes"]
        line = lab.adjust("forward")
        ms = parse_forward(line)
        if ms is None:
            rows.append(row(f"{label} forward pass (g)", line, "", None if not device.startswith("cuda") else False))
            continue
        peak = torch.cuda.max_memory_allocated()
        rows.append(row(f"{label} forward pass (g)", f"{ms:.3f} ms, peak {mb(peak)}, estimate {mb(estimate)} "
                        f"({peak / estimate:.2f}× the estimate)", "batch 1, float32, TF32 off", None,
                        ms=ms, peak_bytes=peak, estimate_bytes=estimate, line=line))
    return {"rows": rows}


def sync(torch: Any, device: str) -> None:
    if device.startswith("cuda"):
        torch.cuda.synchronize()


STAGES: dict[str, Callable[[str, argparse.Namespace], dict[str, Any]]] = {
    "replay": stage_replay, "agree": stage_agree, "charrnn": stage_charrnn, "swarm": stage_swarm, "arch": stage_arch}


def run_stage(a: argparse.Namespace) -> int:
    """Inside a stage's own process: resolve the device (deterministic on cuda), run, write JSON."""
    from engine.core.device import resolve
    from engine.core.files import write_atomic

    device = resolve(a.device)
    result = STAGES[a.stage](device, a)
    write_atomic(Path(a.stage_out), json.dumps(result))
    return 0


# --- the parent: one process per stage, a budget for all ----------------------------------------


DRY_RUN_SLACK = 4  # a dry run tries code paths on a slow shared CPU, not the GPU's time budget


class Runner:
    def __init__(self, a: argparse.Namespace) -> None:
        self.a = a
        self.start = time.monotonic()
        self.slack = DRY_RUN_SLACK if a.dry_run else 1
        self.rows: list[dict[str, Any]] = []
        self.stages: dict[str, Any] = {}

    def left(self) -> float:
        return BUDGET_S * self.slack - (time.monotonic() - self.start)

    def child(self, key: str, limit: str, argv: list[str], env: dict[str, str] | None = None) -> subprocess.CompletedProcess | None:
        timeout = min(LIMIT_S[limit] * self.slack, self.left())
        if timeout < 5:
            self.rows.append(row(f"{key}", "not run: the time budget is spent", f"{BUDGET_S} s in all", False, stage=key))
            return None
        t = time.monotonic()
        try:
            done = subprocess.run(argv, cwd=ROOT, capture_output=True, text=True, timeout=timeout,
                                  env={**os.environ, "PYTHONPATH": str(ROOT), **(env or {})})
        except subprocess.TimeoutExpired:
            self.rows.append(row(f"{key}", f"stopped after {timeout:.0f} s", f"its limit {LIMIT_S[limit] * self.slack} s",
                                 False, stage=key))
            self.stages[key] = {"seconds": round(time.monotonic() - t, 1), "timed_out": True}
            return None
        self.stages[key] = {"seconds": round(time.monotonic() - t, 1), "rc": done.returncode,
                            "stderr_tail": done.stderr[-2000:]}
        return done

    def stage(self, name: str, key: str | None = None) -> dict[str, Any] | None:
        key = key or name
        out = ROOT / f".gpu_check_{key}_{os.getpid()}.json"
        argv = [sys.executable, str(Path(__file__).resolve()), "--stage", name, "--stage-out", str(out),
                "--device", self.a.device, "--steps", str(self.a.steps)] + (["--dry-run"] if self.a.dry_run else [])
        done = self.child(key, name, argv)
        try:
            if done is None:
                return None
            if done.returncode != 0 or not out.exists():
                last = (done.stderr.strip().splitlines() or ["no output"])[-1]
                self.rows.append(row(key, f"failed (exit {done.returncode}): {last}", "", False, stage=key))
                return None
            result = json.loads(out.read_text())
        finally:
            out.unlink(missing_ok=True)
        for r in result.get("rows", []):
            self.rows.append({**r, "stage": key})
        self.stages[key]["result"] = {k: v for k, v in result.items() if k != "rows"}
        return result

    def tests(self) -> None:
        files = [str(p.relative_to(ROOT)) for p in sorted((ROOT / "tests").glob("test_*.py"))
                 if "pytest.mark.cuda" in p.read_text(encoding="utf-8")]
        argv = [sys.executable, "-m", "pytest", "-m", "cuda", "-p", "no:cacheprovider", "-o", "addopts=", *files]
        done = self.child("tests", "tests", argv, {TEST_DEVICE_VAR: "cpu" if self.a.device == "cpu" else self.a.device})
        if done is None:
            return
        tail = (done.stdout + done.stderr).strip().splitlines()
        summary = next((ln.strip("= ") for ln in reversed(tail) if re.search(r"\d+ (passed|failed|error|skipped)", ln)),
                       tail[-1] if tail else "no output")
        self.rows.append(row("cuda-marked tests", summary, " ".join(files), done.returncode == 0, stage="tests"))
        self.stages["tests"]["output_tail"] = "\n".join(tail[-40:])

    def replays(self) -> None:
        runs = [self.stage("replay", f"replay{i}") for i in (1, 2)]
        if any(r is None for r in runs):
            return
        first, second = (r["hashes"] for r in runs)
        same = [n for n in first if "sha256" in first[n] and first[n]["sha256"] == second.get(n, {}).get("sha256")]
        broken = [f"{n}: {first[n].get('error') or second[n].get('error')}" for n in first
                  if "error" in first[n] or "error" in second.get(n, {})]
        differ = [n for n in first if n not in same and not any(b.startswith(n + ":") for b in broken)]
        frames = sum(first[n].get("frames", 0) for n in first)
        self.rows.append(row("replay twice on the device, byte-identical",
                             f"{len(same)}/{len(first)} scenarios ({frames} frames)" + (f"; differ: {', '.join(differ)}" if differ else ""),
                             f"≤ {self.a.steps} shown items each", not differ and not broken, stage="replay", differ=differ))
        for b in broken:
            self.rows.append(row("replay failed", b, "", False, stage="replay"))
        ops = sorted(set(runs[0]["nondeterministic"]) | set(runs[1]["nondeterministic"]))
        self.rows.append(row("operations without a deterministic kernel", ", ".join(ops) or "none",
                             "torch's own list, heard while replaying", not ops, stage="replay", operations=ops))


def header(device: str) -> dict[str, Any]:
    import torch

    from engine.core.device import describe, settings

    info = {"device": describe(device), "torch": torch.__version__, "cuda": torch.version.cuda,
            "cudnn": torch.backends.cudnn.version() if torch.backends.cudnn.is_available() else None,
            "python": sys.version.split()[0], "settings": settings()}
    if device.startswith("cuda"):
        p = torch.cuda.get_device_properties(torch.cuda.current_device())
        info["memory_gib"] = round(p.total_memory / 2**30, 1)
    return info


def table(rows: list[dict[str, Any]]) -> str:
    mark = {True: "ok", False: "FAIL", None: "--"}
    w = max(len(r["check"]) for r in rows)
    lines = [f"{'':4}  {'check':<{w}}  result  [limit]"]
    for r in rows:
        limit = f"  [{r['limit']}]" if r["limit"] else ""
        lines.append(f"{mark[r['ok']]:<4}  {r['check']:<{w}}  {r['result']}{limit}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", help="write the table here as JSON")
    ap.add_argument("--steps", type=int, default=40, help="replays: at most this many shown items per scenario (default 40)")
    ap.add_argument("--device", default="cuda", help="cuda or cuda:N (default cuda)")
    ap.add_argument("--dry-run", action="store_true", help=argparse.SUPPRESS)
    ap.add_argument("--stage", choices=sorted(STAGES), help=argparse.SUPPRESS)
    ap.add_argument("--stage-out", help=argparse.SUPPRESS)
    a = ap.parse_args(argv)
    if a.steps < 1:
        ap.error("--steps must be 1 or more")
    if a.stage:
        return run_stage(a)
    try:
        from engine.core.device import DeviceError, prepare_cuda, resolve

        prepare_cuda()
        import torch
    except ImportError as exc:
        print(f"gpu_check: cannot run: {exc}")
        return 0
    if a.device != "cpu" and not torch.cuda.is_available():
        print(f"gpu_check: no cuda GPU here (torch {torch.__version__}"
              f"{', a CPU build' if torch.version.cuda is None else ''}); nothing to check")
        return 0
    try:
        device = resolve(a.device)
    except DeviceError as exc:
        print(f"gpu_check: {exc}")
        return 2
    info = header(device)
    print(f"gpu_check on {info['device']} · torch {info['torch']} · cuda {info['cuda']} · cudnn {info['cudnn']}"
          f"{' · dry run' if a.dry_run else ''}", flush=True)
    r = Runner(a)
    st = info["settings"]
    r.rows.append(row("device", f"{info['device']}" + (f", {info['memory_gib']} GiB" if "memory_gib" in info else "")
                      + f"; deterministic kernels {'on' if st['deterministic'] else 'off'}, TF32 "
                      + ("off" if not (st["tf32_matmul"] or st["tf32_cudnn"]) else "on")
                      + f", CUBLAS_WORKSPACE_CONFIG={st['cublas_workspace']}", "", None, stage="header"))
    r.tests()
    r.replays()
    for name in ("agree", "charrnn", "swarm", "arch"):
        r.stage(name)
    seconds = time.monotonic() - r.start
    ok = all(x["ok"] is not False for x in r.rows)
    print(table(r.rows))
    print(f"{'all checks passed' if ok else 'SOME CHECKS FAILED'} in {seconds:.0f} s (budget {BUDGET_S} s)")
    if a.out:
        from engine.core.files import write_atomic

        report = {"ok": ok, "seconds": round(seconds, 1), "budget_s": BUDGET_S, "dry_run": a.dry_run,
                  "steps": a.steps, **info, "rows": r.rows, "stages": r.stages}
        write_atomic(Path(a.out), json.dumps(report, indent=1, default=str) + "\n")
        print(f"wrote {a.out}")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
