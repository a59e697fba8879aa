"""Elementwise primitives: arithmetic, unary maths, activations, comparisons, casts.

Each op's forward and backward sit side by side. Gradients may come back in the
broadcast shape: the engine sums them down to each input's shape in one place.
"""
from __future__ import annotations

import numbers

from .. import backend
from ..autograd import Op
from ..tensor import Tensor

_PY_SCALARS = (int, float, bool)


# ---------------------------------------------------------------------------- operands
_CATEGORY = {"b": 0, "u": 1, "i": 1, "f": 2, "c": 3}


def _promote(a: Tensor, b: Tensor):
    """Cast two tensors to their PyTorch result dtype (0-d tensors don't widen n-d ones)."""
    da, db = a.array.dtype, b.array.dtype
    if da == db:
        return a, b
    # torch's categories are bool < integer < float: a 0-d int is not a bool's equal
    same_category = _CATEGORY.get(da.kind) == _CATEGORY.get(db.kind)
    if a.array.ndim == 0 and b.array.ndim > 0 and same_category:
        return a.type(db), b
    if b.array.ndim == 0 and a.array.ndim > 0 and same_category:
        return a, b.type(da)
    dt = backend.promote_types(da, db)
    return a.type(dt), b.type(dt)


def operands(a, b):
    """Normalise the operands of a binary op: tensors with one dtype, or tensor + scalar.

    Python scalars stay scalars (NumPy keeps the tensor's dtype for them, as torch does),
    except that a float scalar turns an integer tensor into the default float dtype.
    """
    if isinstance(a, Tensor):
        if isinstance(b, Tensor):
            return (a, b) if a.array.dtype is b.array.dtype else _promote(a, b)
        if b.__class__ is float and a.array.dtype.kind == "f":  # the common `x * 0.5`
            return a, b
    t, s, t_first = (a, b, True) if isinstance(a, Tensor) else (b, a, False)
    if isinstance(s, _PY_SCALARS):
        if isinstance(s, float) and t.array.dtype.kind in "iub":
            t = t.type(backend.get_default_dtype())
        elif isinstance(s, int) and not isinstance(s, bool) and t.array.dtype.kind == "b":
            t = t.type(backend.int64)
        return (t, s) if t_first else (s, t)
    if hasattr(s, "__array_interface__") or hasattr(s, "shape") or isinstance(s, (list, tuple)):
        s = Tensor(s, device=t.device)
        return _promote(t, s) if t_first else _promote(s, t)
    raise TypeError(f"unsupported operand type {type(s).__name__} for a tensor operation")


def _float_operands(a, b):
    """Like `operands`, but integer results of true division become float (as torch)."""
    a, b = operands(a, b)
    t = a if isinstance(a, Tensor) else b
    if t.array.dtype.kind in "iub":
        f = backend.get_default_dtype()
        a = a.type(f) if isinstance(a, Tensor) else a
        b = b.type(f) if isinstance(b, Tensor) else b
    return a, b


def _float_input(x: Tensor) -> Tensor:
    """Unary maths on integers returns the default float dtype, as in torch."""
    return x if x.array.dtype.kind == "f" else x.type(backend.get_default_dtype())


# ---------------------------------------------------------------------------- arithmetic
class Add(Op):
    def forward(self, a, b):
        return a + b

    def backward(self, g):
        return g, g


class Sub(Op):
    def forward(self, a, b):
        return a - b

    def backward(self, g):
        return g, -g


class Mul(Op):
    def forward(self, a, b):
        need_a, need_b = self.needs_input_grad
        # each side is kept only for the other's gradient (as torch)
        self.save_for_backward(b if need_a else None, a if need_b else None)
        return a * b

    def backward(self, g):
        b, a = self.saved
        return (None if b is None else g * b), (None if a is None else g * a)


class Div(Op):
    def forward(self, a, b):
        self.save_for_backward(a, b)
        return a / b

    def backward(self, g):
        a, b = self.saved
        ga = g / b
        return ga, -ga * a / b


