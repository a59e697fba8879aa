"""The differentiable primitives, grouped by kind, installed as Tensor methods.

Each module defines `Op` subclasses (forward and backward side by side), the
functions users call, and a ``METHODS`` table naming which of them become ``Tensor``
methods and operators. Installing them here keeps `tensor.py` free of op code and the
import graph pointing one way (ops -> autograd -> tensor).
"""
from ..tensor import Tensor
from . import compare, convert, elementwise, histogram, inplace, linalg, reduce, shape

for _module in (elementwise, reduce, shape, linalg, convert, inplace, compare, histogram):
    for _name, _fn in _module.METHODS.items():
        setattr(Tensor, _name, _fn)

from .compare import (  # noqa: E402
    allclose, eq, equal, ge, gt, isclose, isfinite, isinf, isnan, le, logical_not, lt, ne, sign,
)
from .elementwise import (  # noqa: E402
    abs, add, clamp, clip, cos, cosh, div, exp, log, log1p, log2, log10, maximum, minimum, mul, neg,
    pow, relu, sigmoid, sin, sinh, sqrt, sub, tanh, where,
)
from .histogram import histc, histogram  # noqa: E402
from .linalg import linear, matmul, mm  # noqa: E402
from .reduce import (  # noqa: E402
    all, amax, amin, any, argmax, argmin, log_softmax, logsumexp, max, mean, min, norm, softmax, std,
    sum, var,
)
from .shape import (  # noqa: E402
    cat, clone, expand, flatten, meshgrid, permute, reshape, squeeze, stack, transpose, unsqueeze,
)
