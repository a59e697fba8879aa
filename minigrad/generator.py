"""Random streams: `Generator`, the default generator of each device, `manual_seed`.

On the CPU they are PyTorch's own streams (``_mt19937.py``: the engine and its state;
``_cpu_random.py``: torch's sampling algorithms in NumPy), so the same seed gives the
same numbers as torch. On a GPU they are CuPy's generators, reached through the backend.
"""
from __future__ import annotations

import numpy as np

from . import _cpu_random, _mt19937
from .backend import (
    _require_cupy, array_module, asarray, bool_, canonical_device, float16, float32, float64, int64,
    on_device, to_host,
)


class Generator:
    """An explicit random stream for one device, as ``torch.Generator``.

    CPU streams are PyTorch's own: an MT19937 engine seeded and consumed exactly as torch's
    CPU generator (see ``_mt19937.py`` and ``_cpu_random.py``), so the same seed gives the
    same numbers as torch on the CPU. An unseeded CPU generator starts from torch's default
    seed, 67280421310721. CUDA streams use CuPy's RandomState: fast, reproducible per seed,
    but not torch's CUDA numbers.
    """

    def __init__(self, device="cpu"):
        self.device = canonical_device(device)
        self._rng = None
        if self.device == "cpu":
            self._stream = _mt19937.MT19937Stream()
            self._seed = self._stream.initial_seed
        else:
            self._stream = None
            self._seed = int(np.random.SeedSequence().entropy % (2**63))

    def manual_seed(self, seed):
        """Reseed; returns the generator itself, as in PyTorch.

        Seeds in [-2^63, 2^64) are accepted; a negative seed wraps to 2^64 + seed, as torch.
        """
        seed = int(seed)
        if not -(2**63) <= seed < 2**64:
            raise ValueError(f"manual_seed: seed must be within [-2**63, 2**64), got {seed}")
        self._seed = seed % 2**64
        if self._stream is not None:
            self._stream.manual_seed(self._seed)
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
        """A NumPy Generator (CuPy RandomState on CUDA) on this stream, for host-side code
        that wants NumPy's API; on the CPU it shares (and advances) the torch-compatible engine."""
        if self._rng is None:
            if self.device == "cpu":
                self._rng = np.random.Generator(self._stream.bits)
            else:
                cp = _require_cupy(f"a Generator on {self.device}")
                with cp.cuda.Device(int(self.device[5:])):
                    self._rng = cp.random.RandomState(self._seed % (2**63))
        return self._rng

    def get_state(self):
        """The stream's state: on the CPU a uint8 array in torch's ByteTensor layout, so
        ``torch.Generator().set_state(torch.from_numpy(state))`` continues the same stream."""
        if self.device != "cpu":
            raise NotImplementedError("get_state is only available for CPU generators")
        return self._stream.get_state()

    def set_state(self, state):
        """Restore a state from `get_state` (a uint8 array, Tensor or torch ByteTensor)."""
        if self.device != "cpu":
            raise NotImplementedError("set_state is only available for CPU generators")
        self._stream.set_state(np.asarray(state))
        self._seed = self._stream.initial_seed
        return self

    # -- sampling primitives: on the CPU torch's algorithms (_cpu_random), else CuPy's --
    def uniform(self, shape, dtype, low=0.0, high=1.0):
        """Samples of U(low, high) as ``Tensor.uniform_``."""
        if self._stream is not None:
            return _cpu_random.uniform(self._stream, shape, _float_or_double(dtype), low, high).astype(dtype, copy=False)
        with on_device(self.device):
            u = self.rng.random_sample(shape, dtype=_single_or_double(dtype))
            if low != 0.0 or high != 1.0:
                u = u * (high - low) + low
            return u.astype(dtype, copy=False)

    def normal(self, shape, dtype, mean=0.0, std=1.0, contiguous=True):
        """Samples of N(mean, std^2) as ``Tensor.normal_`` (on a non-`contiguous` tensor torch
        takes its scalar path)."""
        if self._stream is not None:
            z = _cpu_random.normal(self._stream, shape, _float_or_double(dtype), mean, std, contiguous)
            return z.astype(dtype, copy=False)
        with on_device(self.device):
            z = self.rng.standard_normal(shape, dtype=_single_or_double(dtype))
            if std != 1.0 or mean != 0.0:
                z = z * std + mean
            return z.astype(dtype, copy=False)

    def integers(self, low, high, shape, dtype=int64):
        """Integers uniform in [low, high), as ``torch.randint`` / ``Tensor.random_(low, high)``."""
        if self._stream is not None:
            return _cpu_random.random_from_to(self._stream, shape, dtype, low, high)
        with on_device(self.device):
            return self.rng.randint(low, high, size=shape, dtype=np.int64).astype(dtype, copy=False)

    def random_bits(self, shape, dtype):
        """``Tensor.random_()`` without bounds: [0, max] of an integer dtype, [0, 2^mantissa]
        of a float dtype."""
        if self._stream is not None:
            return _cpu_random.random_bits(self._stream, shape, dtype)
        dt = np.dtype(dtype)
        top = (1 << np.finfo(dt).nmant + 1) if dt.kind == "f" else (1 if dt == bool_ else int(np.iinfo(dt).max))
        with on_device(self.device):  # int64's top itself is left out: its bound must fit int64
            return self.rng.randint(0, min(top + 1, 2**63 - 1), size=shape, dtype=np.int64).astype(dt)

    def permutation(self, n, head=None):
        """A random permutation of 0..n-1 as ``torch.randperm`` (int64); with `head`, only
        its first `head` entries, the stream advanced as by the whole permutation (torch's
        RandomSampler draws one more permutation per epoch and cuts it, often to nothing)."""
        if self._stream is not None:
            if head == 0:  # nothing to compute: only the draws the permutation would make
                _cpu_random.skip_randperm(self._stream, int(n))
                return np.zeros(0, dtype=int64)
            return _cpu_random.randperm(self._stream, int(n))[:head]
        with on_device(self.device):
            return self.rng.permutation(int(n)).astype(int64, copy=False)[:head]  # CuPy takes a Python int only

    def bernoulli(self, shape, dtype, p):
        """0/1 samples with P(1) = p (a float), as ``Tensor.bernoulli_(p)``."""
        if self._stream is not None:
            return _cpu_random.bernoulli_scalar(self._stream, shape, dtype, p)
        return (self.uniform(shape, float64) < p).astype(dtype)

    def bernoulli_from(self, probs, dtype):
        """0/1 samples with P(1) = probs (an array), as ``torch.bernoulli(probs)``."""
        if self._stream is not None:
            return _cpu_random.bernoulli_tensor(self._stream, to_host(probs), dtype)
        return (self.uniform(probs.shape, probs.dtype) < probs).astype(dtype)

    def exponential(self, shape, dtype, lambd=1.0):
        """Samples of Exp(lambd) as ``Tensor.exponential_``."""
        if self._stream is not None:
            return _cpu_random.exponential(self._stream, shape, dtype, lambd)
        with on_device(self.device):
            return (self.rng.exponential(1.0 / lambd, size=shape)).astype(dtype)

    def multinomial(self, probs, num_samples, replacement=False):
        """Category indices drawn from the rows of `probs`, as ``torch.multinomial``."""
        if self._stream is not None:
            return _cpu_random.multinomial(self._stream, to_host(probs), num_samples, replacement)
        xp = array_module(probs)
        rows = probs.reshape(-1, probs.shape[-1])
        if replacement:
            cum = xp.cumsum(rows, axis=1)
            u = self.uniform((rows.shape[0], num_samples), float64) * cum[:, -1:]
            idx = xp.stack([xp.searchsorted(c, v, side="right") for c, v in zip(cum, u)])
        else:
            score = rows / self.exponential(rows.shape, rows.dtype)
            idx = xp.argsort(-score, axis=1)[:, :num_samples]
        return idx.astype(int64).reshape(probs.shape[:-1] + (num_samples,))

    def __repr__(self):
        return f"Generator(device={self.device!r}, seed={self._seed})"


def _float_or_double(dtype):
    """The dtype CPU random floats are drawn in: float16/32/64 as asked, else float64."""
    dtype = np.dtype(dtype)
    return dtype if dtype in (float16, float32, float64) else float64


def _single_or_double(dtype):
    """The dtype CuPy draws in (float32 or float64; the result is cast afterwards)."""
    return dtype if np.dtype(dtype) in (float32, float64) else float64


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
