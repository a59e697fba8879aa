"""Comparisons and predicates, none differentiable: ``==``/``<``/... (bool tensors),
isnan/isinf/isfinite/sign/logical_not, and isclose, allclose, equal, as in torch."""
from __future__ import annotations

from .. import backend
from ..tensor import Tensor
from .elementwise import operands


# ---------------------------------------------------------------------------- comparisons
def _compare(ufunc_name):
    def compare(a, b):
        a, b = operands(a, b)
        t = a if isinstance(a, Tensor) else b
        xa = a.array if isinstance(a, Tensor) else a
        xb = b.array if isinstance(b, Tensor) else b
        if isinstance(a, Tensor) and isinstance(b, Tensor) and a.device != b.device:
            raise backend.device_mismatch(ufunc_name, a.device, b.device)
        try:
            out = getattr(t.xp, ufunc_name)(xa, xb)
        except ValueError as e:
            raise ValueError(f"{ufunc_name}: incompatible shapes {getattr(xa, 'shape', ())} and {getattr(xb, 'shape', ())}: {e}") from None
        return Tensor._make(backend.as_array(out), False, None)

    compare.__name__ = ufunc_name
    compare.__doc__ = f"Elementwise ``{ufunc_name}``; a bool tensor with no gradient."
    return compare


eq, ne, lt, le, gt, ge = (_compare(n) for n in ("equal", "not_equal", "less", "less_equal", "greater", "greater_equal"))


def logical_not(x):
    return Tensor._make(backend.as_array(x.xp.logical_not(x.array)), False, None)


def isnan(x):
    return Tensor._make(backend.as_array(x.xp.isnan(x.array)), False, None)


def isinf(x):
    return Tensor._make(backend.as_array(x.xp.isinf(x.array)), False, None)


def isfinite(x):
    return Tensor._make(backend.as_array(x.xp.isfinite(x.array)), False, None)


def sign(x):
    return Tensor._make(backend.as_array(x.xp.sign(x.array)), False, None)


def _pair(input, other, op):
    if not isinstance(input, Tensor) or not isinstance(other, Tensor):
        raise TypeError(f"{op}: expected two tensors, got {type(input).__name__} and {type(other).__name__}")
    if input.device != other.device:
        raise backend.device_mismatch(op, input.device, other.device)
    if input.array.dtype != other.array.dtype:
        raise TypeError(f"{op}: dtypes differ ({input.dtype} and {other.dtype}); convert one with .to(dtype)")
    return input.array, other.array


def isclose(input, other, rtol=1e-05, atol=1e-08, equal_nan=False):
    """Elementwise ``|input - other| <= atol + rtol * |other|`` (equal infinities are close)."""
    a, b = _pair(input, other, "isclose")
    xp = input.xp
    try:
        with backend.ignore_float_errors(xp):
            out = xp.isclose(a, b, rtol=rtol, atol=atol, equal_nan=equal_nan)
    except ValueError:
        raise ValueError(f"isclose: shapes {tuple(a.shape)} and {tuple(b.shape)} do not broadcast") from None
    return Tensor._make(backend.as_array(out), False, None)


def allclose(input, other, rtol=1e-05, atol=1e-08, equal_nan=False) -> bool:
    """True when every element of `input` is close to `other`'s (see `isclose`)."""
    return bool(isclose(input, other, rtol, atol, equal_nan).array.all())


def equal(input, other) -> bool:
    """True when both tensors have the same shape and the same values."""
    if not isinstance(input, Tensor) or not isinstance(other, Tensor):
        raise TypeError(f"equal: expected two tensors, got {type(input).__name__} and {type(other).__name__}")
    if input.device != other.device:
        raise RuntimeError(f"equal: tensors on different devices, {input.device} and {other.device}")
    return input.array.shape == other.array.shape and bool((input.array == other.array).all())


METHODS = {
    "isclose": isclose, "allclose": allclose, "equal": equal, "__eq__": eq, "__ne__": ne, "__lt__": lt, "__le__": le, "__gt__": gt, "__ge__": ge,
    "__invert__": logical_not, "eq": eq, "ne": ne, "lt": lt, "le": le, "gt": gt, "ge": ge,
    "isnan": isnan, "isinf": isinf, "isfinite": isfinite, "sign": sign, "logical_not": logical_not,
}
