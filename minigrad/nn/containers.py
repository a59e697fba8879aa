"""Containers: `Sequential` (a pipeline) and `ModuleList` (an indexable list of layers).

Children are registered under their positions ``'0'``, ``'1'``, ... so state-dict keys
read ``0.weight``, ``2.running_mean``, exactly as PyTorch names them.
"""
from __future__ import annotations

import operator
from collections import OrderedDict

from .module import Module, _addindent


class _ModuleSequence(Module):
    """What Sequential and ModuleList share: positions, length, append/insert/delete."""

    def _position(self, idx):
        n = len(self._modules)
        idx = operator.index(idx)
        if not -n <= idx < n:
            raise IndexError(f"index {idx} is out of range for a {type(self).__name__} of length {n}")
        return idx % n

    def _set_items(self, items):
        """Re-register `items` as '0', '1', ... (numbering stays contiguous, as PyTorch)."""
        self._modules.clear()
        for i, m in enumerate(items):
            self.add_module(str(i), m)

    def __setitem__(self, idx, module):
        self.add_module(list(self._modules)[self._position(idx)], module)

    def __delitem__(self, idx):
        items = list(self._modules.values())
        del items[idx if isinstance(idx, slice) else self._position(idx)]
        self._set_items(items)

    def __len__(self):
        return len(self._modules)

    def __iter__(self):
        return iter(self._modules.values())

    def append(self, module):
        self.add_module(str(len(self)), module)
        return self

    def extend(self, modules):
        if isinstance(modules, Module) and not isinstance(modules, _ModuleSequence):
            raise TypeError(f"{type(self).__name__}.extend should be called with an iterable, got {type(modules).__name__}")
        for m in list(modules):
            self.append(m)
        return self

    def __iadd__(self, modules):
        return self.extend(modules)

    def insert(self, index: int, module):
        n = len(self._modules)
        if not -n <= index <= n:
            raise IndexError(f"insert: index {index} is out of range for a {type(self).__name__} of length {n}")
        items = list(self._modules.values())
        items.insert(index + n if index < 0 else index, module)
        self._set_items(items)
        return self


class Sequential(_ModuleSequence):
    """Modules applied one after another: ``Sequential(Linear(4, 8), ReLU(), Linear(8, 1))``.

    Also accepts one ``OrderedDict`` of ``name -> module``.
    """

    def __init__(self, *args):
        super().__init__()
        if len(args) == 1 and isinstance(args[0], OrderedDict):
            for name, module in args[0].items():
                self.add_module(name, module)
        else:
            for i, module in enumerate(args):
                self.add_module(str(i), module)

    def forward(self, input):
        for module in self._modules.values():
            input = module(input)
        return input

    def __getitem__(self, idx):
        if isinstance(idx, slice):
            return Sequential(OrderedDict(list(self._modules.items())[idx]))
        return list(self._modules.values())[self._position(idx)]


class ModuleList(_ModuleSequence):
    """A list of modules whose parameters are registered (a plain list would hide them)."""

    def __init__(self, modules=None):
        super().__init__()
        if modules is not None:
            self.extend(modules)

    def __getitem__(self, idx):
        if isinstance(idx, slice):
            return ModuleList(list(self._modules.values())[idx])
        return self._modules[str(self._position(idx))]

    def forward(self, *args, **kwargs):
        raise NotImplementedError("ModuleList has no forward(); iterate over it and call its modules")

    def __repr__(self):
        # runs of identical children print once, "(0-2): 3 x Linear(...)", as PyTorch 2
        reprs = [repr(m) for m in self]
        if not reprs:
            return self._get_name() + "()"
        blocks = []  # [start, end, repr]
        for i, r in enumerate(reprs):
            if blocks and blocks[-1][2] == r:
                blocks[-1][1] = i
            else:
                blocks.append([i, i, r])
        lines = []
        for start, end, r in blocks:
            head = f"({start}): " if start == end else f"({start}-{end}): {end - start + 1} x "
            lines.append(_addindent(head + r, 2))
        return self._get_name() + "(\n  " + "\n  ".join(lines) + "\n)"
