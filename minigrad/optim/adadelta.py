"""Adadelta: an adaptive learning rate from running averages of squared gradients and updates."""
from .. import backend
from ._functional import effective_grad, ema_square_
from .optimizer import Optimizer, check, check_common


def adadelta_update(param, grad, square_avg, acc_delta, scratch, *, lr, rho, eps, weight_decay, maximize):
    """One Adadelta step (Zeiler, 2012), in place; PyTorch's form (eps inside both sqrts)::

        g = g + wd * p
        v = rho * v + (1 - rho) * g**2
        delta = sqrt(u + eps) / sqrt(v + eps) * g
        u = rho * u + (1 - rho) * delta**2
        p = p - lr * delta
    """
    xp = backend.array_module(param)
    tmp, delta, work = scratch
    g = effective_grad(param, grad, work, weight_decay, maximize)
    ema_square_(square_avg, g, rho, tmp)
    xp.add(acc_delta, eps, out=delta)
    xp.sqrt(delta, out=delta)
    xp.add(square_avg, eps, out=tmp)
    xp.sqrt(tmp, out=tmp)
    delta /= tmp
    delta *= g
    ema_square_(acc_delta, delta, rho, tmp)
    xp.multiply(delta, lr, out=tmp)
    param -= tmp


class Adadelta(Optimizer):
    """Adadelta, as ``torch.optim.Adadelta`` (lr=1.0, rho=0.9, eps=1e-6, weight_decay=0,
    maximize=False)."""

    _rule = staticmethod(adadelta_update)
    _state_names = ("square_avg", "acc_delta")
    _hyper_keys = ("lr", "rho", "eps", "weight_decay", "maximize")
    _n_scratch = 3

    def __init__(self, params, lr=1.0, rho=0.9, eps=1e-6, weight_decay=0, *, maximize=False):
        defaults = dict(lr=lr, rho=rho, eps=eps, weight_decay=weight_decay, maximize=maximize)
        super().__init__(params, defaults)

    def _validate(self, group):
        check_common(group, "lr", "eps", "weight_decay")
        check(0.0 <= group["rho"] <= 1.0, f"Invalid rho value: rho={group['rho']} (must be in [0, 1])")

    def _init_state(self, p, group, state):
        self._ensure_state(state, p, "square_avg")
        self._ensure_state(state, p, "acc_delta")
