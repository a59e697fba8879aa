"""``mg.backends.mkl``: dense CPU linear algebra through Intel MKL, when the ``mkl`` wheel
is installed (PyTorch's name, ``torch.backends.mkl``).

NumPy's wheels carry OpenBLAS. On Intel CPUs, Intel's MKL (the BLAS inside PyTorch's
CPU build) multiplies the matrices of small networks 1.05-1.6x faster (it depends on the
shape). The opt-in ``mkl`` extra (``pip install "minigrad[mkl]"``) installs it, and
this module calls it through ``ctypes``:

- `matmul`: float32/float64 products of 2-D operands in any BLAS-compatible layout
  (transposed views included), and of a stack of rows (``(..., k) @ (k, n)``);
- vector routines (`axpby`, `copy`, `scale`, `square`, `sqrt`, `linear_frac`): one
  multi-threaded pass each over large contiguous arrays, where NumPy takes one
  single-threaded pass per operation. The ``fused`` paths of SGD and Adam are built
  from them (`takes` says which arrays they accept).

Anything else, and everything where MKL is missing, goes to NumPy, with the same
results up to rounding (a different summation order inside the products). MKL is
loaded on first use, not at ``import minigrad``. Set ``MINIGRAD_BLAS=numpy`` to turn it
off, or use ``with flags(enabled=False):`` for a block of code.
"""
from __future__ import annotations

import contextlib
import ctypes
import os

import numpy as np

_ROW_MAJOR, _NO_TRANS, _TRANS = 101, 111, 112
_INT_MAX = 2**31 - 1  # MKL's default (LP64) interface takes 32-bit sizes
# Below this many elements `takes` declines: NumPy passes over an array that fits in cache
# cost less than waking MKL's threads (whose cores would fetch it from this one's).
VECTOR_MIN_SIZE = 2**16
# Products of at most this many multiply-adds (m * n * k) stay with NumPy: a call through
# ctypes costs ~6 us, several times NumPy's whole (8, 16) @ (16, 16); they are even at
# about (16, 64) @ (64, 64).
GEMM_MIN_WORK = 2**16
_c_int, _ptr = ctypes.c_int, ctypes.c_void_p

_lib = None        # the loaded libmkl_rt, once `_mkl()` found it
_searched = False  # whether `_mkl()` has looked for it yet
_enabled = os.environ.get("MINIGRAD_BLAS", "").lower() != "numpy"


def _library_path():
    """Where the ``mkl`` wheel put ``libmkl_rt`` (or ``mkl_rt.*.dll``), or None."""
    from importlib import metadata

    try:
        files = metadata.files("mkl") or ()
    except metadata.PackageNotFoundError:
        return None
    for file in files:
        name = file.name
        if name.startswith("libmkl_rt.so") or (name.startswith("mkl_rt") and name.endswith(".dll")):
            return str(file.locate())
    return None


def _declare(lib):
    """Give ctypes the C signatures of the routines used here."""
    for kind, real in (("s", ctypes.c_float), ("d", ctypes.c_double)):
        signatures = {
            f"cblas_{kind}gemm": [_c_int] * 6 + [real, _ptr, _c_int, _ptr, _c_int, real, _ptr, _c_int],
            f"cblas_{kind}axpby": [_c_int, real, _ptr, _c_int, real, _ptr, _c_int],
            f"cblas_{kind}copy": [_c_int, _ptr, _c_int, _ptr, _c_int],
            f"cblas_{kind}scal": [_c_int, real, _ptr, _c_int],
            f"v{kind}Sqr": [_c_int, _ptr, _ptr],
            f"v{kind}Sqrt": [_c_int, _ptr, _ptr],
            f"v{kind}LinearFrac": [_c_int, _ptr, _ptr, real, real, real, real, _ptr],
        }
        for name, argtypes in signatures.items():
            routine = getattr(lib, name)
            routine.argtypes, routine.restype = argtypes, None
    lib.mkl_get_version_string.argtypes = [ctypes.c_char_p, _c_int]
    lib.mkl_get_version_string.restype = None


def _mkl():
    """The MKL library if it is installed, loads and is enabled, else None."""
    global _lib, _searched
    if not _enabled:
        return None
    if not _searched:
        _searched = True
        path = _library_path()
        if path is not None and os.path.exists(path):
            try:
                lib = ctypes.CDLL(path)
                _declare(lib)
                _lib = lib
            except (OSError, AttributeError):  # a broken install: NumPy serves instead
                _lib = None
    return _lib


def is_available() -> bool:
    """Whether CPU matrix products go through MKL (installed, loadable and enabled)."""
    return _mkl() is not None


def name() -> str:
    """The library behind CPU matrix products, e.g. ``'Intel MKL 2026.2'`` or ``'NumPy (...)'``."""
    lib = _mkl()
    if lib is None:
        config = getattr(np, "__config__", None)
        blas = getattr(config, "CONFIG", {}).get("Build Dependencies", {}).get("blas", {}) if config else {}
        return f"NumPy ({blas.get('name', 'its BLAS')} {blas.get('version', '')})".replace(" )", ")")
    text = ctypes.create_string_buffer(256)
    lib.mkl_get_version_string(text, len(text))
    version = text.value.decode(errors="replace").split("Version")[-1].split("-")[0].strip()
    return f"Intel MKL {version}"


@contextlib.contextmanager
def flags(enabled=False):
    """Within the block MKL is used (if installed) or not: ``with flags(enabled=False):``
    runs every product and optimizer update through NumPy (tests, comparisons)."""
    global _enabled
    before = _enabled
    _enabled = bool(enabled) and os.environ.get("MINIGRAD_BLAS", "").lower() != "numpy"
    try:
        yield
    finally:
        _enabled = before


