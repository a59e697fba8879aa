"""Reductions: sum, mean, max/min, var/std, logsumexp, softmax, log_softmax, argmax.

`dim` is an int, a tuple of ints or None (all dimensions); `keepdim` keeps reduced
dimensions as size 1, as in torch. softmax, log_softmax and logsumexp are fused
primitives: subtracting the max makes them stable for inputs of any size, and their
backward is one expression instead of a chain of nodes.
"""
from __future__ import annotations

import builtins
from collections import namedtuple

from .. import backend
from ..autograd import Op
from ..tensor import Tensor
from .elementwise import _float_input, maximum, minimum

ValuesIndices = namedtuple("ValuesIndices", ["values", "indices"])


def normalize_dims(dim, ndim, op):
    """`dim` as a sorted tuple of non-negative axes (None for all), checking the range."""
    if dim is None:
        return None
    dims = dim if isinstance(dim, (tuple, list)) else (dim,)
    out = []
    for d in dims:
        if not isinstance(d, int) or isinstance(d, bool):
            raise TypeError(f"{op}: dim must be an int or a tuple of ints, got {dim!r}")
        n = builtins.max(ndim, 1)
        if not -n <= d < n:
            raise IndexError(f"{op}: dim {d} is out of range for a tensor with {ndim} dimensions")
        out.append(d % n if ndim else 0)
    if len(set(out)) != len(out):
        raise ValueError(f"{op}: dim {dim!r} names a dimension twice")
    return tuple(sorted(out)) if ndim else None


def _all_if_empty(dim):
    """torch's rule for sum/mean/amax/var/...: ``dim=[]`` or ``()`` reduces every dimension."""
    return None if isinstance(dim, (tuple, list)) and len(dim) == 0 else dim


def _expand_back(g, shape, axes, keepdim, xp):
    """Broadcast a reduced gradient back to the input's shape."""
    if axes is not None and not keepdim:
        g = xp.expand_dims(g, axes)
    elif axes is None and not keepdim:
        g = g.reshape((1,) * len(shape))
    return g


class Sum(Op):
    backward_returns_tuple = False

    def forward(self, x, axes, keepdim):
        self.meta = (x.shape, axes, keepdim)
        return x.sum(axis=axes, keepdims=keepdim)

    def backward(self, g):
        shape, axes, keepdim = self.meta
        xp = backend.array_module(g)
        return xp.broadcast_to(_expand_back(g, shape, axes, keepdim, xp), shape)


class Mean(Op):
    backward_returns_tuple = False

    def forward(self, x, axes, keepdim):
        self.meta = (x.shape, axes, keepdim)
        out = x.mean(axis=axes, keepdims=keepdim)
        self.count = x.size // builtins.max(out.size, 1) if x.size else 0
        return out

    def backward(self, g):
        shape, axes, keepdim = self.meta
        xp = backend.array_module(g)
        return xp.broadcast_to(_expand_back(g / self.count, shape, axes, keepdim, xp), shape)


class MaxReduce(Op):
    """max/min over some (or all) dims; ties share the gradient evenly (as torch's amax)."""

    backward_returns_tuple = False
    saves_inputs = (0,)

    def forward(self, x, axes, keepdim, largest):
        if x.size == 0:
            raise RuntimeError("max/min of an empty tensor has no value")
        out = x.max(axis=axes, keepdims=True) if largest else x.min(axis=axes, keepdims=True)
        self.saved = (x, out)
        self.meta = (axes, keepdim)
        if keepdim:
            return out
        return out.reshape(()) if axes is None else backend.array_module(x).squeeze(out, axes)

    def backward(self, g):
        x, out = self.saved
        axes, keepdim = self.meta
        xp = backend.array_module(g)
        mask = x == out
        share = _expand_back(g, x.shape, axes, keepdim, xp) / mask.sum(axis=axes, keepdims=True)
        return mask * share.astype(x.dtype, copy=False)


