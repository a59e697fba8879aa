"""The one place that knows about NumPy and CuPy.

Everything above this module asks a tensor for its array module (``xp``) and never
names numpy or cupy itself, so each op is written once and runs on both backends.
This module owns: device names, the array module of a device or array, dtypes and the
default dtype, and host <-> device transfer (random streams: ``generator.py``).
"""
from __future__ import annotations

import contextlib
import functools

import numpy as np

from .backends import mkl

# ---------------------------------------------------------------------------- dtypes
float16 = np.dtype("float16")
float32 = np.dtype("float32")
float64 = np.dtype("float64")
int8 = np.dtype("int8")
int16 = np.dtype("int16")
int32 = np.dtype("int32")
int64 = np.dtype("int64")
uint8 = np.dtype("uint8")
bool_ = np.dtype("bool")

_default_dtype = float32
# NumPy reductions and ufuncs on 0-d arrays return NumPy scalars, not arrays; the
# autograd layer turns them back into arrays with `as_array`.
scalar_types = (np.generic,)
ndarray = np.ndarray  # the host array type, for fast `type(x) is ndarray` checks


def get_default_dtype():
    """The dtype Python floats become (``float32`` unless changed)."""
    return _default_dtype


def set_default_dtype(dtype):
    """Set the dtype that Python floats and float factories produce (float16/32/64)."""
    global _default_dtype
    dtype = np.dtype(dtype)
    if dtype.kind != "f":
        raise TypeError(f"set_default_dtype: only floating dtypes are allowed, got {dtype}")
    _default_dtype = dtype


def to_dtype(dtype):
    """Normalise a dtype-like (``mg.float32``, ``"float32"``, ``np.float32``, ``float``)."""
    if dtype is None:
        return None
    if dtype is float:
        return _default_dtype
    try:
        return np.dtype(dtype)
    except TypeError as e:
        raise TypeError(f"dtype: {dtype!r} is not a dtype") from e


def is_floating(dtype) -> bool:
    return dtype.kind == "f"


def promote_types(a, b):
    """PyTorch's type promotion for two tensors' dtypes.

    Differs from NumPy where an integer meets a float: torch keeps the float's dtype
    (int64 + float32 -> float32) while NumPy widens to float64.
    """
    if a == b:
        return a
    fa, fb = a.kind == "f", b.kind == "f"
    if fa and not fb:
        return a
    if fb and not fa:
        return b
    return np.promote_types(a, b)


# ---------------------------------------------------------------------------- cupy
_cupy = None
_cupy_checked = False


def _load_cupy():
    """Import cupy on first use; None where it or a usable GPU is missing."""
    global _cupy, _cupy_checked
    if not _cupy_checked:
        _cupy_checked = True
        try:
            import cupy

            if cupy.cuda.runtime.getDeviceCount() > 0:
                _cupy = cupy
        except Exception:  # no cupy, no driver, no device: all mean "no CUDA"
            _cupy = None
    return _cupy


def cuda_is_available() -> bool:
    """True where cupy imports and sees at least one GPU; never raises."""
    return _load_cupy() is not None


def cuda_device_count() -> int:
    cp = _load_cupy()
    return 0 if cp is None else int(cp.cuda.runtime.getDeviceCount())


def _require_cupy(what):
    cp = _load_cupy()
    if cp is None:
        raise RuntimeError(
            f"{what} needs CUDA, but no GPU is usable here (cupy missing or no device). "
            'Install the extra for your CUDA version: pip install "minigrad[cuda12]" or '
            '"minigrad[cuda13]".'
        )
    return cp


# ---------------------------------------------------------------------------- devices
_default_device = "cpu"  # where device=None puts new tensors (mg.set_default_device)


def canonical_device(device) -> str:
    """'cpu' or 'cuda:N' from 'cpu', 'cuda', 'cuda:N', an int, an ``mg.device``, or None
    (the default device)."""
    if device is None:
        return _default_device
    if isinstance(device, int):
        return f"cuda:{device}"
    name = str(device)
    if name == "cpu":
        return "cpu"
    if name == "cuda":
        cp = _load_cupy()
        return f"cuda:{cp.cuda.runtime.getDevice() if cp else 0}"
    if name.startswith("cuda:") and name[5:].isdigit():
        return name
    raise ValueError(f"device: expected 'cpu', 'cuda' or 'cuda:N', got {device!r}")


