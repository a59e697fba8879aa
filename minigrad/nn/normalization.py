"""Normalisation layers: `BatchNorm1d` and `LayerNorm` (over one fused primitive)."""
from __future__ import annotations

from .. import backend
from ..tensor import Tensor
from . import _checks
from . import functional as F
from . import init
from .layers import _new_param
from .module import Module


def _buffer(shape, fill, device, dtype):
    device = backend.canonical_device(device)
    with backend.on_device(device):
        data = backend.xp_for_device(device).full(shape, fill, dtype=dtype)
    return Tensor._make(data, False, None)


class BatchNorm1d(Module):
    """Batch normalisation over (N, C) or (N, C, L) input (Ioffe & Szegedy, 2015).

    Training normalises with the batch mean and biased variance and moves
    ``running_mean``/``running_var`` towards the batch mean and *unbiased* variance by
    `momentum` (``momentum=None``: a cumulative average over ``num_batches_tracked``).
    Eval mode normalises with the running estimates (with ``track_running_stats=False``
    it always uses batch statistics). A batch with one value per channel cannot be
    normalised in training and raises a ValueError.
    """

    def __init__(self, num_features, eps=1e-5, momentum=0.1, affine=True, track_running_stats=True,
                 device=None, dtype=None, *, bias=True):
        super().__init__()
        if not isinstance(num_features, int) or num_features <= 0:
            raise ValueError(f"BatchNorm1d: num_features must be a positive int, got {num_features!r}")
        _checks.number("BatchNorm1d", "momentum", momentum, low=0.0, high=1.0, allow_none=True)
        _checks.number("BatchNorm1d", "eps", eps, low=0.0)  # eps < 0 makes var + eps negative: NaN
        self.num_features = num_features
        self.eps = eps
        self.momentum = momentum
        self.affine = affine
        self.track_running_stats = track_running_stats
        dtype = backend.to_dtype(dtype) or backend.get_default_dtype()
        self.register_parameter("weight", _new_param((num_features,), device, dtype) if affine else None)
        self.register_parameter("bias", _new_param((num_features,), device, dtype) if affine and bias else None)
        if track_running_stats:
            self.register_buffer("running_mean", _buffer((num_features,), 0.0, device, dtype))
            self.register_buffer("running_var", _buffer((num_features,), 1.0, device, dtype))
            self.register_buffer("num_batches_tracked", _buffer((), 0, device, backend.int64))
        else:
            self.register_buffer("running_mean", None)
            self.register_buffer("running_var", None)
            self.register_buffer("num_batches_tracked", None)
        self.reset_parameters()

    def reset_running_stats(self):
        if self.track_running_stats:
            self.running_mean.array.fill(0)
            self.running_var.array.fill(1)
            self.num_batches_tracked.array.fill(0)

    def reset_parameters(self):
        self.reset_running_stats()
        if self.weight is not None:
            init.ones_(self.weight)
        if self.bias is not None:
            init.zeros_(self.bias)

    def forward(self, input):
        if input.ndim not in (2, 3):
            raise ValueError(f"BatchNorm1d: expected 2D or 3D input (got {input.ndim}D input)")
        if input.shape[1] != self.num_features:
            raise ValueError(
                f"BatchNorm1d: expected {self.num_features} channels (dim 1), got input of shape {tuple(input.shape)}"
            )
        factor = 0.0 if self.momentum is None else self.momentum
        counting = self.training and self.track_running_stats
        if counting and self.momentum is None:
            # the cumulative average needs the count on the host (as in PyTorch)
            factor = 1.0 / (float(self.num_batches_tracked.array) + 1)
        use_batch_stats = self.training or self.running_mean is None
        track = not self.training or self.track_running_stats
        out = F.batch_norm(
            input,
            self.running_mean if track else None,
            self.running_var if track else None,
            self.weight, self.bias, use_batch_stats, factor, self.eps,
        )
        if counting:  # only once batch_norm has accepted the input: a refused batch is not counted
            self.num_batches_tracked.array += 1
            self.num_batches_tracked._bump_version()
        return out

    def extra_repr(self):
        return (f"{self.num_features}, eps={self.eps}, momentum={self.momentum}, affine={self.affine}, "
                f"bias={self.bias is not None}, track_running_stats={self.track_running_stats}")


class LayerNorm(Module):
    """Normalise each sample over its last dims (`normalized_shape`), then scale and shift
    with per-element `weight` (ones) and `bias` (zeros) (Ba et al., 2016)."""

    def __init__(self, normalized_shape, eps=1e-5, elementwise_affine=True, bias=True, device=None, dtype=None):
        super().__init__()
        shape = tuple(normalized_shape) if isinstance(normalized_shape, (tuple, list)) else (normalized_shape,)
        for s in shape:
            _checks.integer("LayerNorm", "normalized_shape", s, low=0)
        _checks.number("LayerNorm", "eps", eps, low=0.0)
        self.normalized_shape = shape
        self.eps = eps
        self.elementwise_affine = elementwise_affine
        self.register_parameter("weight", _new_param(shape, device, dtype) if elementwise_affine else None)
        self.register_parameter("bias", _new_param(shape, device, dtype) if elementwise_affine and bias else None)
        self.reset_parameters()

    def reset_parameters(self):
        if self.weight is not None:
            init.ones_(self.weight)
        if self.bias is not None:
            init.zeros_(self.bias)

    def forward(self, input):
        return F.layer_norm(input, self.normalized_shape, self.weight, self.bias, self.eps)

    def extra_repr(self):
        return (f"{self.normalized_shape}, eps={self.eps}, elementwise_affine={self.elementwise_affine}, "
                f"bias={self.bias is not None}")
