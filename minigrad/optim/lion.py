"""Lion: sign momentum, from "Symbolic Discovery of Optimization Algorithms" (Chen et al., 2023)."""
from .. import backend
from ._functional import axpby_, effective_grad, scale_
from .optimizer import Optimizer, check_betas, check_common


def lion_update(param, grad, exp_avg, scratch, *, lr, beta1, beta2, weight_decay, maximize):
    """One Lion step, in place (the paper's Algorithm 2)::

        p = p * (1 - lr * wd)
        p = p - lr * sign(b1 * m + (1 - b1) * g)
        m = b2 * m + (1 - b2) * g
    """
    xp = backend.array_module(param)
    tmp, blend, work = scratch
    g = effective_grad(param, grad, work, 0.0, maximize)
    if weight_decay != 0:
        scale_(param, 1 - lr * weight_decay)
    xp.multiply(exp_avg, beta1, out=blend)
    xp.multiply(g, 1 - beta1, out=tmp)
    blend += tmp
    xp.sign(blend, out=blend)
    blend *= lr
    param -= blend
    axpby_(exp_avg, 1 - beta2, g, beta2, tmp)


class Lion(Optimizer):
    """Lion (PyTorch has none): lr=1e-4, betas=(0.9, 0.99), weight_decay=0.0, maximize=False.

    Every coordinate moves by exactly ±lr per step, so Lion wants a learning rate 3-10x
    smaller than AdamW's and a correspondingly larger weight decay.
    """

    _rule = staticmethod(lion_update)
    _state_names = ("exp_avg",)
    _hyper_keys = ("lr", "betas", "weight_decay", "maximize")
    _n_scratch = 3

    def __init__(self, params, lr=1e-4, betas=(0.9, 0.99), weight_decay=0.0, *, maximize=False):
        defaults = dict(lr=lr, betas=tuple(betas), weight_decay=weight_decay, maximize=maximize)
        super().__init__(params, defaults)

    def _validate(self, group):
        check_common(group, "lr", "weight_decay")
        check_betas(group["betas"])

    def _init_state(self, p, group, state):
        self._ensure_state(state, p, "exp_avg")
