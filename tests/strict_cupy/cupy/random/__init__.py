"""``cupy.random``: the legacy RandomState (with CuPy's dtype arguments) and Generator.

Numbers come from NumPy's PCG64, not cuRAND: the same seed gives the same stream here,
not the stream a real GPU gives. Samples land on the current device.
"""
import numpy as _numpy

from .. import _core, _strict

_FLOATS = (_numpy.dtype("float32"), _numpy.dtype("float64"))


def _float_dtype(dtype):
    dtype = _numpy.dtype(dtype)
    if dtype not in _FLOATS:
        raise TypeError(f"cupy.random does not support dtype {dtype}")
    return dtype


def _out(raw):
    return _core._wrap_raw(_numpy.asarray(raw), _strict.current_device())


def _into(out, raw):
    """The samples as a new device array, or written into `out`."""
    if out is None:
        return _out(raw)
    out[...] = _out(raw)
    return out


def _host(x):
    """Distribution parameters may be cupy arrays (on the current device) or scalars."""
    if isinstance(x, _core.ndarray):
        _core._check_current(x)
        return x._a
    return x


class RandomState:
    """CuPy's legacy random state (cupy.random.RandomState)."""

    def __init__(self, seed=None, method=None):
        self.seed(seed)

    def seed(self, seed=None):
        self._rng = _numpy.random.Generator(_numpy.random.PCG64(None if seed is None else int(seed)))

    def random_sample(self, size=None, dtype=float):
        return _out(self._rng.random(size, dtype=_float_dtype(dtype)))

    def rand(self, *size, dtype=float):
        return self.random_sample(size, dtype)

    def randn(self, *size, dtype=float):
        return self.standard_normal(size, dtype)

    def standard_normal(self, size=None, dtype=float):
        return _out(self._rng.standard_normal(size, dtype=_float_dtype(dtype)))

    def normal(self, loc=0.0, scale=1.0, size=None, dtype=float):
        d = _float_dtype(dtype)
        return _out(self._rng.normal(_host(loc), _host(scale), size).astype(d))

    def uniform(self, low=0.0, high=1.0, size=None, dtype=float):
        d = _float_dtype(dtype)
        return _out(self._rng.uniform(_host(low), _host(high), size).astype(d))

    def randint(self, low, high=None, size=None, dtype=int):
        if high is None:
            low, high = 0, low
        return _out(self._rng.integers(low, high, size=size, dtype=dtype))

    def permutation(self, num):
        """A permuted range for a Python int; otherwise a shuffled copy of an array (so a
        NumPy integer, taken as a 0-d array, raises as in CuPy)."""
        if isinstance(num, int):
            return _out(self._rng.permutation(num).astype(_numpy.int64))
        if not isinstance(num, _core.ndarray) or num.ndim == 0:
            raise TypeError("permutation: the array must be at least 1-dimensional (or num a Python int)")
        _core._check_current(num)
        return _out(self._rng.permutation(num._a))

    def shuffle(self, a):
        if not isinstance(a, _core.ndarray):
            raise TypeError("The array must be cupy.ndarray")
        _core._check_current(a)
        self._rng.shuffle(a._a)

    def choice(self, a, size=None, replace=True, p=None):
        return _out(self._rng.choice(_host(a), size=size, replace=replace, p=_host(p)))

    def exponential(self, scale=1.0, size=None, dtype=float):
        return _out(self._rng.exponential(_host(scale), size).astype(_float_dtype(dtype)))

    def standard_exponential(self, size=None, dtype="d", method="inv"):
        return _out(self._rng.standard_exponential(size, dtype=_float_dtype(dtype)))

    def binomial(self, n, p, size=None, dtype=int):
        return _out(self._rng.binomial(_host(n), _host(p), size).astype(dtype))

    def poisson(self, lam=1.0, size=None, dtype=int):
        return _out(self._rng.poisson(_host(lam), size).astype(dtype))

    def gamma(self, shape, scale=1.0, size=None, dtype=float):
        return _out(self._rng.gamma(_host(shape), _host(scale), size).astype(_float_dtype(dtype)))

    def beta(self, a, b, size=None, dtype=float):
        return _out(self._rng.beta(_host(a), _host(b), size).astype(_float_dtype(dtype)))

    def laplace(self, loc=0.0, scale=1.0, size=None, dtype=float):
        return _out(self._rng.laplace(_host(loc), _host(scale), size).astype(_float_dtype(dtype)))

    def lognormal(self, mean=0.0, sigma=1.0, size=None, dtype=float):
        return _out(self._rng.lognormal(_host(mean), _host(sigma), size).astype(_float_dtype(dtype)))