class MaxDim(Op):
    """Values of max/min along one dim; the gradient goes to the chosen index."""

    backward_returns_tuple = False

    def forward(self, x, axis, keepdim, largest):
        xp = backend.array_module(x)
        idx = xp.expand_dims((x.argmax if largest else x.argmin)(axis=axis), axis)
        values = xp.take_along_axis(x, idx, axis=axis)
        self.saved = (idx,)
        self.meta = (x.shape, axis, keepdim)
        self.indices = idx if keepdim else xp.squeeze(idx, axis)
        return values if keepdim else xp.squeeze(values, axis)

    def backward(self, g):
        (idx,) = self.saved
        shape, axis, keepdim = self.meta
        xp = backend.array_module(g)
        if not keepdim:
            g = xp.expand_dims(g, axis)
        positions = xp.arange(shape[axis]).reshape((-1,) + (1,) * (len(shape) - axis - 1))
        return (positions == idx) * g


class Var(Op):
    backward_returns_tuple = False
    saves_inputs = (0,)

    def forward(self, x, axes, correction, keepdim):
        unit, scale = self._scaled(x, axes, correction, keepdim)
        with backend.ignore_float_errors(backend.array_module(x)):
            return unit * scale * scale  # not scale * scale: that alone may overflow

    def _scaled(self, x, axes, correction, keepdim):
        """(var of (x - mean) / scale, scale): a power-of-two scale keeps the squares from
        overflowing float32 above ~1.8e19 and is exact, so ordinary inputs give numpy's bits."""
        xp = backend.array_module(x)
        with backend.ignore_float_errors(xp):
            mean = x.mean(axis=axes, keepdims=True)
            n = x.size // builtins.max(mean.size, 1)
            self.saved = (x, mean)
            self.meta = (axes, keepdim, n - correction)
            d = x - mean
            big = xp.abs(d).max(axis=axes, keepdims=True) if d.size else xp.ones_like(mean)
            scale = xp.ldexp(xp.ones_like(big), xp.frexp(big)[1])  # 1 for 0, inf and NaN
            q = d / scale
            unit = (q * q).sum(axis=axes, keepdims=keepdim) / builtins.max(n - correction, 0)
        return unit, (scale if keepdim else scale.reshape(unit.shape))

    def backward(self, g):
        x, mean = self.saved[:2]
        axes, keepdim, dof = self.meta
        xp = backend.array_module(g)
        g = _expand_back(g, x.shape, axes, keepdim, xp)
        with backend.ignore_float_errors(xp):
            return (2 / dof) * (x - mean) * g if dof > 0 else (x - mean) * (g * xp.inf)


class Std(Var):
    """sqrt(var) in one node: where the std is 0 its gradient is 0, not NaN (as torch)."""

    saves_output = True

    def forward(self, x, axes, correction, keepdim):
        xp = backend.array_module(x)
        unit, scale = self._scaled(x, axes, correction, keepdim)
        with backend.ignore_float_errors(xp):
            out = backend.as_array(xp.sqrt(unit) * scale)
        self.saved += (out,)
        return out

    def backward(self, g):
        out = self.saved[2]
        xp = backend.array_module(g)
        with backend.ignore_float_errors(xp):
            g = xp.where(out == 0, 0, g / (2 * out))
        return super().backward(g)


def _stable_max(x, axes, xp):
    """Max along `axes` (kept), with non-finite maxima replaced by 0 so x - m is safe."""
    m = x.max(axis=axes, keepdims=True)
    return xp.where(xp.isfinite(m), m, 0)


class LogSumExp(Op):
    backward_returns_tuple = False
    saves_inputs = (0,)

    def forward(self, x, axes, keepdim):
        xp = backend.array_module(x)
        m = _stable_max(x, axes, xp)
        with backend.ignore_float_errors(xp):
            out = xp.log(xp.exp(x - m).sum(axis=axes, keepdims=True)) + m
        self.saved = (x, out)
        self.meta = (axes, keepdim)
        return out if keepdim else (out.reshape(()) if axes is None else xp.squeeze(out, axes))

    def backward(self, g):
        x, out = self.saved
        axes, keepdim = self.meta
        xp = backend.array_module(g)
        return _expand_back(g, x.shape, axes, keepdim, xp) * xp.exp(x - out)


