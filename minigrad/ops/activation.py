"""Activation primitives behind `mg.nn` (LeakyReLU, ELU, Softplus, GELU) and dropout's mask.

Each is one graph node with PyTorch's forward and backward formulas (ATen's
``Activation.cpp``), so float64 results match torch to round-off. ``relu``, ``sigmoid``,
``tanh``, ``softmax`` and ``log_softmax`` are in ``elementwise.py`` and ``reduce.py``.
"""
from __future__ import annotations

import math

from .. import backend
from ..autograd import Op
from .erf import erf


class LeakyReLU(Op):
    def forward(self, x, negative_slope):
        self.save_for_backward(x)
        self.slope = negative_slope
        return backend.array_module(x).where(x > 0, x, x * negative_slope)

    def backward(self, g):
        (x,) = self.saved
        return backend.array_module(g).where(x > 0, g, g * self.slope)


class ELU(Op):
    """alpha * (exp(x) - 1) for x <= 0, else x (expm1 keeps small |x| exact)."""

    def forward(self, x, alpha):
        xp = backend.array_module(x)
        self.save_for_backward(x)
        self.alpha = alpha
        return xp.where(x <= 0, xp.expm1(xp.minimum(x, 0)) * alpha, x)

    def backward(self, g):
        (x,) = self.saved
        xp = backend.array_module(g)
        return xp.where(x <= 0, g * (self.alpha * xp.exp(xp.minimum(x, 0))), g)


class Softplus(Op):
    """log(1 + exp(beta x)) / beta, and x itself where beta x > threshold (as torch)."""

    def forward(self, x, beta, threshold):
        xp = backend.array_module(x)
        self.save_for_backward(x)
        self.beta, self.threshold = beta, threshold
        bx = x * beta
        linear = bx > threshold
        # exp only of the non-linear part, so large inputs do not overflow
        return xp.where(linear, x, xp.log1p(xp.exp(xp.where(linear, 0, bx))) / beta)

    def backward(self, g):
        (x,) = self.saved
        xp = backend.array_module(g)
        bx = x * self.beta
        linear = bx > self.threshold
        z = xp.exp(xp.where(linear, 0, bx))
        return xp.where(linear, g, g * z / (z + 1))


_SQRT1_2 = 1 / math.sqrt(2)
_INV_SQRT_2PI = 1 / math.sqrt(2 * math.pi)
_TANH_BETA = math.sqrt(2) * (2 / math.sqrt(math.pi)) * 0.5  # sqrt(2 / pi), as ATen writes it
_TANH_KAPPA = 0.044715


class GELU(Op):
    """x * Phi(x) with the exact normal CDF (erf), or the tanh approximation."""

    def forward(self, x, approximate):
        xp = backend.array_module(x)
        self.save_for_backward(x)
        self.approximate = approximate
        if approximate == "tanh":
            inner = _TANH_BETA * (x + _TANH_KAPPA * x * x * x)
            return 0.5 * x * (1 + xp.tanh(inner))
        return x * 0.5 * (1 + erf(x * _SQRT1_2))

    def backward(self, g):
        (x,) = self.saved
        xp = backend.array_module(g)
        if self.approximate == "tanh":
            x_sq = x * x
            t = xp.tanh(_TANH_BETA * (x + _TANH_KAPPA * x_sq * x))
            left_derivative = 0.5 * (1 + t)
            right_derivative = 0.5 * x * (1 - t * t) * (_TANH_BETA * (1 + 3 * _TANH_KAPPA * x_sq))
            return g * (left_derivative + right_derivative)
        cdf = 0.5 * (1 + erf(x * _SQRT1_2))
        pdf = xp.exp(-0.5 * x * x) * _INV_SQRT_2PI
        return g * (cdf + x * pdf)


class DropoutMask(Op):
    """x * mask, where mask is 0 or 1 / (1 - p) (inverted dropout keeps the mean)."""

    def forward(self, x, p, generator):
        xp = backend.array_module(x)
        if p >= 1:  # everything dropped, nothing drawn (as torch): avoid 0 * inf
            mask = xp.zeros(x.shape, dtype=x.dtype)
        else:
            # torch's CPU dropout: noise = empty_like(x).bernoulli_(1 - p); noise /= 1 - p
            one = x.dtype.type(1)
            mask = generator.bernoulli(x.shape, x.dtype, 1 - p) * (one / x.dtype.type(1 - p))
        self.save_for_backward(mask)
        return x * mask

    def backward(self, g):
        return g * self.saved[0]
