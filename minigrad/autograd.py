"""Reverse-mode autograd: the `Op` node, the backward engine and grad modes.

An `Op` is both the op and the graph node it leaves behind: `forward` works on raw
backend arrays and stores (in ``self.saved``) only what `backward` needs; `backward`
takes the gradient of the output and returns one gradient per input (None where the
input needs none). Everything ops would otherwise repeat lives here, once:

* unbroadcasting a gradient to its input's shape and casting it to the input's dtype;
* checking that a saved tensor was not modified in place before backward uses it;
* freeing saved arrays right after backward used them (unless ``retain_graph``);
* anomaly checks, device checks, readable errors for shape mismatches.

The engine walks the graph with an explicit stack, so depth is limited only by memory.
"""
from __future__ import annotations

import traceback
import weakref

from . import backend
from .grad_fn_names import backward_name

Tensor = None  # set by minigrad.tensor, which imports this module (no import cycle)

# ---------------------------------------------------------------------------- grad mode
_grad_enabled = True
_anomaly_enabled = False


def is_grad_enabled() -> bool:
    """Whether ops record a graph right now."""
    return _grad_enabled


class set_grad_enabled:
    """Turn graph recording on or off (a function, context manager or decorator)."""

    def __init__(self, mode: bool):
        global _grad_enabled
        self.prev = _grad_enabled
        _grad_enabled = bool(mode)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        global _grad_enabled
        _grad_enabled = self.prev

    def __call__(self, fn):
        import functools

        mode = _grad_enabled
        # the constructor already switched the mode; undo that for decorator use
        self.__exit__()

        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            with set_grad_enabled(mode):
                return fn(*args, **kwargs)

        return wrapper


class _GradMode:
    mode = True

    def __new__(cls, orig_func=None):
        # `@mg.no_grad` without parentheses decorates directly, as torch allows
        self = super().__new__(cls)
        return self if orig_func is None else self(orig_func)

    def __enter__(self):
        global _grad_enabled
        self.prev = _grad_enabled
        _grad_enabled = self.mode

    def __exit__(self, *exc):
        global _grad_enabled
        _grad_enabled = self.prev

    def __call__(self, fn):
        import functools

        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            with type(self)():
                return fn(*args, **kwargs)

        return wrapper


class no_grad(_GradMode):
    """Context manager / decorator: ops inside record no graph (inference, updates)."""

    mode = False


class enable_grad(_GradMode):
    """Context manager / decorator: re-enable recording inside a ``no_grad`` block."""

    mode = True


class detect_anomaly:
    """Check every op's forward result and backward gradients for NaN/Inf.

    The first non-finite value raises a RuntimeError naming the op, its input shapes,
    dtypes and device, and the source line where the op was created. Slow (it syncs
    and keeps a stack summary per op): use it to debug, not to train.
    """

    def __init__(self, check_nan: bool = True):
        self.check_nan = check_nan

    def __enter__(self):
        global _anomaly_enabled
        self.prev = _anomaly_enabled
        _anomaly_enabled = self.check_nan
        return self

    def __exit__(self, *exc):
        global _anomaly_enabled
        _anomaly_enabled = self.prev

    def __call__(self, fn):
        import functools

        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            with detect_anomaly(self.check_nan):
                return fn(*args, **kwargs)

        return wrapper


def is_anomaly_enabled() -> bool:
    return _anomaly_enabled


def _describe_inputs(node):
    return ", ".join(f"{tuple(s)} {d} on {dev}" for s, d, dev in node._input_meta) or "no tensor inputs"


def _check_finite(node, arrays, phase):
    for i, a in enumerate(arrays):
        if a is None or getattr(a, "dtype", None) is None or a.dtype.kind not in "fc":
            continue
        xp = backend.array_module(a)
        if not bool(xp.isfinite(a).all()):
            kind = "NaN" if bool(xp.isnan(a).any()) else "Inf"
            what = "output" if phase == "forward" else f"gradient for input {i}"
            where = "".join(node._created_at or ["  (creation site not recorded)\n"])
            raise RuntimeError(
                f"detect_anomaly: {node.name} produced {kind} in its {phase} {what}. "
                f"Inputs: {_describe_inputs(node)}. The op was created at:\n{where}"
            )


# ---------------------------------------------------------------------------- Op
_new = object.__new__
_ndarray = backend.ndarray


