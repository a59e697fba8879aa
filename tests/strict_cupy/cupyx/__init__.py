"""``cupyx``: CuPy-specific functions (scatter_add/max/min, rsqrt, get_array_module)."""
import numpy as _numpy

import cupy as _cupy
from cupy import _core

__version__ = _cupy.__version__


def _scatter(np_ufunc, a, slices, value):
    c = _core._Call(allow_host=True)
    idx = _core._wrap_index(c.unwrap(slices), a.shape)  # indices wrap, as in a[slices]
    v = c.unwrap(value)
    c.arrays.append(a)
    c.check_devices()
    np_ufunc.at(a._a, idx, v)


def scatter_add(a, slices, value):
    """Add `value` at `a[slices]`, accumulating repeated indices (numpy.add.at)."""
    _scatter(_numpy.add, a, slices, value)


def scatter_max(a, slices, value):
    _scatter(_numpy.maximum, a, slices, value)


def scatter_min(a, slices, value):
    _scatter(_numpy.minimum, a, slices, value)


def rsqrt(x):
    return 1 / _cupy.sqrt(x)


def get_array_module(*args):
    return _cupy.get_array_module(*args)


def empty_pinned(shape, dtype=float, order="C"):
    return _numpy.empty(shape, dtype=dtype, order=order)


def zeros_pinned(shape, dtype=float, order="C"):
    return _numpy.zeros(shape, dtype=dtype, order=order)
