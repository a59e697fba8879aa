"""Shape and indexing primitives: reshape, permute, expand, indexing, cat, stack, moves.

Views (reshape, permute, expand, basic slicing, detach) share the version counter of the
tensor they view, so an in-place change through either is seen by autograd's check.
"""
from __future__ import annotations

import builtins

from .. import backend
from ..autograd import Op
from ..tensor import Tensor
from .elementwise import _promote
from .reduce import normalize_dims


def _share_version_if_view(out: Tensor, x: Tensor) -> Tensor:
    if out.array.base is not None:
        out._vc = x._vc
    return out


def _shape_arg(shape, op):
    if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
        shape = tuple(shape[0])
    out = []
    for s in shape:
        if isinstance(s, Tensor):
            s = int(s.item())
        if not isinstance(s, int) or isinstance(s, bool):
            raise TypeError(f"{op}: sizes must be ints, got {shape!r}")
        out.append(s)
    return tuple(out)


class Reshape(Op):
    def forward(self, x, shape):
        self.in_shape = x.shape
        return x.reshape(shape)

    def backward(self, g):
        return g.reshape(self.in_shape)


class Permute(Op):
    def forward(self, x, dims):
        self.dims = dims
        return x.transpose(dims)

    def backward(self, g):
        inverse = [0] * len(self.dims)
        for i, d in enumerate(self.dims):
            inverse[d] = i
        return g.transpose(inverse)


class Expand(Op):
    """Broadcast to a larger shape; the engine's unbroadcast is the whole backward."""

    def forward(self, x, shape):
        return backend.array_module(x).broadcast_to(x, shape)

    def backward(self, g):
        return g


class Clone(Op):
    def forward(self, x):
        return x.copy()

    def backward(self, g):
        return g


class ToDevice(Op):
    """Copy to another device; the gradient is copied back to where the input lives."""

    def forward(self, x, device):
        self.source = backend.device_of(x)
        return backend.to_device(x, device)

    def backward(self, g):
        return backend.to_device(g, self.source)


# ---------------------------------------------------------------------------- indexing
def normalize_index(index, xp, array=None):
    """Turn tensors and lists inside an index into backend arrays numpy/cupy accept; for a
    GPU `array`, on its device and with out-of-range integer indices raising IndexError."""
    if isinstance(index, tuple):
        index = tuple(_index_part(i, xp) for i in index)
    else:
        index = _index_part(index, xp)
    if array is not None and xp is not backend.np:
        index = backend.prepare_index(index, array)
    return index


def _index_part(i, xp):
    if isinstance(i, Tensor):
        if i.array.dtype.kind not in "iub":
            raise IndexError(f"tensors used as indices must be integer or bool, got {i.dtype}")
        return i.array
    if isinstance(i, list):
        arr = backend.np.asarray(i)  # on the host: a GPU index is checked, then uploaded
        if arr.size and arr.dtype.kind not in "iub":
            raise IndexError(f"index lists must hold ints or bools, got {arr.dtype}")
        return arr.astype(backend.int64) if arr.size == 0 else arr
    return i


def _is_basic(index):
    parts = index if isinstance(index, tuple) else (index,)
    return builtins.all(p is None or p is Ellipsis or isinstance(p, (int, slice)) for p in parts)


class GetItem(Op):
    """x[index]; the backward scatter-adds, so repeated integer indices accumulate."""

    def forward(self, x, index):
        self.meta = (x.shape, index, _is_basic(index))
        try:
            return x[index]
        except IndexError as e:
            raise IndexError(f"index {_describe(index)} is invalid for a tensor of shape {tuple(x.shape)}: {e}") from None

    def backward(self, g):
        shape, index, basic = self.meta
        xp = backend.array_module(g)
        gx = xp.zeros(shape, dtype=g.dtype)
        if basic or _only_bool_arrays(index):
            gx[index] = g
        else:
            backend.scatter_add(gx, index, g)
        return gx


def _only_bool_arrays(index):
    parts = index if isinstance(index, tuple) else (index,)
    arrays = [p for p in parts if hasattr(p, "dtype")]
    return len(arrays) == 1 and arrays[0].dtype.kind == "b"


def _describe(index):
    parts = index if isinstance(index, tuple) else (index,)
    return "[" + ", ".join(f"array{tuple(p.shape)}" if hasattr(p, "shape") else repr(p) for p in parts) + "]"