class Softmax(Op):
    backward_returns_tuple = False
    saves_output = True

    def forward(self, x, axis):
        xp = backend.array_module(x)
        e = xp.exp(x - _stable_max(x, axis, xp))
        e /= e.sum(axis=axis, keepdims=True)
        self.saved = (e,)
        self.axis = axis
        return e

    def backward(self, g):
        (y,) = self.saved
        return y * (g - (g * y).sum(axis=self.axis, keepdims=True))


class LogSoftmax(Op):
    backward_returns_tuple = False
    saves_output = True

    def forward(self, x, axis):
        xp = backend.array_module(x)
        shifted = x - _stable_max(x, axis, xp)
        out = shifted - xp.log(xp.exp(shifted).sum(axis=axis, keepdims=True))
        self.saved = (out,)
        self.axis = axis
        return out

    def backward(self, g):
        (y,) = self.saved
        xp = backend.array_module(g)
        return g - xp.exp(y) * g.sum(axis=self.axis, keepdims=True)


# ---------------------------------------------------------------------------- front ends
def sum(x, dim=None, keepdim=False, dtype=None):
    """Sum over `dim` (all dims by default). Bools and integers sum to int64, as torch."""
    axes = normalize_dims(_all_if_empty(dim), x.ndim, "sum")
    if dtype is not None:
        x = x.type(dtype)
    elif x.array.dtype.kind in "bui" and x.array.dtype != backend.int64:
        x = x.type(backend.int64)
    return Sum.apply(x, axes=axes, keepdim=keepdim)


def mean(x, dim=None, keepdim=False, dtype=None):
    """Arithmetic mean over `dim` (all dims by default)."""
    axes = normalize_dims(_all_if_empty(dim), x.ndim, "mean")
    if dtype is not None:
        x = x.type(dtype)
    elif x.array.dtype.kind != "f":
        raise TypeError(f"mean: input dtype should be floating point, got {x.dtype}; call .float() first")
    return Mean.apply(x, axes=axes, keepdim=keepdim)


def _max_or_min(x, dim, keepdim, largest):
    op = "max" if largest else "min"
    if isinstance(dim, Tensor):  # x.max(other) is elementwise, as in torch
        return (maximum if largest else minimum)(x, dim)
    if dim is None:
        return MaxReduce.apply(x, axes=None, keepdim=False, largest=largest)
    if isinstance(dim, (tuple, list)):
        raise TypeError(f"{op}: dim must be a single int (as torch); use amax/amin for several")
    (axis,) = normalize_dims(dim, x.ndim, op) or (0,)
    if x.ndim == 0:
        return ValuesIndices(x, Tensor._make(x.xp.zeros((), backend.int64), False, None))
    if x.shape[axis] == 0:
        raise IndexError(f"{op}: cannot reduce over dim {dim} of size 0")
    values = MaxDim.apply(x, axis=axis, keepdim=keepdim, largest=largest)
    node = values.grad_fn
    indices = _last_indices(x, axis, keepdim, largest) if node is None else node.indices
    return ValuesIndices(values, Tensor._make(indices.astype(backend.int64, copy=False), False, None))


def _last_indices(x, axis, keepdim, largest):
    idx = (x.array.argmax if largest else x.array.argmin)(axis=axis)
    return x.xp.expand_dims(idx, axis) if keepdim else idx


def max(x, dim=None, keepdim=False):
    """Largest value: a 0-d tensor, or ``(values, indices)`` along `dim`; or max(x, other)."""
    return _max_or_min(x, dim, keepdim, True)


def min(x, dim=None, keepdim=False):
    """Smallest value: a 0-d tensor, or ``(values, indices)`` along `dim`; or min(x, other)."""
    return _max_or_min(x, dim, keepdim, False)


def amax(x, dim=None, keepdim=False):
    """Max over one or several dims (values only; ties share the gradient)."""
    return MaxReduce.apply(x, axes=normalize_dims(_all_if_empty(dim), x.ndim, "amax"), keepdim=keepdim, largest=True)


