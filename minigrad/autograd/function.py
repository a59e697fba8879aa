"""`Function`: PyTorch's API for user-defined differentiable functions.

    class Cube(mg.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x ** 3

        @staticmethod
        def backward(ctx, grad):
            (x,) = ctx.saved_tensors
            return 3 * x ** 2 * grad

    y = Cube.apply(x)

``forward`` and ``backward`` work on Tensors (forward runs under ``no_grad``). The ctx is
the graph node itself, as in PyTorch: ``save_for_backward``/``saved_tensors`` (version
checked), ``needs_input_grad``, ``mark_non_differentiable``, ``mark_dirty``,
``set_materialize_grads``, and any attribute you set on it. A forward may return one
Tensor or a tuple; backward returns one gradient per forward input (None for inputs that
need none, and for non-Tensor arguments).
"""
from __future__ import annotations

from .. import backend
from ..grad_mode import grad_enabled, no_grad
from ..tensor import Tensor
from .op import Op

# the gradient of outputs that got none, between output slots and the function's node
_RELAYED = backend.np.zeros((), dtype=bool)


class FunctionCtx(Op):
    """The node a `Function` call leaves in the graph, and the ``ctx`` its methods see."""

    _materialize = True
    _non_differentiable = ()
    _dirty = ()

    # ---- the ctx API ----------------------------------------------------------------
    def save_for_backward(self, *tensors):
        """Keep `tensors` (Tensors or None) for backward; in-place changes are detected."""
        for i, t in enumerate(tensors):
            if t is not None and not isinstance(t, Tensor):
                raise TypeError(
                    f"save_for_backward: only Tensors (or None) can be saved, argument {i} is a "
                    f"{type(t).__name__}; store other values as attributes of ctx instead"
                )
        self.saved = tuple((t, None if t is None else t._version) for t in tensors)

    @property
    def saved_tensors(self) -> tuple:
        """The tensors given to ``save_for_backward``, checked for in-place changes."""
        if self.saved is None:
            raise RuntimeError(
                f"Trying to backward through the graph a second time (through {self.name}), or "
                "to read saved_tensors after they have been freed. Pass retain_graph=True to "
                "the first backward() if you need to call it twice."
            )
        for t, version in self.saved:
            if t is not None and t._version != version:
                raise RuntimeError(
                    f"one of the tensors saved by {self.name} was modified by an in-place "
                    f"operation: it is at version {t._version}; expected version {version}"
                )
        return tuple(t for t, _ in self.saved)

    def mark_non_differentiable(self, *tensors):
        """Declare outputs that get no gradient (e.g. indices); they won't require grad."""
        self._non_differentiable = tuple(tensors)

    def mark_dirty(self, *tensors):
        """Declare inputs that forward modified in place (and returns as outputs)."""
        self._dirty = tuple(tensors)

    def set_materialize_grads(self, value: bool):
        """Whether backward sees zeros (True, the default) or None for outputs without a
        gradient."""
        self._materialize = bool(value)

    # ---- the node -------------------------------------------------------------------
    @property
    def name(self) -> str:
        return f"{self._fn.__name__}Backward"

    def backward(self, g):
        grads = self._out_grads if self._slots else [g]
        if self._materialize:
            grads = [_zeros_like(m) if x is None else x for x, m in zip(grads, self._out_meta)]
        wrapped = [None if x is None else Tensor._make(x, False, None) for x in grads]
        with no_grad():
            result = self._fn.backward(self, *wrapped)
        if not isinstance(result, tuple):
            result = (result,)
        return _check_grads(self, result)


class _OutputSlot(Op):
    """For a Function with several outputs: relays output i's gradient to the main node."""

    def backward(self, g):
        self.main._out_grads[self.index] = g
        return _RELAYED


