"""The one place that knows about NumPy and CuPy.

Everything above this module asks a tensor for its array module (``xp``) and never
names numpy or cupy itself, so each op is written once and runs on both backends.
This module owns: device names, the array module of a device or array, dtypes and the
default dtype, random generators, and host <-> device transfer.
"""
from __future__ import annotations

import contextlib

import numpy as np

from . import blas

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
def canonical_device(device) -> str:
    """'cpu' or 'cuda:N' from 'cpu', 'cuda', 'cuda:N', an int, or a tensor's device."""
    if device is None:
        return "cpu"
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
    if isinstance(array, (np.ndarray, np.generic)):
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


def ignore_float_errors(xp):
    """Context manager silencing NumPy's divide/invalid/overflow warnings.

    For ops whose inf/NaN results are intended (log(0), 0/0 in a masked branch), as
    torch stays silent. NumPy's ``errstate`` is context-local; CuPy never warns.
    """
    if xp is np:
        return np.errstate(divide="ignore", invalid="ignore", over="ignore")
    return contextlib.nullcontext()


def as_array(x):
    """Turn a NumPy scalar (from a 0-d reduction or ufunc) back into a 0-d array."""
    return np.asarray(x) if isinstance(x, np.generic) else x


def to_device(array, device):
    """Move (copy) an array to a canonical device; returns it unchanged if already there."""
    src = device_of(array)
    if src == device:
        return array
    if device == "cpu":
        return array.get()
    cp = _require_cupy(f"moving to {device}")
    with cp.cuda.Device(int(device[5:])):
        return cp.asarray(array)


def to_host(array):
    """A NumPy array with the same values (no copy for host arrays)."""
    return array if isinstance(array, np.ndarray) else (np.asarray(array) if isinstance(array, np.generic) else array.get())


def asarray(data, dtype=None, device="cpu"):
    """Build a backend array on `device` from Python data, NumPy or CuPy arrays."""
    xp = xp_for_device(device)
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

    On the CPU it goes through `minigrad.blas` (Intel MKL when installed, else NumPy);
    on a GPU, CuPy's cuBLAS.
    """
    if type(a) is np.ndarray and type(b) is np.ndarray:
        return blas.matmul(a, b)
    return a @ b


def vector_math(*arrays):
    """MKL's multi-threaded vector routines (the `minigrad.blas` module) if they can run on
    `arrays`, else None (then the caller uses the array module's ufuncs).

    They take large C-contiguous float32/float64 NumPy arrays of one shape (the last one
    is written; see `blas.takes`), and do one threaded pass per routine where NumPy does
    one single-threaded pass per operation.
    """
    return blas if blas.takes(*arrays) else None


def ufuncs_only():
    """A context in which `vector_math` is None: every pass is a ufunc. Updates that run
    over cache-sized chunks use it (NumPy on one core, in cache, beats waking MKL's
    threads for each chunk)."""
    return blas.numpy_only()


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


# ---------------------------------------------------------------------------- random
class Generator:
    """An explicit random stream for one device, as ``torch.Generator``.

    CPU streams use NumPy's PCG64; CUDA streams use CuPy's RandomState. The same seed
    gives the same numbers on the same device (not across devices).
    """

    def __init__(self, device="cpu"):
        self.device = canonical_device(device)
        self._seed = int(np.random.SeedSequence().entropy % (2**63))
        self._rng = None

    def manual_seed(self, seed):
        """Reseed; returns the generator itself, as in PyTorch."""
        seed = int(seed)
        if seed < 0:
            raise ValueError(f"manual_seed: seed must be non-negative, got {seed}")
        self._seed = seed
        self._rng = None
        return self

    def seed(self):
        """Reseed from fresh OS entropy and return the new seed."""
        self.manual_seed(int(np.random.SeedSequence().entropy % (2**63)))
        return self._seed

    def initial_seed(self):
        return self._seed

    @property
    def rng(self):
        if self._rng is None:
            if self.device == "cpu":
                self._rng = np.random.Generator(np.random.PCG64(self._seed))
            else:
                cp = _require_cupy(f"a Generator on {self.device}")
                with cp.cuda.Device(int(self.device[5:])):
                    self._rng = cp.random.RandomState(self._seed % (2**63))
        return self._rng

    def get_state(self):
        """The stream's state (CPU: a dict you can pass back to set_state)."""
        if self.device != "cpu":
            raise NotImplementedError("get_state is only available for CPU generators")
        return {"seed": self._seed, "state": self.rng.bit_generator.state}

    def set_state(self, state):
        self._seed = state["seed"]
        self.rng.bit_generator.state = state["state"]
        return self

    # -- sampling primitives, one per kind, each valid on numpy and cupy --
    def uniform(self, shape, dtype, low=0.0, high=1.0):
        with on_device(self.device):
            if self.device == "cpu":
                u = self.rng.random(shape, dtype=dtype if dtype in (float32, float64) else float64)
            else:
                u = self.rng.random_sample(shape, dtype=dtype if dtype in (float32, float64) else float64)
            if low != 0.0 or high != 1.0:
                u = u * (high - low) + low
            return u.astype(dtype, copy=False)

    def normal(self, shape, dtype, mean=0.0, std=1.0):
        with on_device(self.device):
            d = dtype if dtype in (float32, float64) else float64
            z = self.rng.standard_normal(shape, dtype=d)
            if std != 1.0 or mean != 0.0:
                z = z * std + mean
            return z.astype(dtype, copy=False)

    def integers(self, low, high, shape, dtype=int64):
        with on_device(self.device):
            if self.device == "cpu":
                return self.rng.integers(low, high, size=shape, dtype=dtype)
            return self.rng.randint(low, high, size=shape, dtype=dtype)

    def permutation(self, n):
        with on_device(self.device):
            return self.rng.permutation(n).astype(int64, copy=False)

    def __repr__(self):
        return f"Generator(device={self.device!r}, seed={self._seed})"


_default_generators: dict = {}
_global_seed = None


def default_generator(device="cpu") -> Generator:
    """The per-device generator behind factories like ``mg.randn`` and dropout."""
    device = canonical_device(device)
    gen = _default_generators.get(device)
    if gen is None:
        gen = Generator(device)
        if _global_seed is not None:
            gen.manual_seed(_global_seed)
        _default_generators[device] = gen
    return gen


def manual_seed(seed):
    """Seed every backend's default generator; the same seed gives the same run."""
    global _global_seed
    _global_seed = int(seed)
    for gen in _default_generators.values():
        gen.manual_seed(_global_seed)
    default_generator("cpu").manual_seed(_global_seed)
    return default_generator("cpu")
