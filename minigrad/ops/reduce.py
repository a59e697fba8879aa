"""Reductions: sum, mean, max/min, var/std, norm, logsumexp, softmax, log_softmax, argmax.

`dim` is an int, a tuple (or list) of ints or None (all dimensions); `keepdim` keeps
reduced dimensions as size 1, as in torch, which also accepts NumPy's spellings `axis=`
and `keepdims=` for them. softmax, log_softmax and logsumexp are fused
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


def _alias(op, dim, keepdim, axis, keepdims):
    """torch accepts NumPy's ``axis=``/``keepdims=`` as other names of ``dim``/``keepdim``.

    Front ends call this only when one of them is given, keeping it off the common path.
    """
    if axis is not None:
        if dim is not None:
            raise TypeError(f"{op}: got both dim={dim!r} and its alias axis={axis!r}")
        dim = axis
    return dim, (keepdim if keepdims is None else keepdims)


# NumPy adds along a reduced axis that is not the innermost in memory one row at a time
# (no pairwise summation), so a float32 mean over 182,625 rows drifts by ~N*eps (60x
# torch's error). From this many reduced elements on, such sums are done in blocks of
# _BLOCK rows, then blocks of block sums, ...: the error grows like _BLOCK * log(N), as
# torch's cascade sum (the same error, measured), and the (N/16, 16, C) layout is no
# slower than NumPy's own loop. Several strided axes at once, or float16, accumulate in a
# wider dtype instead.
_STRIDED_MIN = 1024
_BLOCK = 16


def _strided(x, axes):
    """True where NumPy would sum `x` over `axes` row by row and lose accuracy.

    Callers test ``axes is not None and x.size >= _STRIDED_MIN`` first (no call at all
    for small tensors and full reductions).
    """
    shape = x.shape
    count = 1
    for a in axes:
        count *= shape[a]
    if count < _STRIDED_MIN or x.dtype.kind != "f":
        return False
    # NumPy's pairwise inner loop runs over the smallest-stride axis
    strides = x.strides
    inner = builtins.min(range(x.ndim), key=lambda a: abs(strides[a]) if shape[a] > 1 else 1 << 62)
    return inner not in axes


def _accurate_sum(x, axes, keepdim):
    """``x.sum(axes)`` for a strided reduction (see `_strided`), in x's dtype."""
    xp = backend.array_module(x)
    if len(axes) > 1 or x.dtype.itemsize < 4:
        wide = backend.float64 if x.dtype.itemsize >= 4 else backend.float32
        return x.sum(axis=axes, keepdims=keepdim, dtype=wide).astype(x.dtype)
    (axis,) = axes
    rows = xp.moveaxis(x, axis, 0)  # a view: the reduced axis first
    tails = None
    while rows.shape[0] > _BLOCK:
        n = rows.shape[0]
        m = n - n % _BLOCK
        if m < n:
            tail = rows[m:].sum(axis=0)
            tails = tail if tails is None else tails + tail
        rows = rows[:m].reshape((m // _BLOCK, _BLOCK) + rows.shape[1:]).sum(axis=1)
    out = rows.sum(axis=0)
    if tails is not None:
        out = out + tails
    return xp.expand_dims(out, axis) if keepdim else out


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
    def forward(self, x, axes, keepdim):
        self.meta = (x.shape, axes, keepdim)
        if axes is not None and x.size >= _STRIDED_MIN and _strided(x, axes):
            return _accurate_sum(x, axes, keepdim)
        return x.sum(axis=axes, keepdims=keepdim)

    def backward(self, g):
        shape, axes, keepdim = self.meta
        xp = backend.array_module(g)
        return xp.broadcast_to(_expand_back(g, shape, axes, keepdim, xp), shape)


class Mean(Op):
    def forward(self, x, axes, keepdim):
        self.meta = (x.shape, axes, keepdim)
        if axes is not None and x.size >= _STRIDED_MIN and _strided(x, axes):
            out = _accurate_sum(x, axes, keepdim)
            out /= x.dtype.type(x.size // builtins.max(out.size, 1))
        else:
            out = x.mean(axis=axes, keepdims=keepdim)
        self.count = x.size // builtins.max(out.size, 1) if x.size else 0
        return out

    def backward(self, g):
        shape, axes, keepdim = self.meta
        xp = backend.array_module(g)
        return xp.broadcast_to(_expand_back(g / self.count, shape, axes, keepdim, xp), shape)


class MaxReduce(Op):
    """max/min over some (or all) dims; ties share the gradient evenly (as torch's amax)."""

    def forward(self, x, axes, keepdim, largest):
        if x.size == 0:
            raise RuntimeError("max/min of an empty tensor has no value")
        out = x.max(axis=axes, keepdims=True) if largest else x.min(axis=axes, keepdims=True)
        self.save_for_backward(x, out)
        self.meta = (axes, keepdim)
        self.largest = largest
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

    def forward(self, x, axis, keepdim, largest):
        xp = backend.array_module(x)
        idx = xp.expand_dims((x.argmax if largest else x.argmin)(axis=axis), axis)
        values = xp.take_along_axis(x, idx, axis=axis)
        self.save_for_backward(idx)
        self.meta = (x.shape, axis, keepdim)
        self.indices = idx if keepdim else xp.squeeze(idx, axis)
        self.largest = largest
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
    def forward(self, x, axes, correction, keepdim):
        unit, scale = self._scaled(x, axes, correction, keepdim)
        with backend.ignore_float_errors(backend.array_module(x)):
            return unit * scale * scale  # not scale * scale: that alone may overflow

    def _scaled(self, x, axes, correction, keepdim):
        """(var of (x - mean) / scale, scale): a power-of-two scale keeps the squares from
        overflowing float32 above ~1.8e19 and is exact, so ordinary inputs give numpy's bits."""
        xp = backend.array_module(x)
        # long strided axes: both passes take the accurate blocked sum (see _strided)
        strided = axes is not None and x.size >= _STRIDED_MIN and _strided(x, axes)
        with backend.ignore_float_errors(xp):
            if strided:
                mean = _accurate_sum(x, axes, True)
                mean /= x.dtype.type(x.size // builtins.max(mean.size, 1))
            else:
                mean = x.mean(axis=axes, keepdims=True)
            n = x.size // builtins.max(mean.size, 1)
            self.save_for_backward(x, mean)
            self.meta = (axes, keepdim, n - correction)
            d = x - mean
            big = xp.abs(d).max(axis=axes, keepdims=True) if d.size else xp.ones_like(mean)
            scale = xp.ldexp(xp.ones_like(big), xp.frexp(big)[1])  # 1 for 0, inf and NaN
            q = d / scale
            q *= q
            total = _accurate_sum(q, axes, keepdim) if strided else q.sum(axis=axes, keepdims=keepdim)
            unit = total / builtins.max(n - correction, 0)
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

    def forward(self, x, axes, correction, keepdim):
        xp = backend.array_module(x)
        unit, scale = self._scaled(x, axes, correction, keepdim)
        with backend.ignore_float_errors(xp):
            out = backend.as_array(xp.sqrt(unit) * scale)
        self.save_for_backward(*self.saved, out)
        return out

    def backward(self, g):
        out = self.saved[2]
        xp = backend.array_module(g)
        with backend.ignore_float_errors(xp):
            g = xp.where(out == 0, 0, g / (2 * out))
        return super().backward(g)


class Norm(Op):
    """Vector p-norm over `axes` (torch.linalg.vector_norm), with torch's gradients.

    The gradient is 0 (not NaN) where the norm is 0, and for p = +-inf it is shared
    evenly by the elements that reach the max (min) |x|, as in torch's norm_backward.
    """

    def forward(self, x, p, axes, keepdim):
        xp = backend.array_module(x)
        a = xp.abs(x)
        if p == float("inf"):
            out = a.max(axis=axes, keepdims=True)
        elif p == float("-inf"):
            out = a.min(axis=axes, keepdims=True)
        elif p == 0:
            out = (x != 0).sum(axis=axes, keepdims=True).astype(x.dtype)
        elif p == 1:
            out = a.sum(axis=axes, keepdims=True)
        elif p == 2:
            out = xp.sqrt((x * x).sum(axis=axes, keepdims=True))
        else:
            with backend.ignore_float_errors(xp):
                out = (a ** p).sum(axis=axes, keepdims=True) ** (1.0 / p)
        self.save_for_backward(x, out)
        self.meta = (p, axes, keepdim)
        if keepdim:
            return out
        return out.reshape(()) if axes is None else xp.squeeze(out, axes)

    def backward(self, g):
        x, norm = self.saved
        p, axes, keepdim = self.meta
        xp = backend.array_module(g)
        g = _expand_back(g, x.shape, axes, keepdim, xp)
        with backend.ignore_float_errors(xp):
            if p == 0:
                return xp.zeros_like(x)
            if p == 1:
                return xp.sign(x) * g
            if p == 2:
                return g * xp.where(norm == 0, 0, x / norm)
            if p in (float("inf"), float("-inf")):
                a = xp.abs(x)
                mask = (a == norm) | xp.isnan(a)
                return xp.sign(x) * (g / mask.sum(axis=axes, keepdims=True) * mask)
            a = xp.abs(x)
            if p < 1:
                scaled = xp.where(x == 0, 0, xp.sign(x) * a ** (p - 1))
                return scaled * g * norm ** (1 - p)
            scaled = xp.sign(x) * a ** (p - 1) if p < 2 else x * a ** (p - 2)
            return scaled * xp.where(norm == 0, 0, g / norm ** (p - 1))


def _stable_max(x, axes, xp):
    """Max along `axes` (kept), with non-finite maxima replaced by 0 so x - m is safe."""
    m = x.max(axis=axes, keepdims=True)
    return xp.where(xp.isfinite(m), m, 0)


class LogSumExp(Op):
    def forward(self, x, axes, keepdim):
        xp = backend.array_module(x)
        m = _stable_max(x, axes, xp)
        with backend.ignore_float_errors(xp):
            out = xp.log(xp.exp(x - m).sum(axis=axes, keepdims=True)) + m
        self.save_for_backward(x, out)
        self.meta = (axes, keepdim)
        return out if keepdim else (out.reshape(()) if axes is None else xp.squeeze(out, axes))

    def backward(self, g):
        x, out = self.saved
        axes, keepdim = self.meta
        xp = backend.array_module(g)
        return _expand_back(g, x.shape, axes, keepdim, xp) * xp.exp(x - out)


class Softmax(Op):
    def forward(self, x, axis):
        xp = backend.array_module(x)
        e = xp.exp(x - _stable_max(x, axis, xp))
        e /= e.sum(axis=axis, keepdims=True)
        self.save_for_backward(e)
        self.axis = axis
        return e

    def backward(self, g):
        (y,) = self.saved
        return y * (g - (g * y).sum(axis=self.axis, keepdims=True))


class LogSoftmax(Op):
    def forward(self, x, axis):
        xp = backend.array_module(x)
        shifted = x - _stable_max(x, axis, xp)
        out = shifted - xp.log(xp.exp(shifted).sum(axis=axis, keepdims=True))
        self.save_for_backward(out)
        self.axis = axis
        return out

    def backward(self, g):
        (y,) = self.saved
        xp = backend.array_module(g)
        return g - xp.exp(y) * g.sum(axis=self.axis, keepdims=True)


# ---------------------------------------------------------------------------- front ends
def sum(x, dim=None, keepdim=False, dtype=None, *, axis=None, keepdims=None):
    """Sum over `dim` (all dims by default). Bools and integers sum to int64, as torch."""
    if axis is not None or keepdims is not None:
        dim, keepdim = _alias("sum", dim, keepdim, axis, keepdims)
    axes = normalize_dims(_all_if_empty(dim), x.ndim, "sum")
    if dtype is not None:
        x = x.type(dtype)
    elif x.array.dtype.kind in "bui" and x.array.dtype != backend.int64:
        x = x.type(backend.int64)
    return Sum.apply(x, axes=axes, keepdim=keepdim)


def mean(x, dim=None, keepdim=False, dtype=None, *, axis=None, keepdims=None):
    """Arithmetic mean over `dim` (all dims by default)."""
    if axis is not None or keepdims is not None:
        dim, keepdim = _alias("mean", dim, keepdim, axis, keepdims)
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


def max(x, dim=None, keepdim=False, *, axis=None, keepdims=None):
    """Largest value: a 0-d tensor, or ``(values, indices)`` along `dim`; or max(x, other)."""
    if axis is not None or keepdims is not None:
        dim, keepdim = _alias("max", dim, keepdim, axis, keepdims)
    return _max_or_min(x, dim, keepdim, True)


def min(x, dim=None, keepdim=False, *, axis=None, keepdims=None):
    """Smallest value: a 0-d tensor, or ``(values, indices)`` along `dim`; or min(x, other)."""
    if axis is not None or keepdims is not None:
        dim, keepdim = _alias("min", dim, keepdim, axis, keepdims)
    return _max_or_min(x, dim, keepdim, False)


def amax(x, dim=None, keepdim=False, *, axis=None, keepdims=None):
    """Max over one or several dims (values only; ties share the gradient)."""
    if axis is not None or keepdims is not None:
        dim, keepdim = _alias("amax", dim, keepdim, axis, keepdims)
    return MaxReduce.apply(x, axes=normalize_dims(_all_if_empty(dim), x.ndim, "amax"), keepdim=keepdim, largest=True)


def amin(x, dim=None, keepdim=False, *, axis=None, keepdims=None):
    """Min over one or several dims (values only; ties share the gradient)."""
    if axis is not None or keepdims is not None:
        dim, keepdim = _alias("amin", dim, keepdim, axis, keepdims)
    return MaxReduce.apply(x, axes=normalize_dims(_all_if_empty(dim), x.ndim, "amin"), keepdim=keepdim, largest=False)


def var(x, dim=None, unbiased=None, keepdim=False, correction=None, *, axis=None, keepdims=None):
    """Variance; `correction` (or ``unbiased``) subtracts from the count, default 1 (Bessel)."""
    if axis is not None or keepdims is not None:
        dim, keepdim = _alias("var", dim, keepdim, axis, keepdims)
    return _spread(Var, "var", x, dim, unbiased, keepdim, correction)


def std(x, dim=None, unbiased=None, keepdim=False, correction=None, *, axis=None, keepdims=None):
    """Standard deviation: the square root of ``var(...)``."""
    if axis is not None or keepdims is not None:
        dim, keepdim = _alias("std", dim, keepdim, axis, keepdims)
    return _spread(Std, "std", x, dim, unbiased, keepdim, correction)


def _spread(cls, op, x, dim, unbiased, keepdim, correction):
    if correction is None:
        correction = 1 if unbiased is None else int(bool(unbiased))
    axes = normalize_dims(_all_if_empty(dim), x.ndim, op)
    return cls.apply(_float_input(x), axes=axes, correction=correction, keepdim=keepdim)


def norm(input, p="fro", dim=None, keepdim=False, dtype=None):
    """The vector p-norm of `input` over `dim` (all elements by default), as torch.norm.

    `p` is ``"fro"`` or 2 (Euclidean), 1, ``inf`` (max |x|), ``-inf`` (min |x|), 0 (the
    count of nonzeros) or any other number: ``sum(|x|**p) ** (1/p)``. A 2-D `dim` with
    ``"fro"`` is the Frobenius norm, which is the same sum.
    """
    if dtype is not None:
        input = input.type(dtype)
    if isinstance(p, str):
        if p != "fro":
            raise ValueError(f"norm: p={p!r} is not supported; use 'fro' or a number")
        p = 2
    if not isinstance(p, (int, float)) or isinstance(p, bool):
        raise TypeError(f"norm: p must be 'fro' or a number, got {p!r}")
    if input.array.dtype.kind != "f":
        raise TypeError(f"norm: input dtype should be floating point, got {input.dtype}; call .float() first")
    axes = normalize_dims(dim, input.ndim, "norm")
    return Norm.apply(input, p=float(p), axes=axes, keepdim=keepdim)


def logsumexp(x, dim=None, keepdim=False, *, axis=None, keepdims=None):
    """log(sum(exp(x))) along `dim`, stable for huge inputs (the max is factored out)."""
    if axis is not None or keepdims is not None:
        dim, keepdim = _alias("logsumexp", dim, keepdim, axis, keepdims)
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


def argmax(x, dim=None, keepdim=False, *, axis=None, keepdims=None):
    """Index of the largest value (of the flattened tensor when `dim` is None)."""
    if axis is not None or keepdims is not None:
        dim, keepdim = _alias("argmax", dim, keepdim, axis, keepdims)
    return _arg(x, dim, keepdim, True)


def argmin(x, dim=None, keepdim=False, *, axis=None, keepdims=None):
    """Index of the smallest value (of the flattened tensor when `dim` is None)."""
    if axis is not None or keepdims is not None:
        dim, keepdim = _alias("argmin", dim, keepdim, axis, keepdims)
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


def any(x, dim=None, keepdim=False, *, axis=None, keepdims=None):
    """Whether any elements are true (nonzero), over `dim` (all dims by default)."""
    if axis is not None or keepdims is not None:
        dim, keepdim = _alias("any", dim, keepdim, axis, keepdims)
    axes = normalize_dims(dim, x.ndim, "any")
    return Tensor._make(backend.as_array(x.array.any(axis=axes, keepdims=keepdim)), False, None)


def all(x, dim=None, keepdim=False, *, axis=None, keepdims=None):
    """Whether all elements are true (nonzero), over `dim` (all dims by default)."""
    if axis is not None or keepdims is not None:
        dim, keepdim = _alias("all", dim, keepdim, axis, keepdims)
    axes = normalize_dims(dim, x.ndim, "all")
    return Tensor._make(backend.as_array(x.array.all(axis=axes, keepdims=keepdim)), False, None)


METHODS = {
    "sum": sum, "mean": mean, "max": max, "min": min, "amax": amax, "amin": amin, "var": var, "std": std,
    "logsumexp": logsumexp, "softmax": softmax, "log_softmax": log_softmax,
    "argmax": argmax, "argmin": argmin, "any": any, "all": all, "norm": norm,
}
