"""The engine on a GPU: each lab's frames on cuda against cpu and against torch run on cuda.

The tests marked `cuda` skip without a GPU (CI is CPU-only); benchmarks/gpu_check.py runs
them on one. TUI_LAB_TEST_DEVICE=cpu runs them against the CPU as a stand-in, so their
code has run before a GPU sees it (gpu_check's hidden --dry-run does that). The tests
at the end, unmarked, check gpu_check's own helpers on any machine.
"""

import json
import os
import subprocess
import sys
import warnings

import numpy as np
import pytest
import torch

from conftest import ROOT
from engine.core import device as devices

sys.path.insert(0, str(ROOT))  # benchmarks/ is a folder of scripts, not an installed package
from benchmarks.gpu_check import (FIRST_LOSS_TOLERANCE, TF32_TOLERANCE, TOLERANCE, largest_difference,  # noqa: E402
                                  parse_forward, replay_lines, untrained_loss)

DEVICE = os.environ.get("TUI_LAB_TEST_DEVICE", "cuda")


def _present() -> bool:
    if not devices.is_cuda(DEVICE):
        return True  # a stand-in device: the CPU
    devices.prepare_cuda()  # before the first cuda call, as the engine does
    return torch.cuda.is_available()


on_device = pytest.mark.skipif(not _present(), reason="needs a cuda GPU")
cuda = pytest.mark.cuda


@pytest.fixture(scope="module")
def dev():
    return devices.resolve(DEVICE)


def session(name: str, device: str):
    from engine.session import Session
    from scenarios import load

    return Session(load(name), device=device)


# --- the device itself ----------------------------------------------------------------------


@cuda
@on_device
def test_resolve_sets_up_the_gpu(dev):
    if not devices.is_cuda(dev):
        pytest.skip("the cuda set-up needs a GPU")
    s = devices.settings()
    assert s["deterministic"] and not s["tf32_matmul"] and not s["tf32_cudnn"] and not s["cudnn_benchmark"]
    assert os.environ["CUBLAS_WORKSPACE_CONFIG"] in (":4096:8", ":16:8")
    n = torch.cuda.device_count()
    with pytest.raises(devices.DeviceError) as err:
        devices.resolve(f"cuda:{n}")
    assert "\n" not in str(err.value) and f"has {n} GPU" in str(err.value)
    assert devices.resolve("cuda:0") == "cuda:0"
    assert torch.cuda.current_device() == 0
    assert devices.describe("cuda:0").startswith("cuda:0 (")


@cuda
@on_device
def test_float32_has_no_tf32_rounding(dev):
    g = torch.Generator().manual_seed(1)
    a, b = torch.randn(256, 256, generator=g), torch.randn(256, 256, generator=g)
    got = (a.to(dev) @ b.to(dev)).double().cpu()
    ref = a.double() @ b.double()
    assert float((got - ref).abs().max() / ref.abs().max()) < TF32_TOLERANCE
    x, w = torch.randn(1, 16, 20, 20, generator=g), torch.randn(8, 16, 3, 3, generator=g)
    got = torch.nn.functional.conv2d(x.to(dev), w.to(dev)).double().cpu()
    ref = torch.nn.functional.conv2d(x.double(), w.double())
    assert float((got - ref).abs().max() / ref.abs().max()) < TF32_TOLERANCE


# --- each lab: cuda against cpu, and against torch on cuda ---------------------------------------


def same_frames(name: str, dev: str, cap: int = 30) -> float:
    """Largest relative difference between the scenario's frames on `dev` and on cpu."""
    there = [json.loads(x) for x in replay_lines(name, dev, cap)]
    here = [json.loads(x) for x in replay_lines(name, "cpu", cap)]
    assert len(there) == len(here) > 0
    return largest_difference(there, here)[0]


def conv_on(lab, dev: str) -> np.ndarray:
    """The conv lab's finished output computed by torch on `dev`, float64: (F, H, W)."""
    import torch.nn.functional as F

    x = torch.from_numpy(lab.x[None].copy()).to(dev)
    r, c = lab.cfg.rows, lab.cfg.cols
    stride, padding, dilation = (r.s, c.s), (r.p, c.p), (r.d, c.d)
    if lab.cfg.kind == "pool":
        if lab.cfg.pool == "max":
            out = F.max_pool2d(x, (r.k, c.k), stride, padding, dilation)
        else:
            out = F.avg_pool2d(x, (r.k, c.k), stride, padding)
    else:
        k = torch.from_numpy(np.ascontiguousarray(lab.k_used)).to(dev)
        b = torch.from_numpy(lab.bias).to(dev)
        if lab.cfg.kind == "transposed":
            out = F.conv_transpose2d(x, k.transpose(0, 1), b, stride, padding, (r.op, c.op), 1, dilation)
        else:
            out = F.conv2d(x, k, b, stride=stride, padding=padding, dilation=dilation)
    return out[0].cpu().numpy()