class PowScalar(Op):
    """x ** p for a Python number p (the common case, kept cheap)."""

    def forward(self, x, p):
        self.save_for_backward(x)
        self.p = p
        return x**p

    def backward(self, g):
        (x,) = self.saved
        p = self.p
        if p == 2:
            return g * (2 * x)
        if p == 0:  # torch's convention: x ** 0 has gradient 0, even at x = 0 (not 0 * inf)
            return backend.array_module(g).zeros_like(g)
        return g * (p * x ** (p - 1))


class Pow(Op):
    """a ** b with both sides tensors (or a scalar base): d/db = a**b * log(a)."""

    def forward(self, a, b):
        try:
            out = a**b
        except ValueError:  # NumPy refuses integers to negative integer powers; torch defines them
            out = _int_pow_with_negative_exponents(a, b)
        self.save_for_backward(a, b, out)
        return out

    def backward(self, g):
        a, b, out = self.saved
        ga = gb = None
        xp = backend.array_module(out)
        if hasattr(a, "shape") and hasattr(b, "shape"):
            with backend.ignore_float_errors(xp):  # as PowScalar: a ** 0 has gradient 0 w.r.t. a, even at a = 0
                ga = g * xp.where(b == 0, 0, b * a ** (b - 1))
        elif hasattr(a, "shape"):
            ga = g * (b * a ** (b - 1))
        if hasattr(b, "shape"):
            with backend.ignore_float_errors(xp):
                # torch's convention: 0 ** b has gradient 0 w.r.t. b where b >= 0
                gb = g * xp.where((a == 0) & (b >= 0), 0, out * xp.log(a))
        return ga, gb


def _int_pow_with_negative_exponents(a, b):
    """torch's integer a ** b where some b < 0: 1 ** b = 1, (-1) ** b = +-1, else 0."""
    xp = backend.array_module(a if hasattr(a, "shape") else b)
    with backend.ignore_float_errors(xp):
        positive = a ** xp.abs(b)
        odd = xp.where(b % 2 == 0, 1, -1)
        negative = xp.where(a == 1, 1, xp.where(a == -1, odd, 0))
    return xp.where(b < 0, negative, positive).astype(positive.dtype, copy=False)


class Neg(Op):
    def forward(self, x):
        return -x

    def backward(self, g):
        return -g


# ---------------------------------------------------------------------------- unary maths
class Exp(Op):
    def forward(self, x):
        out = backend.array_module(x).exp(x)
        self.save_for_backward(out)
        return out

    def backward(self, g):
        return g * self.saved[0]


class Log(Op):
    def forward(self, x):
        self.save_for_backward(x)
        return backend.array_module(x).log(x)

    def backward(self, g):
        return g / self.saved[0]


class Log1p(Op):
    def forward(self, x):
        self.save_for_backward(x)
        return backend.array_module(x).log1p(x)

    def backward(self, g):
        return g / (1 + self.saved[0])


class Sqrt(Op):
    def forward(self, x):
        out = backend.array_module(x).sqrt(x)
        self.save_for_backward(out)
        return out

    def backward(self, g):
        return g / (2 * self.saved[0])


class Abs(Op):
    def forward(self, x):
        self.save_for_backward(x)
        return backend.array_module(x).abs(x)

    def backward(self, g):
        xp = backend.array_module(g)
        x = self.saved[0]
        # torch's sgn: NaN inputs get 0, not NaN
        return g * xp.where(xp.isnan(x), 0, xp.sign(x)).astype(g.dtype, copy=False)


class Sin(Op):
    def forward(self, x):
        self.save_for_backward(x)
        return backend.array_module(x).sin(x)

    def backward(self, g):
        return g * backend.array_module(g).cos(self.saved[0])


class Cos(Op):
    def forward(self, x):
        self.save_for_backward(x)
        return backend.array_module(x).cos(x)

    def backward(self, g):
        return -g * backend.array_module(g).sin(self.saved[0])


class Tanh(Op):
    def forward(self, x):
        out = backend.array_module(x).tanh(x)
        self.save_for_backward(out)
        return out

    def backward(self, g):
        y = self.saved[0]
        return g * (1 - y * y)