def device_of(array) -> str:
    """The canonical device name an array lives on."""
    if isinstance(array, np.ndarray) or isinstance(array, np.generic):
        return "cpu"
    return f"cuda:{array.device.id}"


def device_mismatch(what, *devices) -> RuntimeError:
    """The one error for tensors of one operation that live on different devices."""
    names = sorted({str(d) for d in devices})
    return RuntimeError(f"{what}: expected all tensors on the same device, got {' and '.join(names)}")


def xp_for_device(device):
    """The array module (numpy or cupy) for a canonical device name."""
    if device == "cpu":
        return np
    return _require_cupy(f"device {device!r}")


def array_module(array):
    """The array module of an array: numpy for host arrays, cupy for GPU arrays."""
    # the exact type first: every op asks, and an isinstance on a tuple costs ~3x more
    if type(array) is ndarray or isinstance(array, (np.ndarray, np.generic)):
        return np
    return _load_cupy()


class _DeviceScope:
    """Makes cupy allocate on the right GPU; a no-op for the CPU."""

    def __init__(self, device):
        self._ctx = None if device == "cpu" else _require_cupy(device).cuda.Device(int(device[5:]))

    def __enter__(self):
        if self._ctx is not None:
            self._ctx.__enter__()

    def __exit__(self, *exc):
        if self._ctx is not None:
            self._ctx.__exit__(*exc)


def on_device(device):
    """Context manager: allocations inside it land on `device`."""
    return _DeviceScope(device)


def off_current_device(array) -> bool:
    """For a GPU array: whether it lives on another GPU than the current one (then a
    kernel reading it must run under `on_device_of(array)`)."""
    return array.device.id != _cupy.cuda.runtime.getDevice()


def on_device_of(array):
    """Context manager: the current GPU becomes `array`'s, so kernels launch and results
    are allocated there (CuPy runs everything on the current device)."""
    return array.device


_NO_SCOPE = contextlib.nullcontext()


def scope_of(tensors):
    """Context manager: the device of the first tensor (or array) in `tensors` that lives
    on a GPU other than the current one; a no-op otherwise (always on the CPU)."""
    for t in tensors:
        a = getattr(t, "array", t)
        if type(a) is ndarray:
            return _NO_SCOPE
        if a is not None and not isinstance(a, np.generic) and hasattr(a, "device"):
            return on_device_of(a) if off_current_device(a) else _NO_SCOPE
    return _NO_SCOPE


def runs_on_own_device(method):
    """Decorator: a method of a tensor (an object with `.array`) runs on its device."""

    @functools.wraps(method)
    def wrapper(self, *args, **kwargs):
        a = self.array
        if type(a) is not ndarray and off_current_device(a):
            with on_device_of(a):
                return method(self, *args, **kwargs)
        return method(self, *args, **kwargs)

    return wrapper


# ---------------------------------------------------------------------------- deferred checks
# A GPU op cannot look at its inputs' values without making the host wait. Like PyTorch's
# device-side asserts, such a check computes a 0-d flag on the device and raises at the
# next point that waits for the device anyway (item(), numpy(), tolist(), printing, a move
# to the CPU). Flags of the same check are OR-ed together on the device, so a loop that
# never syncs keeps one flag per check, not one per step.
_deferred: dict = {}  # (device, error class, message) -> 0-d bool device array


def check_later(bad, error, message):
    """Raise ``error(message)`` if the 0-d bool array `bad` is true: now for host arrays,
    at the next sync for device arrays."""
    if isinstance(bad, (np.ndarray, np.generic)):
        if bad:
            raise error(message)
        return
    key = (bad.device.id, error, message)
    prev = _deferred.get(key)
    _deferred[key] = bad if prev is None else (prev | bad)


