"""The lab interface and the stepper that gives history for stepping back.

A lab turns validated params into frames, lazily: `frames()` is a generator, so a
large convolution or a long training run computes only what is shown. The
`Stepper` keeps every frame produced so far, so stepping back shows the very same
frame again, and it may be driven from a background thread (one producer).
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from typing import TYPE_CHECKING, Any, Callable, ClassVar, Iterator, Sequence

from .frame import Frame
from .params import Param, validate

if TYPE_CHECKING:
    from .knobs import Knob


class Lab:
    """Base class: one subclass per engine module.

    Subclasses set `name`, `title`, `PARAMS`, and implement `frames()`.
    `check(params)` adds the cross-field rules (shapes that must agree, geometry that
    must fit) and raises ParamError naming the key.
    """

    name: ClassVar[str] = ""
    title: ClassVar[str] = ""
    # What the '?' screen shows: the lecture's idea, the formulas, what each key does here.
    help: ClassVar[str] = ""
    PARAMS: ClassVar[Sequence[Param]] = ()
    # Live labs (training) produce frames continuously in a background worker;
    # the others compute a frame when the person steps to it.
    live: ClassVar[bool] = False
    uses_torch: ClassVar[bool] = True
    # Extra keys for this lab: (key, name, description). The screen calls `adjust(name)`
    # from its worker; it changes how the frames still to come are computed (e.g. the
    # sampling temperature) and returns a line to show. Frames already made never change.
    KEYS: ClassVar[tuple[tuple[str, str, str], ...]] = ()

    def __init__(self, params: dict[str, Any], *, seed: int = 0, device: str = "cpu") -> None:
        self.params = params
        self.seed = seed
        self.device = device

    @classmethod
    def validate(cls, raw: dict[str, Any]) -> dict[str, Any]:
        params = validate(cls.PARAMS, raw)
        cls.check(params)
        return params

    @classmethod
    def check(cls, params: dict[str, Any]) -> None:
        """Cross-field validation; override where keys constrain each other."""

    @classmethod
    def draws_random(cls, params: dict[str, Any]) -> bool:
        """Whether the frames draw random numbers: then python, numpy and (for a torch lab) torch
        are seeded at every open and knob turn. A lab whose numbers are formulas says False and
        is spared torch.manual_seed (which also queues the seeding of every cuda device)."""
        return True

    @classmethod
    def torch_from(cls, params: dict[str, Any]) -> int | None:
        """The first frame that needs torch loaded (the app waits for its warm-up, tui_lab/warm.py,
        before computing it); opening the lab and the frames before it need none, so they show
        while torch loads. 0: opening needs torch already (a lab that computes with it). None:
        no frame needs more than a plain `import torch` (a numpy lab's last-step check)."""
        return 0 if cls.uses_torch else None

    def length(self) -> int | None:
        """How many frames there will be, if known before computing them."""
        return None

    def frames(self) -> Iterator[Frame]:
        raise NotImplementedError

    def adjust(self, name: str) -> str:
        raise KeyError(name)

    def live_facts(self) -> dict[str, Any]:
        """Figures measured while a live lab runs (characters per second, threads): never in a
        frame, so replays stay byte-identical; the app shows them through the view."""
        return {}

    def change_note(self, before: "Lab") -> str:
        """After a knob turn: what changed in consequence, in the lecture's terms
        (e.g. "output 55×55 → 37×37"); `before` is the lab as it was."""
        return ""

    def knobs(self) -> "list[Knob]":
        """The knobs of this scenario, its most telling parameters (see core/knobs.py)."""
        return []

    def turn(self, key: str, value: Any) -> str:
        """A live knob (`Knob.live`): apply `value` from the next iteration on, without
        recomputing what was shown; return a line saying what changed."""
        raise KeyError(key)

    @classmethod
    def help_text(cls) -> str:
        """The lab's help, from `help.md` in its package (so `?` works from a wheel)."""
        import importlib.resources

        package = cls.__module__.rpartition(".")[0]
        try:
            return importlib.resources.files(package).joinpath("help.md").read_text(encoding="utf-8")
        except (FileNotFoundError, ModuleNotFoundError, TypeError):
            return cls.help

    def finish(self) -> list[Frame] | None:
        """Optionally compute all remaining frames at once (vectorized); None = not supported.
        A `lazy` lab does its vectorised work here and its stepper counts to the end."""
        return None

    # A lab whose frames are cheap views of state it computes on demand (the conv lab's
    # output buffer) sets this and defines `frame_at`: its stepper then holds a count, not
    # one object per frame (see FrameRange).
    lazy: ClassVar[bool] = False

    def frame_at(self, index: int) -> Frame:
        """Frame `index` (< length()), made when read; only for a `lazy` lab."""
        raise NotImplementedError


class FrameRange(Sequence[Frame]):
    """Frames 0..n−1 of a `lazy` lab: a count, each frame made by `Lab.frame_at` when read.

    A knob turn at step 6,050 of AlexNet CONV1 had made 6,050 frame objects, which every
    full collection then walked (the spikes in its knob p95). The frames read last are kept,
    so a frame read twice is the same object: the frame view knows its laid-out lines by
    the frame's identity.
    """

    KEEP = 64

    def __init__(self, make: Callable[[int], Frame]) -> None:
        self._make, self._n = make, 0
        self._kept: OrderedDict[int, Frame] = OrderedDict()
        self._lock = threading.Lock()  # read from the app's thread and a worker's

    def __len__(self) -> int:
        return self._n

    def grow(self, n: int) -> None:
        self._n = max(self._n, n)

    def __setitem__(self, i: int, forgotten: None) -> None:
        """`frames[i] = None`, as a session that forgets passed frames does to a list: here
        the frame is only dropped from those kept (it is made again if read)."""
        if forgotten is not None:
            raise TypeError("a FrameRange makes its own frames")
        with self._lock:
            self._kept.pop(i, None)

    def __getitem__(self, i):  # noqa: ANN001, ANN204 - Sequence's own overloads
        if isinstance(i, slice):
            return [self[j] for j in range(*i.indices(self._n))]
        if i < 0:
            i += self._n
        if not 0 <= i < self._n:
            raise IndexError(f"frame {i} of {self._n}")
        with self._lock:
            frame = self._kept.get(i)
            if frame is None:
                frame = self._kept[i] = self._make(i)
                if len(self._kept) > self.KEEP:
                    self._kept.popitem(last=False)
            else:
                self._kept.move_to_end(i)
            return frame


class Stepper:
    """Frames computed so far plus a cursor. One thread may call `ensure` at a time."""

    def __init__(self, lab: Lab) -> None:
        self.lab = lab
        self._gen = lab.frames()
        self.frames: list[Frame] | FrameRange = FrameRange(lab.frame_at) if lab.lazy else []
        self.done = False
        self._lock = threading.Lock()

    @property
    def count(self) -> int | None:
        """Number of frames when known (after the end, or declared by the lab)."""
        if self.done:
            return len(self.frames)
        return self.lab.length()

    def ensure(self, index: int, cancelled=lambda: False) -> int:
        """Compute frames up to `index` (or to the end); return the highest index available."""
        with self._lock:
            return self._ensure(index, cancelled)

    def try_ensure(self, index: int) -> bool:
        """Compute up to `index` only if no other thread is computing; False if one is.
        The app's own thread uses this, so it never waits on a lock a worker holds."""
        if not self._lock.acquire(blocking=False):
            return False
        try:
            self._ensure(index, lambda: False)
        finally:
            self._lock.release()
        return True

    def _ensure(self, index: int, cancelled) -> int:
        if isinstance(self.frames, FrameRange):
            total = self.lab.length()
            self.frames.grow(min(index + 1, total))
            self.done = len(self.frames) == total
            return min(index, len(self.frames) - 1)
        while len(self.frames) <= index and not self.done:
            if cancelled():
                break
            try:
                frame = next(self._gen)
            except StopIteration:
                self.done = True
                break
            if frame.index != len(self.frames):
                raise AssertionError(f"lab {self.lab.name} produced frame {frame.index} at position {len(self.frames)}")
            self.frames.append(frame)
        return min(index, len(self.frames) - 1)

    def run_to_end(self, cancelled=lambda: False) -> None:
        with self._lock:
            if not self.done:
                rest = self.lab.finish()
                if isinstance(self.frames, FrameRange):
                    self.frames.grow(self.lab.length())
                    self.done = True
                elif rest is not None:
                    self.frames.extend(rest[len(self.frames):])
                    self.done = True
                    self._gen.close()
        self.ensure(1 << 62, cancelled)

    def close(self) -> None:
        try:
            self._gen.close()
        except ValueError:
            pass  # still running in a worker thread, which stops at its next cancellation check
