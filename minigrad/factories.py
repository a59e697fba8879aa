"""Tensor factories: ``zeros``, ``ones``, ``full``, ``arange``, ``eye``, ``rand``, ...

Sizes are given as ``*size`` or one tuple, as in torch; float factories use the default
dtype; random ones draw from a `Generator` (the device's default one unless given).
"""
from __future__ import annotations

import math
import numbers

from . import backend
from .generator import default_generator
from .tensor import Tensor


def _real(value, name, op):
    """A real number argument (int, float or NumPy scalar; not a bool, str or None)."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{op}: {name} must be a real number, got {type(value).__name__} {value!r}")
    return value


def _count(value, name, op):
    """A non-negative int argument (a length or a size)."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{op}: {name} must be an int, got {type(value).__name__} {value!r}")
    if value < 0:
        raise ValueError(f"{op}: {name} must be non-negative, got {value}")
    return int(value)


def _float_dtype(dtype, op):
    """The floating dtype a sampler makes (torch: "not implemented for 'Long'")."""
    dtype = backend.to_dtype(dtype) or backend.get_default_dtype()
    if dtype.kind != "f":
        raise TypeError(f"{op}: dtype must be a floating point dtype, got {dtype}; use randint for integers")
    return dtype


def _size(size, op):
    if len(size) == 1 and isinstance(size[0], (tuple, list)):
        size = tuple(size[0])
    for s in size:
        if not isinstance(s, int) or isinstance(s, bool) or s < 0:
            raise ValueError(f"{op}: size must be non-negative ints, got {size!r}")
    return tuple(size)


def _finish(data, requires_grad):
    t = Tensor._make(data, False, None)
    if requires_grad:
        t.requires_grad_(True)
    return t


def _filled(fill, size, dtype, device, requires_grad, op):
    device = backend.canonical_device(device)
    dtype = backend.to_dtype(dtype) or backend.get_default_dtype()
    xp = backend.xp_for_device(device)
    with backend.on_device(device):
        data = getattr(xp, fill)(_size(size, op), dtype=dtype)
    return _finish(data, requires_grad)


def tensor(data, dtype=None, device=None, requires_grad=False) -> Tensor:
    """A new tensor holding a copy of `data` (lists, scalars, NumPy/CuPy arrays, tensors).

    Python floats become the default dtype (float32), ints int64, bools bool; arrays keep
    their dtype, as ``torch.tensor`` does.
    """
    return Tensor(data, dtype=dtype, device=device, requires_grad=requires_grad)


def zeros(*size, dtype=None, device=None, requires_grad=False) -> Tensor:
    return _filled("zeros", size, dtype, device, requires_grad, "zeros")


def ones(*size, dtype=None, device=None, requires_grad=False) -> Tensor:
    return _filled("ones", size, dtype, device, requires_grad, "ones")


def empty(*size, dtype=None, device=None, requires_grad=False) -> Tensor:
    return _filled("empty", size, dtype, device, requires_grad, "empty")


def full(size, fill_value, dtype=None, device=None, requires_grad=False) -> Tensor:
    """A tensor of `size` filled with `fill_value` (its dtype follows the value, as torch)."""
    if isinstance(fill_value, Tensor) and fill_value.ndim == 0:
        fill_value = fill_value.item()
    if not isinstance(fill_value, (bool, numbers.Real)):
        raise TypeError(f"full: fill_value must be a number, got {type(fill_value).__name__} {fill_value!r}")
    if dtype is None:
        dtype = backend.bool_ if isinstance(fill_value, bool) else backend.int64 if isinstance(fill_value, int) else None
    t = _filled("empty", (tuple(size) if isinstance(size, (tuple, list)) else (size,)), dtype, device, False, "full")
    t.array.fill(fill_value)
    return _finish(t.array, requires_grad)


def _like(input, dtype, device):
    return (dtype if dtype is not None else input.dtype), (device if device is not None else input.device)


def zeros_like(input, dtype=None, device=None, requires_grad=False) -> Tensor:
    dtype, device = _like(input, dtype, device)
    return zeros(input.shape, dtype=dtype, device=device, requires_grad=requires_grad)


def ones_like(input, dtype=None, device=None, requires_grad=False) -> Tensor:
    dtype, device = _like(input, dtype, device)
    return ones(input.shape, dtype=dtype, device=device, requires_grad=requires_grad)


def empty_like(input, dtype=None, device=None, requires_grad=False) -> Tensor:
    dtype, device = _like(input, dtype, device)
    return empty(input.shape, dtype=dtype, device=device, requires_grad=requires_grad)


def full_like(input, fill_value, dtype=None, device=None, requires_grad=False) -> Tensor:
    dtype, device = _like(input, dtype, device)
    return full(input.shape, fill_value, dtype=dtype, device=device, requires_grad=requires_grad)