def raise_deferred():
    """Raise the first failed deferred check (one device->host transfer per device)."""
    if not _deferred:
        return
    pending = list(_deferred.items())
    _deferred.clear()
    cp = _load_cupy()
    by_device: dict = {}
    for key, flag in pending:
        by_device.setdefault(key[0], []).append((key, flag))
    for dev, items in by_device.items():
        with cp.cuda.Device(dev):
            values = cp.stack([f for _, f in items]).get()
        for ((_, error, message), _), failed in zip(items, values):
            if failed:
                raise error(message)


def item(array):
    """A one-element array's value as a Python number (raises pending deferred checks)."""
    if _deferred:
        if array.dtype.kind == "f" and array.dtype.itemsize <= 8 and type(array) is not np.ndarray:
            # one transfer: the value travels with the pending check flags (float64 holds it exactly)
            value = _get_with_deferred_checks(array.reshape(1).astype(float64))[0]
            return array.dtype.type(value).item()
        raise_deferred()
    return array.item()


def prepare_index(index, array):
    """An index for a GPU `array`, with CuPy's silent wrap-around of out-of-range integer
    indices turned into PyTorch's IndexError: host index arrays are checked here and
    uploaded to `array`'s device; device index arrays get a deferred device-side check."""
    parts = index if isinstance(index, tuple) else (index,)
    shape = array.shape
    used = sum(getattr(p, "ndim", 1) if getattr(p, "dtype", None) == bool_ else 1
               for p in parts if p is not None and p is not Ellipsis)
    out, axis = [], 0
    for p in parts:
        if p is Ellipsis:
            axis += len(shape) - used
        elif p is None:
            pass
        elif hasattr(p, "dtype") and p.dtype.kind in "iu" and axis < len(shape):
            n = shape[axis]
            if isinstance(p, np.ndarray):
                if p.size and (p.min() < -n or p.max() >= n):
                    bad = p[(p < -n) | (p >= n)].flat[0]
                    raise IndexError(f"index {int(bad)} is out of range for dimension {axis} with size {n} "
                                     f"of a tensor of shape {tuple(shape)}")
                p = to_device(p, device_of(array))
            elif p.size:
                check_later(((p < -n) | (p >= n)).any(), IndexError,
                            f"an index tensor has a value out of range for dimension {axis} with size {n} "
                            f"of a tensor of shape {tuple(shape)} (a deferred device-side check)")
        elif isinstance(p, np.ndarray):  # a host bool mask
            p = to_device(p, device_of(array))
        out.append(p)
        axis += getattr(p, "ndim", 1) if getattr(p, "dtype", None) == bool_ else (0 if p is None or p is Ellipsis else 1)
    return tuple(out) if isinstance(index, tuple) else out[0]


def ignore_float_errors(xp):
    """Context manager silencing NumPy's divide/invalid/overflow warnings.

    For ops whose inf/NaN results are intended (log(0), 0/0 in a masked branch), as
    torch stays silent. NumPy's ``errstate`` is context-local; CuPy never warns.
    """
    if xp is np:
        return np.errstate(divide="ignore", invalid="ignore", over="ignore")
    return contextlib.nullcontext()


def _errstate_per_call(fn):
    """`fn` with NumPy's float errors silenced, through a fresh errstate per call: NumPy 1's
    errstate keeps the state it replaced on the instance, so one shared decorator would
    let two threads restore each other's state."""

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            return fn(*args, **kwargs)

    return wrapper


# `ignore_float_errors` as a decorator, for the hot forward of a tiny op: NumPy 2's errstate
# decorator sets the error state per call (per thread) without building a context manager
# each time (0.9 instead of 1.4 us with a 16-float exp). Harmless around CuPy code.
if np.lib.NumpyVersion(np.__version__) >= "2.0.0":
    ignoring_float_errors = np.errstate(divide="ignore", invalid="ignore", over="ignore")
else:
    ignoring_float_errors = _errstate_per_call


def as_array(x):
    """Turn a NumPy scalar (from a 0-d reduction or ufunc) back into a 0-d array."""
    return np.asarray(x) if isinstance(x, np.generic) else x


