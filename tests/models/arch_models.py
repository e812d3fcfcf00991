"""Reference models for the arch lab's own-model walk (tests/test_arch_model.py).

The lab opens them by path (`tests/models/arch_models.py:ResBlockNet`); the tests import
the same classes to ask torchinfo and FlopCounterMode about them.
"""

import torch
from torch import nn


class ResBlockNet(nn.Module):
    """A stem and one ResNet basic block with a 1×1 downsample on its skip path."""

    def __init__(self, width: int = 8) -> None:
        super().__init__()
        self.stem = nn.Conv2d(3, width, 3, padding=1)
        self.conv1 = nn.Conv2d(width, 2 * width, 3, stride=2, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(2 * width)
        self.relu = nn.ReLU()
        self.conv2 = nn.Conv2d(2 * width, 2 * width, 3, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(2 * width)
        self.down = nn.Conv2d(width, 2 * width, 1, stride=2, bias=False)

    def forward(self, x):
        x = self.stem(x)
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        return out + self.down(x)


class DepthwiseSeparable(nn.Module):
    """MobileNet's block: a depthwise 3×3 (groups = channels), then a pointwise 1×1."""

    def __init__(self, c_in: int = 16, c_out: int = 32) -> None:
        super().__init__()
        self.depthwise = nn.Conv2d(c_in, c_in, 3, padding=1, groups=c_in, bias=False)
        self.bn1 = nn.BatchNorm2d(c_in)
        self.act1 = nn.ReLU6()
        self.pointwise = nn.Conv2d(c_in, c_out, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(c_out)
        self.act2 = nn.ReLU6()

    def forward(self, x):
        return self.act2(self.bn2(self.pointwise(self.act1(self.bn1(self.depthwise(x))))))


class SharedLayer(nn.Module):
    """One Linear applied twice: its parameters exist once."""

    def __init__(self) -> None:
        super().__init__()
        self.inp = nn.Linear(10, 20)
        self.shared = nn.Linear(20, 20)
        self.act = nn.Tanh()
        self.out = nn.Linear(20, 3)

    def forward(self, x):
        x = self.act(self.inp(x))
        x = self.act(self.shared(x))
        x = self.act(self.shared(x))
        return self.out(x)


class LSTMNet(nn.Module):
    """A two-layer LSTM over a sequence of feature vectors, classifying from the last step."""

    def __init__(self, features: int = 6, hidden: int = 12, classes: int = 4) -> None:
        super().__init__()
        self.lstm = nn.LSTM(features, hidden, num_layers=2, batch_first=True)
        self.head = nn.Linear(hidden, classes)

    def forward(self, x):
        out, _ = self.lstm(x)
        return self.head(out[:, -1])


class Branches(nn.Module):
    """Two branches concatenated (Inception's join), a frozen stem, a module never called, own parameters."""

    def __init__(self) -> None:
        super().__init__()
        self.stem = nn.Conv2d(3, 4, 3, padding=1)
        self.stem.requires_grad_(False)
        self.a = nn.Conv2d(4, 6, 1)
        self.b = nn.Conv2d(4, 2, 3, padding=1)
        self.spare = nn.Linear(5, 5)
        self.scale = nn.Parameter(torch.ones(8, 1, 1))

    def forward(self, x):
        x = self.stem(x)
        return torch.cat([self.a(x), self.b(x)], dim=1) * self.scale


def tied(dim: int = 8) -> nn.Module:
    """A function returning a model; its two Linears share one weight matrix (tied weights)."""
    first, second = nn.Linear(dim, dim), nn.Linear(dim, dim, bias=False)
    second.weight = first.weight
    return nn.Sequential(first, nn.ReLU(), second)


class Huge(nn.Module):
    """About 7 billion parameters: opens on the meta device without the memory for them."""

    def __init__(self, dim: int = 8192, layers: int = 13) -> None:
        super().__init__()
        self.layers = nn.ModuleList(nn.Linear(dim, 4 * dim) if i % 2 == 0 else nn.Linear(4 * dim, dim)
                                    for i in range(2 * layers))

    def forward(self, x):
        for layer in self.layers:
            x = layer(x)
        return x


class NeedsMask(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.fc = nn.Linear(4, 4)

    def forward(self, x, mask):
        return self.fc(x) * mask


class NeedsWidth(nn.Module):
    def __init__(self, width: int) -> None:
        super().__init__()
        self.fc = nn.Linear(4, width)

    def forward(self, x):
        return self.fc(x)


class ItemOnMeta(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.fc = nn.Linear(4, 4)

    def forward(self, x):
        return self.fc(x) * float(x.sum().item())


NOT_A_MODEL = 3


def not_module():
    return [nn.Linear(2, 2)]


class TinyGPT(nn.Module):
    """Token ids in: an embedding, one transformer layer, a head tied to the embedding."""

    def __init__(self, vocab: int = 100, dim: int = 32) -> None:
        super().__init__()
        self.embed = nn.Embedding(vocab, dim)
        self.block = nn.TransformerEncoderLayer(dim, 4, 4 * dim, dropout=0.0, batch_first=True)
        self.head = nn.Linear(dim, vocab, bias=False)
        self.head.weight = self.embed.weight

    def forward(self, x):
        return self.head(self.block(self.embed(x)))


class OddNames(nn.Module):
    """Submodule names a person chose: shown literally, never as markup or terminal control."""

    def __init__(self) -> None:
        super().__init__()
        self.parts = nn.ModuleDict({"[red]x\x1b[2J": nn.Linear(4, 4), "[/]": nn.ReLU()})

    def forward(self, x):
        for part in self.parts.values():
            x = part(x)
        return x
