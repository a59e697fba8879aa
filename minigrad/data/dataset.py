"""Map-style datasets: the base class, tensors as a dataset, subsets, concatenation, splits.

The fast path. A dataset may define ``__getitems__(indices)``: given a host int64 array of
indices it returns the whole batch, already collated (for `TensorDataset` a tuple of
Tensors, one fancy index per array). The DataLoader uses it when present, so an epoch
over array data costs one ``arr[idx]`` per array and batch — never a loop per sample.
Without it, samples are fetched one by one and stacked by `default_collate`.
"""
from __future__ import annotations

import math
import numbers
import warnings
from itertools import accumulate

import numpy as np

from .. import backend
from ..generator import Generator, default_generator
from ..tensor import Tensor
from .collate import concat_batches, default_collate, index_batch


def fetch_batch(dataset, indices):
    """One collated batch of `dataset` at `indices` (a host int64 array).

    Uses the dataset's ``__getitems__`` fast path when it has one, otherwise fetches the
    samples one by one and stacks them with `default_collate`.
    """
    getitems = getattr(dataset, "__getitems__", None)
    if getitems is not None:
        return getitems(indices)
    return default_collate([dataset[i] for i in indices.tolist()])


def _check_range(indices, n, who):
    """Host int64 indices with negatives wrapped; IndexError when any is out of range."""
    indices = np.asarray(indices, dtype=backend.int64)
    if indices.size and (indices.min() < -n or indices.max() >= n):
        bad = indices[(indices < -n) | (indices >= n)][0]
        raise IndexError(f"{who}: index {int(bad)} is out of range for a dataset of length {n}")
    return np.where(indices < 0, indices + n, indices) if indices.size and indices.min() < 0 else indices


class Dataset:
    """A map-style dataset: ``ds[i]`` is sample i and ``len(ds)`` the number of samples.

    Subclasses implement `__getitem__` and `__len__`, and may add ``__getitems__`` (see
    the module docstring) for fast batching. ``ds1 + ds2`` concatenates.
    """

    def __getitem__(self, index):
        raise NotImplementedError(f"{type(self).__name__} must implement __getitem__")

    def __len__(self):
        raise NotImplementedError(f"{type(self).__name__} must implement __len__")

    def __add__(self, other):
        return ConcatDataset([self, other])


class TensorDataset(Dataset):
    """Samples are rows of tensors or arrays that share their first dimension.

    ``TensorDataset(X, y)[i]`` is ``(X[i], y[i])`` as Tensors; NumPy arrays are used
    without copying and keep their dtype. ``.tensors`` holds the Tensors.
    """

    def __init__(self, *tensors):
        if not tensors:
            raise ValueError("TensorDataset: needs at least one tensor or array")
        wrapped = []
        for i, t in enumerate(tensors):
            if not isinstance(t, Tensor):
                array = t if hasattr(t, "__cuda_array_interface__") else np.asarray(t)
                if array.dtype == object:
                    raise TypeError(f"TensorDataset: argument {i} ({type(t).__name__}) is not numeric array data")
                t = Tensor._make(array, False, None)
            if t.ndim == 0:
                raise ValueError(f"TensorDataset: argument {i} is 0-d; every tensor needs a first (sample) dimension")
            wrapped.append(t)
        lengths = [t.shape[0] for t in wrapped]
        if len(set(lengths)) > 1:
            raise ValueError(f"TensorDataset: all tensors must have the same first dimension, got lengths {lengths}")
        self.tensors = tuple(wrapped)

    def __len__(self):
        return self.tensors[0].shape[0]

    def __getitem__(self, index):
        return tuple(Tensor._make(backend.as_array(t.array[index]), False, None) for t in self.tensors)

    def __getitems__(self, indices):
        # The DataLoader's fast path: one fancy index per array, for the whole batch.
        return index_batch(self.tensors, indices)


