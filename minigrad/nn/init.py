"""`mg.nn.init`: fill tensors in place with PyTorch's initialisation schemes.

Fans follow ``torch.nn.init._calculate_fan_in_and_fan_out``: for a weight of shape
(out, in, *kernel), fan_in = in * prod(kernel) and fan_out = out * prod(kernel). Every
random initializer takes ``generator=`` (a `mg.Generator`); by default it draws from the
tensor's device's default generator, so ``mg.manual_seed`` makes models reproducible.
All fills run under ``no_grad`` and work on parameters that require grad.
"""
from __future__ import annotations

import math
import warnings

from .. import backend
from ..autograd import no_grad
from ..tensor import Tensor

_LINEAR_FNS = ("linear", "conv1d", "conv2d", "conv3d", "conv_transpose1d", "conv_transpose2d",
               "conv_transpose3d", "sigmoid")


def calculate_gain(nonlinearity, param=None):
    """The recommended gain for a nonlinearity (PyTorch's table).

    linear/conv/sigmoid: 1; tanh: 5/3; relu: sqrt(2); leaky_relu:
    sqrt(2 / (1 + negative_slope^2)) (slope `param`, default 0.01); selu: 3/4.
    """
    if nonlinearity in _LINEAR_FNS:
        return 1
    if nonlinearity == "tanh":
        return 5.0 / 3
    if nonlinearity == "relu":
        return math.sqrt(2.0)
    if nonlinearity == "leaky_relu":
        if param is None:
            negative_slope = 0.01
        elif not isinstance(param, bool) and isinstance(param, (int, float)):
            negative_slope = param
        else:
            raise ValueError(f"negative_slope {param} not a valid number")
        return math.sqrt(2.0 / (1 + negative_slope**2))
    if nonlinearity == "selu":
        return 3.0 / 4
    raise ValueError(f"Unsupported nonlinearity {nonlinearity}")


def _calculate_fan_in_and_fan_out(tensor):
    if tensor.ndim < 2:
        raise ValueError("Fan in and fan out can not be computed for tensor with fewer than 2 dimensions")
    receptive = 1
    for s in tensor.shape[2:]:
        receptive *= s
    return tensor.shape[1] * receptive, tensor.shape[0] * receptive


def _calculate_correct_fan(tensor, mode):
    mode = mode.lower()
    if mode not in ("fan_in", "fan_out"):
        raise ValueError(f"Mode {mode} not supported, please use one of fan_in, fan_out")
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor)
    return fan_in if mode == "fan_in" else fan_out


def uniform_(tensor, a=0.0, b=1.0, generator=None):
    """Fill with U(a, b)."""
    with no_grad():
        return tensor.uniform_(a, b, generator=generator)


def normal_(tensor, mean=0.0, std=1.0, generator=None):
    """Fill with N(mean, std^2)."""
    with no_grad():
        return tensor.normal_(mean, std, generator=generator)


def constant_(tensor, val):
    """Fill with the value `val`."""
    with no_grad():
        return tensor.fill_(val)


def ones_(tensor):
    return constant_(tensor, 1.0)


def zeros_(tensor):
    return constant_(tensor, 0.0)


def eye_(tensor):
    """Fill a 2-D tensor with the identity (ones on the diagonal, zeros elsewhere)."""
    if tensor.ndim != 2:
        raise ValueError("Only tensors with 2 dimensions are supported")
    with no_grad():
        tensor.zero_()
        diag = tensor.xp.arange(min(tensor.shape))
        tensor.array[diag, diag] = 1
    return tensor


def xavier_uniform_(tensor, gain=1.0, generator=None):
    """U(-a, a), a = gain * sqrt(6 / (fan_in + fan_out)) (Glorot & Bengio, 2010)."""
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor)
    std = gain * math.sqrt(2.0 / float(fan_in + fan_out))
    a = math.sqrt(3.0) * std
    return uniform_(tensor, -a, a, generator)


def xavier_normal_(tensor, gain=1.0, generator=None):
    """N(0, std^2), std = gain * sqrt(2 / (fan_in + fan_out))."""
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor)
    std = gain * math.sqrt(2.0 / float(fan_in + fan_out))
    return normal_(tensor, 0.0, std, generator)


def _kaiming_std(tensor, a, mode, nonlinearity):
    if 0 in tensor.shape:
        warnings.warn("Initializing zero-element tensors is a no-op", stacklevel=3)
        return None
    fan = _calculate_correct_fan(tensor, mode)
    return calculate_gain(nonlinearity, a) / math.sqrt(fan)


