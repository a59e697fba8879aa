"""Adagrad: per-coordinate learning rates from the running sum of squared gradients."""
from .. import backend
from ._functional import add_ratio_, effective_grad
from .optimizer import Optimizer, check_common


def adagrad_update(param, grad, state_sum, scratch, *, step, lr, lr_decay, weight_decay, eps, maximize):
    """One Adagrad step (Duchi et al., 2011), in place; PyTorch's form::

        g = g + wd * p;  clr = lr / (1 + (t - 1) * lr_decay)
        s = s + g**2
        p = p - clr * g / (sqrt(s) + eps)
    """
    xp = backend.array_module(param)
    tmp, work = scratch
    g = effective_grad(param, grad, work, weight_decay, maximize)
    clr = lr / (1 + (step - 1) * lr_decay)
    xp.multiply(g, g, out=tmp)
    state_sum += tmp
    add_ratio_(param, -clr, g, state_sum, eps, tmp)


class Adagrad(Optimizer):
    """Adagrad, as ``torch.optim.Adagrad`` (lr=1e-2, lr_decay=0, weight_decay=0,
    initial_accumulator_value=0, eps=1e-10, maximize=False)."""

    _rule = staticmethod(adagrad_update)
    _state_names = ("sum",)
    _hyper_keys = ("lr", "lr_decay", "weight_decay", "eps", "maximize")

    def __init__(self, params, lr=1e-2, lr_decay=0, weight_decay=0, initial_accumulator_value=0, eps=1e-10, *,
                 maximize=False):
        defaults = dict(lr=lr, lr_decay=lr_decay, eps=eps, weight_decay=weight_decay,
                        initial_accumulator_value=initial_accumulator_value, maximize=maximize)
        super().__init__(params, defaults)
        # PyTorch creates Adagrad's state eagerly, so a state_dict taken before the first
        # step already holds the accumulators.
        for group in self.param_groups:
            for p in group["params"]:
                self.state[p].setdefault("step", 0.0)
                self._init_state(p, group, self.state[p])

    def _validate(self, group):
        check_common(group, "lr", "lr_decay", "weight_decay", "initial_accumulator_value", "eps")

    def _init_state(self, p, group, state):
        self._ensure_state(state, p, "sum", group["initial_accumulator_value"])

    def _per_step(self, group, state):
        return {"step": state["step"]}
