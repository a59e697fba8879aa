"""CuPy's routines and ufuncs, generated from the whitelist in `_names` over NumPy's.

Each one unwraps cupy arrays, refuses NumPy arrays, runs NumPy's routine, checks that
every input lives on the current device (unless it only returned a view), and wraps the
result on the current device. The few routines CuPy defines differently are written out
below the generic ones.
"""
import numpy

from . import _core, _names, _strict
from ._core import call, ndarray

# Routines that read only metadata (no kernel, no device check)
_METADATA = set("""
shape ndim size result_type can_cast promote_types min_scalar_type common_type issubdtype
dtype finfo iinfo isscalar iscomplexobj isrealobj isfortran broadcast_shapes
find_common_type format_float_positional binary_repr base_repr
""".split())
# Routines that build an array from host data or only read another's shape and dtype
_FROM_HOST = set("""
array asarray asanyarray ascontiguousarray asfortranarray copy fromfile fromfunction
fromiter frombuffer fromstring loadtxt load empty_like zeros_like ones_like full_like
""".split())
# Routines whose output size depends on the data: the host waits for the device
_SYNCING = set("""
nonzero argwhere flatnonzero unique unique_all unique_counts unique_inverse unique_values
compress extract trim_zeros save savez savez_compressed histogram histogram2d histogramdd
""".split())


class ufunc:
    """A CuPy universal function: cupy arrays and scalars in, cupy arrays out."""

    def __init__(self, name, np_ufunc):
        self.__name__ = self.name = name
        self._f = np_ufunc
        self.nin, self.nout, self.nargs = np_ufunc.nin, np_ufunc.nout, np_ufunc.nargs
        self.types = np_ufunc.types
        self.__doc__ = np_ufunc.__doc__

    def __call__(self, *args, **kwargs):
        for a in args:
            if isinstance(a, (list, tuple)) or (type(a) is numpy.ndarray and a.ndim > 0):
                raise TypeError(f"Unsupported type {type(a)}")
        return call(self._f, args, kwargs)

    def reduce(self, array, axis=0, dtype=None, out=None, keepdims=False):
        return call(self._f.reduce, (array,), dict(axis=axis, dtype=dtype, out=out, keepdims=keepdims))

    def accumulate(self, array, axis=0, dtype=None, out=None):
        return call(self._f.accumulate, (array,), dict(axis=axis, dtype=dtype, out=out))

    def reduceat(self, array, indices, axis=0, dtype=None, out=None):
        return call(self._f.reduceat, (array, indices), dict(axis=axis, dtype=dtype, out=out))

    def outer(self, A, B, **kwargs):
        return call(self._f.outer, (A, B), kwargs)

    def at(self, a, indices, b=None):
        c = _core._Call(allow_host=True)
        idx = _core._wrap_index(c.unwrap(indices), a.shape)
        args = (a._a, idx) if b is None else (a._a, idx, c.unwrap(b))
        c.arrays.append(a)
        c.check_devices()
        self._f.at(*args)

    def __repr__(self):
        return f"<ufunc '{self.name}'>"


def _routine(name, np_fn):
    allow_host = name in _FROM_HOST
    kernel = name not in _METADATA
    syncs = name in _SYNCING

    def fn(*args, **kwargs):
        if syncs:
            _strict.record(name)
        return call(np_fn, args, kwargs, allow_host=allow_host, kernel=kernel)

    fn.__name__ = fn.__qualname__ = name
    fn.__doc__ = f"CuPy's {name} (NumPy's routine on the device copy)."
    return fn


UFUNCS = {}
for _n in _names.UFUNCS:
    _f = getattr(numpy, _n, None)
    if isinstance(_f, numpy.ufunc):
        UFUNCS[_n] = ufunc(_n, _f)
        UFUNCS.setdefault(_f.__name__, UFUNCS[_n])  # NumPy's own name, for __array_ufunc__

ROUTINES = {}
for _n in _names.ROUTINES:
    _f = getattr(numpy, _n, None)
    if _f is None or _n in UFUNCS:
        continue
    ROUTINES[_n] = _routine(_n, _f) if callable(_f) and not isinstance(_f, type) else _f


