"""One fused primitive behind batch norm and layer norm.

    y = (x - mean) / sqrt(var + eps) * weight + bias

with mean and (biased) var taken over `axes` of the batch, or given (batch norm in
eval mode uses its running estimates). One node instead of ~10: the forward keeps only
x-hat and 1/std, and the backward is the closed form PyTorch uses,

    dx = 1/std * (dxhat - mean(dxhat) - xhat * mean(dxhat * xhat)),   dxhat = dy * weight,

which is both faster and more accurate than differentiating the composed ops.
"""
from __future__ import annotations

from .. import backend
from ..autograd import Op


class Normalize(Op):
    """Normalise over `axes`; `weight`/`bias` have `param_shape` (broadcastable to x).

    `reduce_axes` are the axes the parameter gradients are summed over. Given `mean`
    and `var` arrays, they are used as constants; otherwise batch statistics are used,
    and when `running` = ``(running_mean, running_var, momentum)`` is given those
    buffers are updated in place with the batch mean and the *unbiased* batch variance.
    """

    def forward(self, x, weight, bias, *, axes, reduce_axes, param_shape, eps, mean=None, var=None, running=None):
        xp = backend.array_module(x)
        batch_stats = mean is None
        if batch_stats:
            mean = x.mean(axis=axes, keepdims=True)
            xc = x - mean
            var = (xc * xc).mean(axis=axes, keepdims=True)
            if running is not None:
                self._update_running(mean, var, x.size // mean.size, running)
        else:
            mean = mean.reshape(param_shape)
            var = var.reshape(param_shape)
            xc = x - mean
        invstd = 1 / xp.sqrt(var + eps)
        xhat = xc * invstd
        w = None if weight is None else weight.reshape(param_shape)
        if w is not None:
            out = xhat * w
            if bias is not None:
                out += bias.reshape(param_shape)  # `out` is fresh: add in place
        else:
            out = xhat if bias is None else xhat + bias.reshape(param_shape)
        self.save_for_backward(xhat, invstd, w)
        param = weight if weight is not None else bias
        self.meta = (axes, reduce_axes, batch_stats, None if param is None else param.shape, bias is not None)
        return out

    @staticmethod
    def _update_running(mean, var, n, running):
        running_mean, running_var, momentum = running
        unbiased = var * (n / (n - 1))
        running_mean *= 1 - momentum
        running_mean += momentum * mean.reshape(running_mean.shape).astype(running_mean.dtype, copy=False)
        running_var *= 1 - momentum
        running_var += momentum * unbiased.reshape(running_var.shape).astype(running_var.dtype, copy=False)

    def backward(self, g):
        xhat, invstd, w = self.saved
        axes, reduce_axes, batch_stats, weight_shape, has_bias = self.meta
        gxhat = g * w if w is not None else g
        if batch_stats:
            gx = invstd * (
                gxhat
                - gxhat.mean(axis=axes, keepdims=True)
                - xhat * (gxhat * xhat).mean(axis=axes, keepdims=True)
            )
        else:
            gx = gxhat * invstd
        gw = None if w is None else (g * xhat).sum(axis=reduce_axes).reshape(weight_shape)
        gb = g.sum(axis=reduce_axes).reshape(weight_shape) if has_bias else None
        return gx, gw, gb