def kaiming_uniform_(tensor, a=0, mode="fan_in", nonlinearity="leaky_relu", generator=None):
    """U(-bound, bound), bound = gain * sqrt(3 / fan) (He et al., 2015).

    `a` is the negative slope of the rectifier after this layer (leaky_relu only);
    `mode` 'fan_in' keeps the forward variance, 'fan_out' the backward one.
    """
    std = _kaiming_std(tensor, a, mode, nonlinearity)
    if std is None:
        return tensor
    bound = math.sqrt(3.0) * std
    return uniform_(tensor, -bound, bound, generator)


def kaiming_normal_(tensor, a=0, mode="fan_in", nonlinearity="leaky_relu", generator=None):
    """N(0, std^2), std = gain / sqrt(fan) (He et al., 2015)."""
    std = _kaiming_std(tensor, a, mode, nonlinearity)
    if std is None:
        return tensor
    return normal_(tensor, 0.0, std, generator)


def orthogonal_(tensor, gain=1, generator=None):
    """A (semi-)orthogonal matrix (Saxe et al., 2013), from the QR of a Gaussian matrix.

    Dims after the first are flattened; signs follow diag(R) so the result is uniform
    over the orthogonal group, as in PyTorch.
    """
    if tensor.ndim < 2:
        raise ValueError("Only tensors with 2 or more dimensions are supported")
    if tensor.numel() == 0:
        return tensor
    rows = tensor.shape[0]
    cols = tensor.numel() // rows
    flat = normal_(_empty_like(tensor, (rows, cols)), 0.0, 1.0, generator).array
    xp = tensor.xp
    if rows < cols:
        flat = flat.T
    q, r = xp.linalg.qr(flat)
    q = q * xp.sign(xp.diagonal(r))
    if rows < cols:
        q = q.T
    with no_grad():
        tensor.array[...] = (q * gain).reshape(tensor.shape).astype(tensor.dtype, copy=False)
        tensor._bump_version()
    return tensor


def _empty_like(tensor, shape):
    with backend.on_device(tensor.device):
        return Tensor._make(tensor.xp.empty(shape, dtype=tensor.dtype), False, None)


def sparse_(tensor, sparsity, std=0.01, generator=None):
    """A 2-D tensor N(0, std^2) with a fraction `sparsity` of each column zeroed
    (Martens, 2010). As torch, the zeroed rows come from ``randperm`` on the default
    generator, not `generator`, one column after another."""
    if tensor.ndim != 2:
        raise ValueError("Only tensors with 2 dimensions are supported")
    rows, cols = tensor.shape
    num_zeros = int(math.ceil(sparsity * rows))
    with no_grad():
        normal_(tensor, 0.0, std, generator)
        gen = backend.default_generator(tensor.device)
        for col in range(cols):  # one randperm per column: torch's draw order
            tensor.array[gen.permutation(rows)[:num_zeros], col] = 0
    return tensor


def trunc_normal_(tensor, mean=0.0, std=1.0, a=-2.0, b=2.0, generator=None):
    """N(mean, std^2) truncated to [a, b], by rejection, drawing as torch 2.13 does.

    When [a, b] holds more than 30% of the mass, whole-tensor normal draws replace the
    samples still outside; otherwise uniform candidates on [a, b] are accepted with
    probability pdf / peak, again a whole tensor of draws per round.
    """
    def norm_cdf(x):
        return (1.0 + math.erf(x / math.sqrt(2.0))) / 2.0

    if mean < a - 2 * std or mean > b + 2 * std:
        warnings.warn("mean is more than 2 std from [a, b] in nn.init.trunc_normal_. "
                      "The distribution of values may be incorrect.", stacklevel=2)
    with no_grad():
        xp, data, dt = tensor.xp, tensor.array, tensor.dtype.type
        if norm_cdf((b - mean) / std) - norm_cdf((a - mean) / std) > 0.3:
            lo, hi = dt(a), dt(b)  # bounds rounded to the dtype, as torch
            normal_(tensor, mean, std, generator)
            while True:
                outside = (data < lo) | (data > hi)
                if not bool(outside.any()):
                    break
                redraw = normal_(_empty_like(tensor, tensor.shape), mean, std, generator)
                xp.copyto(data, redraw.array, where=outside)
            tensor._bump_version()
            return tensor
        log_peak = dt(-0.5 * ((max(a, min(mean, b)) - mean) / std) ** 2)

        def rejected(candidates):  # log U > log pdf(candidate) - log peak
            z = (candidates - dt(mean)) / dt(std)
            log_pdf = z * z * dt(-0.5) - log_peak
            return xp.log(uniform_(_empty_like(tensor, tensor.shape), 0.0, 1.0, generator).array) > log_pdf

        uniform_(tensor, a, b, generator)
        pending = rejected(data)
        while bool(pending.any()):
            candidates = uniform_(_empty_like(tensor, tensor.shape), a, b, generator).array
            xp.copyto(data, candidates, where=pending)
            pending &= rejected(candidates)
        tensor._bump_version()
    return tensor

