"""Embedding lookup: rows of a weight matrix picked by integer indices."""
from __future__ import annotations

from .. import backend
from ..autograd import Op


class EmbeddingLookup(Op):
    """``weight[index]``; backward scatter-adds the rows' gradients into a dense
    (num_embeddings, dim) gradient (repeated indices accumulate). The `padding_idx`
    row gets no gradient; with `scale_grad_by_freq` each row's gradient is divided by
    how often its index occurs in the batch (PyTorch's semantics)."""

    backward_returns_tuple = False

    def forward(self, weight, index, *, padding_idx=None, scale_grad_by_freq=False):
        self.saved = (index, weight.shape)
        self.padding_idx, self.scale = padding_idx, scale_grad_by_freq
        return weight[index]

    def backward(self, g):
        index, shape = self.saved
        xp = backend.array_module(g)
        flat = index.reshape(-1)
        rows = g.reshape(-1, shape[1])
        if self.scale:
            counts = xp.bincount(flat, minlength=shape[0]).astype(g.dtype)
            rows = rows / counts[flat][:, None]
        gw = xp.zeros(shape, dtype=g.dtype)
        backend.scatter_add(gw, flat, rows)
        if self.padding_idx is not None:
            gw[self.padding_idx] = 0
        return gw
