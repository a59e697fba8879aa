"""Whole-tensor comparisons: isclose, allclose, equal (no gradients), as in torch."""
from __future__ import annotations

from .. import backend
from ..tensor import Tensor


def _pair(input, other, op):
    if not isinstance(input, Tensor) or not isinstance(other, Tensor):
        raise TypeError(f"{op}: expected two tensors, got {type(input).__name__} and {type(other).__name__}")
    if input.device != other.device:
        raise RuntimeError(f"{op}: tensors on different devices, {input.device} and {other.device}")
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


METHODS = {"isclose": isclose, "allclose": allclose, "equal": equal}
