"""A strict CuPy stand-in over NumPy, for running minigrad's device path without a GPU.

It is a measuring instrument, not a GPU: it behaves as CuPy's documentation says CuPy
behaves where CuPy is stricter than NumPy (its own array type, no implicit conversion to
NumPy, no NumPy arrays in device ops, kernels on the current device, out-of-range
integer indices wrapping, only CuPy's names), and counts every host sync per call site
(`cupy._strict`). The number of fake devices is STRICT_CUPY_DEVICES (default 2).
tests/test_strict_cupy.py pins each behaviour to the page it follows.
"""
import numpy as _numpy

from . import _names, _strict
from ._core import Flags, ndarray
from ._routines import (
    ROUTINES as _ROUTINES,
    UFUNCS as _UFUNCS,
    asnumpy,
    from_dlpack,
    fuse,
    get_array_module,
    ufunc,
)

__version__ = "14.0.0"

globals().update(_ROUTINES)
globals().update({n: _UFUNCS[n] for n in _names.UFUNCS if n in _UFUNCS})
globals().update({n: getattr(_numpy, n) for n in _names.TYPES if hasattr(_numpy, n)})

from . import cuda, linalg, random  # noqa: E402  (they use the names above)


def is_available():
    """True: the stand-in always has its fake devices."""
    return _strict.device_count() > 0


def get_default_memory_pool():
    return cuda.MemoryPool()


def get_default_pinned_memory_pool():
    return cuda.PinnedMemoryPool()


def show_config():
    print(f"strict CuPy stand-in {__version__} over NumPy {_numpy.__version__}, "
          f"{_strict.device_count()} fake devices")
