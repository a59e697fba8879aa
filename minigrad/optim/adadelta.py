"""Adadelta: an adaptive learning rate from running averages of squared gradients and updates."""
from .. import backend
from .optimizer import Optimizer, check, check_common


def adadelta_update(param, grad, square_avg, acc_delta, scratch, *, ops, lr, rho, eps, weight_decay, maximize):
    """One Adadelta step (Zeiler, 2012), in place; PyTorch's form (eps inside both sqrts)::

        g = g + wd * p
        v = rho * v + (1 - rho) * g**2
        delta = sqrt(u + eps) / sqrt(v + eps) * g
        u = rho * u + (1 - rho) * delta**2
        p = p - lr * delta
    """
    xp = backend.array_module(param)
    tmp, delta, work = scratch
    g = ops.effective_grad(param, grad, work, weight_decay, maximize)
    ops.ema_square_(square_avg, g, rho, tmp)
    xp.add(acc_delta, eps, out=delta)
    xp.sqrt(delta, out=delta)
    xp.add(square_avg, eps, out=tmp)
    xp.sqrt(tmp, out=tmp)
    delta /= tmp
    delta *= g
    ops.ema_square_(acc_delta, delta, rho, tmp)
    xp.multiply(delta, lr, out=tmp)
    param -= tmp


class Adadelta(Optimizer):
    """Adadelta, as ``torch.optim.Adadelta`` (lr=1.0, rho=0.9, eps=1e-6, weight_decay=0,
    maximize=False)."""

    def __init__(self, params, lr=1.0, rho=0.9, eps=1e-6, weight_decay=0, *, maximize=False):
        defaults = dict(lr=lr, rho=rho, eps=eps, weight_decay=weight_decay, maximize=maximize)
        super().__init__(params, defaults)

    def _validate(self, group):
        check_common(group, "lr", "eps", "weight_decay")
        check(0.0 <= group["rho"] <= 1.0, f"Invalid rho value: rho={group['rho']} (must be in [0, 1])")

    def step(self, closure=None):
        """One update of every parameter that has a gradient; returns the closure's loss."""
        loss = self._eval_closure(closure)
        for group, params in self._groups_with_grad():
            for p in params:
                state = self.state[p]
                if not state:
                    state["step"] = 0.0
                    state["square_avg"], state["acc_delta"] = self._zeros_like(p), self._zeros_like(p)
                state["step"] += 1
                self._update(adadelta_update, p, state["square_avg"], state["acc_delta"], n_scratch=3,
                             lr=group["lr"], rho=group["rho"], eps=group["eps"],
                             weight_decay=group["weight_decay"], maximize=group["maximize"])
        return loss
