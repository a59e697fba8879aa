"""RMSprop: divide the gradient by a running root-mean-square of recent gradients."""
from .. import backend
from ._functional import effective_grad, ema_square_, lerp_
from .optimizer import Optimizer, check_common


def rmsprop_update(param, grad, square_avg, grad_avg, momentum_buffer, scratch, *, lr, alpha, eps,
                   weight_decay, momentum, centered, maximize):
    """One RMSprop step (Hinton, 2012), in place; PyTorch's form (eps outside the sqrt)::

        g = g + wd * p
        v = alpha * v + (1 - alpha) * g**2
        avg = sqrt(v - gbar**2) + eps, with gbar = alpha * gbar + (1 - alpha) * g   (centered)
        avg = sqrt(v) + eps                                                         (otherwise)
        b = momentum * b + g / avg;  p = p - lr * b          (momentum > 0)
        p = p - lr * g / avg                                  (otherwise)
    """
    xp = backend.array_module(param)
    tmp, avg, work = scratch
    g = effective_grad(param, grad, work, weight_decay, maximize)
    ema_square_(square_avg, g, alpha, tmp)
    if centered:
        lerp_(grad_avg, g, 1 - alpha, tmp)
        xp.multiply(grad_avg, grad_avg, out=avg)
        xp.subtract(square_avg, avg, out=avg)
        xp.sqrt(avg, out=avg)
    else:
        xp.sqrt(square_avg, out=avg)
    avg += eps
    if momentum > 0:
        momentum_buffer *= momentum
        xp.divide(g, avg, out=tmp)
        momentum_buffer += tmp
        xp.multiply(momentum_buffer, lr, out=tmp)
    else:
        xp.divide(g, avg, out=tmp)
        tmp *= lr
    param -= tmp


class RMSprop(Optimizer):
    """RMSprop, as ``torch.optim.RMSprop`` (lr=1e-2, alpha=0.99, eps=1e-8, weight_decay=0,
    momentum=0, centered=False, maximize=False)."""

    _rule = staticmethod(rmsprop_update)
    _state_names = ("square_avg", "grad_avg", "momentum_buffer")
    _hyper_keys = ("lr", "alpha", "eps", "weight_decay", "momentum", "centered", "maximize")
    _n_scratch = 3

    def __init__(self, params, lr=1e-2, alpha=0.99, eps=1e-8, weight_decay=0, momentum=0, centered=False, *,
                 maximize=False):
        defaults = dict(lr=lr, alpha=alpha, eps=eps, weight_decay=weight_decay, momentum=momentum,
                        centered=centered, maximize=maximize)
        super().__init__(params, defaults)

    def _validate(self, group):
        check_common(group, "lr", "eps", "momentum", "weight_decay", "alpha")

    def _init_state(self, p, group, state):
        self._ensure_state(state, p, "square_avg")
        if group["momentum"] > 0:
            self._ensure_state(state, p, "momentum_buffer")
        if group["centered"]:
            self._ensure_state(state, p, "grad_avg")
