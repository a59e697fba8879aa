"""Reverse-mode automatic differentiation.

- `Op` (op.py): the array-level base of minigrad's own primitives (forward/backward on
  raw NumPy or CuPy arrays).
- `Function` (function.py): PyTorch's API for user-defined differentiable functions.
- `backward`, `grad` (engine.py): the iterative backward engine.
- `detect_anomaly` (anomaly.py) and the grad modes (``minigrad.grad_mode``), per thread.

Importing this package gives `Tensor` its ``backward`` method: the engine sits above
tensor.py in the import graph, so tensor.py cannot import it.
"""
from ..grad_mode import (  # noqa: F401  (PyTorch spells these torch.autograd.*)
    enable_grad, is_anomaly_enabled, is_grad_enabled, no_grad, set_grad_enabled,
)
from ..tensor import Tensor
from .anomaly import detect_anomaly  # noqa: F401
from .engine import backward, grad, grad_observers, retain  # noqa: F401
from .function import Function, FunctionCtx  # noqa: F401
from .op import Op  # noqa: F401


def _tensor_backward(self, gradient=None, retain_graph=False):
    """Accumulate the gradient of this tensor into the ``.grad`` of every leaf.

    `gradient` is d(loss)/d(self); it may be left out for a single-element tensor.
    The graph's saved arrays are freed afterwards unless ``retain_graph=True``.
    """
    backward(self, gradient, retain_graph)


Tensor.backward = _tensor_backward
