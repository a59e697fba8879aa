"""``cupy.ndarray`` over a NumPy array, and the one wrapper every routine goes through.

Rules taken from CuPy's documentation (see tests/test_strict_cupy.py for the pages):
- the array is its own type, not a NumPy subclass, and lives on one device;
- implicit conversion to NumPy raises TypeError; ``.get()`` / ``cupy.asnumpy`` are explicit;
- a routine accepts cupy arrays and scalars only (a NumPy array raises TypeError);
- a kernel runs on the *current* device: its result is allocated there, and an input
  living on another device raises (the peer-access error; fake devices have no peer access);
- integer-array indices wrap around instead of raising IndexError;
- reductions return 0-d arrays, never NumPy scalars.
Views (reshape, transpose, basic slicing) launch no kernel: they keep their base's device.
"""
import numpy

from . import _strict


def _peer_error(array_dev, current):
    return ValueError(
        f"The device where the array resides ({array_dev}) is different from the current "
        f"device ({current}). Peer access is unavailable between these devices."
    )


class Flags:
    """``ndarray.flags``: CuPy has only c_contiguous, f_contiguous and owndata."""

    __slots__ = ("c_contiguous", "f_contiguous", "owndata")

    def __init__(self, c, f, own):
        self.c_contiguous, self.f_contiguous, self.owndata = c, f, own

    def __getitem__(self, name):
        key = {"C_CONTIGUOUS": "c_contiguous", "F_CONTIGUOUS": "f_contiguous", "OWNDATA": "owndata"}.get(name)
        if key is None:
            raise KeyError(f"{name} is not defined for cupy.ndarray.flags")
        return getattr(self, key)

    def __repr__(self):
        return f"  C_CONTIGUOUS : {self.c_contiguous}\n  F_CONTIGUOUS : {self.f_contiguous}\n  OWNDATA : {self.owndata}"


class MemoryPointer:
    """``ndarray.data``: a device pointer (here: the host address of the backing store)."""

    def __init__(self, arr, dev):
        self.ptr = arr.__array_interface__["data"][0]
        self.device_id = dev

    @property
    def device(self):
        from .cuda import Device

        return Device(self.device_id)


def _wrap_raw(arr, dev, base=None):
    out = ndarray.__new__(ndarray)
    out._a = arr
    out._dev = dev
    out._base = base
    return out


class _Call:
    """Unwraps the arguments of one routine call, remembering the cupy arrays it saw."""

    __slots__ = ("arrays", "by_id", "allow_host")

    def __init__(self, allow_host=False):
        self.arrays = []
        self.by_id = {}
        self.allow_host = allow_host

    def unwrap(self, x):
        t = type(x)
        if t is ndarray:
            self.arrays.append(x)
            self.by_id[id(x._a)] = x
            return x._a
        if t is list or t is tuple:
            return t(self.unwrap(v) for v in x)
        if t is dict:
            return {k: self.unwrap(v) for k, v in x.items()}
        if t is numpy.ndarray and x.ndim > 0 and not self.allow_host:
            raise TypeError(f"Unsupported type {numpy.ndarray}")
        return x

    def check_devices(self):
        cur = _strict.current_device()
        for a in self.arrays:
            if a._dev != cur:
                raise _peer_error(a._dev, cur)

    def wrap(self, r):
        t = type(r)
        if t is numpy.ndarray:
            known = self.by_id.get(id(r))
            if known is not None:  # out= or an in-place method returned its input
                return known
            if r.base is not None:
                for a in self.arrays:
                    if numpy.may_share_memory(r, a._a):
                        return _wrap_raw(r, a._dev, _root(a))
            return _wrap_raw(r, _strict.current_device())
        if isinstance(r, numpy.generic):
            return _wrap_raw(numpy.asarray(r), _strict.current_device())
        if t is list:
            return [self.wrap(v) for v in r]
        if isinstance(r, tuple):  # NumPy's named results (QRResult, ...) are plain tuples in CuPy
            return tuple(self.wrap(v) for v in r)
        return r


def call(fn, args, kwargs, allow_host=False, kernel=True):
    """Run the NumPy routine `fn` on unwrapped arguments and wrap what it returns.

    `kernel`: whether it launches a device kernel (then every input must live on the
    current device); a routine that only returns a view of an input is exempt either way.
    """
    c = _Call(allow_host)
    a = c.unwrap(args)
    k = c.unwrap(kwargs) if kwargs else {}
    with numpy.errstate(all="ignore"):  # CuPy never warns about inf/NaN results
        result = fn(*a, **k)
    if kernel and c.arrays and not _is_view_of_input(result, c):
        c.check_devices()
    return c.wrap(result)


def _is_view_of_input(result, c):
    if type(result) is not numpy.ndarray or result.base is None:
        return False
    return any(numpy.may_share_memory(result, a._a) for a in c.arrays)


