"""`Op`: the array-level base of minigrad's own differentiable primitives.

An `Op` is both the operation and the graph node it leaves behind. ``forward`` works on
raw backend arrays (NumPy or CuPy) and keeps, through ``save_for_backward``, only what
``backward`` needs; ``backward`` takes the gradient of the output and returns one gradient
per input (a bare array for one-input ops; None where ``needs_input_grad`` is False).
Everything ops would otherwise repeat lives here or in the engine, once: device checks,
readable shape errors, version checks of saved inputs, unbroadcasting and dtype casts of
gradients, freeing saved arrays after use.

User-defined differentiable functions use `minigrad.autograd.Function`, PyTorch's ctx API,
which works on Tensors and builds on this class.
"""
from __future__ import annotations

from .. import backend
from ..grad_fn_names import backward_name
from ..grad_mode import anomaly_enabled, grad_enabled
from ..tensor import Tensor
from . import anomaly

_new = object.__new__
_ndarray = backend.ndarray
_make = Tensor._make
# needs_input_grad of a one- or two-operand op, shared rather than built per call
_NO_GRAD = [(), (False,), (False, False)]
_NEEDS_ONE = (True,)
_NEEDS_FIRST = (True, False)
# saved values of these types are no arrays: they need no version check
_PLAIN = frozenset((float, int, bool, tuple))

# NumPy's words for operands whose shapes do not fit together: only these errors are
# reported as a shape mismatch between the inputs; any other ValueError keeps its message.
_SHAPE_WORDS = ("broadcast", "shape mismatch", "not aligned", "core dimension", "could not be broadcast")


class Op:
    """Base of every built-in differentiable op; an instance is one node of the graph.

    Subclasses implement ``forward(self, *arrays, **kwargs) -> array`` and
    ``backward(self, grad) -> grad or tuple of grads``. Per-node fields default at class
    level, so creating a node sets only what differs (no ``__init__`` on the op path).
    """

    saved = ()
    next = ()
    needs_input_grad = ()
    _hooks = None
    _retained = None
    _checks = None
    _created_at = None
    _input_meta = ()

    @property
    def name(self) -> str:
        """The node's name, e.g. ``"MulBackward0"``: torch's (grad_fn_names.py)."""
        return backward_name(self)

    @property
    def inputs(self) -> tuple:
        """Per input: the Op that made it, the leaf tensor itself, or None."""
        return self.next

    def __repr__(self):
        return f"<{self.name}>"

    def forward(self, *args, **kwargs):  # pragma: no cover - abstract
        raise NotImplementedError

    def backward(self, grad):  # pragma: no cover - abstract
        raise NotImplementedError

    def save_for_backward(self, *arrays):
        """Keep `arrays` for backward. Those that are (views of) an input or the output are
        version-checked: backward refuses to run if one was modified in place since."""
        self.saved = arrays

    @classmethod
    def apply(cls, *args, **kwargs):
        """Run the op on tensors (or Python scalars) and record a node when needed."""
        node = _new(cls)
        nargs = len(args)
        a = args[0] if nargs else None
        # Nearly every op takes a tensor and at most one more operand: those are unrolled
        # here, as this runs once per op (the general loop costs ~0.4 us more per call).
        if nargs == 1 and isinstance(a, Tensor):
            first = a.array
            arrays = (first,)
            record = a.requires_grad and grad_enabled()
            if record:
                node.needs_input_grad = _NEEDS_ONE
                node.next = (a.grad_fn or a,)
            else:
                node.needs_input_grad = _NO_GRAD[1]
        elif nargs == 2 and isinstance(a, Tensor):
            first = a.array
            b = args[1]
            ra = a.requires_grad
            if isinstance(b, Tensor):
                second = b.array
                if type(second) is not type(first) or (type(first) is not _ndarray and second.device != first.device):
                    raise backend.device_mismatch(cls.__name__, backend.device_of(first), backend.device_of(second))
                rb = b.requires_grad
                record = (ra or rb) and grad_enabled()
                if record:
                    node.needs_input_grad = (ra, rb)
                    node.next = (a.grad_fn or (a if ra else None), b.grad_fn or (b if rb else None))
                else:
                    node.needs_input_grad = _NO_GRAD[2]
            else:
                second = b
                record = ra and grad_enabled()
                if record:
                    node.needs_input_grad = _NEEDS_FIRST
                    node.next = (a.grad_fn or a, None)
                else:
                    node.needs_input_grad = _NO_GRAD[2]
            arrays = (first, second)
        else:
            first, arrays, record = _gather(node, cls, args)
        try:
            if type(first) is _ndarray or first is None:
                out = node.forward(*arrays, **kwargs) if kwargs else node.forward(*arrays)
            else:  # compute on the device the inputs live on (cuda:1 stays cuda:1)
                with first.device:
                    out = node.forward(*arrays, **kwargs)
        except ValueError as e:
            raise _relabel(cls, args, e) from None
        if type(out) is not _ndarray:
            out = backend.as_array(out)
        if not record:
            if anomaly_enabled():
                anomaly.check_forward(node, args, out)
            return _make(out, False, None)
        node.shape = out.shape
        node.dtype = out.dtype
        result = _make(out, True, node)
        saved = node.saved
        if saved:
            if len(saved) == 1 and saved[0] is out:  # tanh, sigmoid, exp, relu... keep their output
                node._checks = [(result._vc, 0)]
            else:
                node._checks = _version_checks(saved, args, out, result)
        if anomaly_enabled():
            anomaly.check_forward(node, args, out)
        return result

    # ---- engine helpers -----------------------------------------------------------
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
                        f"one of the tensors needed by {self.name} for its gradient was modified "
                        f"by an in-place operation: it is at version {vc[0]}; expected version "
                        f"{version} instead. Modify a copy (x = x.clone()), or make the in-place "
                        "change after backward."
                    )


