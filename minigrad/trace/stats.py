"""Statistics for tracing, queued without device syncs, and the one transfer that fetches them.

Every function here returns values that are either 0-d arrays on the tensor's device (a
GPU: nothing waits) or NumPy scalars (the CPU: already on the host). A traced step
queues its statistics and `fetch` copies them to the host at once when the step closes.

NaN/Inf counting follows the same rule: on the CPU a statistic of the array is already
on the host, so the (rare) exact count runs only when that statistic is not finite; on
a GPU the count is queued on the device. No array is kept for later, so tracing does
not hold activations or gradients alive.
"""
from __future__ import annotations

import math

import numpy as np

from .. import backend
from ..tensor import Tensor

# Saturation thresholds (documented in GradientTracer): where the derivative has fallen
# below ~1/5 of its peak for sigmoid (y(1-y) < 0.0475 vs 0.25) and ~1/10 for tanh
# (1 - y^2 < 0.0975 vs 1).
SIGMOID_SATURATION = 0.05
TANH_SATURATION = 0.95


def _xp(arr):
    return np if type(arr) is np.ndarray else backend.array_module(arr)  # hot: ~10 calls per layer


def squared_norm(arr):
    """``sum(arr ** 2)``: one BLAS dot on the CPU, a 0-d device array on a GPU."""
    flat = arr.reshape(-1)
    if flat.dtype.kind == "c":
        return _xp(arr).vdot(flat, flat).real
    return _xp(arr).dot(flat, flat)


def _count_nonfinite(arr, stat):
    """NaN/Inf elements of `arr`; `stat` is a statistic of it (finite iff arr is, or overflow)."""
    if type(arr) is np.ndarray:
        return 0 if math.isfinite(stat) else int(np.count_nonzero(~np.isfinite(arr)))
    xp = backend.array_module(arr)
    return arr.size - xp.count_nonzero(xp.isfinite(arr))


def norm_stats(arr, sq=None):
    """(squared L2 norm, NaN/Inf count) of `arr`; `sq` is its sum of squares if already known
    (the tracer's optimizer post-hook takes it right after the update).

    On the CPU a float32 sum of squares that overflowed although every value is finite
    (a gradient norm above ~1e19) is redone in float64, so huge is not reported as Inf.
    The count is None when it is 0 on the CPU (the common case: nothing to store).
    """
    if type(arr) is np.ndarray:
        if sq is None:
            flat = arr.reshape(-1)  # inlined squared_norm: this runs ~120 times per traced step
            sq = np.dot(flat, flat) if flat.dtype.kind != "c" else np.vdot(flat, flat).real
        if sq < math.inf:  # the common case; NaN and Inf fall through
            return sq, None
        bad = int(np.count_nonzero(~np.isfinite(arr)))
        return (sq if bad else squared_norm(arr.astype(np.float64))), bad
    if sq is None:
        sq = squared_norm(arr)
    bad = _count_nonfinite(arr, sq)
    return _redo_overflow_in_float64(arr, sq, bad, squared_norm), bad


def _redo_overflow_in_float64(arr, stat, bad, fn):
    """On a GPU, `stat` of a float16/32 `arr` as float64, taken again in float64 where it
    overflowed although every value is finite. Choosing on the device (no sync) means
    the float64 pass always runs; it is only taken for traced tensors."""
    if arr.dtype.itemsize >= 8 or arr.dtype.kind != "f":
        return stat
    xp = backend.array_module(arr)
    return xp.where(xp.isfinite(stat) | (bad != 0), stat.astype(xp.float64), fn(arr.astype(xp.float64)))


_ONES = {}  # (length, dtype) -> ones: on the CPU a BLAS product sums ~2x faster than .sum()


def _ones(n, dtype):
    ones = _ONES.get((n, dtype))
    if ones is None:
        if len(_ONES) > 64:  # a handful of layer shapes in practice; never grow without bound
            _ONES.clear()
        ones = _ONES[(n, dtype)] = np.ones(n, dtype)
    return ones


def _unit_sums(a):
    """Per-unit sums over the batch (first) dimension, and the total, for a float array."""
    if a.ndim >= 2 and a.shape[0]:
        rows = a.reshape(a.shape[0], -1)
        units = _ones(rows.shape[0], a.dtype) @ rows if type(a) is np.ndarray else rows.sum(axis=0)
    else:
        units = a.reshape(-1)
    return units, units.sum()


# Above this many values the saturated fraction of an output is counted on a sample of
# the batch (see activation_stats): its comparisons and counts are several passes, each
# with a temporary, where every other statistic takes one BLAS pass.
SAMPLE = 2**13