class Subset(Dataset):
    """The samples of `dataset` at `indices`, in that order."""

    def __init__(self, dataset, indices):
        self.dataset = dataset
        self.indices = indices
        self._index = _check_range(np.asarray(indices, dtype=backend.int64).reshape(-1), len(dataset), "Subset")

    def __len__(self):
        return len(self._index)

    def __getitem__(self, index):
        if isinstance(index, list):
            return [self.dataset[int(self._index[i])] for i in index]
        return self.dataset[int(self._index[index])]

    def __getitems__(self, indices):
        return fetch_batch(self.dataset, self._index[indices])


class ConcatDataset(Dataset):
    """Several datasets one after another; ``cumulative_sizes`` marks where each ends."""

    def __init__(self, datasets):
        self.datasets = list(datasets)
        if not self.datasets:
            raise ValueError("ConcatDataset: datasets should not be an empty iterable")
        self.cumulative_sizes = list(accumulate(len(d) for d in self.datasets))
        self._ends = np.asarray(self.cumulative_sizes, dtype=backend.int64)
        self._starts = self._ends - [len(d) for d in self.datasets]

    def __len__(self):
        return self.cumulative_sizes[-1]

    def __getitem__(self, index):
        n = len(self)
        if not -n <= index < n:
            raise IndexError(f"ConcatDataset: index {index} is out of range for a dataset of length {n}")
        index = index + n if index < 0 else index
        part = int(np.searchsorted(self._ends, index, side="right"))
        return self.datasets[part][index - int(self._starts[part])]

    def __getitems__(self, indices):
        indices = _check_range(indices, len(self), "ConcatDataset")
        parts = np.searchsorted(self._ends, indices, side="right")
        present = np.unique(parts)
        if len(present) == 1:
            part = int(present[0])
            return fetch_batch(self.datasets[part], indices - self._starts[part])
        # Fetch each part's rows in one go, then put the rows back in the requested order.
        order = np.argsort(parts, kind="stable")
        sorted_parts, sorted_idx = parts[order], indices[order]
        pieces = []
        for part in present.tolist():
            mask = sorted_parts == part
            pieces.append(fetch_batch(self.datasets[part], sorted_idx[mask] - self._starts[part]))
        inverse = np.empty_like(order)
        inverse[order] = np.arange(len(order))
        return index_batch(concat_batches(pieces), inverse)


def random_split(dataset, lengths, generator=None):
    """Split `dataset` into non-overlapping random `Subset`s, as ``torch.utils.data.random_split``.

    `lengths` are counts that add up to ``len(dataset)``, or fractions that add up to 1:
    each split gets ``floor(n * fraction)`` samples and the remainder is dealt out one by
    one, round-robin from the first split (PyTorch's rule). `generator` (a CPU
    ``mg.Generator``) makes the split reproducible.
    """
    n = len(dataset)
    lengths = list(lengths)
    if not lengths:
        raise ValueError("random_split: lengths is empty")
    if any(not isinstance(x, numbers.Real) or isinstance(x, bool) for x in lengths):
        raise TypeError(f"random_split: lengths must be numbers, got {lengths}")
    total = sum(lengths)
    if math.isclose(total, 1) and total <= 1:
        counts = []
        for i, frac in enumerate(lengths):
            if not 0 <= frac <= 1:
                raise ValueError(f"random_split: fraction at index {i} is {frac}, not between 0 and 1")
            counts.append(int(math.floor(n * frac)))
        for i in range(n - sum(counts)):
            counts[i % len(counts)] += 1
        for i, count in enumerate(counts):
            if count == 0:
                warnings.warn(f"random_split: length of split at index {i} is 0; that split will be empty", stacklevel=2)
        lengths = counts
    elif any(x != int(x) or x < 0 for x in lengths):
        raise ValueError(
            f"random_split: lengths {lengths} are neither non-negative counts nor fractions that add up to 1"
        )
    lengths = [int(x) for x in lengths]
    if sum(lengths) != n:
        raise ValueError(f"random_split: lengths {lengths} add up to {sum(lengths)}, but the dataset has {n} samples")
    gen = default_generator("cpu") if generator is None else generator
    if not isinstance(gen, Generator):
        raise TypeError(f"random_split: generator must be a minigrad Generator, got {type(generator).__name__}")
    perm = backend.to_host(gen.permutation(n))
    return [Subset(dataset, perm[end - length:end]) for end, length in zip(accumulate(lengths), lengths)]
