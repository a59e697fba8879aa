"""Record what `draw_graph` colours and groups by: per-node gradient norms and owners.

Design choice: the default training path must pay nothing, so nothing is recorded
unless the user asks. Inside ``with mg.viz.capture_grads(model):``

* an observer in ``autograd.grad_observers`` stores, for every graph node backward
  reaches, the squared L2 norm of the gradient flowing out of it (a device scalar: no
  sync during backward; `draw_graph` fetches them all with one transfer);
* forward hooks on `model`'s modules (when a model is given) record which module made
  each node, so `draw_graph` can box nodes per module.

Both live in weak-key registries keyed by the graph node (an `Op`), so they vanish
with the graph and the context can be left before drawing. Leaf tensors need no
capture: `draw_graph` reads their ``.grad``.
"""
from __future__ import annotations

import weakref

from .. import autograd
from ..tensor import Tensor
from ..trace.stats import squared_norm, tensors_in

# Op node -> squared gradient norm (backend 0-d array) of its output
_node_grad_sq: "weakref.WeakKeyDictionary" = weakref.WeakKeyDictionary()
# Op node -> dotted name of the innermost module whose forward created it
_node_module: "weakref.WeakKeyDictionary" = weakref.WeakKeyDictionary()


def _observe(node, grad):
    _node_grad_sq[node] = squared_norm(grad)


def claim_nodes(name, inputs, output):
    """Mark the nodes between `inputs` and `output` as made by module `name`.

    Walks back from the output's nodes and stops at the inputs' nodes. Nodes already
    claimed belong to an inner module (its hook ran first): the walk passes through them
    without re-claiming, so a parent gets only the ops it ran itself.
    """
    stop = {t.grad_fn for t in tensors_in(inputs) if t.grad_fn is not None}
    stack = [t.grad_fn for t in tensors_in(output) if t.grad_fn is not None]
    seen = set()
    while stack:
        node = stack.pop()
        if node in stop or node in seen:
            continue
        seen.add(node)
        if node not in _node_module:
            _node_module[node] = name
        stack.extend(c for c in node.next if c is not None and not isinstance(c, Tensor))


class capture_grads:
    """Context manager: remember gradient norms (and module owners) for `draw_graph`.

    ::

        with mg.viz.capture_grads(model):
            loss = loss_fn(model(x), y)
            loss.backward()
        mg.viz.draw_graph(loss, params=model)   # coloured by gradient, boxed per module

    Without `model`, only gradients are recorded; `draw_graph` then infers module boxes
    from parameter names (the module owning a parameter owns the ops that use it).
    Costs one dot product per node during backward while active, nothing outside.
    """

    def __init__(self, model=None):
        self.model = model
        self._handles = []

    def __enter__(self):
        autograd.grad_observers.append(_observe)
        if self.model is not None:
            for name, module in self.model.named_modules():
                if name:  # the root module owns everything: no box for it
                    self._handles.append(module.register_forward_hook(self._hook(name)))
        return self

    @staticmethod
    def _hook(name):
        def hook(module, inputs, output):
            claim_nodes(name, inputs, output)

        return hook

    def __exit__(self, *exc):
        autograd.grad_observers.remove(_observe)
        for h in self._handles:
            h.remove()
        self._handles.clear()


def recorded_grad_sq(node):
    """The squared gradient norm captured for `node`, or None."""
    return _node_grad_sq.get(node)


def recorded_module(node):
    """The module name captured for `node`, or None."""
    return _node_module.get(node)