# ---------------------------------------------------------------------------- indexing
def _wrap_index(key, shape):
    """CuPy wraps out-of-range integer-array indices around; NumPy raises. Make NumPy wrap."""
    if type(key) is not tuple:
        key = (key,)
    n_consumed = sum(
        (k.ndim if isinstance(k, numpy.ndarray) and k.dtype == bool else 1)
        for k in key if k is not None and k is not Ellipsis
    )
    out, axis = [], 0
    for k in key:
        if k is Ellipsis:
            out.append(k)
            axis += len(shape) - n_consumed
            continue
        if k is None:
            out.append(k)
            continue
        if isinstance(k, list):
            k = numpy.asarray(k)
        if isinstance(k, numpy.ndarray) and k.dtype.kind in "iu" and k.ndim > 0 and axis < len(shape) and shape[axis] > 0:
            k = numpy.mod(k, shape[axis])
        out.append(k)
        axis += k.ndim if isinstance(k, numpy.ndarray) and k.dtype == bool else 1
    return tuple(out)


def _has_mask(key):
    keys = key if type(key) is tuple else (key,)
    return any(isinstance(k, numpy.ndarray) and k.dtype == bool and k.ndim > 0 for k in keys)


def _index(self, key):
    c = _Call(allow_host=True)  # NumPy arrays and lists are accepted as indices (uploaded)
    raw = c.unwrap(key)
    return c, _wrap_index(raw, self._a.shape)


# ---------------------------------------------------------------------------- ndarray
class ndarray:
    """A multi-dimensional array on one (fake) GPU."""

    __slots__ = ("_a", "_dev", "_base", "__weakref__")
    __array_priority__ = 100
    __hash__ = None

    def __init__(self, shape, dtype=float, memptr=None, strides=None, order="C"):
        self._a = numpy.empty(shape, dtype=dtype, order=order)
        self._dev = _strict.current_device()
        self._base = None

    # -- attributes
    shape = property(lambda self: self._a.shape)
    dtype = property(lambda self: self._a.dtype)
    ndim = property(lambda self: self._a.ndim)
    size = property(lambda self: self._a.size)
    itemsize = property(lambda self: self._a.itemsize)
    nbytes = property(lambda self: self._a.nbytes)
    strides = property(lambda self: self._a.strides)
    base = property(lambda self: self._base)
    data = property(lambda self: MemoryPointer(self._a, self._dev))

    @property
    def flags(self):
        f = self._a.flags
        return Flags(f.c_contiguous, f.f_contiguous, self._base is None)

    @property
    def device(self):
        from .cuda import Device

        return Device(self._dev)

    @shape.setter
    def shape(self, value):
        self._a.shape = value

    T = property(lambda self: _wrap_raw(self._a.T, self._dev, _root(self)))
    mT = property(lambda self: _wrap_raw(numpy.swapaxes(self._a, -1, -2), self._dev, _root(self)))
    real = property(lambda self: call(numpy.real, (self,), None))
    imag = property(lambda self: call(numpy.imag, (self,), None))

    # -- explicit transfers
    def get(self, stream=None, order="C", out=None, blocking=True):
        """Copy to the host as a NumPy array (a sync)."""
        _strict.record("get")
        if out is not None:
            out[...] = self._a
            return out
        return numpy.array(self._a, order=order)

    def set(self, arr, stream=None):
        """Copy a NumPy array of the same shape into this array."""
        if not isinstance(arr, numpy.ndarray):
            raise TypeError(f"Only numpy.ndarray can be set to cupy.ndarray, got {type(arr)}")
        if arr.shape != self.shape:
            raise ValueError("Shape mismatch")
        self._a[...] = arr

    # -- implicit conversions CuPy forbids
    def __array__(self, dtype=None, copy=None):
        raise TypeError(
            "Implicit conversion to a NumPy array is not allowed. "
            "Please use `.get()` to construct a NumPy array explicitly."
        )

    # -- host syncs (the conversions to Python values are installed below the class)
    def __format__(self, spec):
        _strict.record("format")
        return format(self._a, spec) if self.ndim == 0 else str(self)

    def nonzero(self):
        _strict.record("nonzero")
        return call(numpy.nonzero, (self,), None)

    def tobytes(self, order="C"):
        _strict.record("tobytes")
        return self._a.tobytes(order)

    # -- sequence protocol (views; no sync)
    def __len__(self):
        return len(self._a)

    def __iter__(self):
        if self.ndim == 0:
            raise TypeError("iteration over a 0-d array")
        return (self[i] for i in range(len(self._a)))

    # -- indexing
    def __getitem__(self, key):
        c, idx = _index(self, key)
        if _has_mask(idx):
            _strict.record("boolean mask indexing")
        result = self._a[idx]
        if isinstance(result, numpy.generic):  # a[i, j] is a 0-d view in CuPy
            result = self._a[idx + (Ellipsis,)]
        c.arrays.append(self)
        if not _is_view_of_input(result, c):
            c.check_devices()
        return c.wrap(result)

    def __setitem__(self, key, value):
        c, idx = _index(self, key)
        v = c.unwrap(value) if type(value) is not numpy.ndarray else value
        c.arrays.append(self)
        c.check_devices()
        self._a[idx] = v

    # -- copies: allowed across devices, made on the current one
    def copy(self, order="C"):
        return _wrap_raw(self._a.copy(order=order), _strict.current_device())

    def astype(self, dtype, order="K", casting=None, subok=None, copy=True):
        if not copy and numpy.dtype(dtype) == self.dtype:
            return self
        _check_current(self)
        return _wrap_raw(self._a.astype(dtype, order=order), _strict.current_device())

    def view(self, *args, **kwargs):
        return _wrap_raw(self._a.view(*args, **kwargs), self._dev, _root(self))

    # -- DLPack and the CUDA array interface
    def __dlpack_device__(self):
        return (2, self._dev)  # kDLCUDA

    def __dlpack__(self, stream=None, max_version=None, dl_device=None, copy=None):
        raise BufferError("strict cupy stand-in: fake device memory cannot be exported through DLPack")

    def toDlpack(self):
        return self.__dlpack__()

    @property
    def __cuda_array_interface__(self):
        a = self._a
        return {
            "shape": a.shape,
            "typestr": a.dtype.str,
            "descr": a.dtype.descr,
            "data": (a.__array_interface__["data"][0], False),
            "strides": None if a.flags.c_contiguous else a.strides,
            "version": 3,
        }

    # -- NumPy's protocols: a NumPy function called on a cupy array runs CuPy's
    def __array_ufunc__(self, ufunc, method, *inputs, **kwargs):
        from . import _routines

        mine = _routines.UFUNCS.get(ufunc.__name__)
        if mine is None:
            return NotImplemented
        if method == "__call__":
            return mine(*inputs, **kwargs)
        return getattr(mine, method)(*inputs, **kwargs)

    def __array_function__(self, func, types, args, kwargs):
        from . import _routines

        mine = _routines.lookup(func)
        if mine is None:
            return NotImplemented
        return mine(*args, **kwargs)


