"""Batches as nested structures: stacking samples into one, cutting, joining and moving them.

A batch is a Tensor, or a tuple / list / dict / namedtuple of batches. `default_collate`
builds one from a list of samples (the slow path for generic datasets); the helpers below
work on whole batches and never loop over samples.
"""
from __future__ import annotations

import numbers
from collections.abc import Mapping

import numpy as np

from .. import backend
from ..tensor import Tensor


def _is_array(x) -> bool:
    return isinstance(x, np.ndarray) or hasattr(x, "__cuda_array_interface__")


def host_array(x, dtype=None):
    """A NumPy array from a Tensor, NumPy/CuPy array or nested sequence."""
    if isinstance(x, Tensor):
        x = x.array
    if hasattr(x, "__cuda_array_interface__"):
        x = backend.to_host(x)
    return np.asarray(x, dtype=dtype)


def _wrap(array) -> Tensor:
    """A constant Tensor around a backend array (no copy, no graph)."""
    return Tensor._make(backend.as_array(array), False, None)


def _stack(arrays, what):
    shapes = {a.shape for a in arrays}
    if len(shapes) > 1:
        first = arrays[0].shape
        bad = next(i for i, a in enumerate(arrays) if a.shape != first)
        raise RuntimeError(
            f"default_collate: {what} in a batch must have equal shapes to be stacked, but entry 0 "
            f"has shape {tuple(first)} and entry {bad} has shape {tuple(arrays[bad].shape)}"
        )
    xp = backend.array_module(arrays[0])
    with backend.on_device(backend.device_of(arrays[0])):
        return _wrap(xp.stack(arrays))


def default_collate(batch):
    """Stack a list of samples into one batch, as ``torch.utils.data.default_collate``.

    Tensors and arrays are stacked along a new first axis, Python ints become an int64
    tensor, bools a bool tensor and floats a tensor of the default dtype (``float32``;
    PyTorch uses float64 here, minigrad keeps its default). Tuples, lists, namedtuples and
    dicts are collated field by field; strings stay a list.
    """
    if len(batch) == 0:
        raise ValueError("default_collate: batch is empty")
    elem = batch[0]
    if isinstance(elem, Tensor):
        devices = {b.device for b in batch}
        if len(devices) > 1:
            raise backend.device_mismatch("default_collate", *devices)
        return _stack([b.array for b in batch], "tensors")
    if _is_array(elem) or isinstance(elem, np.generic):
        if getattr(elem, "dtype", None) is not None and elem.dtype.kind in "OUS":
            return list(batch)
        return _stack([backend.as_array(b) for b in batch], "arrays")
    if isinstance(elem, bool):
        return _wrap(np.asarray(batch, dtype=backend.bool_))
    if isinstance(elem, numbers.Integral):
        return _wrap(np.asarray(batch, dtype=backend.int64))
    if isinstance(elem, numbers.Real):
        return _wrap(np.asarray(batch, dtype=backend.get_default_dtype()))
    if isinstance(elem, (str, bytes)):
        return list(batch)
    if isinstance(elem, Mapping):
        return {key: default_collate([sample[key] for sample in batch]) for key in elem}
    if isinstance(elem, (tuple, list)):
        size = len(elem)
        if any(len(sample) != size for sample in batch):
            sizes = sorted({len(sample) for sample in batch})
            raise RuntimeError(f"default_collate: every sample in a batch must have the same number of fields, got {sizes}")
        fields = [default_collate(list(column)) for column in zip(*batch)]
        if hasattr(elem, "_fields"):  # namedtuple
            return type(elem)(*fields)
        return tuple(fields) if isinstance(elem, tuple) else fields
    raise TypeError(
        "default_collate: samples must hold Tensors, arrays, numbers, strings, dicts or "
        f"sequences; got {type(elem).__name__}"
    )


def default_convert(sample):
    """Arrays inside one sample become Tensors (no copy); used when batching is off."""
    if isinstance(sample, Tensor):
        return sample
    if _is_array(sample) or isinstance(sample, np.generic):
        return _wrap(sample) if sample.dtype.kind not in "OUS" else sample
    if isinstance(sample, Mapping):
        return {key: default_convert(value) for key, value in sample.items()}
    if isinstance(sample, tuple) and hasattr(sample, "_fields"):
        return type(sample)(*(default_convert(v) for v in sample))
    if isinstance(sample, (tuple, list)):
        return type(sample)(default_convert(v) for v in sample)
    return sample


def map_batch(fn, batch):
    """Apply `fn` to every Tensor in a nested batch, keeping its structure."""
    if isinstance(batch, Tensor):
        return fn(batch)
    if isinstance(batch, Mapping):
        return {key: map_batch(fn, value) for key, value in batch.items()}
    if isinstance(batch, tuple) and hasattr(batch, "_fields"):
        return type(batch)(*(map_batch(fn, v) for v in batch))
    if isinstance(batch, (tuple, list)):
        return type(batch)(map_batch(fn, v) for v in batch)
    return batch


def concat_batches(pieces):
    """Join batches of the same structure along their first axis (one concatenate per field)."""
    first = pieces[0]
    if isinstance(first, Tensor):
        xp = first.xp
        with backend.on_device(first.device):
            return _wrap(xp.concatenate([p.array for p in pieces]))
    if isinstance(first, Mapping):
        return {key: concat_batches([p[key] for p in pieces]) for key in first}
    if isinstance(first, (tuple, list)):
        fields = [concat_batches(list(column)) for column in zip(*pieces)]
        if hasattr(first, "_fields"):
            return type(first)(*fields)
        return type(first)(fields)
    raise TypeError(f"concat_batches: cannot join batches of type {type(first).__name__}")


def index_batch(batch, index):
    """Rows `index` (a host int64 array) of every Tensor in a batch."""

    def take(t):
        idx = index if t.device == "cpu" else backend.to_device(index, t.device)
        # take(axis=0) gathers rows ~10% faster than a[idx] (NumPy 2.4, 128 x 784); the
        # array's own method skips numpy.take's Python wrapper (~1.5 us a call)
        return _wrap(t.array.take(idx, axis=0))

    return map_batch(take, batch)


def batch_to_device(batch, device):
    """Move every Tensor of a batch to `device` (one transfer per field)."""
    return map_batch(lambda t: t if t.device == device else t.to(device), batch)