def _gather(node, cls, args):
    """The general case of `Op.apply`'s operands: any number of tensors and other values.

    Sets the node's ``needs_input_grad`` (and ``next`` when it records); returns the first
    tensor's array, the arrays for forward and whether the call records a node."""
    arrays, nexts, needs = [], [], []
    first = None
    requires = False
    for a in args:
        if isinstance(a, Tensor):
            arr = a.array
            if first is None:
                first = arr
            elif type(arr) is not type(first) or (type(first) is not _ndarray and arr.device != first.device):
                raise backend.device_mismatch(cls.__name__, backend.device_of(first), backend.device_of(arr))
            arrays.append(arr)
            r = a.requires_grad
            needs.append(r)
            nexts.append(a.grad_fn or (a if r else None))
            requires = requires or r
        else:
            arrays.append(a)
            needs.append(False)
            nexts.append(None)
    record = requires and grad_enabled()
    if record:
        node.needs_input_grad = tuple(needs)
        node.next = tuple(nexts)
    else:
        node.needs_input_grad = (False,) * len(args)
    return first, arrays, record


def _version_checks(saved, args, out, result):
    """(version counter, version now) for each saved array that is an input, the output or
    a view of one: those are the values an in-place write could change under backward."""
    checks = []
    for s in saved:
        if s is out:  # tanh, sigmoid, exp, relu... keep their output
            vc = result._vc
        elif s is None or s.__class__ in _PLAIN:  # x * 0.5 saves 0.5: nothing to overwrite
            continue
        else:
            vc = _counter_of(s, args, out, result)
            if vc is None:
                continue
        if not checks or checks[-1][0] is not vc:  # x * x saves x twice: check it once
            checks.append((vc, vc[0]))
    return checks or None


def _counter_of(s, args, out, result):
    """The version counter of the input (or output) that saved value `s` is or views."""
    for a in args:
        if s is a:  # a Python number, saved as it came: nothing to overwrite
            return None
        if isinstance(a, Tensor) and s is a.array:
            return a._vc
    base = getattr(s, "base", None)
    if base is None:  # a number, a shape or an array of its own
        return None
    for a in args:
        if isinstance(a, Tensor):
            arr = a.array
            if base is arr or base is arr.base:
                return a._vc
    return result._vc if base is out else None


def _relabel(cls, args, error):
    """A ValueError from inside an op, with the op's name (and the shapes, for a mismatch)."""
    text = str(error)
    if any(w in text for w in _SHAPE_WORDS):
        shapes = " and ".join(str(tuple(a.shape)) for a in args if hasattr(a, "shape"))
        return ValueError(f"{cls.__name__}: incompatible shapes {shapes}: {text}")
    return ValueError(text if text.startswith(cls.__name__) else f"{cls.__name__}: {text}")
