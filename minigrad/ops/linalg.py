"""Matrix products: matmul (1-D, 2-D and batched, broadcasting) and a fused linear."""
from __future__ import annotations

from ..autograd import Op
from ..backend import matmul as _mm
from ..tensor import Tensor
from .elementwise import operands


def _swap(a):
    return a.swapaxes(-1, -2)


class MatMul(Op):
    def forward(self, a, b):
        self.save_for_backward(a, b)
        return _mm(a, b)

    def backward(self, g):
        a, b = self.saved
        need_a, need_b = self.needs_input_grad  # skip unneeded products
        if a.ndim == 1 and b.ndim == 1:  # dot product
            return (g * b if need_a else None), (g * a if need_b else None)
        if a.ndim == 1:  # (k) @ (..., k, n) -> (..., n)
            return (_mm(g[..., None, :], _swap(b))[..., 0, :] if need_a else None,
                    a[:, None] * g[..., None, :] if need_b else None)
        if b.ndim == 1:  # (..., m, k) @ (k) -> (..., m)
            return (g[..., :, None] * b if need_a else None,
                    _mm(_swap(a), g[..., :, None])[..., 0] if need_b else None)
        # batch dims broadcast; the engine sums them back to each input's shape
        return (_mm(g, _swap(b)) if need_a else None), (_mm(_swap(a), g) if need_b else None)


class Linear(Op):
    """y = x @ w.T + b in one node: the hot path of every MLP (three nodes otherwise)."""

    def forward(self, x, w, b=None):
        self.save_for_backward(x, w)
        y = _mm(x, w.T)
        if b is not None:
            y += b  # y is fresh: adding in place saves an allocation
        self.has_bias = b is not None
        return y

    def backward(self, g):
        x, w = self.saved
        need = self.needs_input_grad
        # the first layer's input is data: skipping its gradient saves a whole matmul
        gx = _mm(g, w) if need[0] else None
        g2 = g.reshape(-1, g.shape[-1])
        gw = _mm(g2.T, x.reshape(-1, x.shape[-1])) if need[1] else None
        gb = g2.sum(axis=0) if self.has_bias and need[2] else None
        return gx, gw, gb


def matmul(a, b):
    """Matrix product with torch.matmul's rules for 1-D, 2-D and batched operands."""
    a, b = operands(a, b)
    if not isinstance(a, Tensor) or not isinstance(b, Tensor) or a.ndim == 0 or b.ndim == 0:
        raise ValueError("matmul: both arguments need at least one dimension (use * for scalars)")
    return MatMul.apply(a, b)


def linear(input, weight, bias=None):
    """``input @ weight.T + bias`` with weight of shape (out_features, in_features)."""
    if not (isinstance(input, Tensor) and isinstance(weight, Tensor) and (bias is None or isinstance(bias, Tensor))):
        name, t = next((n, t) for n, t in (("input", input), ("weight", weight), ("bias", bias))
                       if not isinstance(t, Tensor) and not (n == "bias" and t is None))
        raise TypeError(f"linear: {name} must be a Tensor{' or None' if name == 'bias' else ''}, got {type(t).__name__}")
    x, w = input.array, weight.array  # the arrays' shapes: no Size object per check (a hot path)
    if x.ndim == 0 or w.ndim != 2:
        raise ValueError(f"linear: expected input of >= 1 dims and a 2-D weight, got {tuple(x.shape)} and {tuple(w.shape)}")
    if x.shape[-1] != w.shape[1]:
        raise ValueError(
            f"linear: input's last dim {x.shape[-1]} (shape {tuple(x.shape)}) does not match "
            f"weight's in_features {w.shape[1]} (shape {tuple(w.shape)})"
        )
    if bias is not None and bias.array.shape != (w.shape[0],):
        raise ValueError(f"linear: bias shape {tuple(bias.array.shape)} should be ({w.shape[0]},)")
    if x.dtype != w.dtype:
        raise TypeError(f"linear: input dtype {input.dtype} does not match weight dtype {weight.dtype}")
    if bias is None:
        return Linear.apply(input, weight)
    return Linear.apply(input, weight, bias)


METHODS = {
    "__matmul__": matmul, "__rmatmul__": lambda a, b: matmul(b, a), "matmul": matmul,
    "mm": matmul, "dot": matmul,
}


def mm(input, mat2):
    """Product of two matrices (2-D only, as torch.mm; use matmul for other shapes)."""
    if not isinstance(input, Tensor) or not isinstance(mat2, Tensor):
        raise TypeError(f"mm: expected two tensors, got {type(input).__name__} and {type(mat2).__name__}")
    if input.ndim != 2 or mat2.ndim != 2:
        raise ValueError(f"mm: both arguments must be matrices, got shapes {tuple(input.shape)} and {tuple(mat2.shape)}")
    if input.shape[1] != mat2.shape[0]:
        raise ValueError(f"mm: shapes {tuple(input.shape)} and {tuple(mat2.shape)} cannot be multiplied")
    return matmul(input, mat2)


METHODS["mm"] = mm
