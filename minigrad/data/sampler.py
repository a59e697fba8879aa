"""Samplers: which indices an epoch visits, in what order, and how they group into batches.

Every sampler here builds one epoch's indices as a single int64 NumPy array
(`index_array()`), so batching is slicing, not a loop per sample; iterating a sampler
yields Python ints as in PyTorch. Randomness comes from a CPU ``mg.Generator`` when one is
given (same seed, same epochs; its stream advances, so each epoch differs). Without one,
each epoch gets a fresh stream seeded from minigrad's default CPU generator, so
``mg.manual_seed`` makes whole runs repeatable. The random samplers draw exactly what
torch's draw (seeds, randperm, randint, multinomial), so with the same seed they visit
the same indices in the same order as ``torch.utils.data``.
"""
from __future__ import annotations

import itertools
import numbers

import numpy as np

from .. import backend
from ..generator import Generator, default_generator
from .collate import host_array

int64 = backend.int64


def check_generator(generator, who):
    if generator is None:
        return None
    if not isinstance(generator, Generator):
        raise TypeError(f"{who}: generator must be a minigrad Generator, got {type(generator).__name__}")
    if generator.device != "cpu":
        raise ValueError(f"{who}: generator must be a CPU Generator (indices live on the host), got {generator.device}")
    return generator


def epoch_generator(generator):
    """The Generator one epoch of RandomSampler draws from: `generator`, or (as torch) a
    fresh one seeded with ``torch.empty((), dtype=torch.int64).random_()`` of the default."""
    if generator is not None:
        return generator
    seed = default_generator("cpu").random_bits((), int64)
    return Generator().manual_seed(int(seed))


def epoch_rng(generator):
    """The NumPy random stream for one epoch (see the module docstring)."""
    if generator is not None:
        return generator.rng
    seed = default_generator("cpu").integers(0, 2**63 - 1, ())
    return np.random.default_rng(int(seed))


def check_positive_int(value, name, who):
    if not isinstance(value, numbers.Integral) or isinstance(value, bool) or value <= 0:
        raise ValueError(f"{who}: {name} should be a positive integer, got {name}={value!r}")
    return int(value)


def check_bool(value, name, who):
    if not isinstance(value, (bool, np.bool_)):
        raise ValueError(f"{who}: {name} should be a boolean, got {name}={value!r}")
    return bool(value)


def host_vector(values, name, who, dtype=None):
    """A 1-D NumPy array from a Tensor, array or sequence; ValueError naming `name` otherwise."""
    values = host_array(values, dtype)
    if values.ndim != 1:
        raise ValueError(f"{who}: {name} should be a 1-D sequence, got shape {values.shape}")
    return values


class Sampler:
    """Base class: `index_array()` gives one epoch's indices; iteration yields them as ints."""

    def index_array(self):
        raise NotImplementedError(f"{type(self).__name__} must implement index_array or __iter__")

    def __iter__(self):
        return iter(self.index_array().tolist())


class SequentialSampler(Sampler):
    """0, 1, ..., len(data_source) - 1, every epoch."""

    def __init__(self, data_source):
        self.data_source = data_source

    def index_array(self):
        return np.arange(len(self.data_source), dtype=int64)

    def __len__(self):
        return len(self.data_source)