class Sigmoid(Op):
    """1 / (1 + exp(-x)), in place on one scratch array (2x-9x faster than branching).

    Below x ~ -88 (float32) exp(-x) overflows to inf and the result is the right 0: only
    NumPy's overflow warning is silenced (torch is silent), which costs less than
    clipping the input first, a whole extra pass."""

    @backend.ignoring_float_errors
    def forward(self, x):
        xp = backend.array_module(x)
        # -x is the scratch array (0.4 us less than out=empty_like), but a scalar if x is 0-d
        t = -x if x.ndim else xp.negative(x, out=xp.empty_like(x))
        xp.exp(t, out=t)
        t += 1
        out = xp.reciprocal(t, out=t)
        self.save_for_backward(out)
        return out

    def backward(self, g):
        y = self.saved[0]
        if y.ndim:
            d = 1 - y  # the scratch array
        else:  # out=: a 0-d array stays an array
            xp = backend.array_module(y)
            d = xp.subtract(1, y, out=xp.empty_like(y))
        d *= y  # y (1 - y) g, in one scratch array
        d *= g
        return d


_SAME_SIZE_INT = {2: "int16", 4: "int32", 8: "int64"}


def _kept(g, keep):
    """`g` where `keep`, else 0: a select, so an inf gradient at a blocked element gives 0
    (a multiply by the mask would give inf * 0 = NaN). Done on the bits (g AND a mask of
    all ones or zeros) because NumPy's where() on a mask with no pattern costs ~10x a
    multiply: every element is a mispredicted branch."""
    xp = backend.array_module(g)
    ints = _SAME_SIZE_INT.get(g.dtype.itemsize) if g.dtype.kind == "f" else None
    if ints is None or g.ndim == 0 or getattr(keep, "shape", None) != g.shape:
        return xp.where(keep, g, xp.zeros((), dtype=g.dtype))
    bits = keep.astype(ints)
    xp.negative(bits, out=bits)  # 1 -> all ones
    return xp.bitwise_and(g.view(ints), bits).view(g.dtype)


class Relu(Op):
    def forward(self, x):
        out = backend.array_module(x).maximum(x, 0)
        self.save_for_backward(out)
        return out

    def backward(self, g):
        # torch's threshold_backward: blocked where the output is <= 0 (a NaN passes)
        out = self.saved[0]
        ints = _SAME_SIZE_INT.get(out.dtype.itemsize) if out.dtype.kind == "f" else None
        if ints is None or out.ndim == 0 or g.shape != out.shape or g.dtype != out.dtype:
            return _kept(g, backend.array_module(g).logical_not(out <= 0))
        # The mask straight from the output's bits, in three integer passes with no bool
        # arrays (~1.5x faster): a ReLU output is +-0 (blocked), positive or NaN (kept),
        # so "kept" is "any bit but the sign set"; -m >> (bits - 1) turns m > 0 into all ones.
        xp = backend.array_module(g)
        bits = 8 * out.dtype.itemsize
        m = xp.bitwise_and(out.view(ints), xp.array((1 << (bits - 1)) - 1, dtype=ints))
        xp.negative(m, out=m)
        xp.right_shift(m, bits - 1, out=m)
        return xp.bitwise_and(g.view(ints), m, out=m).view(g.dtype)


class Clamp(Op):
    """clamp(x, min, max); the gradient passes where min <= x <= max (as torch)."""

    def forward(self, x, min=None, max=None):
        self.save_for_backward(x)
        self.bounds = (min, max)
        return backend.array_module(x).clip(x, min, max)

    def backward(self, g):
        (x,) = self.saved
        lo, hi = self.bounds
        xp = backend.array_module(g)
        mask = True
        if lo is not None:
            mask = x >= lo
        if hi is not None:
            mask = mask & (x <= hi)
        if mask is True:
            return g
        return _kept(g, xp.broadcast_to(mask, g.shape))