@cuda
@on_device
@pytest.mark.parametrize("name", ["conv-sobel", "conv-multichannel", "conv-transposed", "conv-maxpool",
                                  "conv-1d-stride2", "conv-image-blur"])
def test_conv_on_device(dev, name):
    s = session(name, dev)
    final = s.finish()
    want = conv_on(s.lab, dev)
    got = np.asarray(final.values["output"], dtype=np.float64).reshape(want.shape)
    assert np.max(np.abs(got - want)) <= 1e-12 * max(1.0, float(np.max(np.abs(want))))
    assert same_frames(name, dev) == TOLERANCE["conv"]


@cuda
@on_device
@pytest.mark.parametrize("dtype,tol", [(torch.float64, 1e-12), (torch.float32, 1e-5)])
def test_lstm_steps_match_nn_lstmcell_on_device(dev, dtype, tol):
    from engine.lstm.math import TORCH_ORDER

    s = session("lstm-gates", dev)
    lab, history = s.lab, s.finish().values["history"]
    H, (W, b), cell_in = lab.cfg.hidden, lab.arrays.gates(), lab.arrays
    cell = torch.nn.LSTMCell(lab.cfg.inputs, H, dtype=dtype).to(dev)
    with torch.no_grad():
        cell.weight_hh.copy_(torch.from_numpy(np.concatenate([W[k][:, :H] for k in TORCH_ORDER])))
        cell.weight_ih.copy_(torch.from_numpy(np.concatenate([W[k][:, H:] for k in TORCH_ORDER])))
        cell.bias_ih.copy_(torch.from_numpy(np.concatenate([b[k] for k in TORCH_ORDER])))
        cell.bias_hh.zero_()
        h, c = (torch.from_numpy(v)[None].to(dev, dtype) for v in (cell_in.h0, cell_in.c0))
        for x, step in zip(cell_in.xs, history):
            h, c = cell(torch.from_numpy(x)[None].to(dev, dtype), (h, c))
            assert np.max(np.abs(h[0].double().cpu().numpy() - step["h"])) < tol
            assert np.max(np.abs(c[0].double().cpu().numpy() - step["c"])) < tol
    assert len(history) == lab.cfg.steps
    assert same_frames("lstm-gates", dev) == TOLERANCE["lstm"]


@cuda
@on_device
@pytest.mark.parametrize("name", ["optim-zigzag", "optim-rosenbrock", "optim-himmelblau-swarm", "optim-conventions"])
def test_optim_frames_agree_with_cpu(dev, name):
    assert same_frames(name, dev) <= TOLERANCE["optim"]


@cuda
@on_device
def test_optim_noise_replays_identically_on_device(dev):
    first, second = (replay_lines("optim-saddle", dev, 20) for _ in range(2))
    assert first == second and len(first) > 3


@cuda
@on_device
def test_charrnn_trains_alike_on_device_and_cpu(dev):
    there = [json.loads(x) for x in replay_lines("charrnn-sonnets", dev, 8)]
    here = [json.loads(x) for x in replay_lines("charrnn-sonnets", "cpu", 8)]
    # The untrained model's loss is one forward pass: float32 rounding apart, no more.
    a, b = untrained_loss(there), untrained_loss(here)
    assert abs(a - b) / b <= FIRST_LOSS_TOLERANCE
    assert largest_difference(there, here)[0] <= TOLERANCE["charrnn"]


@cuda
@on_device
@pytest.mark.parametrize("name", ["charrnn-sonnets", "charrnn-min-char-rnn"])
def test_charrnn_replays_identically_on_device(dev, name):
    first, second = (replay_lines(name, dev, 6) for _ in range(2))
    assert first == second and len(first) >= 5


@cuda
@on_device
def test_a_checkpoint_from_the_device_loads_on_cpu(dev, tmp_path):
    from engine.charrnn.checkpoint import load

    s = session("charrnn-sonnets", dev)
    s.goto(s.index + 2)
    path = tmp_path / "gpu.pt"
    assert "saved iteration" in s.lab.save_checkpoint(path)
    ck = load(path, "cpu")
    mine = {k: v.cpu() for k, v in s.lab.model.state_dict().items()}
    theirs = ck.model.state_dict()
    assert mine.keys() == theirs.keys()
    assert all(torch.equal(mine[k], theirs[k]) and theirs[k].device.type == "cpu" for k in mine)