def _unwrap(cls, args):
    """The arrays of `args` (scalars pass through), checking they share one device."""
    arrays = []
    first = None
    for a in args:
        if isinstance(a, Tensor):
            data = a.array
            if first is None:
                first = data
            elif type(data) is not type(first) or (type(first) is not _ndarray and data.device != first.device):
                raise RuntimeError(
                    f"{cls.__name__}: expected all tensors on the same device, got "
                    f"{backend.device_of(first)} and {backend.device_of(data)}"
                )
            arrays.append(data)
        else:
            arrays.append(a)
    return arrays


def _anomaly_forward(node, args, out):
    node._created_at = traceback.format_stack()[-9:-3]
    node._input_meta = tuple((a.shape, a.dtype, backend.device_of(a.array)) for a in args if isinstance(a, Tensor))
    node.shape, node.dtype = out.shape, out.dtype
    _check_finite(node, (out,), "forward")


class Op:
    """Base of every differentiable op; an instance is one node of the graph.

    Subclasses implement ``forward(self, *arrays, **kwargs) -> array`` and
    ``backward(self, grad) -> grad or tuple of grads``. To let the engine detect in-place
    modification of saved inputs, list their positions in ``saves_inputs`` (and set
    ``saves_output`` when the output array is kept).
    """

    saves_inputs: tuple = ()
    saves_output: bool = False
    # True where input i is kept only for the gradient of the other operand (a * b,
    # a @ b): it is then checked only when that operand needs a gradient, as in torch.
    cross_saves: bool = False
    # single-input ops return a bare array from backward; saves a tuple per node
    backward_returns_tuple: bool = True
    # Per-node fields default at class level, so creating a node sets only what differs
    # (no __init__): this is on the path of every op.
    saved = ()
    next = ()
    _hooks = None
    _retained = None
    _checks = None
    _created_at = None
    _input_meta = ()

    @property
    def name(self) -> str:
        """The op's name, e.g. ``"Mul"``."""
        return type(self).__name__

    @property
    def inputs(self) -> tuple:
        """Per input: the Op that made it, the leaf tensor itself, or None."""
        return self.next

    def __repr__(self):
        return f"<{backward_name(self)}>"  # torch's node name, e.g. <AddBackward0>

    def forward(self, *args, **kwargs):  # pragma: no cover - abstract
        raise NotImplementedError

    def backward(self, grad):  # pragma: no cover - abstract
        raise NotImplementedError

    @classmethod
    def apply(cls, *args, **kwargs):
        """Run the op on tensors (or Python scalars) and record a node when needed.

        Hot path of every op: unary and binary calls take short branches.
        """
        node = _new(cls)
        n = len(args)
        try:
            if n == 1:
                x = args[0]
                out = node.forward(x.array, **kwargs)
                requires = x.requires_grad
            elif n == 2:
                a, b = args
                ta, tb = isinstance(a, Tensor), isinstance(b, Tensor)
                if ta and tb:
                    if type(a.array) is not type(b.array) or (type(a.array) is not _ndarray and a.array.device != b.array.device):
                        _unwrap(cls, args)  # raises the device error
                    out = node.forward(a.array, b.array, **kwargs)
                    requires = a.requires_grad or b.requires_grad
                elif ta:
                    out = node.forward(a.array, b, **kwargs)
                    requires = a.requires_grad
                else:
                    out = node.forward(a, b.array, **kwargs)
                    requires = b.requires_grad
            else:
                out = node.forward(*_unwrap(cls, args), **kwargs)
                requires = False
                for a in args:
                    if isinstance(a, Tensor) and a.requires_grad:
                        requires = True
                        break
        except ValueError as e:
            shapes = " and ".join(str(tuple(a.shape)) for a in args if hasattr(a, "shape"))
            raise ValueError(f"{cls.__name__}: incompatible shapes {shapes}: {e}") from None
        if type(out) is not _ndarray:
            out = backend.as_array(out)
        if not (requires and _grad_enabled):
            if _anomaly_enabled:
                _anomaly_forward(node, args, out)
            return Tensor._make(out, False, None)
        if n == 1:
            node.next = (x.grad_fn or x,)
        elif n == 2:
            node.next = (
                (a.grad_fn or (a if a.requires_grad else None)) if ta else None,
                (b.grad_fn or (b if b.requires_grad else None)) if tb else None,
            )
        else:
            node.next = tuple(
                [(a.grad_fn or (a if a.requires_grad else None)) if isinstance(a, Tensor) else None for a in args]
            )
        node.shape = out.shape
        node.dtype = out.dtype
        result = Tensor._make(out, True, node)
        if cls.saves_inputs:
            checks = []
            cross = cls.cross_saves
            for i in cls.saves_inputs:
                t = args[i]
                if isinstance(t, Tensor) and not (cross and node.next[1 - i] is None):
                    vc = t._vc
                    checks.append((vc, vc[0]))
            if cls.saves_output:
                checks.append((result._vc, 0))
            node._checks = checks
        elif cls.saves_output:
            node._checks = ((result._vc, 0),)
        if _anomaly_enabled:
            _anomaly_forward(node, args, out)
        return result

    # ---- engine helpers -----------------------------------------------------------
    def _release(self):
        """Drop saved arrays: the graph can no longer be differentiated through."""
        self.saved = None
        self._checks = None

    def _verify_saved(self):
        if self.saved is None:
            raise RuntimeError(
                f"Trying to backward through the graph a second time (through {self.name}): "
                "its saved arrays were freed after the first backward. Pass "
                "retain_graph=True to the first backward() if you need to call it twice."
            )
        if self._checks:
            for vc, version in self._checks:
                if vc[0] != version:
                    raise RuntimeError(
                        f"One of the tensors needed by {self.name} for its gradient was modified "
                        f"by an in-place operation (version {vc[0]}, expected {version}). Modify "
                        "a copy instead (x = x.clone()), or do the in-place change after backward."
                    )


