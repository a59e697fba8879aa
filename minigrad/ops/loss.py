"""Fused loss primitives: class-index NLL / cross-entropy and the two binary losses.

`ClassNLL` is cross-entropy in one node when ``from_logits`` is set: log-softmax, the
gather of the target's log-probability, class weights, ``ignore_index``, label smoothing
and the reduction all happen in one forward, and the backward is the closed form
``(softmax - onehot) * scale`` (plus the smoothing term). Subtracting the row max first
keeps it exact for logits of 1e4 and beyond. PyTorch's reduction rules are followed to
the letter (``aten/src/ATen/native/LossNLL.cpp``): a weighted mean divides by the sum of
the weights of the non-ignored targets.
"""
from __future__ import annotations

from .. import backend
from ..autograd import Op


class ClassNLL(Op):
    """Loss of (M, C) scores `x` against (M,) class indices `target`.

    ``from_logits=True``: x are logits (cross-entropy); otherwise x are log-probabilities
    (NLL). `weight` is an optional (C,) array; `reduction` 'mean' | 'sum' | 'none'.
    """

    def forward(self, x, *, target, weight, ignore_index, reduction, label_smoothing, from_logits):
        xp = backend.array_module(x)
        m, c = x.shape
        valid = target != ignore_index
        t = xp.where(valid, target, 0)
        if m:
            out_of_range = ((t < 0) | (t >= c)).any()
            if type(x) is backend.ndarray:  # the CPU checks now, as torch's CPU kernel
                if out_of_range:
                    bad = target[(t < 0) | (t >= c)][0]
                    raise IndexError(f"target {int(bad)} is out of bounds for {c} classes")
            else:  # a GPU checks on the device and raises at the next sync (no per-step wait)
                backend.check_later(out_of_range, IndexError,
                                    f"cross_entropy/nll_loss (ClassNLL): a target is out of bounds for {c} classes "
                                    "(found by a deferred device-side check)")
        rows = xp.arange(m)
        if from_logits:
            shifted = x - x.max(axis=1, keepdims=True)
            e = xp.exp(shifted)
            s = e.sum(axis=1, keepdims=True)
            log_s = xp.log(s)
            picked = shifted[rows, t] - log_s[:, 0]
            e /= s  # softmax, kept for backward
            probs = e
        else:
            picked = x[rows, t]
            probs = None
        w_t = valid.astype(x.dtype) if weight is None else weight[t] * valid
        nll = -(w_t * picked)
        eps = label_smoothing
        smooth = None
        if eps > 0 and from_logits:
            # -sum_c w_c log p_ic, with log p_ic = shifted_ic - log_s_i
            if weight is None:
                smooth = -(shifted.sum(axis=1) - c * log_s[:, 0])
            else:
                smooth = -(shifted @ weight - weight.sum() * log_s[:, 0])
            smooth = smooth * valid
        # mean: divide by the summed weights of the kept targets (their count when
        # unweighted); the reciprocals are kept for backward
        inv_nll = inv_smooth = None
        if reduction == "none":
            out = nll if smooth is None else (1 - eps) * nll + (eps / c) * smooth
        else:
            out = nll.sum()
            if reduction == "mean":
                with backend.ignore_float_errors(xp):
                    w_sum = w_t.sum()
                    inv_nll = 1 / w_sum
                    out = out / w_sum
                    if smooth is not None:
                        inv_smooth = inv_nll if weight is not None else 1 / valid.sum().astype(x.dtype)
            if smooth is not None:
                smooth_red = smooth.sum() if inv_smooth is None else smooth.sum() * inv_smooth
                out = (1 - eps) * out + (eps / c) * smooth_red
        self.save_for_backward(probs, t, w_t, valid, weight)
        self.meta = (m, c, eps, inv_nll, inv_smooth, x.shape, x.dtype)
        return xp.asarray(out, dtype=x.dtype)

    def backward(self, g):
        probs, t, w_t, valid, weight = self.saved
        m, c, eps, inv_nll, inv_smooth, shape, dtype = self.meta
        xp = backend.array_module(g)
        # d loss / d log p_ic = a_i [c == t_i] + b_i w_c
        scale = -(1 - eps) * g if inv_nll is None else -(1 - eps) * g * inv_nll
        a = scale * w_t
        b = None
        if eps > 0:
            scale = -(eps / c) * g if inv_smooth is None else -(eps / c) * g * inv_smooth
            b = scale * valid
        rows = xp.arange(m)
        if probs is None:  # input were log-probabilities
            gx = xp.zeros(shape, dtype=dtype)
            gx[rows, t] = a
            return gx
        # through log_softmax: dx = dlogp - softmax * sum_c dlogp
        row_sum = a if b is None else a + b * (c if weight is None else weight.sum())
        gx = probs * (-row_sum)[:, None]
        gx[rows, t] += a
        if b is not None:
            gx += b[:, None] if weight is None else b[:, None] * weight
        return gx


class BinaryCrossEntropy(Op):
    """-w (y log x + (1 - y) log(1 - x)), logs clamped at -100, elementwise (as torch)."""

    def forward(self, x, y, weight=None):
        xp = backend.array_module(x)
        with backend.ignore_float_errors(xp):
            log_x = xp.log(x)
            log_1mx = xp.log1p(-x)
        loss = (y - 1) * xp.maximum(log_1mx, -100) - y * xp.maximum(log_x, -100)
        if weight is not None:
            loss = loss * weight
        self.save_for_backward(x, y, weight, log_x, log_1mx)
        return loss

    def backward(self, g):
        x, y, weight, log_x, log_1mx = self.saved
        xp = backend.array_module(g)
        if weight is not None:
            g = g * weight
        # torch's backward: (x - y) / max(x (1 - x), EPSILON) keeps it finite at 0 and 1;
        # ATen's EPSILON is the float32 1e-12, i.e. this double
        gx = g * (x - y) / xp.maximum((1 - x) * x, 9.999999960041972e-13)
        # the target's gradient uses the unclamped logs, as torch does
        gy = None if not self.needs_input_grad[1] else g * (log_1mx - log_x)
        return gx, gy, None


class BinaryCrossEntropyWithLogits(Op):
    """(1 - y) x - L * log_sigmoid(x), L = 1 + (pos_weight - 1) y; stable for any x."""

    def forward(self, x, y, weight=None, pos_weight=None):
        xp = backend.array_module(x)
        # log_sigmoid(x) = min(x, 0) - log1p(exp(-|x|)): exp never overflows
        log_sig = xp.minimum(x, 0) - xp.log1p(xp.exp(-xp.abs(x)))
        lw = None if pos_weight is None else (pos_weight - 1) * y + 1
        loss = (1 - y) * x - (log_sig if lw is None else lw * log_sig)
        if weight is not None:
            loss = loss * weight
        self.save_for_backward(x, y, weight, pos_weight, log_sig)
        return loss

    def backward(self, g):
        x, y, weight, pos_weight, log_sig = self.saved
        xp = backend.array_module(g)
        if weight is not None:
            g = g * weight
        sig = xp.exp(log_sig)
        want_gy = self.needs_input_grad[1]
        if pos_weight is None:
            gx = g * (sig - y)
            gy = -g * x if want_gy else None
        else:
            py = pos_weight * y
            gx = g * ((py + 1 - y) * sig - py)
            gy = -g * (x + (pos_weight - 1) * log_sig) if want_gy else None
        return gx, gy, None, None
