"""minigrad: a small, readable, fast reverse-mode autograd framework on NumPy and CuPy.

``import minigrad as mg`` gives tensors (``mg.tensor``, factories, ops), grad modes,
random seeding and, lazily, the ``nn``, ``optim``, ``data``, ``trace``, ``viz`` and
``train`` sub-packages.
"""
from . import autograd, backend, backends, cuda
from .autograd import enable_grad, is_grad_enabled, no_grad, set_grad_enabled
from .backend import set_default_dtype
from .generator import Generator, manual_seed
from .devices import device, get_default_device, set_default_device
from .dtypes import (  # noqa: A004  mg.float, mg.int, mg.bool shadow builtins on purpose, as torch
    bool, bool_, cdouble, cfloat, complex64, complex128, double, dtype, float, float16, float32, float64,
    get_default_dtype, half, int, int8, int16, int32, int64, long, short, uint8,
)
from .printing import get_printoptions, set_printoptions
from .size import Size
from .factories import (
    arange, empty, empty_like, eye, from_dlpack, from_numpy, full, full_like, linspace, ones,
    ones_like, rand, rand_like, randint, randn, randn_like, randperm, tensor, zeros, zeros_like,
)
from .factories import bernoulli, multinomial, normal  # noqa: E402  torch's random functions

from .gradcheck import gradcheck
from .ops import *  # noqa: F401,F403  (the functional form of every op)
from .ops import all, any, max, min, sum, abs, pow  # noqa: F401  shadow builtins on purpose, as torch
from .tensor import Tensor

__version__ = "0.1.0"

backends.memory.tune()  # keep a training step's large freed arrays for the next (see the module)

_SUBPACKAGES = {"nn", "optim", "data", "trace", "viz", "train", "serialization", "utils"}


def __getattr__(name):
    # Sub-packages load on first use, keeping `import minigrad` fast.
    if name in _SUBPACKAGES:
        import importlib

        return importlib.import_module(f".{name}", __name__)
    if name in ("save", "load"):
        from . import serialization

        return getattr(serialization, name)
    raise AttributeError(f"module 'minigrad' has no attribute {name!r}")