def getitem(x, index):
    index = normalize_index(index, x.xp, x.array)
    out = GetItem.apply(x, index=index)
    return _share_version_if_view(out, x)


# ---------------------------------------------------------------------------- cat / stack
class Cat(Op):
    def forward(self, *arrays, axis):
        self.meta = (axis, [a.shape[axis] for a in arrays])
        return backend.array_module(arrays[0]).concatenate(arrays, axis=axis)

    def backward(self, g):
        axis, sizes = self.meta
        out, start = [], 0
        lead = (slice(None),) * axis
        for n in sizes:
            out.append(g[lead + (slice(start, start + n),)])
            start += n
        return tuple(out)


class Stack(Op):
    def forward(self, *arrays, axis):
        self.meta = (axis, len(arrays))
        return backend.array_module(arrays[0]).stack(arrays, axis=axis)

    def backward(self, g):
        axis, n = self.meta
        lead = (slice(None),) * axis
        return tuple(g[lead + (i,)] for i in range(n))


def _same_dtype(tensors, op):
    if not isinstance(tensors, (list, tuple)) or not tensors:
        raise ValueError(f"{op}: expected a non-empty list or tuple of tensors")
    tensors = [t if isinstance(t, Tensor) else Tensor(t) for t in tensors]
    first = tensors[0]
    for t in tensors[1:]:
        if t.device != first.device:
            raise backend.device_mismatch(op, first.device, t.device)
        if t.dtype != first.dtype:
            first = _promote(first, t)[0]
    return [t.type(first.dtype) for t in tensors]


def cat(tensors, dim=0):
    """Join tensors along an existing dim (all other sizes must match)."""
    tensors = _same_dtype(tensors, "cat")
    (axis,) = normalize_dims(dim, tensors[0].ndim, "cat") or (0,)
    if tensors[0].ndim == 0:
        raise ValueError("cat: zero-dimensional tensors cannot be concatenated; use stack")
    for t in tensors[1:]:
        if t.ndim != tensors[0].ndim or builtins.any(
            a != b for i, (a, b) in enumerate(zip(t.shape, tensors[0].shape)) if i != axis
        ):
            raise ValueError(
                f"cat: sizes must match except in dim {dim}; got shapes "
                + ", ".join(str(tuple(x.shape)) for x in tensors)
            )
    return Cat.apply(*tensors, axis=axis)


def stack(tensors, dim=0):
    """Join tensors of one shape along a new dim."""
    tensors = _same_dtype(tensors, "stack")
    shapes = {tuple(t.shape) for t in tensors}
    if len(shapes) > 1:
        raise ValueError(f"stack: expects each tensor to be equal size, got shapes {sorted(shapes)}")
    (axis,) = normalize_dims(dim, tensors[0].ndim + 1, "stack") or (0,)
    return Stack.apply(*tensors, axis=axis)


# ---------------------------------------------------------------------------- front ends
def reshape(x, *shape):
    """The same elements in a new shape (one size may be -1)."""
    shape = _shape_arg(shape, "reshape")
    known = 1
    for s in shape:
        if s != -1:
            known *= s
    size = x.array.size
    if shape.count(-1) > 1 or (shape.count(-1) == 0 and known != size) or (
        shape.count(-1) == 1 and (known == 0 or size % known)
    ):
        raise ValueError(f"reshape: shape {shape} is invalid for input of shape {tuple(x.shape)} ({size} elements)")
    if shape == x.shape:
        return x
    return _share_version_if_view(Reshape.apply(x, shape=shape), x)


view = reshape


def flatten(x, start_dim=0, end_dim=-1):
    """Merge dims start_dim..end_dim into one."""
    s, e = ((normalize_dims(d, x.ndim, "flatten") or (0,))[0] for d in (start_dim, end_dim))
    if x.ndim == 0:
        return reshape(x, 1)
    if s > e:
        raise ValueError(f"flatten: start_dim {start_dim} comes after end_dim {end_dim}")
    return reshape(x, x.shape[:s] + (-1,) + x.shape[e + 1:])


def permute(x, *dims):
    dims = _shape_arg(dims, "permute")
    if sorted(d % max(x.ndim, 1) for d in dims) != list(range(x.ndim)):
        raise ValueError(f"permute: dims {dims} are not a permutation of {x.ndim} dimensions")
    dims = tuple(d % x.ndim for d in dims)
    return _share_version_if_view(Permute.apply(x, dims=dims), x)