class BitGenerator:
    def __init__(self, seed=None):
        self.seed = seed


class XORWOW(BitGenerator):
    pass


class MRG32k3a(BitGenerator):
    pass


class Philox4x3210(BitGenerator):
    pass


class Generator:
    """CuPy's new-style generator (cupy.random.Generator)."""

    def __init__(self, bit_generator):
        seed = bit_generator.seed
        self.bit_generator = bit_generator
        self._rng = _numpy.random.Generator(_numpy.random.PCG64(seed))

    def random(self, size=None, dtype=_numpy.float64, out=None):
        return _into(out, self._rng.random(size, dtype=_float_dtype(dtype)))

    def standard_normal(self, size=None, dtype=_numpy.float64, out=None):
        return _into(out, self._rng.standard_normal(size, dtype=_float_dtype(dtype)))

    def integers(self, low, high=None, size=None, dtype=_numpy.int64, endpoint=False):
        return _out(self._rng.integers(low, high, size=size, dtype=dtype, endpoint=endpoint))

    def uniform(self, low=0.0, high=1.0, size=None, dtype=_numpy.float64):
        return _out(self._rng.uniform(_host(low), _host(high), size).astype(_float_dtype(dtype)))

    def exponential(self, scale=1.0, size=None):
        return _out(self._rng.exponential(_host(scale), size))

    def standard_exponential(self, size=None, dtype=_numpy.float64, method="inv", out=None):
        return _out(self._rng.standard_exponential(size, dtype=_float_dtype(dtype)))

    def binomial(self, n, p, size=None):
        return _out(self._rng.binomial(_host(n), _host(p), size))

    def poisson(self, lam=1.0, size=None):
        return _out(self._rng.poisson(_host(lam), size))

    def gamma(self, shape, scale=1.0, size=None):
        return _out(self._rng.gamma(_host(shape), _host(scale), size))

    def beta(self, a, b, size=None):
        return _out(self._rng.beta(_host(a), _host(b), size))


def default_rng(seed=None):
    """A Generator on XORWOW seeded with `seed`."""
    if isinstance(seed, Generator):
        return seed
    return Generator(seed if isinstance(seed, BitGenerator) else XORWOW(seed))


# ---------------------------------------------------------------------------- module level
_states = {}


def get_random_state():
    """The current device's RandomState."""
    dev = _strict.current_device()
    rs = _states.get(dev)
    if rs is None:
        rs = _states[dev] = RandomState()
    return rs


def set_random_state(rs):
    _states[_strict.current_device()] = rs


def seed(seed=None):
    """Reseed the current device's RandomState."""
    get_random_state().seed(seed)


def rand(*size, dtype=float):
    return get_random_state().rand(*size, dtype=dtype)


def randn(*size, dtype=float):
    return get_random_state().randn(*size, dtype=dtype)


def randint(low, high=None, size=None, dtype="l"):
    return get_random_state().randint(low, high, size, dtype)


def random_sample(size=None, dtype=float):
    return get_random_state().random_sample(size, dtype)


random = ranf = sample = random_sample


def standard_normal(size=None, dtype=float):
    return get_random_state().standard_normal(size, dtype)


def normal(loc=0.0, scale=1.0, size=None, dtype=float):
    return get_random_state().normal(loc, scale, size, dtype)


def uniform(low=0.0, high=1.0, size=None, dtype=float):
    return get_random_state().uniform(low, high, size, dtype)


def permutation(a):
    return get_random_state().permutation(a)


def shuffle(a):
    get_random_state().shuffle(a)


def choice(a, size=None, replace=True, p=None):
    return get_random_state().choice(a, size, replace, p)
