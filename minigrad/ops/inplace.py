"""In-place updates (``add_``, ``mul_``, ``copy_``, ``__setitem__``, ``+=``, ...).

PyTorch's rule: outside the graph (under ``no_grad``, or when nothing involved requires
grad) an in-place op writes straight into the tensor's array and bumps its version.
Inside the graph it is recorded: the tensor's history moves on to a node that computes
the new values from the old ones, so its gradient stays right, and the version bump makes
backward refuse any node that saved the old values. Only a leaf that requires grad is
refused outright (its ``.grad`` would have no meaning): update it under ``no_grad``.
"""
from __future__ import annotations

from .. import backend
from ..autograd import Op
from ..grad_mode import grad_enabled
from ..tensor import Tensor
from .elementwise import clamp
from .shape import _describe, normalize_index


# ---------------------------------------------------------------------------- primitives
class Fill(Op):
    """Every element set to one number: the old values get no gradient."""

    def forward(self, x, value):
        return backend.array_module(x).full_like(x, value)

    def backward(self, g):
        return backend.array_module(g).zeros_like(g)


class Copy(Op):
    """x's values replaced by src's (broadcast to x's shape, cast to x's dtype)."""

    def forward(self, x, src):
        return backend.array_module(x).broadcast_to(src, x.shape).astype(x.dtype)

    def backward(self, g):
        return backend.array_module(g).zeros_like(g), g


class SetItem(Op):
    """x with ``x[index] = value``: the written places take their gradient from value."""

    def forward(self, x, value, index):
        self.index = index
        out = x.copy()
        out[index] = value
        return out

    def backward(self, g):
        gx = g.copy()
        gx[self.index] = 0
        return gx, g[self.index]


# ---------------------------------------------------------------------------- the rule
def _watched(self, *others) -> bool:
    """Whether this in-place op must be recorded in the graph."""
    if not grad_enabled():
        return False
    return self.requires_grad or any(isinstance(o, Tensor) and o.requires_grad for o in others)


def _record(self, what, compute):
    """Make `self` hold ``compute(old self)``, recorded as the next node of its history."""
    if self.grad_fn is None and self.requires_grad:
        raise RuntimeError(
            f"{what}: a leaf tensor that requires grad is being used in an in-place operation; "
            "wrap the update in `with mg.no_grad():` (e.g. a manual SGD step) or work on a "
            "copy (x.clone())"
        )
    # the old values as a node input of their own: nodes may save them, and self's array
    # is about to be overwritten
    before = Tensor._make(self.array.copy(), self.requires_grad, self.grad_fn)
    result = compute(before)
    _check_result(self, what, result.array)
    self.array[...] = result.array
    self.grad_fn, self.requires_grad = result.grad_fn, result.requires_grad
    self._bump_version()
    return self


def _check_result(self, what, result):
    if result.shape != self.array.shape:
        raise RuntimeError(
            f"{what}: the result has shape {tuple(result.shape)}, which does not fit the "
            f"in-place target of shape {tuple(self.shape)}"
        )
    if result.dtype != self.array.dtype and not backend.np.can_cast(result.dtype, self.array.dtype, "same_kind"):
        raise RuntimeError(f"{what}: result type {result.dtype} can't be cast to the tensor's dtype {self.dtype}")


def _operand(self, what, other):
    """The array (or number) to combine with `self` in a write straight into its array."""
    if isinstance(other, Tensor):
        if other.device != self.device:
            raise backend.device_mismatch(what, self.device, other.device)
        return other.array
    if isinstance(other, (int, float, bool)):
        return other
    return backend.asarray(other, None, self.device)


def _write(self, what, ufunc, other):
    """``self.array = ufunc(self.array, other)`` in place, with torch's errors."""
    o = _operand(self, what, other)
    try:
        ufunc(self.array, o, out=self.array, casting="same_kind")
    except ValueError:
        raise RuntimeError(
            f"{what}: operand of shape {tuple(getattr(o, 'shape', ()))} doesn't broadcast to the "
            f"in-place target of shape {tuple(self.shape)}"
        ) from None
    except TypeError:  # NumPy's UFuncTypeError: e.g. a float result into an int tensor
        raise RuntimeError(
            f"{what}: result type {backend.np.result_type(self.array, o)} can't be cast to the "
            f"tensor's dtype {self.dtype}"
        ) from None
    self._bump_version()
    return self