def transpose(x, dim0, dim1):
    """Swap two dims."""
    a, b = ((normalize_dims(d, x.ndim, "transpose") or (0,))[0] for d in (dim0, dim1))  # checked even when 0-d/1-d
    if x.ndim < 2:
        return x
    dims = list(range(x.ndim))
    dims[a], dims[b] = dims[b], dims[a]
    return _share_version_if_view(Permute.apply(x, dims=tuple(dims)), x)


def t(x):
    if x.ndim > 2:
        raise ValueError(f"t: expects a tensor with <= 2 dimensions, got {x.ndim}; use transpose")
    return x if x.ndim < 2 else transpose(x, 0, 1)


def T(x):
    """All dims reversed (x.T)."""
    return x if x.ndim < 2 else permute(x, tuple(reversed(range(x.ndim))))


def squeeze(x, dim=None):
    """Drop dims of size 1 (only `dim`, when given)."""
    if dim is None:
        shape = tuple(s for s in x.shape if s != 1)
    else:
        dims = normalize_dims(dim, x.ndim, "squeeze") or ()
        shape = tuple(s for i, s in enumerate(x.shape) if not (i in dims and s == 1))
    return reshape(x, shape)


def unsqueeze(x, dim):
    """Insert a dim of size 1 at `dim`."""
    (d,) = normalize_dims(dim, x.ndim + 1, "unsqueeze") or (0,)
    return reshape(x, x.shape[:d] + (1,) + x.shape[d:])


def expand(x, *sizes):
    """Broadcast to a larger shape without copying (-1 keeps a size)."""
    sizes = _shape_arg(sizes, "expand")
    if len(sizes) < x.ndim:
        raise ValueError(f"expand: the number of sizes ({len(sizes)}) must be >= the tensor's dims ({x.ndim})")
    lead = len(sizes) - x.ndim
    shape = tuple(x.shape[i - lead] if s == -1 and i >= lead else s for i, s in enumerate(sizes))
    for i, s in enumerate(x.shape):
        if s != 1 and s != shape[i + lead]:
            raise ValueError(f"expand: the size {s} of dim {i} of shape {tuple(x.shape)} cannot expand to {shape}")
    if shape == x.shape:
        return x
    return _share_version_if_view(Expand.apply(x, shape=shape), x)


def expand_as(x, other):
    return expand(x, other.shape)


def broadcast_to(x, shape):
    return expand(x, shape)


def clone(x):
    """A copy with its own memory; differentiable."""
    return Clone.apply(x)


def contiguous(x):
    if x.array.flags.c_contiguous:
        return x
    return Clone.apply(x)


METHODS = {
    "__getitem__": getitem, "reshape": reshape, "view": view, "flatten": flatten,
    "permute": permute, "transpose": transpose, "t": t, "T": property(T),
    "squeeze": squeeze, "unsqueeze": unsqueeze, "expand": expand, "expand_as": expand_as,
    "clone": clone, "contiguous": contiguous,
}


def meshgrid(*tensors, indexing="ij"):
    """Coordinate grids from 1-D tensors (as torch.meshgrid): views, differentiable.

    ``indexing="ij"`` gives outputs of shape ``(len(t0), len(t1), ...)``; ``"xy"`` swaps
    the first two dims (``(len(t1), len(t0), ...)``), as NumPy and MATLAB do.
    """
    if len(tensors) == 1 and isinstance(tensors[0], (list, tuple)):
        tensors = tuple(tensors[0])
    if indexing not in ("ij", "xy"):
        raise ValueError(f"meshgrid: indexing must be 'ij' or 'xy', got {indexing!r}")
    if not tensors:
        raise ValueError("meshgrid: expects at least one tensor")
    for t in tensors:
        if not isinstance(t, Tensor) or t.ndim > 1:
            raise ValueError(f"meshgrid: expects 0-D or 1-D tensors, got {getattr(t, 'shape', t)!r}")
    sizes = [t.array.size for t in tensors]
    order = list(range(len(tensors)))
    if indexing == "xy" and len(tensors) > 1:
        order[0], order[1] = 1, 0
    shape = tuple(sizes[i] for i in order)
    out = []
    for i, t in enumerate(tensors):
        pos = order.index(i)
        view = (1,) * pos + (sizes[i],) + (1,) * (len(shape) - pos - 1)
        out.append(expand(reshape(t, view), shape))
    return tuple(out)