def arange(start, end=None, step=1, dtype=None, device=None, requires_grad=False) -> Tensor:
    """Values from `start` to `end` (exclusive) by `step`; int64 unless a bound is a float."""
    if end is None:
        start, end = 0, start
    for name, v in (("start", start), ("end", end), ("step", step)):
        if not math.isfinite(_real(v, name, "arange")):
            raise ValueError(f"arange: {name} must be finite, got {v}")
    if step == 0:
        raise ValueError("arange: step must be nonzero")
    if (end - start) * step < 0:
        raise ValueError(f"arange: upper bound and lower bound inconsistent with step sign (start={start}, end={end}, step={step})")
    if dtype is None:
        is_int = all(isinstance(v, int) for v in (start, end, step))
        dtype = backend.int64 if is_int else backend.get_default_dtype()
    device = backend.canonical_device(device)
    xp = backend.xp_for_device(device)
    dtype = backend.to_dtype(dtype)
    with backend.on_device(device):
        if dtype.kind == "f":  # torch computes start + i * step in double, then rounds
            data = xp.arange(start, end, step, dtype=backend.float64).astype(dtype, copy=False)
        else:
            data = xp.arange(start, end, step, dtype=dtype)
    return _finish(data, requires_grad)


def linspace(start, end, steps, dtype=None, device=None, requires_grad=False) -> Tensor:
    """`steps` evenly spaced values from `start` to `end`, both included."""
    _real(start, "start", "linspace"), _real(end, "end", "linspace"), _count(steps, "steps", "linspace")
    device = backend.canonical_device(device)
    xp = backend.xp_for_device(device)
    with backend.on_device(device):
        data = xp.linspace(start, end, steps, dtype=backend.to_dtype(dtype) or backend.get_default_dtype())
    return _finish(data, requires_grad)


def eye(n, m=None, dtype=None, device=None, requires_grad=False) -> Tensor:
    """The n x m identity matrix."""
    _count(n, "n", "eye"), m is None or _count(m, "m", "eye")
    device = backend.canonical_device(device)
    xp = backend.xp_for_device(device)
    with backend.on_device(device):
        data = xp.eye(n, m, dtype=backend.to_dtype(dtype) or backend.get_default_dtype())
    return _finish(data, requires_grad)


def _generator(generator, device):
    device = backend.canonical_device(device if device is not None else (generator.device if generator else None))
    gen = generator or default_generator(device)
    if gen.device != device:
        raise RuntimeError(f"generator on {gen.device} cannot make a tensor on {device}")
    return gen, device


def rand(*size, generator=None, dtype=None, device=None, requires_grad=False) -> Tensor:
    """Uniform samples from [0, 1)."""
    gen, device = _generator(generator, device)
    dtype = _float_dtype(dtype, "rand")
    return _finish(gen.uniform(_size(size, "rand"), dtype), requires_grad)


def randn(*size, generator=None, dtype=None, device=None, requires_grad=False) -> Tensor:
    """Standard normal samples."""
    gen, device = _generator(generator, device)
    dtype = _float_dtype(dtype, "randn")
    return _finish(gen.normal(_size(size, "randn"), dtype), requires_grad)


def randint(low, high=None, size=None, generator=None, dtype=None, device=None, requires_grad=False) -> Tensor:
    """Integers uniform in [low, high); ``randint(high, size)`` starts at 0, as torch."""
    if size is None:
        if high is None or not isinstance(high, (tuple, list)):
            raise TypeError("randint: size (a tuple) is required")
        low, high, size = 0, low, high
    elif high is None:
        low, high = 0, low
    if high <= low:
        raise ValueError(f"randint: high ({high}) must be greater than low ({low})")
    gen, device = _generator(generator, device)
    return _finish(gen.integers(low, high, _size((size,), "randint"), backend.to_dtype(dtype) or backend.int64), requires_grad)


def randperm(n, generator=None, device=None) -> Tensor:
    """A random permutation of 0..n-1."""
    _count(n, "n", "randperm")
    gen, device = _generator(generator, device)
    return _finish(gen.permutation(n), False)


def normal(mean=0.0, std=1.0, size=None, *, generator=None, dtype=None, device=None, requires_grad=False) -> Tensor:
    """Normal samples, with torch.normal's overloads: ``normal(mean, std, size)`` with float
    mean and std; ``normal(mean_tensor, std_tensor)``, ``normal(mean_tensor, std=1.0)`` and
    ``normal(mean=0.0, std=std_tensor)`` with the broadcast shape of the tensors.

    As torch on the CPU: standard normals scaled by `std` then shifted by `mean` (a float
    std is folded into the draw when the mean is a tensor), so the numbers match torch's.
    """
    if not isinstance(mean, Tensor) and not isinstance(std, Tensor):
        if size is None:
            raise TypeError("normal: size is required when mean and std are numbers")
        gen, device = _generator(generator, device)
        dtype = backend.to_dtype(dtype) or backend.get_default_dtype()
        if std < 0:
            raise RuntimeError(f"normal: expected std >= 0.0, got {std}")
        return _finish(gen.normal(_size((size,), "normal"), dtype, mean, std), requires_grad)
    ref = mean if isinstance(mean, Tensor) else std
    if isinstance(std, Tensor) and bool((std.array < 0).any()):
        raise RuntimeError("normal: std tensor has negative entries")
    if not isinstance(std, Tensor) and std < 0:
        raise RuntimeError(f"normal: expected std >= 0.0, got {std}")
    gen, _ = _generator(generator, ref.device)
    xp = ref.xp
    shape = _broadcast_shape(mean.shape, std.shape) if isinstance(mean, Tensor) and isinstance(std, Tensor) else ref.shape
    if isinstance(mean, Tensor) and not isinstance(std, Tensor):
        out = gen.normal(shape, ref.dtype, 0.0, std)
    else:
        out = gen.normal(shape, ref.dtype) * std.array.astype(ref.dtype, copy=False)
    out = xp.add(out, mean.array if isinstance(mean, Tensor) else mean, dtype=ref.dtype)
    return _finish(out, requires_grad)