class Maximum(Op):
    """Elementwise max; at ties each side gets half the gradient (as torch).

    The gradient is selected, never multiplied by a mask, so an inf gradient gives 0 to
    the losing side; next to a NaN both sides get the gradient, as torch's formula does.
    """

    ufunc = "maximum"

    def forward(self, a, b):
        self.save_for_backward(a, b)
        return getattr(backend.array_module(a), self.ufunc)(a, b)

    def backward(self, g):
        a, b = self.saved
        xp = backend.array_module(g)
        a_loses, b_loses = (a < b, a > b) if self.ufunc == "maximum" else (a > b, a < b)
        shared = xp.where(a == b, g / 2, g)  # ties are rare: a predictable branch
        return _kept(shared, xp.logical_not(a_loses)), _kept(shared, xp.logical_not(b_loses))


class Minimum(Maximum):
    ufunc = "minimum"


class Where(Op):
    def forward(self, cond, a, b):
        self.save_for_backward(cond)
        return backend.array_module(cond).where(cond, a, b)

    def backward(self, g):
        (cond,) = self.saved
        xp = backend.array_module(g)
        zero = xp.zeros((), dtype=g.dtype)
        return None, xp.where(cond, g, zero), xp.where(cond, zero, g)


class Cast(Op):
    """Change dtype; the gradient is cast back by the engine."""

    def forward(self, x, dtype):
        return x.astype(dtype)

    def backward(self, g):
        return g


# ---------------------------------------------------------------------------- front ends
def add(a, b):
    a, b = operands(a, b)
    return Add.apply(a, b)


def sub(a, b):
    if all(isinstance(x, bool) or (isinstance(x, Tensor) and x.array.dtype.kind == "b") for x in (a, b)):
        raise TypeError("sub: subtracting two bools (bool tensors) is not supported; use ^ or logical_xor() instead")
    ta, tb = operands(a, b)
    # As torch, refuse `-` on bools (usually meant as `~mask`). Only a cast can hide a
    # bool operand; bool - bool reaches NumPy, which raises a TypeError of its own.
    if (ta is not a or tb is not b) and any(isinstance(x, Tensor) and x.array.dtype.kind == "b" for x in (a, b)):
        raise TypeError("sub: subtracting a bool tensor is not supported; use ~ or logical_not() to invert a mask")
    return Sub.apply(ta, tb)


def mul(a, b):
    a, b = operands(a, b)
    return Mul.apply(a, b)


def div(a, b):
    a, b = _float_operands(a, b)
    return Div.apply(a, b)


def pow(a, b):
    if isinstance(a, Tensor) and isinstance(b, _PY_SCALARS) and not isinstance(b, bool):
        if isinstance(b, float) and a.array.dtype.kind in "iub":
            a = a.type(backend.get_default_dtype())
        elif b < 0 and a.array.dtype.kind in "iub":
            raise RuntimeError(f"pow: integers to negative integer powers are not allowed ({a.dtype} ** {b})")
        return PowScalar.apply(a, b)
    a, b = operands(a, b)
    return Pow.apply(a, b)


def neg(x):
    if x.array.dtype.kind == "b":
        raise TypeError("neg: negating a bool tensor is not supported; use ~ or logical_not() to invert a mask")
    return Neg.apply(x)


def exp(x):
    return Exp.apply(_float_input(x))


def log(x):
    return Log.apply(_float_input(x))


def log1p(x):
    return Log1p.apply(_float_input(x))


def sqrt(x):
    return Sqrt.apply(_float_input(x))


def abs(x):
    return Abs.apply(x)


def sin(x):
    return Sin.apply(_float_input(x))


def cos(x):
    return Cos.apply(_float_input(x))


def tanh(input):
    return Tanh.apply(_float_input(input))


def sigmoid(input):
    return Sigmoid.apply(_float_input(input))


def relu(x):
    return Relu.apply(x)


def clamp(x, min=None, max=None):
    """Limit values to [min, max] (either bound may be None)."""
    if min is None and max is None:
        raise ValueError("clamp: at least one of min and max must be given")
    for name, bound in (("min", min), ("max", max)):
        if not (bound is None or isinstance(bound, Tensor) or isinstance(bound, numbers.Real)):
            raise TypeError(f"clamp: {name} must be a number, a tensor or None, got {type(bound).__name__}")
    if x.array.dtype.kind in "iub" and (isinstance(min, float) or isinstance(max, float)):
        x = x.type(backend.get_default_dtype())  # as torch: int.clamp(0.5) is float32
    return Clamp.apply(x, min=min, max=max)