class Function:
    """Base class of user-defined differentiable functions (PyTorch's ctx API).

    Subclasses define ``@staticmethod forward(ctx, *args, **kwargs)`` and
    ``@staticmethod backward(ctx, *grad_outputs)`` and are called as ``F.apply(*args)``.
    """

    def __init__(self, *args, **kwargs):
        raise RuntimeError(
            f"{type(self).__name__}: autograd Functions are not instantiated; call "
            f"{type(self).__name__}.apply(...) instead"
        )

    @staticmethod
    def forward(ctx, *args, **kwargs):
        """Compute the outputs from the inputs (Tensors); runs without recording a graph."""
        raise NotImplementedError("a Function subclass must define forward(ctx, *args)")

    @staticmethod
    def backward(ctx, *grad_outputs):
        """Return the gradient for each input of forward, given those of its outputs."""
        raise NotImplementedError("a Function subclass must define backward(ctx, *grad_outputs)")

    @classmethod
    def apply(cls, *args, **kwargs):
        """Run ``forward`` and, when an input requires grad, record a node for ``backward``."""
        ctx = FunctionCtx()
        ctx._fn = cls
        needs = tuple(isinstance(a, Tensor) and a.requires_grad for a in args)
        record = any(needs) and grad_enabled()
        ctx.needs_input_grad = needs if record else (False,) * len(args)
        with no_grad():
            out = cls.forward(ctx, *args, **kwargs)
        single = not isinstance(out, tuple)
        outputs = (out,) if single else out
        for i, o in enumerate(outputs):
            if o is not None and not isinstance(o, Tensor):
                raise TypeError(
                    f"{cls.__name__}.forward must return a Tensor or a tuple of Tensors, output "
                    f"{i} is a {type(o).__name__}"
                )
        if not record:
            return out
        ctx.next = tuple(
            (a.grad_fn or (a if a.requires_grad else None)) if isinstance(a, Tensor) else None for a in args
        )
        ctx._in_meta = tuple((a.shape, a.dtype, a.device) if isinstance(a, Tensor) else None for a in args)
        ctx._out_meta = tuple(None if o is None else (o.shape, o.dtype, o.array) for o in outputs)
        ctx._slots = not single
        results = tuple(_connect(ctx, o, i, single) for i, o in enumerate(outputs))
        if single:
            ctx.shape, ctx.dtype = outputs[0].shape, outputs[0].dtype
        else:  # the slots relay a marker; the real gradients wait in _out_grads
            ctx.shape, ctx.dtype = _RELAYED.shape, _RELAYED.dtype
            ctx._out_grads = [None] * len(outputs)
        return results[0] if single else results


def _connect(ctx, o, index, single):
    """Output `o` of a recorded call, as a tensor whose grad_fn leads to `ctx`."""
    if o is None:
        return None
    if any(o is t for t in ctx._non_differentiable) or o.array.dtype.kind not in "fc":
        o.requires_grad = False
        o.grad_fn = None
        return o
    if single:
        node = ctx
    else:
        node = _OutputSlot()
        node.main, node.index, node.next = ctx, index, (ctx,)
        node.shape, node.dtype = o.shape, o.dtype
    if any(o is t for t in ctx._dirty):  # an input modified in place: its history moves on
        o._bump_version()
        o.grad_fn, o.requires_grad = node, True
        return o
    # an input returned unchanged must not have its own grad_fn replaced: return an alias
    result = Tensor._make(o.array, True, node)
    result._vc = o._vc
    return result


def _zeros_like(meta):
    shape, dtype, array = meta
    return backend.array_module(array).zeros(shape, dtype=dtype)


def _check_grads(ctx, grads):
    """The arrays of the gradients backward returned, validated against the inputs."""
    n = len(ctx.next)
    if len(grads) != n:
        raise RuntimeError(
            f"{ctx._fn.__name__}.backward returned an incorrect number of gradients (expected "
            f"{n}, got {len(grads)})"
        )
    arrays = []
    for i, (g, meta) in enumerate(zip(grads, ctx._in_meta)):
        if g is None:
            arrays.append(None)
            continue
        if meta is None:
            raise RuntimeError(
                f"{ctx._fn.__name__}.backward returned a gradient for argument {i}, which is not "
                "a Tensor: return None for it"
            )
        if not isinstance(g, Tensor):
            raise TypeError(
                f"{ctx._fn.__name__}.backward must return Tensors (or None), got a "
                f"{type(g).__name__} for input {i}"
            )
        shape, dtype, device = meta
        if g.device != device:
            raise RuntimeError(
                f"{ctx._fn.__name__}.backward returned the gradient of input {i} on {g.device}, "
                f"but the input is on {device}"
            )
        if not _expandable(shape, g.shape):
            raise RuntimeError(
                f"{ctx._fn.__name__}.backward returned an invalid gradient at index {i}: got "
                f"shape {list(g.shape)} but expected shape compatible with {list(shape)}"
            )
        arrays.append(g.array if ctx.needs_input_grad[i] else None)
    return tuple(arrays)


def _expandable(shape, grad_shape) -> bool:
    """Whether `shape` broadcasts to `grad_shape` (so the engine can sum the gradient back)."""
    if len(shape) > len(grad_shape):
        return False
    return all(s == 1 or s == g for s, g in zip(reversed(shape), reversed(grad_shape)))