def _syncing(kind, convert):
    """A method that copies the value to the host (a sync of `kind`) and converts it."""

    def method(self, *args):
        _strict.record(kind)
        return convert(self._a, *args)

    method.__name__ = kind
    return method


for _name, _kind, _convert in [
    ("item", "item", numpy.ndarray.item), ("tolist", "tolist", numpy.ndarray.tolist),
    ("tobytes", "tobytes", numpy.ndarray.tobytes), ("__float__", "float", float), ("__int__", "int", int),
    ("__index__", "index", numpy.ndarray.__index__), ("__complex__", "complex", complex),
    ("__bool__", "bool", bool), ("__repr__", "repr", repr), ("__str__", "str", str),
]:
    setattr(ndarray, _name, _syncing(_kind, _convert))


def _check_current(arr):
    cur = _strict.current_device()
    if arr._dev != cur:
        raise _peer_error(arr._dev, cur)


def _root(arr):
    return arr._base if arr._base is not None else arr


def _method(name, kernel=True):
    np_method = getattr(numpy.ndarray, name)

    def method(self, *args, **kwargs):
        return call(np_method, (self,) + args, kwargs, kernel=kernel)

    method.__name__ = name
    method.__doc__ = f"CuPy's ndarray.{name} (runs NumPy's on the device copy)."
    return method


# Methods CuPy's ndarray has, that run a kernel (or return a view)
_METHODS = [
    "all", "any", "argmax", "argmin", "argpartition", "argsort", "choose", "clip",
    "compress", "conj", "conjugate", "cumprod", "cumsum", "diagonal", "dot", "fill",
    "flatten", "max", "mean", "min", "partition", "prod", "put", "ravel",
    "repeat", "reshape", "round", "sort", "squeeze", "std", "sum", "swapaxes", "take",
    "trace", "transpose", "var", "searchsorted",
]
for _name in _METHODS:
    setattr(ndarray, _name, _method(_name))
del _name

_OPERATORS = [
    "add", "sub", "mul", "truediv", "floordiv", "mod", "pow", "matmul", "and", "or",
    "xor", "lshift", "rshift", "divmod",
]
_UNARY = ["neg", "pos", "abs", "invert"]
_COMPARE = ["eq", "ne", "lt", "le", "gt", "ge"]


def _operator(dunder):
    np_op = getattr(numpy.ndarray, dunder)

    def op(self, other):
        if type(other) is numpy.ndarray and other.ndim > 0:
            raise TypeError(f"Unsupported type {numpy.ndarray}")
        if isinstance(other, (list, tuple)):
            raise TypeError(f"Unsupported type {type(other)}")
        return call(np_op, (self, other), None)

    op.__name__ = dunder
    return op


def _install_operators():
    for n in _OPERATORS:
        for d in (f"__{n}__", f"__r{n}__", f"__i{n}__"):
            if hasattr(numpy.ndarray, d):
                setattr(ndarray, d, _operator(d))
    for n in _COMPARE:
        setattr(ndarray, f"__{n}__", _operator(f"__{n}__"))
    for n in _UNARY:
        d = f"__{n}__"
        np_op = getattr(numpy.ndarray, d)
        setattr(ndarray, d, (lambda f: lambda self: call(f, (self,), None))(np_op))


_install_operators()