# ---------------------------------------------------------------------------- methods
def add_(self, other, alpha=1):
    """``self += alpha * other`` in place."""
    if _watched(self, other):
        return _record(self, "add_", lambda x: x + (other * alpha if alpha != 1 else other))
    if alpha != 1:
        other = _operand(self, "add_", other) * alpha
    return _write(self, "add_", self.xp.add, other)


def sub_(self, other, alpha=1):
    """``self -= alpha * other`` in place."""
    return add_(self, other, -alpha)


def mul_(self, other):
    """``self *= other`` in place."""
    if _watched(self, other):
        return _record(self, "mul_", lambda x: x * other)
    return _write(self, "mul_", self.xp.multiply, other)


def div_(self, other):
    """``self /= other`` in place."""
    if _watched(self, other):
        return _record(self, "div_", lambda x: x / other)
    if self.array.dtype.kind in "iub":
        raise RuntimeError(f"div_: result type float can't be cast to the tensor's dtype {self.dtype}")
    return _write(self, "div_", self.xp.true_divide, other)


def clamp_(self, min=None, max=None):
    """Clamp to [min, max] in place."""
    if _watched(self, min, max):
        return _record(self, "clamp_", lambda x: clamp(x, min, max))
    out = clamp(Tensor._make(self.array, False, None), min, max)
    self.array[...] = out.array
    self._bump_version()
    return self


def fill_(self, value):
    """Set every element to `value` (a number or a one-element tensor) in place."""
    if isinstance(value, Tensor):
        if value.array.size != 1:
            raise RuntimeError(f"fill_: only a one-element tensor can fill, got shape {tuple(value.shape)}")
        value = value.item()
    if not isinstance(value, (int, float, bool)):
        raise TypeError(f"fill_: value must be a number, got {type(value).__name__}")
    if _watched(self):
        return _record(self, "fill_", lambda x: Fill.apply(x, value))
    self.array.fill(value)
    self._bump_version()
    return self


def zero_(self):
    """Set every element to 0 in place."""
    return fill_(self, 0)


def copy_(self, src, non_blocking=False):
    """Copy `src`'s values into this tensor (broadcasting, across devices and dtypes)."""
    if not isinstance(src, Tensor):
        src = Tensor(src, device=self.device)
    if _watched(self, src):
        return _record(self, "copy_", lambda x: Copy.apply(x, src.to(self.device)))
    data = backend.to_device(src.array, self.device)
    try:
        self.xp.copyto(self.array, data, casting="unsafe")
    except ValueError:
        raise RuntimeError(
            f"copy_: the source of shape {tuple(data.shape)} doesn't broadcast to the target of "
            f"shape {tuple(self.shape)}"
        ) from None
    self._bump_version()
    return self


def setitem(self, index, value):
    """``self[index] = value``; recorded in the graph when value or self requires grad."""
    index = normalize_index(index, self.xp, self.array)
    if _watched(self, value):
        if not isinstance(value, Tensor):
            value = Tensor(value, dtype=self.dtype, device=self.device)
        return _record(self, "__setitem__", lambda x: SetItem.apply(x, value, index=index))
    if isinstance(value, Tensor):
        if value.device != self.device:
            raise backend.device_mismatch("__setitem__", self.device, value.device)
        value = value.array
    try:
        self.array[index] = value
    except IndexError as e:
        raise IndexError(f"index {_describe(index)} is invalid for a tensor of shape {tuple(self.shape)}: {e}") from None
    except (ValueError, TypeError) as e:
        raise ValueError(
            f"__setitem__: can't assign a value of shape {tuple(getattr(value, 'shape', ()))} to "
            f"index {_describe(index)} of a tensor of shape {tuple(self.shape)}: {e}"
        ) from None
    self._bump_version()


def _setitem_method(self, index, value):
    setitem(self, index, value)


METHODS = {
    "add_": add_, "sub_": sub_, "mul_": mul_, "div_": div_, "clamp_": clamp_, "clip_": clamp_,
    "fill_": fill_, "zero_": zero_, "copy_": copy_, "__setitem__": _setitem_method,
    "__iadd__": add_, "__isub__": sub_, "__imul__": mul_, "__itruediv__": div_,
}
# Unwatched tensors are written directly (no Op): run those writes on the tensor's GPU too.
METHODS = {name: backend.runs_on_own_device(fn) for name, fn in METHODS.items()}
