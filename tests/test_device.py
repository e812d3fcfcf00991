"""Device choice and the deterministic set-up for cuda, on a machine without a GPU.

torch.cuda is monkeypatched where a GPU must seem present; the real cuda paths run in
tests/test_cuda.py (marked `cuda`) and in benchmarks/gpu_check.py.
"""

import argparse
import warnings

import pytest
import torch

from engine.core import device as devices
from engine.core.device import DEVICES, DeviceError, resolve


@pytest.fixture
def torch_state(monkeypatch):
    """Give back torch's global switches, the variable and the warning hook as they were."""
    saved = (torch.are_deterministic_algorithms_enabled(), torch.is_deterministic_algorithms_warn_only_enabled(),
             torch.backends.cudnn.benchmark, torch.backends.cudnn.deterministic,
             torch.backends.cuda.matmul.allow_tf32, torch.backends.cudnn.allow_tf32)
    monkeypatch.setattr(torch.utils.deterministic, "fill_uninitialized_memory",
                        torch.utils.deterministic.fill_uninitialized_memory)
    monkeypatch.delenv("CUBLAS_WORKSPACE_CONFIG", raising=False)
    monkeypatch.setattr(devices, "_listening", False)
    monkeypatch.setattr(devices, "_seen", set())
    monkeypatch.setattr(warnings, "showwarning", warnings.showwarning)
    yield
    torch.use_deterministic_algorithms(saved[0], warn_only=saved[1])
    (torch.backends.cudnn.benchmark, torch.backends.cudnn.deterministic,
     torch.backends.cuda.matmul.allow_tf32, torch.backends.cudnn.allow_tf32) = saved[2:]


@pytest.fixture
def two_gpus(monkeypatch, torch_state):
    """torch.cuda as on a machine with two GPUs; records what the engine asked of it, in order."""
    import os

    calls = []

    def is_available():
        calls.append(("is_available", os.environ.get("CUBLAS_WORKSPACE_CONFIG")))
        return True

    monkeypatch.setattr(torch.cuda, "is_available", is_available)
    monkeypatch.setattr(torch.cuda, "device_count", lambda: 2)
    monkeypatch.setattr(torch.cuda, "set_device", lambda n: calls.append(("set_device", n)))
    return calls


def test_cuda_n_without_cuda_is_one_line(monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    with pytest.raises(DeviceError) as err:
        resolve("cuda:1")
    msg = str(err.value)
    assert "\n" not in msg
    assert "device 'cuda:1' was asked for, but this machine has only cpu" in msg and "--device cpu" in msg


def test_cuda_n_picks_that_gpu_and_is_deterministic(two_gpus):
    assert resolve("cuda:1") == "cuda:1"
    # The variable cuBLAS reads is set before the first cuda call, not after.
    assert two_gpus[0] == ("is_available", devices.CUBLAS_WORKSPACE)
    assert ("set_device", 1) in two_gpus
    s = devices.settings()
    assert s["deterministic"] and s["warn_only"]
    assert not s["tf32_matmul"] and not s["tf32_cudnn"] and not s["cudnn_benchmark"]
    assert not s["fill_uninitialized_memory"]
    assert torch.backends.cudnn.deterministic


def test_plain_cuda_and_auto_are_deterministic_too(two_gpus):
    assert resolve("cuda") == "cuda"
    assert devices.settings()["deterministic"]
    torch.use_deterministic_algorithms(False)
    assert resolve("auto") == "cuda"
    assert devices.settings()["deterministic"]
    assert all(cuda == devices.CUBLAS_WORKSPACE for call, cuda in two_gpus if call == "is_available")


def test_cpu_stays_as_it_was(two_gpus):
    torch.use_deterministic_algorithms(False)
    assert resolve("cpu") == "cpu"
    assert not torch.are_deterministic_algorithms_enabled()
    assert two_gpus == []  # cpu asks nothing of cuda


def test_gpu_number_beyond_the_machine(two_gpus):
    with pytest.raises(DeviceError) as err:
        resolve("cuda:2")
    msg = str(err.value)
    assert "\n" not in msg
    assert "'cuda:2'" in msg and "2 GPUs (cuda:0 to cuda:1)" in msg and "--device cuda:0" in msg
    assert not any(call == "set_device" for call, _ in two_gpus)


def test_a_persons_deterministic_workspace_is_kept(monkeypatch):
    env = {"CUBLAS_WORKSPACE_CONFIG": ":16:8"}
    devices.prepare_cuda(env)
    assert env["CUBLAS_WORKSPACE_CONFIG"] == ":16:8"
    env = {"CUBLAS_WORKSPACE_CONFIG": ":0:0"}  # not deterministic: replaced
    devices.prepare_cuda(env)
    assert env["CUBLAS_WORKSPACE_CONFIG"] == ":4096:8"
    env = {}
    devices.prepare_cuda(env)
    assert env == {"CUBLAS_WORKSPACE_CONFIG": ":4096:8"}


@pytest.mark.parametrize("name,ok", [("cuda:0", True), ("cuda:15", True), ("auto", True), ("mps", True),
                                     ("cuda:", False), ("cuda:-1", False), ("cuda:N", False), ("cuda:1x", False),
                                     ("gpu", False), ("CUDA", False), (None, False)])
def test_devices_names(name, ok):
    assert (name in DEVICES) is ok


def test_command_line_choices_take_cuda_n():
    p = argparse.ArgumentParser()
    p.add_argument("--device", choices=DEVICES, default="auto")
    assert p.parse_args(["--device", "cuda:3"]).device == "cuda:3"
    assert "cuda:N" in p.format_help()
    with pytest.raises(SystemExit):
        p.parse_args(["--device", "cuda:three"])


def test_unknown_device_is_one_line():
    with pytest.raises(DeviceError) as err:
        resolve("tpu")
    assert "\n" not in str(err.value) and "cuda:N" in str(err.value)


def test_an_operation_without_a_deterministic_kernel_is_named(torch_state):
    """put_ (accumulate=False) has no deterministic kernel even on the CPU: torch's real warning is heard."""
    devices.make_deterministic()
    assert devices.nondeterministic() == ()
    x = torch.zeros(4)
    with warnings.catch_warnings():
        warnings.simplefilter("always")
        x.put_(torch.tensor([1]), torch.tensor([2.0]))
    assert devices.nondeterministic() == ("put_",)
    assert devices.note_warning("something else entirely") is None
    assert devices.nondeterministic() == ("put_",)


def test_describe():
    assert devices.describe("cpu") == "cpu"
    assert devices.is_cuda("cuda:3") and devices.is_cuda("cuda") and not devices.is_cuda("cpu")