# ---------------------------------------------------------------------------- engine
# Callables ``observer(node, grad_array)`` run for every node backward reaches, before
# its own backward (used by viz/trace to see the gradient flowing through the graph).
# Empty by default, so ordinary training pays one truth test per node.
grad_observers: list = []


class observe_grads:
    """Context manager: call ``fn(node, grad_array)`` for each node during backward."""

    def __init__(self, fn):
        self.fn = fn

    def __enter__(self):
        grad_observers.append(self.fn)
        return self

    def __exit__(self, *exc):
        grad_observers.remove(self.fn)


def _unbroadcast(grad, shape):
    """Sum a broadcast gradient back to `shape` (NumPy broadcasting, reversed)."""
    if grad.shape == shape:
        return grad
    xp = backend.array_module(grad)
    extra = grad.ndim - len(shape)
    if extra < 0:
        return xp.broadcast_to(grad, shape)
    axes = tuple(range(extra)) + tuple(
        i + extra for i, n in enumerate(shape) if n == 1 and grad.shape[i + extra] != 1
    )
    if axes:
        grad = grad.sum(axis=axes, keepdims=True)
    if extra:
        grad = grad.reshape(shape)
    return grad


def _count_consumers(root):
    """For each node reachable from `root`: how many nodes in the graph consume it.

    Backward processes a node once all its consumers have passed their gradient down
    (Kahn's algorithm), so no recursion and no separate topological sort are needed.
    """
    consumers = {root: 0}
    stack = [root]
    while stack:
        for child in stack.pop().next:
            if child is None or isinstance(child, Tensor):
                continue
            if child in consumers:
                consumers[child] += 1
            else:
                consumers[child] = 1
                stack.append(child)
    return consumers


def _run_hooks(hooks, grad_array):
    g = Tensor._make(grad_array, False, None)
    for hook in hooks:
        new = hook(g)
        if new is not None:
            g = new if isinstance(new, Tensor) else Tensor._make(new, False, None)
    return g.array


def _accumulate_leaf(leaf, grad, incoming):
    if leaf._hooks:
        grad = _run_hooks(leaf._hooks, grad)
    grad = backend.as_array(grad)
    if leaf.grad is None:
        # A pass-through or a view may alias another gradient: own the array we keep.
        if grad is incoming or grad.base is not None or not grad.flags.writeable:
            grad = grad.copy()
        leaf.grad = Tensor._make(grad, False, None)
    else:
        leaf.grad.array += grad