def _broadcast_shape(a, b):
    """NumPy's broadcast of two shapes (without touching any array)."""
    n = max(len(a), len(b))
    a, b = (1,) * (n - len(a)) + tuple(a), (1,) * (n - len(b)) + tuple(b)
    if any(x != y and 1 not in (x, y) for x, y in zip(a, b)):
        raise RuntimeError(f"normal: mean of shape {a} and std of shape {b} do not broadcast")
    return tuple(y if x == 1 else x for x, y in zip(a, b))


def bernoulli(input, p=None, *, generator=None) -> Tensor:
    """0/1 samples in `input`'s dtype: P(1) = input elementwise, or the float `p` for every
    element when given (``torch.bernoulli(input, p)``)."""
    gen, _ = _generator(generator, input.device)
    if p is not None:
        if not 0 <= p <= 1:
            raise RuntimeError(f"bernoulli: expected p in [0, 1], got {p}")
        return _finish(gen.bernoulli(input.shape, input.dtype, p), False)
    if input.dtype.kind != "f":
        raise TypeError(f"bernoulli: probabilities must be floating point, got {input.dtype}")
    probs = input.array
    if bool(((probs < 0) | (probs > 1)).any()):
        raise RuntimeError("bernoulli: expected all probabilities in [0, 1]")
    return _finish(backend.to_device(gen.bernoulli_from(probs, input.dtype), input.device), False)


def multinomial(input, num_samples, replacement=False, *, generator=None) -> Tensor:
    """`num_samples` category indices per row of the non-negative weights `input` (1-D or
    2-D), with or without replacement, as ``torch.multinomial`` (int64)."""
    if input.ndim not in (1, 2):
        raise RuntimeError(f"multinomial: prob_dist must be 1 or 2 dim, got {input.ndim}")
    if input.dtype.kind != "f":
        raise RuntimeError(f"multinomial: only supports floating-point dtypes for input, got {input.dtype}")
    num_samples = int(num_samples)
    if num_samples <= 0:
        raise RuntimeError(f"multinomial: cannot sample n_sample <= 0 samples, got {num_samples}")
    n_categories = input.shape[-1]
    if not replacement and num_samples > n_categories:
        raise RuntimeError(
            f"multinomial: cannot sample n_sample ({num_samples}) > prob_dist.size(-1) ({n_categories}) "
            "samples without replacement")
    weights = input.array
    xp = input.xp
    if not bool(xp.isfinite(weights).all()) or bool((weights < 0).any()):
        raise RuntimeError("multinomial: probability tensor contains either `inf`, `nan` or element < 0")
    if bool((weights.sum(axis=-1) == 0).any()):
        raise RuntimeError("multinomial: invalid multinomial distribution (sum of probabilities <= 0)")
    gen, _ = _generator(generator, input.device)
    return _finish(backend.to_device(gen.multinomial(weights, num_samples, replacement), input.device), False)


def rand_like(input, generator=None, dtype=None, device=None, requires_grad=False) -> Tensor:
    dtype, device = _like(input, dtype, device)
    return rand(input.shape, generator=generator, dtype=dtype, device=device, requires_grad=requires_grad)


def randn_like(input, generator=None, dtype=None, device=None, requires_grad=False) -> Tensor:
    dtype, device = _like(input, dtype, device)
    return randn(input.shape, generator=generator, dtype=dtype, device=device, requires_grad=requires_grad)


def from_numpy(array) -> Tensor:
    """A CPU tensor sharing memory with a NumPy array (no copy; dtype kept)."""
    if not isinstance(array, backend.np.ndarray):
        raise TypeError(f"from_numpy: expected a numpy.ndarray, got {type(array).__name__}")
    if array.dtype.kind not in "biuf":
        raise TypeError(f"from_numpy: unsupported dtype {array.dtype}; supported are bool, integer and floating dtypes")
    return Tensor._make(array, False, None)


def from_dlpack(obj) -> Tensor:
    """A tensor sharing memory with any DLPack producer (torch, cupy, jax, numpy)."""
    if isinstance(obj, Tensor):
        return obj
    return Tensor._make(backend.from_dlpack(obj), False, None)
