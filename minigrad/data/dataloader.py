"""DataLoader: mini-batches over a dataset, from batch size 1 (SGD) to the whole set."""
from __future__ import annotations

import warnings

import numpy as np

from .. import backend
from .collate import batch_to_device, default_convert
from .dataset import fetch_batch
from .sampler import BatchSampler, RandomSampler, SequentialSampler, check_generator, int64


class DataLoader:
    """Iterate over `dataset` in mini-batches, as ``torch.utils.data.DataLoader``.

    ``batch_size=1`` is stochastic gradient descent, ``batch_size=len(dataset)`` full-batch
    gradient descent, ``batch_size=None`` turns batching off (one sample at a time).
    ``shuffle=True`` draws a new permutation every epoch from `generator` (a CPU
    ``mg.Generator``; the same seed gives the same batches) or, without one, from a
    stream seeded by the default generator (``mg.manual_seed`` makes it repeatable).
    `sampler` replaces the order, `batch_sampler` the whole grouping (then batch_size,
    shuffle, sampler and drop_last must keep their defaults). ``len(loader)`` is the
    number of batches.

    Batches: without a `collate_fn`, a dataset with a ``__getitems__`` fast path
    (`TensorDataset`, `Subset`/`ConcatDataset`/`TransformDataset` of one) is cut with one
    fancy index per array and batch, giving a tuple of Tensors; other datasets are read
    sample by sample and stacked by `default_collate`. A `collate_fn` receives the list of
    samples. `device` moves each finished batch once (one transfer per field).
    """

    def __init__(self, dataset, batch_size=1, shuffle=False, sampler=None, batch_sampler=None,
                 drop_last=False, collate_fn=None, generator=None, device=None, *, num_workers=0,
                 pin_memory=False):
        # torch's worker and pinning options, accepted so ported code runs: batches of
        # in-memory arrays are one fancy index each, faster in-process than via workers
        if not isinstance(num_workers, int) or num_workers < 0:
            raise ValueError(f"DataLoader: num_workers must be a non-negative int, got {num_workers!r}")
        if num_workers > 0:
            warnings.warn(
                f"DataLoader: num_workers={num_workers} is ignored; minigrad loads batches in the main "
                "process (one fancy index per batch for array datasets)", stacklevel=2)
        if shuffle not in (None, False, True):
            raise ValueError(f"DataLoader: shuffle should be a boolean, got shuffle={shuffle!r}")
        shuffle = bool(shuffle)
        if sampler is not None and shuffle:
            raise ValueError("DataLoader: sampler option is mutually exclusive with shuffle")
        if batch_sampler is not None:
            if batch_size != 1 or shuffle or sampler is not None or drop_last:
                raise ValueError(
                    "DataLoader: batch_sampler option is mutually exclusive with batch_size, "
                    "shuffle, sampler, and drop_last"
                )
            batch_size, drop_last = None, False
        elif batch_size is None and drop_last:
            raise ValueError("DataLoader: batch_size=None (batching off) is mutually exclusive with drop_last")
        if collate_fn is not None and not callable(collate_fn):
            raise TypeError(f"DataLoader: collate_fn must be callable, got {type(collate_fn).__name__}")
        self.generator = check_generator(generator, "DataLoader")
        if sampler is None:
            sampler = RandomSampler(dataset, generator=self.generator) if shuffle else SequentialSampler(dataset)
        if batch_size is not None and batch_sampler is None:
            batch_sampler = BatchSampler(sampler, batch_size, drop_last)
        self.dataset = dataset
        self.batch_size = batch_size
        self.drop_last = drop_last
        self.sampler = sampler
        self.batch_sampler = batch_sampler
        self.collate_fn = collate_fn
        self.device = None if device is None else backend.canonical_device(device)

    def __len__(self):
        return len(self.batch_sampler if self.batch_sampler is not None else self.sampler)

    def _index_batches(self):
        if hasattr(self.batch_sampler, "batches"):
            return self.batch_sampler.batches()
        return (np.asarray(batch, dtype=int64) for batch in self.batch_sampler)

    def _batches(self):
        dataset, collate_fn = self.dataset, self.collate_fn
        if self.batch_sampler is None:  # batching off: one converted sample at a time
            convert = collate_fn or default_convert
            for i in self.sampler:
                yield convert(dataset[i])
        elif collate_fn is None:
            for indices in self._index_batches():
                yield fetch_batch(dataset, indices)
        else:
            for indices in self._index_batches():
                yield collate_fn([dataset[i] for i in indices.tolist()])

    def __iter__(self):
        # torch's iterator draws a base seed for its workers first (it advances the stream)
        (self.generator or backend.default_generator("cpu")).random_bits((), int64)
        if self.device is None:
            return self._batches()
        device = self.device
        return (batch_to_device(batch, device) for batch in self._batches())

    def __repr__(self):
        return (f"DataLoader(dataset={type(self.dataset).__name__}, batch_size={self.batch_size}, "
                f"batches={len(self)}, device={self.device})")