def to_device(array, device):
    """Move (copy) an array to a canonical device; returns it unchanged if already there."""
    src = device_of(array)
    if src == device:
        return array
    if device == "cpu":
        return to_host(array)
    cp = _require_cupy(f"moving to {device}")
    _follow(cp, device)
    with cp.cuda.Device(int(device[5:])):
        # cp.asarray may hand back an array of another GPU as it is; a copy lands here
        return cp.asarray(array) if src == "cpu" else array.copy()


def _follow(cp, device):
    """Make `device` CuPy's current GPU once data is placed there: code that works on raw
    arrays outside an op (metrics, state loading, user code) then runs where the data is,
    as a program that lives on cuda:1 expects. Ops still run on their own tensors'
    device when several GPUs are mixed."""
    idx = int(device[5:])
    if cp.cuda.runtime.getDevice() != idx:
        cp.cuda.runtime.setDevice(idx)


def memory_order(array, like=None):
    """`array` as a view whose C order is the memory order of `like` (default: itself), its
    axes sorted by decreasing stride: the order torch's CPU kernels visit a tensor's elements
    in, so in-place random fills of a transposed view draw as torch's do."""
    like = array if like is None else like
    if like.ndim < 2 or like.flags.c_contiguous:
        return array
    axes = sorted(range(like.ndim), key=lambda d: -abs(like.strides[d]) if like.shape[d] > 1 else 0)
    return array.transpose(axes)


def to_host(array):
    """A NumPy array with the same values (no copy for host arrays)."""
    if isinstance(array, np.ndarray):
        return array
    if isinstance(array, np.generic):
        return np.asarray(array)
    if _deferred:
        if array.dtype == float64 and array.ndim == 1:  # e.g. the tracer's stacked statistics
            return _get_with_deferred_checks(array)
        raise_deferred()
    return array.get()


def _get_with_deferred_checks(array):
    """`array.get()` with this device's pending check flags in the same transfer."""
    dev = array.device.id
    keys = [k for k in _deferred if k[0] == dev]
    if not keys:
        raise_deferred()
        return array.get()
    cp = _load_cupy()
    with array.device:
        flags = cp.stack([_deferred.pop(k) for k in keys]).astype(float64)
        host = cp.concatenate([array, flags]).get()
    for (_, error, message), failed in zip(keys, host[array.size:]):
        if failed:
            _deferred.clear()
            raise error(message)
    raise_deferred()  # other devices' flags, if any
    return host[:array.size]


def asarray(data, dtype=None, device="cpu"):
    """Build a backend array on `device` from Python data, NumPy or CuPy arrays."""
    xp = xp_for_device(device)
    if device != "cpu":
        _follow(xp, device)
    if device != "cpu" and isinstance(data, np.ndarray):
        data = to_device(data, device)
    elif device == "cpu" and not isinstance(data, (np.ndarray, np.generic)) and hasattr(data, "get") and hasattr(data, "device"):
        data = data.get()
    with on_device(device):
        return xp.asarray(data, dtype=dtype)


def from_dlpack(obj):
    """Import an array through DLPack (no copy): CPU data -> numpy, CUDA data -> cupy."""
    dev_type = obj.__dlpack_device__()[0] if hasattr(obj, "__dlpack_device__") else 1
    if int(dev_type) == 1:  # kDLCPU
        return np.from_dlpack(obj)
    return _require_cupy("from_dlpack of GPU data").from_dlpack(obj)


def matmul(a, b):
    """``a @ b`` for two arrays on one device.

    On the CPU it goes through `minigrad.backends.mkl` (Intel MKL when installed, else NumPy);
    on a GPU, CuPy's cuBLAS.
    """
    if type(a) is np.ndarray and type(b) is np.ndarray:
        return mkl.matmul(a, b)
    return a @ b


def scatter_add(target, index, values):
    """target[index] += values with repeated indices accumulated (unlike `+=`).

    NumPy spells this ``np.add.at``; CuPy spells it ``cupyx.scatter_add``.
    """
    if isinstance(target, np.ndarray):
        np.add.at(target, index, values)
    else:
        import cupyx

        cupyx.scatter_add(target, index, values)
    return target
