"""The backward engine: walks the graph from a root and accumulates leaf gradients.

Backward processes a node once every consumer of it has passed its gradient down
(Kahn's algorithm on consumer counts), with an explicit stack: depth is limited only by
memory. Here, once for every op: unbroadcasting a gradient to its input's shape and
casting it to the input's dtype, checking saved inputs' versions, freeing saved arrays
right after use (unless ``retain_graph``), hooks, retained gradients and anomaly checks.
"""
from __future__ import annotations

import weakref

from .. import backend
from ..grad_mode import is_anomaly_enabled
from ..tensor import Tensor
from . import anomaly

_ndarray = backend.ndarray

# ---------------------------------------------------------------------------- engine
# Callables ``observer(node, grad_array)`` run for every node backward reaches, before
# its own backward (used by viz/trace to see the gradient flowing through the graph).
# Empty by default, so ordinary training pays one truth test per node.
grad_observers: list = []


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


def _accumulate_leaf(leaf, grad, incoming, conformed=False):
    """Add `grad` into ``leaf.grad``. `conformed`: the engine made it the leaf's shape and
    dtype and no hook changed it since, so the checks of the ``.grad`` setter are skipped."""
    if leaf._hooks:
        grad = _run_hooks(leaf._hooks, grad)
    if type(grad) is not _ndarray:
        grad = backend.as_array(grad)
    current = leaf._grad  # the slot, not the property: nothing to validate on the way
    if current is None:
        # A pass-through or a view may alias another gradient: own the array we keep.
        # (CuPy's flags have no `writeable`: its arrays are writeable unless they are views)
        if grad is incoming or grad.base is not None or not getattr(grad.flags, "writeable", True):
            grad = grad.copy()
        if conformed and not leaf._hooks:
            leaf._grad = Tensor._make(grad, False, None)
        else:
            leaf.grad = Tensor._make(grad, False, None)
    else:
        current.array += grad


def backward(root, gradient=None, retain_graph=False):
    """Accumulate d(root)/d(leaf) into every leaf's ``.grad`` (see ``Tensor.backward``)."""
    if type(root.array) is not backend.ndarray and backend.off_current_device(root.array):
        with backend.on_device_of(root.array):  # the backward kernels run on root's device
            return backward(root, gradient, retain_graph)
    if not root.requires_grad:
        raise RuntimeError(
            "backward: this tensor does not require grad and has no grad_fn; did you forget "
            "requires_grad=True on the inputs, or compute it under no_grad()?"
        )
    array = root.array
    xp = backend.array_module(array)
    if gradient is None:
        if array.size != 1:
            raise RuntimeError(
                f"backward: grad can be implicitly created only for scalar outputs, but this "
                f"tensor has shape {tuple(root.shape)}; pass gradient= of that shape"
            )
        grad = xp.ones(array.shape, dtype=array.dtype)  # the array's: no Size, no dtype wrapper
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
    _walk(root.grad_fn, grad, retain_graph)


def _walk(root, grad, retain_graph):
    """Backward from node `root`, whose output's gradient is `grad`."""
    consumers = _count_consumers(root)
    count = consumers.get  # None for None and for leaves: one lookup sorts out every input
    pending = {}  # gradients summed so far for nodes that still wait for other consumers
    hooked = {}  # leaves with hooks: their hooks see the summed gradient once, as torch's
    # (node, its gradient) pairs: most nodes have one consumer and go straight from their
    # consumer's backward to the next step, with no dict of pending gradients in between
    ready = [(root, grad)]
    check_anomaly = is_anomaly_enabled()
    free = not retain_graph
    while ready:
        node, g = ready.pop()
        while True:  # down a chain of single-consumer nodes, without the stack
            if g is None:  # no gradient reached this node: its inputs get none from it either
                _send(node, (None,) * len(node.next), g, consumers, pending, ready, hooked)
                break
            if node._hooks or node._retained is not None or grad_observers:
                g = _before_node_backward(node, g)
            checks = node._checks
            if checks is not None:  # saved arrays changed in place since, or already freed?
                for vc, version in checks:
                    if vc[0] != version:
                        node._verify_saved()
            in_grads = node.backward(g)
            if free:  # free what forward saved as soon as it has been used
                node.saved = None
                node._checks = _FREED
            nexts = node.next
            if type(in_grads) is tuple:
                # x * 0.5, x + 1: the second input is no tensor, only the first gradient counts
                ig = in_grads[0] if len(nexts) == 2 and nexts[1] is None else None
            else:  # one-input ops return their gradient bare
                ig = in_grads
                in_grads = (ig,)
            if check_anomaly:
                anomaly.check_finite(node, in_grads, "backward")
            # the common link of a chain: a gradient for a node with no other consumer, of
            # its shape and dtype: that node is next
            elif ig is not None and not pending:
                inp = nexts[0]
                if count(inp) == 1 and ig.shape == inp.shape and ig.dtype is inp.dtype:
                    node, g = inp, ig
                    continue
            _send(node, in_grads, g, consumers, pending, ready, hooked)
            break
    for leaf, (total, aliased) in hooked.items():
        _accumulate_leaf(leaf, total, total if aliased else None)


def _send(node, in_grads, g, consumers, pending, ready, hooked):
    """Pass a node's input gradients on: into leaves, or towards the input nodes, which
    go on the `ready` stack once their last consumer has sent theirs (`g`: the gradient
    the node received, which a pass-through input gradient may alias)."""
    for inp, ig in zip(node.next, in_grads):
        left = consumers.get(inp)
        if left is None:  # no input, or a leaf (Tensor or nn.Parameter)
            if ig is not None and inp is not None:
                if inp._hooks:
                    # (sum, may it alias another gradient?): a sum is fresh, a pass-through is
                    # not. A flag, not the array: holding g would keep every node's gradient alive
                    ig, prev = _conform_leaf(ig, inp), hooked.get(inp)
                    hooked[inp] = (ig, ig is g) if prev is None else (prev[0] + ig, False)
                else:
                    _accumulate_leaf(inp, _conform_leaf(ig, inp), g, True)
            continue
        if ig is not None and (ig.shape != inp.shape or ig.dtype is not inp.dtype):
            ig = _conform(ig, inp)
        if left == 1:  # its last consumer: the node is ready
            if pending:
                prev = pending.pop(inp, None)
                if prev is not None:
                    ig = prev if ig is None else prev + ig
            ready.append((inp, ig))
        else:
            consumers[inp] = left - 1
            if ig is not None:
                prev = pending.get(inp)
                pending[inp] = ig if prev is None else prev + ig


# What a node's version checks become once backward has freed its saved arrays: a check
# that always fails, so a second backward through it reaches `_verify_saved`, which says so.
_FREED = (([-1], 0),)


def _conform(grad, target):
    """Sum a gradient down to `target`'s shape and cast it to its dtype (leaf or node)."""
    if grad.shape != target.shape:
        grad = _unbroadcast(grad, target.shape)
    if grad.dtype != target.dtype:
        grad = grad.astype(target.dtype)
    return grad


def _conform_leaf(grad, leaf):
    """`_conform` for a leaf tensor: its array's shape and dtype, not the Size and dtype
    objects its properties would build on every call."""
    array = leaf.array
    if grad.shape != array.shape or grad.dtype is not array.dtype:
        return _conform(grad, array)
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
    """Make backward store the gradient flowing through `node` in ``tensor.grad``."""
    node._retained = weakref.ref(tensor)
