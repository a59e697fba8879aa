"""Basic layers: `Linear`, `Identity`, `Flatten`, `Dropout`."""
from __future__ import annotations

import math

from .. import backend
from ..tensor import Tensor
from . import _checks
from . import functional as F
from . import init
from .module import Module, Parameter


def _new_param(shape, device, dtype):
    """An uninitialised Parameter of `shape` (filled by the layer's reset_parameters)."""
    device = backend.canonical_device(device)
    dtype = backend.to_dtype(dtype) or backend.get_default_dtype()
    with backend.on_device(device):
        data = backend.xp_for_device(device).empty(shape, dtype=dtype)
    return Parameter(Tensor._make(data, False, None))


class Linear(Module):
    """y = x @ weight.T + bias, weight of shape (out_features, in_features).

    Initialised as PyTorch does: weight ~ kaiming_uniform_(a=sqrt(5)), i.e.
    U(-1/sqrt(in), 1/sqrt(in)), and bias ~ U(-1/sqrt(in), 1/sqrt(in)).
    """

    def __init__(self, in_features, out_features, bias=True, device=None, dtype=None):
        super().__init__()
        for name, v in (("in_features", in_features), ("out_features", out_features)):
            if not isinstance(v, int) or isinstance(v, bool) or v < 0:
                raise ValueError(f"Linear: {name} must be a non-negative int, got {v!r}")
        self.in_features = in_features
        self.out_features = out_features
        self.weight = _new_param((out_features, in_features), device, dtype)
        self.register_parameter("bias", _new_param((out_features,), device, dtype) if bias else None)
        self.reset_parameters()

    def reset_parameters(self):
        init.kaiming_uniform_(self.weight, a=math.sqrt(5))
        if self.bias is not None:
            fan_in = self.in_features
            bound = 1 / math.sqrt(fan_in) if fan_in > 0 else 0
            init.uniform_(self.bias, -bound, bound)

    def forward(self, input):
        return F.linear(input, self.weight, self.bias)

    def extra_repr(self):
        return f"in_features={self.in_features}, out_features={self.out_features}, bias={self.bias is not None}"


class Identity(Module):
    """Returns its input unchanged (arguments are accepted and ignored, as PyTorch)."""

    def __init__(self, *args, **kwargs):
        super().__init__()

    def forward(self, input):
        return input


class Flatten(Module):
    """Flatten dims start_dim..end_dim (by default all but the batch dim)."""

    def __init__(self, start_dim=1, end_dim=-1):
        super().__init__()
        self.start_dim = _checks.integer("Flatten", "start_dim", start_dim)
        self.end_dim = _checks.integer("Flatten", "end_dim", end_dim)

    def forward(self, input):
        return input.flatten(self.start_dim, self.end_dim)

    def extra_repr(self):
        return f"start_dim={self.start_dim}, end_dim={self.end_dim}"


class Dropout(Module):
    """Inverted dropout: in training, zero elements with probability `p` and scale the
    rest by 1/(1-p); identity in eval mode. `generator` makes the masks reproducible."""

    def __init__(self, p=0.5, inplace=False, generator=None):
        super().__init__()
        if not isinstance(p, (int, float)) or isinstance(p, bool) or not 0.0 <= p <= 1.0:
            raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")
        self.p = p
        self.inplace = inplace
        self.generator = generator

    def forward(self, input):
        return F.dropout(input, self.p, self.training, self.inplace, self.generator)

    def extra_repr(self):
        return f"p={self.p}, inplace={self.inplace}"