# ---------------------------------------------------------------------------- CuPy's own
def array(obj, dtype=None, copy=True, order="K", subok=False, ndmin=0, blocking=False):
    """A cupy array on the current device from host data or another cupy array."""
    if isinstance(obj, ndarray):
        if not copy and (dtype is None or numpy.dtype(dtype) == obj.dtype) and ndmin <= obj.ndim:
            return obj
        out = numpy.array(obj._a, dtype=dtype, copy=True, order=order, ndmin=ndmin)
        return _core._wrap_raw(out, _strict.current_device())
    c = _core._Call(allow_host=True)
    raw = c.unwrap(obj)
    if c.arrays:
        c.check_devices()
    out = numpy.array(raw, dtype=dtype, order=order, ndmin=ndmin)
    return _core._wrap_raw(out, _strict.current_device())


def asarray(a, dtype=None, order=None, *, blocking=False):
    """`a` itself when it is a cupy array of that dtype; else a copy on the current device."""
    return array(a, dtype=dtype, copy=False, order=order or "K")


def asanyarray(a, dtype=None, order=None):
    return asarray(a, dtype, order)


def ascontiguousarray(a, dtype=None):
    a = asarray(a, dtype)
    if a.flags.c_contiguous:
        return a
    _core._check_current(a)
    return _core._wrap_raw(numpy.ascontiguousarray(a._a), _strict.current_device())


def asnumpy(a, stream=None, order="C", out=None, *, blocking=True):
    """A NumPy array of `a`'s values (a device->host copy for cupy arrays)."""
    if isinstance(a, ndarray):
        return a.get(stream=stream, order=order, out=out)
    return numpy.asarray(a, order=order)


def get_array_module(*args):
    """cupy if any argument is a cupy array, else numpy."""
    import cupy

    return cupy if any(isinstance(a, ndarray) for a in args) else numpy


def from_dlpack(x, *, device=None, copy=None):
    """Zero-copy import of a DLPack producer living on a CUDA device."""
    if isinstance(x, ndarray):
        return _core._wrap_raw(x._a.view(), x._dev, _core._root(x))
    dev_type = x.__dlpack_device__()[0] if hasattr(x, "__dlpack_device__") else None
    if dev_type == 1 and copy:  # host data, copy requested
        return array(numpy.from_dlpack(x))
    raise BufferError(f"from_dlpack: the producer is not on a CUDA device (DLPack device type {dev_type})")


def _take_args(a, indices, axis):
    c = _core._Call(allow_host=True)
    raw_idx = c.unwrap(indices)
    c.arrays.append(a)
    c.check_devices()
    n = a.size if axis is None else a.shape[axis]
    if isinstance(raw_idx, (list, numpy.ndarray)) and n > 0:
        raw_idx = numpy.mod(numpy.asarray(raw_idx), n)  # CuPy wraps out-of-range indices
    return c, raw_idx


def take(a, indices, axis=None, out=None):
    c, idx = _take_args(a, indices, axis)
    r = numpy.take(a._a, idx, axis=axis, out=None if out is None else out._a)
    return out if out is not None else c.wrap(r)


def take_along_axis(arr, indices, axis):
    c, idx = _take_args(arr, indices, axis if axis is not None else None)
    return c.wrap(numpy.take_along_axis(arr._a, idx, axis))


def put(a, ind, v, mode="wrap"):
    c, idx = _take_args(a, ind, None)
    numpy.put(a._a, idx, c.unwrap(v), mode="wrap")


def where(condition, x=None, y=None):
    if x is None and y is None:
        _strict.record("where")
        return call(numpy.nonzero, (condition,), None)
    return call(numpy.where, (condition, x, y), None)


def fuse(*args, **kwargs):
    """cupy.fuse: here the function itself (fusion only changes speed)."""
    if len(args) == 1 and callable(args[0]) and not kwargs:
        return args[0]
    return lambda f: f


SPECIAL = {
    "array": array, "asarray": asarray, "asanyarray": asanyarray,
    "ascontiguousarray": ascontiguousarray, "take": take, "take_along_axis": take_along_axis,
    "put": put, "where": where,
}
ROUTINES.update(SPECIAL)


def lookup(np_func):
    """CuPy's routine for a NumPy function (for ``__array_function__``), or None."""
    name = np_func.__name__
    if "linalg" in (np_func.__module__ or ""):
        from . import linalg

        return getattr(linalg, name, None)
    return ROUTINES.get(name) or UFUNCS.get(name)
