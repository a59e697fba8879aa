"""The tracer's raw per-step record and the history tables derived from it.

A recorded step fills one flat list of raw statistics (`Slots` names the ranges:
squared norms, NaN/Inf counts, sums; device scalars on a GPU). When the step closes
the list becomes one float64 row (one host transfer); turning raw rows into metrics
(square roots, per-layer sums over parameters, mean and std) waits until the history
is read, and then runs for all waiting rows at once, as array operations over steps.
Deferring it takes the per-step cost of tracing down to the statistics themselves.
"""
from __future__ import annotations

import math

import numpy as np

from .stats import norm_stats

METRICS = ("grad_norm", "out_grad_norm", "weight_norm", "update_ratio", "act_mean", "act_std",
           "saturated", "dead", "nonfinite")
PARAM_METRICS = ("grad_norm", "weight_norm", "update_ratio")

# raw statistics per parameter and per layer, in this order in a step's flat list
PARAM_FIELDS = ("g_sq", "g_bad", "w_sq", "w_bad", "d_sq")
LAYER_FIELDS = ("o_sq", "o_bad", "a_sum", "a_sq", "a_n", "saturated", "dead", "a_bad")


class Slots:
    """Offsets of each raw statistic in a step's flat list, and the derived columns.

    ``slots.g_sq + j`` is parameter j's squared gradient norm, ``slots.a_sum + i`` layer
    i's activation sum, and so on (`PARAM_FIELDS`, `LAYER_FIELDS`). `columns` maps
    "metric" (per layer) and "param:metric" (per parameter) to their slice of a derived
    row.
    """

    def __init__(self, n_layers, n_params, param_starts, param_owners):
        self.n_layers, self.n_params = n_layers, n_params
        self.starts, self.owners = list(param_starts), list(param_owners)
        offset = 0
        for name in PARAM_FIELDS:
            setattr(self, name, offset)
            offset += n_params
        for name in LAYER_FIELDS:
            setattr(self, name, offset)
            offset += n_layers
        self.size = offset
        widths = [(m, n_layers) for m in METRICS] + [("param:" + m, n_params) for m in PARAM_METRICS]
        starts = np.cumsum([0] + [w for _, w in widths])
        self.columns = {name: slice(int(a), int(a) + w) for (name, w), a in zip(widths, starts)}
        self.width = int(starts[-1])

    def new(self):
        """An empty raw record (None: not measured)."""
        return [None] * self.size

    def derive(self, raw):
        """(steps x width) derived rows from (steps x size) raw rows (NaN where not recorded)."""
        raw = np.asarray(raw, dtype=np.float64).reshape(-1, self.size)
        n_l, n_p = self.n_layers, self.n_params

        def field(name, n):
            start = getattr(self, name)
            return raw[:, start:start + n]

        g, w, d = field("g_sq", n_p), field("w_sq", n_p), field("d_sq", n_p)
        out = np.full((raw.shape[0], self.width), np.nan)

        def put(name, value):
            out[:, self.columns[name]] = value

        bad = np.nan_to_num(field("o_bad", n_l)) + np.nan_to_num(field("a_bad", n_l))
        with np.errstate(divide="ignore", invalid="ignore"):
            put("param:grad_norm", np.sqrt(g))
            put("param:weight_norm", np.sqrt(w))
            put("param:update_ratio", np.sqrt(d / w))
            if n_p:  # per layer: sums over its (contiguous) parameters
                owners, starts = self.owners, self.starts
                gl, wl, dl = (np.add.reduceat(v, starts, axis=1) for v in (g, w, d))
                layer = np.full((raw.shape[0], n_l), np.nan)
                for name, value in (("grad_norm", np.sqrt(gl)), ("weight_norm", np.sqrt(wl)),
                                    ("update_ratio", np.sqrt(dl / wl))):
                    layer[:, owners] = value
                    put(name, layer)
                bad[:, owners] += np.add.reduceat(np.nan_to_num(field("g_bad", n_p)) + np.nan_to_num(field("w_bad", n_p)),
                                                  starts, axis=1)
            put("out_grad_norm", np.sqrt(field("o_sq", n_l)))
            mean, std = moments(field("a_sum", n_l), field("a_sq", n_l), field("a_n", n_l))
        put("act_mean", mean)
        put("act_std", std)
        put("saturated", field("saturated", n_l))
        put("dead", field("dead", n_l))
        put("nonfinite", bad)
        return out


def add_norm(vals, k, kb, g):
    """Record the squared norm and NaN/Inf count of gradient array `g` in ``vals[k]``, ``vals[kb]``.

    Backward hands each hook the gradient summed over the whole graph (a shared layer's
    contributions included), so one call per backward is exact. A second backward
    through the same forward (``retain_graph=True``) adds its squared norm, which is
    exact only for orthogonal contributions: keeping the arrays to sum them instead
    would hold every gradient alive until the step closes (slower by far, measured).
    """
    if type(g) is np.ndarray and vals[k] is None and g.dtype.kind == "f":  # ~80 calls a step on the CPU
        flat = g.reshape(-1)
        sq = np.dot(flat, flat)
        if sq < math.inf:  # the common case: one BLAS dot and nothing else
            vals[k] = sq
            return
    sq, bad = norm_stats(g)
    old = vals[k]
    if old is not None:
        sq, old_bad = sq + old, vals[kb]
        if old_bad is not None:  # None: 0 (the CPU's common case); never a truth test on a device value
            bad = old_bad if bad is None else bad + old_bad
    vals[k], vals[kb] = sq, bad


def moments(total, sq, n):
    """(mean, population std) in float64 from the sum and the sum of squares of `n` values."""
    n = np.maximum(n, 1)
    mean = total / n
    with np.errstate(invalid="ignore"):
        return mean, np.sqrt(np.maximum(sq / n - mean * mean, 0.0))  # NaN (not recorded) stays NaN