def amin(x, dim=None, keepdim=False):
    """Min over one or several dims (values only; ties share the gradient)."""
    return MaxReduce.apply(x, axes=normalize_dims(_all_if_empty(dim), x.ndim, "amin"), keepdim=keepdim, largest=False)


def var(x, dim=None, unbiased=None, keepdim=False, correction=None):
    """Variance; `correction` (or ``unbiased``) subtracts from the count, default 1 (Bessel)."""
    return _spread(Var, "var", x, dim, unbiased, keepdim, correction)


def std(x, dim=None, unbiased=None, keepdim=False, correction=None):
    """Standard deviation: the square root of ``var(...)``."""
    return _spread(Std, "std", x, dim, unbiased, keepdim, correction)


def _spread(cls, op, x, dim, unbiased, keepdim, correction):
    if correction is None:
        correction = 1 if unbiased is None else int(bool(unbiased))
    axes = normalize_dims(_all_if_empty(dim), x.ndim, op)
    return cls.apply(_float_input(x), axes=axes, correction=correction, keepdim=keepdim)


def logsumexp(x, dim=None, keepdim=False):
    """log(sum(exp(x))) along `dim`, stable for huge inputs (the max is factored out)."""
    axes = normalize_dims(_all_if_empty(dim), x.ndim, "logsumexp")
    return LogSumExp.apply(_float_input(x), axes=axes, keepdim=keepdim)


def _one_axis(x, dim, op):
    dims = normalize_dims(dim, x.ndim, op)
    return dims[0] if dims else None


def softmax(x, dim=-1):
    """exp(x) / sum(exp(x)) along `dim`, computed stably."""
    return Softmax.apply(_float_input(x), axis=_one_axis(x, dim, "softmax"))


def log_softmax(x, dim=-1):
    """x - logsumexp(x) along `dim`, computed stably."""
    return LogSoftmax.apply(_float_input(x), axis=_one_axis(x, dim, "log_softmax"))


def argmax(x, dim=None, keepdim=False):
    """Index of the largest value (of the flattened tensor when `dim` is None)."""
    return _arg(x, dim, keepdim, True)


def argmin(x, dim=None, keepdim=False):
    """Index of the smallest value (of the flattened tensor when `dim` is None)."""
    return _arg(x, dim, keepdim, False)


def _arg(x, dim, keepdim, largest):
    op = "argmax" if largest else "argmin"
    if dim is None and x.array.size == 0:
        raise IndexError(f"{op}: an empty tensor of shape {tuple(x.shape)} has no {op}; specify dim")
    if dim is None:
        out = (x.array.argmax if largest else x.array.argmin)()
        if keepdim:
            out = x.xp.asarray(out).reshape((1,) * x.ndim)
    else:
        (axis,) = normalize_dims(dim, x.ndim, op) or (0,)
        if x.ndim and x.shape[axis] == 0:
            raise IndexError(f"{op}: cannot reduce over dim {dim} of size 0 (shape {tuple(x.shape)})")
        out = _last_indices(x, axis, keepdim, largest) if x.ndim else x.xp.zeros((), backend.int64)
    return Tensor._make(backend.as_array(x.xp.asarray(out).astype(backend.int64, copy=False)), False, None)


def any(x, dim=None, keepdim=False):
    axes = normalize_dims(dim, x.ndim, "any")
    return Tensor._make(backend.as_array(x.array.any(axis=axes, keepdims=keepdim)), False, None)


def all(x, dim=None, keepdim=False):
    axes = normalize_dims(dim, x.ndim, "all")
    return Tensor._make(backend.as_array(x.array.all(axis=axes, keepdims=keepdim)), False, None)


METHODS = {
    "sum": sum, "mean": mean, "max": max, "min": min, "amax": amax, "amin": amin, "var": var, "std": std,
    "logsumexp": logsumexp, "softmax": softmax, "log_softmax": log_softmax,
    "argmax": argmax, "argmin": argmin, "any": any, "all": all,
}
