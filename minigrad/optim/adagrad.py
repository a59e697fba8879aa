"""Adagrad: per-coordinate learning rates from the running sum of squared gradients."""
from .. import backend
from .optimizer import Optimizer, check_common


def adagrad_update(param, grad, state_sum, scratch, *, ops, step, lr, lr_decay, weight_decay, eps, maximize):
    """One Adagrad step (Duchi et al., 2011), in place; PyTorch's form::

        g = g + wd * p;  clr = lr / (1 + (t - 1) * lr_decay)
        s = s + g**2
        p = p - clr * g / (sqrt(s) + eps)
    """
    xp = backend.array_module(param)
    tmp, work = scratch
    g = ops.effective_grad(param, grad, work, weight_decay, maximize)
    clr = lr / (1 + (step - 1) * lr_decay)
    xp.multiply(g, g, out=tmp)
    state_sum += tmp
    ops.add_ratio_(param, -clr, g, state_sum, eps, tmp)


class Adagrad(Optimizer):
    """Adagrad, as ``torch.optim.Adagrad`` (lr=1e-2, lr_decay=0, weight_decay=0,
    initial_accumulator_value=0, eps=1e-10, maximize=False)."""

    def __init__(self, params, lr=1e-2, lr_decay=0, weight_decay=0, initial_accumulator_value=0, eps=1e-10, *,
                 maximize=False):
        defaults = dict(lr=lr, lr_decay=lr_decay, eps=eps, weight_decay=weight_decay,
                        initial_accumulator_value=initial_accumulator_value, maximize=maximize)
        super().__init__(params, defaults)
        # PyTorch creates Adagrad's state eagerly, so a state_dict taken before the first
        # step already holds the accumulators.
        for group in self.param_groups:
            for p in group["params"]:
                self._init_state(p, group)

    def _init_state(self, p, group):
        self.state[p]["step"] = 0.0
        self.state[p]["sum"] = self._zeros_like(p, group["initial_accumulator_value"])

    def _validate(self, group):
        check_common(group, "lr", "lr_decay", "weight_decay", "initial_accumulator_value", "eps")

    def step(self, closure=None):
        """One update of every parameter that has a gradient; returns the closure's loss."""
        loss = self._eval_closure(closure)
        for group, params in self._groups_with_grad():
            for p in params:
                state = self.state[p]
                if not state:  # a group added after construction
                    self._init_state(p, group)
                state["step"] += 1
                self._update(adagrad_update, p, state["sum"], n_scratch=2, step=state["step"], lr=group["lr"],
                             lr_decay=group["lr_decay"], weight_decay=group["weight_decay"], eps=group["eps"],
                             maximize=group["maximize"])
        return loss