def _layout(x):
    """(transpose flag, leading dimension) of a 2-D array as a row-major BLAS operand, or None."""
    rows, cols = x.shape
    if x.flags.c_contiguous:
        return _NO_TRANS, max(1, cols)
    if x.flags.f_contiguous:
        return _TRANS, max(1, rows)
    s0, s1 = x.strides
    size = x.itemsize
    if s1 == size and s0 % size == 0 and s0 >= cols * size:  # rows of a wider matrix
        return _NO_TRANS, s0 // size
    if s0 == size and s1 % size == 0 and s1 >= rows * size:  # a transposed such view
        return _TRANS, s1 // size
    return None


def _gemm(lib, a, b):
    """``a @ b`` for 2-D arrays of one float dtype through MKL, or None if it can't take them."""
    m, k = a.shape
    n = b.shape[1]
    if min(m, n, k) == 0 or max(m, n, k, a.size, b.size, m * n) > _INT_MAX:
        return None
    layout_a, layout_b = _layout(a), _layout(b)
    if layout_a is None or layout_b is None:
        return None
    out = np.empty((m, n), dtype=a.dtype)
    gemm = lib.cblas_sgemm if a.dtype == np.float32 else lib.cblas_dgemm
    gemm(_ROW_MAJOR, layout_a[0], layout_b[0], m, n, k, 1.0, a.ctypes.data, layout_a[1],
         b.ctypes.data, layout_b[1], 0.0, out.ctypes.data, max(1, n))
    return out


def matmul(a, b):
    """``a @ b`` for NumPy arrays, through MKL where it can be (else ``numpy.matmul``).

    A C-contiguous stack of rows ``(..., k)`` times a 2-D `b` is made one 2-D product
    first (with or without MKL). MKL takes float32 or float64 2-D operands of one dtype
    (any layout BLAS can read) where the product is worth a foreign call (more than
    `GEMM_MIN_WORK` multiply-adds).
    """
    if b.ndim == 2 and a.ndim > 2 and a.shape[-1] and a.flags.c_contiguous and a.shape[-1] == b.shape[0]:
        # A stack of rows times a matrix is one (rows, k) @ (k, n) product. NumPy would
        # make one BLAS call per matrix of the stack: 1.6-2.3x slower for a sequence's
        # input projection, (50, 32, 64) @ (64, 512).
        rows = matmul(a.reshape(-1, a.shape[-1]), b)
        return rows.reshape(*a.shape[:-1], b.shape[1])
    lib = _mkl()
    if (lib is not None and b.ndim == 2 and a.ndim == 2 and a.dtype == b.dtype
            and a.dtype in (np.float32, np.float64) and a.shape[-1] == b.shape[0]
            and a.size * b.shape[1] > GEMM_MIN_WORK):
        out = _gemm(lib, a, b)
        if out is not None:
            return out
    return np.matmul(a, b)


# ---------------------------------------------------------------- vector routines
# MKL's vector routines (BLAS level 1 and VM) split each call over its threads. They run
# only on arrays `takes` accepted, and do no checks of their own.

def takes(*arrays) -> bool:
    """Whether MKL's vector routines can run on `arrays` (MKL loaded and enabled).

    All must be C-contiguous NumPy arrays of one shape and one float dtype (float32 or
    float64), with `VECTOR_MIN_SIZE` to 2**31-1 elements; the last, the output, writeable.
    """
    out = arrays[-1]
    if (type(out) is not np.ndarray or out.dtype not in (np.float32, np.float64)
            or not VECTOR_MIN_SIZE <= out.size <= _INT_MAX
            or not (out.flags.c_contiguous and out.flags.writeable) or _mkl() is None):
        return False
    return all(type(a) is np.ndarray and a.dtype == out.dtype and a.shape == out.shape and a.flags.c_contiguous
               for a in arrays[:-1])


def _routine(name, out):
    """MKL's routine `name` ('cblas_?axpby', 'v?Sqrt', ...) for `out`'s dtype."""
    return getattr(_lib, name.replace("?", "s" if out.dtype == np.float32 else "d"))


def axpby(a, x, b, y):
    """``y = a*x + b*y`` in place (``cblas_?axpby``)."""
    _routine("cblas_?axpby", y)(y.size, a, x.ctypes.data, 1, b, y.ctypes.data, 1)


def copy(x, out):
    """``out[...] = x`` (``cblas_?copy``)."""
    _routine("cblas_?copy", out)(out.size, x.ctypes.data, 1, out.ctypes.data, 1)


def scale(a, y):
    """``y *= a`` in place (``cblas_?scal``)."""
    _routine("cblas_?scal", y)(y.size, a, y.ctypes.data, 1)


def square(x, out):
    """``out = x * x`` (``v?Sqr``)."""
    _routine("v?Sqr", out)(out.size, x.ctypes.data, out.ctypes.data)


def sqrt(x, out):
    """``out = sqrt(x)`` (``v?Sqrt``; NaN below zero, as NumPy)."""
    _routine("v?Sqrt", out)(out.size, x.ctypes.data, out.ctypes.data)


def linear_frac(a, b, scale_a, shift_a, scale_b, shift_b, out):
    """``out = (scale_a*a + shift_a) / (scale_b*b + shift_b)`` (``v?LinearFrac``); `out` may be `a` or `b`."""
    _routine("v?LinearFrac", out)(out.size, a.ctypes.data, b.ctypes.data, scale_a, shift_a, scale_b, shift_b,
                                  out.ctypes.data)
