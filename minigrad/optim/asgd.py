"""Averaged SGD: SGD with a decaying step size and a running (Polyak) average of the iterates."""
from .. import backend
from ._functional import effective_grad
from .optimizer import Optimizer, check_common


def asgd_update(param, grad, ax, scratch, *, eta, mu, lambd, weight_decay, maximize):
    """One ASGD step (Polyak & Juditsky, 1992), in place; PyTorch's form::

        g = g + wd * p
        p = p * (1 - lambd * eta) - eta * g
        ax = ax + mu * (p - ax)      (ax = p while mu == 1, i.e. before averaging starts at t0)

    The schedules ``eta_t = lr / (1 + lambd * lr * t)**alpha`` and
    ``mu_t = 1 / max(1, t - t0)`` are advanced by the class (Python floats).
    """
    xp = backend.array_module(param)
    tmp, work = scratch
    g = effective_grad(param, grad, work, weight_decay, maximize)
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

    _rule = staticmethod(asgd_update)
    _state_names = ("ax",)
    _hyper_keys = ("lambd", "weight_decay", "maximize")
    _scalar_state = ("step", "eta", "mu")

    def __init__(self, params, lr=1e-2, lambd=1e-4, alpha=0.75, t0=1e6, weight_decay=0, *, maximize=False):
        defaults = dict(lr=lr, lambd=lambd, alpha=alpha, t0=t0, weight_decay=weight_decay, maximize=maximize)
        super().__init__(params, defaults)

    def _validate(self, group):
        check_common(group, "lr", "weight_decay")

    def _init_state(self, p, group, state):
        state.setdefault("eta", float(group["lr"]))
        state.setdefault("mu", 1.0)
        self._ensure_state(state, p, "ax")

    def _per_step(self, group, state):
        # this step uses the current eta and mu; the schedules then advance (Python floats)
        eta, mu, step = state["eta"], state["mu"], state["step"]
        lr, lambd = group["lr"], group["lambd"]
        state["eta"] = lr / ((1 + lambd * lr * step) ** group["alpha"])
        state["mu"] = 1 / max(1, step - group["t0"])
        return dict(eta=eta, mu=mu)