def _batch_sample(a):
    """Every k-th sample (first dimension) of `a` as a 2-D (samples x values) view, k the
    largest that keeps at least `SAMPLE` values; all of `a` when it is no larger (k = 1)."""
    if a.size <= SAMPLE or a.ndim < 2 or a.shape[0] < 2:
        return a
    return a[::min(a.size // SAMPLE, a.shape[0])]


def activation_stats(a, kind):
    """(sum, sum of squares, count, saturated fraction, dead fraction, NaN/Inf count) of an
    activation.

    Two exact reductions over the data: per-unit sums over the batch as one BLAS product
    (which also gives the dead units), and a dot for the sum of squares; a NaN/Inf shows
    in them and is then counted exactly. The saturated fraction is that of every k-th
    sample of the batch when the output has more than `SAMPLE` values (`_batch_sample`:
    the same samples every step, at least `SAMPLE` values), else exact. (Sampling the sum
    of squares too was measured slower in the training loop: a strided sample needs
    einsum, where the whole output is one BLAS dot.) `table.moments` turns the sums into
    the mean and population std on the host, in float64 (accurate to ~1e-3 relative
    unless a layer's spread is below ~3% of its mean); the count is the output's size. `kind` is
    "sigmoid", "tanh", "relu" or None: saturated is None unless sigmoid/tanh, dead is None
    unless relu. A dead unit is one whose output is 0 for every sample of the batch (the
    first dimension; ReLU outputs are >= 0, so a unit whose batch sum is 0 is dead);
    without a batch dimension each element is a unit. The NaN/Inf count is None when it
    is 0 on the CPU.
    """
    if a.dtype.kind != "f":
        a = a.astype(np.float64 if type(a) is np.ndarray else "float64")
    units, total = _unit_sums(a)
    if type(a) is np.ndarray:
        xp, flat = np, a.reshape(-1)
        sq, bad = np.dot(flat, flat), None
        if not total + sq < math.inf:  # NaN/Inf somewhere, or a finite float32 sum overflowed
            bad = int(np.count_nonzero(~np.isfinite(a)))
            if not bad:
                units, total = _unit_sums(a.astype(np.float64))
                sq = squared_norm(a.astype(np.float64))
    else:
        xp = backend.array_module(a)
        sq = squared_norm(a)
        bad = _count_nonfinite(a, total + sq)
        total = _redo_overflow_in_float64(a, total, bad, lambda f: f.sum())
        sq = _redo_overflow_in_float64(a, sq, bad, squared_norm)
    saturated = dead = None
    if kind in ("sigmoid", "tanh"):
        s = _batch_sample(a)
    if kind == "sigmoid":
        saturated = (xp.count_nonzero(s < SIGMOID_SATURATION) + xp.count_nonzero(s > 1 - SIGMOID_SATURATION)) / max(s.size, 1)
    elif kind == "tanh":
        saturated = xp.count_nonzero(xp.abs(s) > TANH_SATURATION) / max(s.size, 1)
    elif kind == "relu":
        dead = 1.0 - xp.count_nonzero(units) / max(units.size, 1)  # outputs >= 0: a zero sum is all zeros
    return total, sq, a.size, saturated, dead, bad


def tensors_in(value):
    """The tensors in a module's input/output (a tensor, or a tuple/list/dict of them)."""
    if isinstance(value, Tensor):
        return [value]
    if isinstance(value, (tuple, list)):
        return [t for v in value for t in tensors_in(v)]
    if isinstance(value, dict):
        return [t for v in value.values() for t in tensors_in(v)]
    return []


def fetch(values):
    """Host float64 array of `values` (0-d device arrays, host numbers, or None -> nan).

    Host values (the CPU) are simply collected. Device values are stacked per device and
    dtype in their own dtype (no cast per statistic), each stack cast once, and each
    device's stacks joined and copied with one transfer: a recorded step syncs once.
    """
    if set(map(type, values)) <= _HOST_TYPES:  # the CPU: nothing to transfer (None -> nan)
        return np.array(values, dtype=np.float64)
    values = [math.nan if v is None else v for v in values]
    out = np.full(len(values), np.nan)
    groups = {}
    for i, v in enumerate(values):
        if isinstance(v, _HOST):
            out[i] = v
        else:
            groups.setdefault(backend.device_of(v), {}).setdefault(str(v.dtype), []).append(i)
    for by_dtype in groups.values():
        xp = backend.array_module(values[next(iter(by_dtype.values()))[0]])
        order = [i for idx in by_dtype.values() for i in idx]
        stacks = [xp.stack([values[i] for i in idx]).astype(xp.float64, copy=False) for idx in by_dtype.values()]
        out[order] = backend.to_host(xp.concatenate(stacks) if len(stacks) > 1 else stacks[0])
    return out


_HOST = (int, float, np.generic, np.ndarray)
_HOST_TYPES = frozenset({type(None), int, float, np.float16, np.float32, np.float64, np.int32, np.int64, np.intp})
