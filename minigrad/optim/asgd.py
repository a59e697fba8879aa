"""Averaged SGD: SGD with a decaying step size and a running (Polyak) average of the iterates."""
from .. import backend
from .optimizer import Optimizer, check_common


def asgd_update(param, grad, ax, scratch, *, ops, eta, mu, lambd, weight_decay, maximize):
    """One ASGD step (Polyak & Juditsky, 1992), in place; PyTorch's form::

        g = g + wd * p
        p = p * (1 - lambd * eta) - eta * g
        ax = ax + mu * (p - ax)      (ax = p while mu == 1, i.e. before averaging starts at t0)

    The schedules ``eta_t = lr / (1 + lambd * lr * t)**alpha`` and
    ``mu_t = 1 / max(1, t - t0)`` are advanced by the class (Python floats).
    """
    xp = backend.array_module(param)
    tmp, work = scratch
    g = ops.effective_grad(param, grad, work, weight_decay, maximize)
    param *= 1 - lambd * eta
    xp.multiply(g, eta, out=tmp)
    param -= tmp
    if mu != 1:
        xp.subtract(param, ax, out=tmp)
        tmp *= mu
        ax += tmp
    else:
        ax[...] = param


class ASGD(Optimizer):
    """Averaged SGD, as ``torch.optim.ASGD`` (lr=1e-2, lambd=1e-4, alpha=0.75, t0=1e6,
    weight_decay=0, maximize=False). ``state[p]["ax"]`` holds the averaged parameters."""

    _scalar_state = ("step", "eta", "mu")

    def __init__(self, params, lr=1e-2, lambd=1e-4, alpha=0.75, t0=1e6, weight_decay=0, *, maximize=False):
        defaults = dict(lr=lr, lambd=lambd, alpha=alpha, t0=t0, weight_decay=weight_decay, maximize=maximize)
        super().__init__(params, defaults)

    def _validate(self, group):
        check_common(group, "lr", "weight_decay")

    def step(self, closure=None):
        """One update of every parameter that has a gradient; returns the closure's loss."""
        loss = self._eval_closure(closure)
        for group, params in self._groups_with_grad():
            lr, lambd = group["lr"], group["lambd"]
            for p in params:
                state = self.state[p]
                if not state:
                    state["step"], state["eta"], state["mu"] = 0.0, float(lr), 1.0
                    state["ax"] = self._zeros_like(p)
                step = state["step"] = state["step"] + 1
                # this step uses the current eta and mu; the schedules then advance (Python floats)
                eta, mu = state["eta"], state["mu"]
                state["eta"] = lr / ((1 + lambd * lr * step) ** group["alpha"])
                state["mu"] = 1 / max(1, step - group["t0"])
                # passes=2: three or four light passes, which pay for a second thread from ~1M values
                self._update(asgd_update, p, state["ax"], n_scratch=2, passes=2, eta=eta, mu=mu, lambd=lambd,
                             weight_decay=group["weight_decay"], maximize=group["maximize"])
        return loss