class RandomSampler(Sampler):
    """A fresh random order every epoch, as ``torch.utils.data.RandomSampler``.

    Without replacement, `num_samples` larger than the dataset chains whole permutations
    (each index appears ``num_samples // n`` or one more times); with replacement each of
    the `num_samples` draws is uniform over the dataset.
    """

    def __init__(self, data_source, replacement=False, num_samples=None, generator=None):
        self.data_source = data_source
        self.replacement = check_bool(replacement, "replacement", "RandomSampler")
        self._num_samples = None if num_samples is None else check_positive_int(num_samples, "num_samples", "RandomSampler")
        self.generator = check_generator(generator, "RandomSampler")

    @property
    def num_samples(self):
        return len(self.data_source) if self._num_samples is None else self._num_samples

    def index_array(self):
        n, k = len(self.data_source), self.num_samples
        gen = epoch_generator(self.generator)
        if self.replacement:  # torch draws randint in chunks of 32: the same words in order
            return gen.integers(0, n, (k,), int64)
        if n == 0:
            return np.zeros(0, dtype=int64)
        # whole permutations, then one more cut to k % n (drawn even when that is 0, as torch)
        perms = [gen.permutation(n) for _ in range(k // n)]
        perms.append(gen.permutation(n, head=k % n))
        return np.concatenate(perms).astype(int64, copy=False)

    def __len__(self):
        return self.num_samples


class SubsetRandomSampler(Sampler):
    """The given `indices` in a fresh random order every epoch."""

    def __init__(self, indices, generator=None):
        self.indices = indices
        self._index = host_vector(indices, "indices", "SubsetRandomSampler", int64)
        self.generator = check_generator(generator, "SubsetRandomSampler")

    def index_array(self):
        gen = self.generator or default_generator("cpu")  # torch: randperm on the default
        return self._index[gen.permutation(len(self._index))]

    def __len__(self):
        return len(self._index)


class WeightedRandomSampler(Sampler):
    """`num_samples` indices drawn with probability proportional to `weights`.

    Use it to over-sample rare classes: ``weights = 1 / class_count[labels]``. Without
    replacement there must be at least `num_samples` positive weights.
    """

    def __init__(self, weights, num_samples, replacement=True, generator=None):
        who = "WeightedRandomSampler"
        self.num_samples = check_positive_int(num_samples, "num_samples", who)
        self.replacement = check_bool(replacement, "replacement", who)
        weights = host_vector(weights, "weights", who, backend.float64)
        if not np.all(np.isfinite(weights)) or np.any(weights < 0):
            raise ValueError(f"{who}: weights must be finite and non-negative")
        if weights.sum() <= 0:
            raise ValueError(f"{who}: weights must not all be zero")
        if not self.replacement and self.num_samples > np.count_nonzero(weights):
            raise ValueError(
                f"{who}: cannot draw num_samples={self.num_samples} without replacement from "
                f"{np.count_nonzero(weights)} positive weights"
            )
        self.weights = weights
        self.generator = check_generator(generator, who)

    def index_array(self):
        gen = self.generator or default_generator("cpu")  # torch.multinomial on float64 weights
        return gen.multinomial(self.weights, self.num_samples, self.replacement)

    def __len__(self):
        return self.num_samples


class BatchSampler:
    """Groups a sampler's indices into lists of `batch_size` (the last one shorter unless
    `drop_last`). `batches()` yields the same groups as int64 arrays, cut by slicing."""

    def __init__(self, sampler, batch_size, drop_last):
        self.sampler = sampler
        self.batch_size = check_positive_int(batch_size, "batch_size", "BatchSampler")
        self.drop_last = check_bool(drop_last, "drop_last", "BatchSampler")

    def batches(self):
        size = self.batch_size
        if hasattr(self.sampler, "index_array"):
            indices = self.sampler.index_array()
            stop = len(indices) - len(indices) % size if self.drop_last else len(indices)
            for start in range(0, stop, size):
                yield indices[start:start + size]
            return
        # Any iterable of ints works too (as in PyTorch), read a batch at a time.
        iterator = iter(self.sampler)
        while True:
            batch = np.fromiter(itertools.islice(iterator, size), dtype=int64)
            if len(batch) == 0 or (self.drop_last and len(batch) < size):
                return
            yield batch

    def __iter__(self):
        for batch in self.batches():
            yield batch.tolist()

    def __len__(self):
        n = len(self.sampler)
        return n // self.batch_size if self.drop_last else -(-n // self.batch_size)
