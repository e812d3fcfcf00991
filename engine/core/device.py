"""Device choice: auto picks cuda, then mps, then cpu. Torch is imported only when asked."""

from __future__ import annotations

DEVICES = ("auto", "cpu", "cuda", "mps")


class DeviceError(RuntimeError):
    """The device asked for is not here; the message says what is."""


def available() -> list[str]:
    import torch

    found = ["cpu"]
    if torch.cuda.is_available():
        found.insert(0, "cuda")
    mps = getattr(torch.backends, "mps", None)
    if mps is not None and mps.is_available():
        found.insert(len(found) - 1, "mps")
    return found


def resolve(name: str) -> str:
    """'auto' | 'cpu' | 'cuda' | 'mps' -> a device torch can use here, or DeviceError."""
    if name not in DEVICES:
        raise DeviceError(f"unknown device {name!r}; choose one of {', '.join(DEVICES)}")
    if name == "cpu":
        return "cpu"
    here = available()
    if name == "auto":
        return here[0]
    if name not in here:
        raise DeviceError(f"device {name!r} was asked for, but this machine has only {', '.join(here)}; use --device cpu or auto")
    return name


def describe(device: str) -> str:
    """A short label for the screen, e.g. 'cuda (NVIDIA H100)'."""
    if device == "cuda":
        import torch

        return f"cuda ({torch.cuda.get_device_name(0)})"
    return device
