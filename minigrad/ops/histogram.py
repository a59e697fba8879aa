"""Histograms: torch.histc and torch.histogram (counts, no gradients)."""
from __future__ import annotations

from collections import namedtuple

from .. import backend
from ..tensor import Tensor


HistogramResult = namedtuple("histogram", ["hist", "bin_edges"])


def _float_values(input, op):
    if not isinstance(input, Tensor):
        raise TypeError(f"{op}: expected a tensor, got {type(input).__name__}")
    if input.array.dtype.kind != "f":
        raise TypeError(f"{op}: input dtype should be floating point, got {input.dtype}; call .float() first")
    return input.array.reshape(-1)


def _data_range(x, lo, hi, widen):
    """torch's defaults: the data's own min/max; an empty range is widened by `widen`."""
    if lo == hi == 0 and x.size:
        lo, hi = float(x.min()), float(x.max())
    if lo == hi:
        lo, hi = lo - widen, hi + widen
    if lo > hi:
        raise ValueError(f"max must be larger than min, got min={lo} and max={hi}")
    return lo, hi


def histc(input, bins=100, min=0, max=0):
    """Counts of `input`'s values in `bins` equal bins over [min, max] (torch.histc).

    With ``min == max == 0`` the data's min and max are used. Values outside the range
    are ignored; a value equal to max lands in the last bin. The result has `input`'s dtype.
    """
    x = _float_values(input, "histc")
    if not isinstance(bins, int) or bins <= 0:
        raise ValueError(f"histc: bins must be a positive int, got {bins!r}")
    xp = input.xp
    lo, hi = _data_range(x, float(min), float(max), 1.0)
    dt = x.dtype.type
    inside = x[(x >= dt(lo)) & (x <= dt(hi))]
    # torch's linear-interpolation bin, computed in the input's dtype as torch does
    pos = ((inside - dt(lo)) * dt(bins) / (dt(hi) - dt(lo))).astype(backend.int64)
    pos = xp.minimum(pos, bins - 1)
    counts = xp.bincount(pos, minlength=bins)[:bins]
    return Tensor._make(counts.astype(x.dtype), False, None)


def histogram(input, bins, *, range=None, weight=None, density=False):
    """``(hist, bin_edges)`` of `input` (torch.histogram).

    `bins` is a number of equal bins over `range` (default: the data's min and max) or a
    1-D tensor of increasing edges. Bins are half-open ``[e_i, e_i+1)`` except the last,
    which includes its right edge. `weight` weighs each value; `density` normalises the
    histogram to integrate to 1.
    """
    x = _float_values(input, "histogram")
    xp = input.xp
    if isinstance(bins, Tensor):
        edges = bins.array.astype(x.dtype)
        if edges.ndim != 1 or edges.size < 2:
            raise ValueError(f"histogram: bins tensor must be 1-D with at least 2 edges, got shape {tuple(edges.shape)}")
    else:
        if not isinstance(bins, int) or bins <= 0:
            raise ValueError(f"histogram: bins must be a positive int or a tensor of edges, got {bins!r}")
        lo, hi = (0.0, 0.0) if range is None else (float(range[0]), float(range[1]))
        lo, hi = _data_range(x, lo, hi, 0.5) if range is None else (lo, hi)
        if lo > hi:
            raise ValueError(f"histogram: range must be increasing, got {range!r}")
        edges = xp.linspace(lo, hi, bins + 1).astype(x.dtype)
    n = edges.size - 1
    idx = xp.searchsorted(edges, x, side="right") - 1
    idx = xp.where(x == edges[-1], n - 1, idx)  # the last bin is closed on the right
    keep = (idx >= 0) & (idx < n)
    w = None
    if weight is not None:
        if tuple(weight.shape) != tuple(input.shape):
            raise ValueError(f"histogram: weight shape {tuple(weight.shape)} must match input shape {tuple(input.shape)}")
        w = weight.array.reshape(-1)[keep]
    hist = xp.bincount(idx[keep], weights=w, minlength=n)[:n].astype(x.dtype)
    if density:
        hist = hist / (hist.sum() * xp.diff(edges))
    return HistogramResult(Tensor._make(hist.astype(x.dtype), False, None), Tensor._make(edges, False, None))


METHODS = {"histc": histc}
