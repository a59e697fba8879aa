"""`mg.Size`: the type of ``t.shape`` and ``t.size()``, a tuple that prints like torch's."""
from __future__ import annotations


class Size(tuple):
    """A tensor's shape: a tuple of ints printed as ``minigrad.Size([2, 3])``.

    Slicing and ``+`` give a `Size` back, as in torch; ``numel()`` is the product.
    """

    __slots__ = ()

    def __repr__(self):
        return f"minigrad.Size({list(self)})"

    __str__ = __repr__

    def __getitem__(self, index):
        out = tuple.__getitem__(self, index)
        return Size(out) if isinstance(index, slice) else out

    def __add__(self, other):
        return Size(tuple.__add__(self, tuple(other)))

    def __reduce__(self):
        return (Size, (tuple(self),))

    def numel(self) -> int:
        """The number of elements a tensor of this shape holds."""
        n = 1
        for s in self:
            n *= s
        return n
