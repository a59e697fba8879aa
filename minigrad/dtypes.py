"""`mg.dtype`: NumPy dtypes that print as PyTorch's do (``minigrad.float32``).

A tensor's ``.dtype`` and the names ``mg.float32``, ``mg.long``, ... are `dtype` objects:
one shared instance per NumPy dtype, wrapping it. NumPy and CuPy accept them wherever a
dtype is accepted (``np.dtype(obj)`` reads an object's ``.dtype`` attribute); they compare
equal to, and hash like, the NumPy dtype, its scalar type and its name, so
``t.dtype == np.float32``, ``t.dtype == "float32"`` and dict keys of either kind all work;
other attributes (``kind``, ``itemsize``, ``type``, ``name``) come from the NumPy dtype.
Internal code keeps using the raw ``t.array.dtype``.
"""
from __future__ import annotations

from . import backend


class dtype:
    """A tensor's element type (as ``torch.dtype``), e.g. ``mg.float32``."""

    __slots__ = ("dtype", "_hash")

    def __eq__(self, other):
        if other.__class__ is dtype:
            return self.dtype is other.dtype or self.dtype == other.dtype
        try:
            return self.dtype == backend.np.dtype(other)
        except TypeError:
            return False

    def __ne__(self, other):
        return not self.__eq__(other)

    def __hash__(self):
        return self._hash

    def __repr__(self):
        return "minigrad." + self.dtype.name

    __str__ = __repr__

    def __getattr__(self, name):  # kind, itemsize, type, name, char, ...
        return getattr(self.dtype, name)

    def __reduce__(self):  # copies and pickles come back as the shared instance
        return (_wrap, (self.dtype,))

    def __copy__(self):
        return self

    def __deepcopy__(self, memo):
        return self

    @property
    def is_floating_point(self) -> bool:
        return self.dtype.kind == "f"

    @property
    def is_complex(self) -> bool:
        return self.dtype.kind == "c"

    @property
    def is_signed(self) -> bool:
        return self.dtype.kind in "fic"


_WRAPPED: dict = {}
# Indexed by NumPy's type number: ``t.dtype`` is read on hot paths, and this lookup costs
# a third of hashing the NumPy dtype. An entry is used only when its dtype is the very
# same object (native byte order), else `_wrap` looks the dtype up properly.
BY_NUM: list = [None] * 256


def _wrap(np_dtype) -> dtype:
    """The shared `dtype` for a NumPy dtype (made on first use)."""
    d = _WRAPPED.get(np_dtype)
    if d is None:
        np_dtype = backend.np.dtype(np_dtype)
        d = object.__new__(dtype)
        d.dtype = np_dtype
        d._hash = hash(np_dtype)
        _WRAPPED[np_dtype] = d
        if np_dtype.num < len(BY_NUM) and BY_NUM[np_dtype.num] is None:
            BY_NUM[np_dtype.num] = d
    return d


wrap = _wrap

float16 = half = _wrap(backend.float16)
float32 = float = _wrap(backend.float32)
float64 = double = _wrap(backend.float64)
complex64 = cfloat = _wrap(backend.np.dtype("complex64"))
complex128 = cdouble = _wrap(backend.np.dtype("complex128"))
int8 = _wrap(backend.int8)
int16 = short = _wrap(backend.int16)
int32 = int = _wrap(backend.int32)
int64 = long = _wrap(backend.int64)
uint8 = _wrap(backend.uint8)
bool = bool_ = _wrap(backend.bool_)


def get_default_dtype() -> dtype:
    """The dtype Python floats become (``minigrad.float32`` unless changed)."""
    return _wrap(backend.get_default_dtype())