clip = clamp


def _tensor_pair(a, b):
    """Both operands as tensors of one dtype (ops whose backward reads both sides)."""
    a, b = operands(a, b)
    t = a if isinstance(a, Tensor) else b
    a = a if isinstance(a, Tensor) else Tensor._make(t.xp.asarray(a, dtype=t.dtype), False, None)
    b = b if isinstance(b, Tensor) else Tensor._make(t.xp.asarray(b, dtype=t.dtype), False, None)
    return a, b


def maximum(a, b):
    """Elementwise maximum (NaN-propagating, as torch)."""
    return Maximum.apply(*_tensor_pair(a, b))


def minimum(a, b):
    """Elementwise minimum (NaN-propagating, as torch)."""
    return Minimum.apply(*_tensor_pair(a, b))


def where(condition, input, other):
    """``input`` where `condition` is true, else ``other`` (broadcasting all three)."""
    cond = condition if isinstance(condition, Tensor) else Tensor(condition)
    if cond.array.dtype.kind != "b":
        raise TypeError(f"where: condition must be a bool tensor, got {cond.dtype}")
    if not isinstance(input, Tensor) and not isinstance(other, Tensor):  # where(c, 1.0, 0.0)
        input = Tensor(input, device=cond.device)
    input, other = operands(input, other)
    return Where.apply(cond, input, other)


METHODS = {
    "__add__": add, "__radd__": lambda a, b: add(b, a),
    "__sub__": sub, "__rsub__": lambda a, b: sub(b, a),
    "__mul__": mul, "__rmul__": lambda a, b: mul(b, a),
    "__truediv__": div, "__rtruediv__": lambda a, b: div(b, a),
    "__pow__": pow, "__rpow__": lambda a, b: pow(b, a),
    "__neg__": neg, "__pos__": lambda x: x, "__abs__": abs,
    "add": add, "sub": sub, "mul": mul, "div": div, "pow": pow, "neg": neg,
    "exp": exp, "log": log, "log1p": log1p, "sqrt": sqrt, "abs": abs, "sin": sin, "cos": cos,
    "tanh": tanh, "sigmoid": sigmoid, "relu": relu, "clamp": clamp, "clip": clamp,
    "maximum": maximum, "minimum": minimum,
}


# ---------------------------------------------------------------------------- hyperbolic, log bases
class Sinh(Op):
    def forward(self, x):
        self.save_for_backward(x)
        return backend.array_module(x).sinh(x)

    def backward(self, g):
        return g * backend.array_module(g).cosh(self.saved[0])


class Cosh(Op):
    def forward(self, x):
        self.save_for_backward(x)
        return backend.array_module(x).cosh(x)

    def backward(self, g):
        return g * backend.array_module(g).sinh(self.saved[0])


class Log2(Op):
    """log2 x, whose derivative is 1 / (x ln 2)."""

    ufunc, ln_base = "log2", 0.6931471805599453

    def forward(self, x):
        self.save_for_backward(x)
        return getattr(backend.array_module(x), self.ufunc)(x)

    def backward(self, g):
        x = self.saved[0]
        return g / (x * x.dtype.type(self.ln_base))


class Log10(Log2):
    """log10 x, whose derivative is 1 / (x ln 10)."""

    ufunc, ln_base = "log10", 2.302585092994046


def sinh(input):
    """Hyperbolic sine, elementwise."""
    return Sinh.apply(_float_input(input))


def cosh(input):
    """Hyperbolic cosine, elementwise."""
    return Cosh.apply(_float_input(input))


def log2(input):
    """Base-2 logarithm, elementwise."""
    return Log2.apply(_float_input(input))


def log10(input):
    """Base-10 logarithm, elementwise."""
    return Log10.apply(_float_input(input))


METHODS.update({"sinh": sinh, "cosh": cosh, "log2": log2, "log10": log10})
