"""Moves between devices and dtypes: ``to``, ``type``, ``cpu``, ``cuda``, ``float``, ...

All differentiable: the gradient flows back to the original device (`ToDevice`) and is
cast back to the original dtype by the engine (`Cast`).
"""
from __future__ import annotations

from .. import backend
from ..tensor import Tensor
from .elementwise import Cast
from .shape import ToDevice


def _is_dtype_name(a) -> bool:
    return isinstance(a, str) and a in backend.np.sctypeDict


def to(self, *args, non_blocking=False, copy=False, **kwargs) -> Tensor:
    """``to(device)``, ``to(dtype)``, ``to(device, dtype)`` or ``to(other_tensor)``.

    Returns `self` when nothing changes (unless ``copy=True``), as PyTorch.
    """
    device = kwargs.pop("device", None)
    dtype = kwargs.pop("dtype", None)
    if kwargs:
        raise TypeError(f"to: unexpected arguments {sorted(kwargs)}")
    for a in args:
        if isinstance(a, Tensor):
            device, dtype = a.device, a.dtype
        elif (isinstance(a, (str, int)) or hasattr(a, "type") and hasattr(a, "index")) and not _is_dtype_name(a):
            device = a
        else:
            dtype = a
    out = self
    if dtype is not None:
        out = type_(out, dtype)
    if device is not None:
        device = backend.canonical_device(device)
        if device != out.device:
            out = ToDevice.apply(out, device=device)
    if copy and out is self:
        out = self.clone()
    return out


def type_(self, dtype):
    """This tensor in `dtype` (itself when it already is)."""
    dtype = backend.to_dtype(dtype)
    if dtype == self.array.dtype:
        return self
    return Cast.apply(self, dtype=dtype)


def cpu(self) -> Tensor:
    return to(self, "cpu")


def cuda(self, device=None) -> Tensor:
    if device is None:
        device = "cuda"
    elif isinstance(device, int):
        device = f"cuda:{device}"
    return to(self, backend.canonical_device(device))


def _caster(dtype_name):
    def cast(self):
        return type_(self, getattr(backend, dtype_name))

    cast.__name__ = cast.__qualname__ = {"float32": "float", "float64": "double", "float16": "half",
                                         "int64": "long", "int32": "int", "bool_": "bool"}[dtype_name]
    cast.__doc__ = f"This tensor as {dtype_name.rstrip('_')} (itself when it already is)."
    return cast


METHODS = {
    "to": to, "type": type_, "cpu": cpu, "cuda": cuda,
    "float": _caster("float32"), "double": _caster("float64"), "half": _caster("float16"),
    "long": _caster("int64"), "int": _caster("int32"), "bool": _caster("bool_"),
}