def backward(root, gradient=None, retain_graph=False):
    """Accumulate d(root)/d(leaf) into every leaf's ``.grad`` (see ``Tensor.backward``)."""
    if not root.requires_grad:
        raise RuntimeError(
            "backward: this tensor does not require grad and has no grad_fn; did you forget "
            "requires_grad=True on the inputs, or compute it under no_grad()?"
        )
    xp = root.xp
    if gradient is None:
        if root.array.size != 1:
            raise RuntimeError(
                f"backward: grad can be implicitly created only for scalar outputs, but this "
                f"tensor has shape {tuple(root.shape)}; pass gradient= of that shape"
            )
        grad = xp.ones(root.shape, dtype=root.dtype)
    else:
        grad = gradient.array if isinstance(gradient, Tensor) else xp.asarray(gradient, dtype=root.dtype)
        if grad.shape != root.shape:
            raise RuntimeError(
                f"backward: gradient has shape {tuple(grad.shape)} but the tensor has shape "
                f"{tuple(root.shape)}"
            )
    if root.grad_fn is None:  # a leaf: its gradient is the seed itself
        _accumulate_leaf(root, grad, grad)
        return
    consumers = _count_consumers(root.grad_fn)
    grads = {root.grad_fn: grad}
    hooked = {}  # leaves with hooks: their hooks see the summed gradient once, as torch's
    ready = [root.grad_fn]
    anomaly = _anomaly_enabled
    while ready:
        node = ready.pop()
        g = grads.pop(node, None)
        if g is None:  # no gradient reached this node: its inputs get none from it either
            in_grads = (None,) * len(node.next)
        else:
            if node._hooks or grad_observers or node._retained is not None:
                g = _before_node_backward(node, g)
            if node._checks or node.saved is None:
                node._verify_saved()
            in_grads = node.backward(g)
            if not node.backward_returns_tuple:
                in_grads = (in_grads,)
            if not retain_graph:  # free what forward saved as soon as it has been used
                node.saved = None
                node._checks = None
            if anomaly:
                _check_finite(node, in_grads, "backward")
        for inp, ig in zip(node.next, in_grads):
            if inp is None:
                continue
            if isinstance(inp, Tensor):  # a leaf (Tensor or nn.Parameter)
                if ig is not None:
                    if inp._hooks:
                        # (sum, may it alias another gradient?): a sum is fresh, a pass-through is
                        # not. A flag, not the array: holding g would keep every node's gradient alive
                        ig, prev = _conform(ig, inp), hooked.get(inp)
                        hooked[inp] = (ig, ig is g) if prev is None else (prev[0] + ig, False)
                    else:
                        _accumulate_leaf(inp, _conform(ig, inp), g)
                continue
            if ig is not None:
                if ig.shape != inp.shape or ig.dtype != inp.dtype:
                    ig = _conform(ig, inp)
                prev = grads.get(inp)
                grads[inp] = ig if prev is None else prev + ig
            left = consumers[inp] - 1
            consumers[inp] = left
            if left == 0:
                ready.append(inp)
    for leaf, (total, aliased) in hooked.items():
        _accumulate_leaf(leaf, total, total if aliased else None)


def _conform(grad, target):
    """Sum a gradient down to `target`'s shape and cast it to its dtype (leaf or node)."""
    if grad.shape != target.shape:
        grad = _unbroadcast(grad, target.shape)
    if grad.dtype != target.dtype:
        grad = grad.astype(target.dtype)
    return grad


def _before_node_backward(node, g):
    """The rare extras before a node's backward: hooks, observers, retained gradients."""
    if node._hooks:
        g = _run_hooks(node._hooks, g)
    for observer in grad_observers:
        observer(node, g)
    if node._retained is not None:
        t = node._retained()
        if t is not None:
            if t.grad is None:
                t.grad = Tensor._make(g.copy(), False, None)
            else:
                t.grad.array += g
    return g


def grad(outputs, inputs, grad_outputs=None, retain_graph=False):
    """Gradients of `outputs` w.r.t. `inputs`, leaving every tensor's ``.grad`` as it was."""
    inputs = list(inputs) if isinstance(inputs, (list, tuple)) else [inputs]
    # backward accumulates (in place) into every leaf it reaches: park their .grad aside
    saved = {t: t.grad for t in [*_leaves(outputs), *inputs]}
    retained = [(t.grad_fn, t.grad_fn._retained) for t in inputs if t.grad_fn is not None]
    for t in saved:
        t.grad = None
    for t in inputs:
        if t.grad_fn is not None:
            t.retain_grad()
    try:
        backward(outputs, grad_outputs, retain_graph=retain_graph)
        return tuple(t.grad for t in inputs)
    finally:
        for t, g in saved.items():
            t.grad = g
        for node, ref in retained:
            node._retained = ref


def _leaves(root):
    """The leaf tensors that the graph ending in `root` reaches."""
    if root.grad_fn is None:
        return [root]
    leaves, seen, stack = [], {root.grad_fn}, [root.grad_fn]
    while stack:
        for child in stack.pop().next:
            if isinstance(child, Tensor):
                leaves.append(child)
            elif child is not None and child not in seen:
                seen.add(child)
                stack.append(child)
    return leaves


def retain(node, tensor):
    node._retained = weakref.ref(tensor)
