"""The differentiable primitives, grouped by kind, installed as Tensor methods.

Each module defines `Op` subclasses (forward and backward side by side), the
functions users call, and a ``METHODS`` table naming which of them become ``Tensor``
methods and operators. Installing them here keeps `tensor.py` free of op code and the
import graph pointing one way (ops -> autograd -> tensor).
"""
from ..tensor import Tensor
from . import convert, elementwise, inplace, linalg, reduce, shape

for _module in (elementwise, reduce, shape, linalg, convert, inplace):
    for _name, _fn in _module.METHODS.items():
        setattr(Tensor, _name, _fn)

from .elementwise import (  # noqa: E402
    abs, add, clamp, clip, cos, div, eq, exp, ge, gt, isfinite, isinf, isnan, le, log, log1p,
    logical_not, lt, maximum, minimum, mul, ne, neg, pow, relu, sigmoid, sign, sin, sqrt, sub, tanh,
    where,
)
from .linalg import linear, matmul  # noqa: E402
from .reduce import (  # noqa: E402
    all, amax, amin, any, argmax, argmin, log_softmax, logsumexp, max, mean, min, softmax, std,
    sum, var,
)
from .shape import (  # noqa: E402
    cat, clone, expand, flatten, permute, reshape, squeeze, stack, transpose, unsqueeze,
)
