"""`mg.device` (a device name as an object, as ``torch.device``) and the default device.

A `device` is a `str` subclass holding the canonical-looking name (``"cpu"``,
``"cuda"``, ``"cuda:1"``), so it is accepted wherever a device name is, compares equal to
that string (``t.device == mg.device("cpu")``) and hashes like it.
"""
from __future__ import annotations

from . import backend


class device(str):
    """``device("cpu")``, ``device("cuda:0")``, ``device("cuda", 0)`` or ``device(0)``."""

    __slots__ = ()

    def __new__(cls, type, index=None):
        if isinstance(type, device) and index is None:
            return type
        if isinstance(type, int) and not isinstance(type, bool):
            type, index = "cuda", type
        if not isinstance(type, str):
            raise TypeError(f"device: expected a string or an int, got {type!r}")
        name = type
        if ":" in type:
            if index is not None:
                raise ValueError(f"device: type {type!r} already names an index, and index={index} was given")
            type, _, idx = type.partition(":")
            if not idx.isdigit():
                raise ValueError(f"device: invalid device string {name!r}")
            index = int(idx)
        if type not in ("cpu", "cuda"):
            raise ValueError(f"device: expected 'cpu', 'cuda' or 'cuda:N', got {name!r}")
        if index is not None and (not isinstance(index, int) or index < 0):
            raise ValueError(f"device: index must be a non-negative int, got {index!r}")
        if type == "cpu" and index not in (None, 0):
            raise ValueError(f"device: cpu has no index {index}")
        return str.__new__(cls, type if index is None or type == "cpu" else f"{type}:{index}")

    @property
    def type(self) -> str:
        """``"cpu"`` or ``"cuda"``."""
        return str.partition(self, ":")[0]

    @property
    def index(self):
        """The GPU number, or None (the current GPU / the CPU)."""
        idx = str.partition(self, ":")[2]
        return int(idx) if idx else None

    def __repr__(self):
        idx = self.index
        return f"device(type='{self.type}')" if idx is None else f"device(type='{self.type}', index={idx})"

    def __str__(self):
        return str.__str__(self)

    def __reduce__(self):
        return (device, (str(self),))


def set_default_device(device_) -> None:
    """Make factories and ``mg.tensor`` put new tensors on `device_` (None: the CPU)."""
    backend._default_device = "cpu" if device_ is None else backend.canonical_device(device_)


def get_default_device() -> device:
    """The device new tensors go to (``device(type='cpu')`` unless changed)."""
    return device(backend._default_device)