@cuda
@on_device
def test_arch_forward_pass_on_device(dev):
    s = session("arch-lenet", "cuda" if devices.is_cuda(dev) else dev)
    line = s.lab.adjust("forward")
    if not devices.is_cuda(dev):
        assert "needs a GPU" in line
    else:
        assert line.startswith("forward pass on ") and parse_forward(line) > 0, line
    assert same_frames("arch-lenet", dev) == TOLERANCE["arch"]


@cuda
@on_device
def test_alexnet_forward_agrees_with_cpu_in_float32(dev):
    from engine.arch.lab import torch_layers
    from scenarios import load

    p = load("arch-alexnet").params
    torch.manual_seed(0)
    model = torch.nn.Sequential(*torch_layers(p["input"], p["layers"])).eval()
    x = torch.randn(2, *p["input"])
    with torch.no_grad():
        ref = model(x)
        got = model.to(dev)(x.to(dev)).cpu()
    assert float((got - ref).abs().max() / ref.abs().max()) < 1e-4


@cuda
@on_device
def test_every_operation_has_a_deterministic_kernel(dev, monkeypatch):
    """What the labs run on the device: nothing torch knows to be nondeterministic."""
    # pytest swaps the warning hook around each test: listen afresh inside this one.
    monkeypatch.setattr(devices, "_listening", False)
    monkeypatch.setattr(devices, "_seen", set())
    monkeypatch.setattr(warnings, "showwarning", warnings.showwarning)
    devices._listen()
    with warnings.catch_warnings():
        warnings.simplefilter("always")
        for name, cap in (("charrnn-sonnets", 4), ("charrnn-min-char-rnn", 4), ("optim-himmelblau-swarm", 5),
                          ("optim-saddle", 5)):
            replay_lines(name, dev, cap)
    assert devices.nondeterministic() == ()


# --- gpu_check's helpers, on any machine ---------------------------------------------------------


def test_largest_difference():
    a = [{"step": 1, "device": "cuda", "values": {"x": [1.0, 2.0], "caption": "f = 1.000", "ok": True}}]
    b = [{"step": 1, "device": "cpu", "values": {"x": [1.0, 2.0 + 4e-9], "caption": "f = 1.001", "ok": True}}]
    d, where, strings = largest_difference(a, b)
    assert d == pytest.approx(2e-9) and where == "[0].values.x[1]" and strings == 1
    assert largest_difference(1e-3, 2e-3)[0] == pytest.approx(1e-3)  # absolute below 1
    assert largest_difference(float("nan"), float("nan"))[0] == 0
    assert largest_difference(float("nan"), 1.0)[0] == float("inf")
    assert largest_difference({"a": 1}, {"b": 1})[0] == float("inf")
    assert largest_difference([1, 2], [1])[0] == float("inf")
    assert largest_difference(True, 1)[0] == float("inf")
    assert largest_difference(None, 0.0)[0] == float("inf")
    assert largest_difference([3], [4])[0] == pytest.approx(0.25)  # a basin label that flips


def test_parse_forward_reads_the_arch_labs_own_line(monkeypatch):
    """The forward pass with torch.cuda stood in for: its line, as the lab writes it, parses."""
    from engine.arch.lab import ArchLab
    from scenarios import load

    class Event:
        def __init__(self, **kw):
            pass

        def record(self):
            pass

        def elapsed_time(self, end):
            return 1234.5

    for name, fake in (("Event", Event), ("synchronize", lambda *a: None), ("reset_peak_memory_stats", lambda *a: None),
                       ("max_memory_allocated", lambda *a: 5_000_000), ("empty_cache", lambda: None),
                       ("get_device_name", lambda *a: "Stand-in GPU")):
        monkeypatch.setattr(torch.cuda, name, fake)
    sc = load("arch-lenet")
    line = ArchLab(dict(sc.params), device="cpu").forward_pass()
    assert parse_forward(line) == pytest.approx(1234.5, rel=1e-2)
    assert parse_forward("a real forward pass needs a GPU") is None


def test_gpu_check_without_cuda_says_so_in_one_line():
    env = {**os.environ, "CUDA_VISIBLE_DEVICES": "", "PYTHONPATH": str(ROOT)}
    done = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "gpu_check.py")], capture_output=True, text=True,
                          env=env, timeout=120)
    assert done.returncode == 0
    assert done.stdout.strip().count("\n") == 0 and "no cuda GPU here" in done.stdout
