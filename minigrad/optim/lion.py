"""Lion: sign momentum, from "Symbolic Discovery of Optimization Algorithms" (Chen et al., 2023)."""
from .. import backend
from .optimizer import Optimizer, check_betas, check_common


def lion_update(param, grad, exp_avg, scratch, *, ops, lr, beta1, beta2, weight_decay, maximize):
    """One Lion step, in place (the paper's Algorithm 2)::

        p = p * (1 - lr * wd)
        p = p - lr * sign(b1 * m + (1 - b1) * g)
        m = b2 * m + (1 - b2) * g
    """
    xp = backend.array_module(param)
    tmp, blend, work = scratch
    g = ops.effective_grad(param, grad, work, 0.0, maximize)
    if weight_decay != 0:
        ops.scale_(param, 1 - lr * weight_decay)
    xp.multiply(exp_avg, beta1, out=blend)
    xp.multiply(g, 1 - beta1, out=tmp)
    blend += tmp
    xp.sign(blend, out=blend)
    blend *= lr
    param -= blend
    ops.axpby_(exp_avg, 1 - beta2, g, beta2, tmp)


class Lion(Optimizer):
    """Lion (PyTorch has none): lr=1e-4, betas=(0.9, 0.99), weight_decay=0.0, maximize=False.

    Every coordinate moves by exactly ±lr per step, so Lion wants a learning rate 3-10x
    smaller than AdamW's and a correspondingly larger weight decay.
    """

    def __init__(self, params, lr=1e-4, betas=(0.9, 0.99), weight_decay=0.0, *, maximize=False):
        defaults = dict(lr=lr, betas=tuple(betas), weight_decay=weight_decay, maximize=maximize)
        super().__init__(params, defaults)

    def _validate(self, group):
        check_common(group, "lr", "weight_decay")
        check_betas(group["betas"])

    def step(self, closure=None):
        """One update of every parameter that has a gradient; returns the closure's loss."""
        loss = self._eval_closure(closure)
        for group, params in self._groups_with_grad():
            beta1, beta2 = group["betas"]
            for p in params:
                state = self.state[p]
                if not state:
                    state["step"], state["exp_avg"] = 0.0, self._zeros_like(p)
                state["step"] += 1
                # passes=16: sign() is slow, so its update pays for a second thread from ~128K values
                self._update(lion_update, p, state["exp_avg"], n_scratch=3, passes=16, lr=group["lr"], beta1=beta1,
                             beta2=beta2, weight_decay=group["weight_decay"], maximize=group["maximize"])
        return loss
