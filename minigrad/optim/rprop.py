"""Rprop: resilient backpropagation, per-coordinate step sizes driven by gradient signs."""
from .. import backend
from .optimizer import Optimizer, check, check_common


def rprop_update(param, grad, prev, step_size, scratch, *, ops, etas, step_sizes, maximize):
    """One Rprop step (Riedmiller & Braun, 1993), in place; PyTorch's form::

        s = sign(g * g_prev)
        step_size *= etaplus where s > 0, etaminus where s < 0 (unchanged where s == 0),
                     then clamped to [step_size_min, step_size_max]
        g = 0 where s < 0          (after a sign flip, skip this coordinate once)
        p = p - sign(g) * step_size;  g_prev = g
    """
    xp = backend.array_module(param)
    (etaminus, etaplus), (step_size_min, step_size_max) = etas, step_sizes
    factor, work = scratch
    g = ops.effective_grad(param, grad, work, 0.0, maximize)
    xp.multiply(g, prev, out=factor)
    flipped = factor < 0
    grew = factor > 0
    factor.fill(1)
    xp.copyto(factor, etaplus, where=grew)
    xp.copyto(factor, etaminus, where=flipped)
    step_size *= factor
    xp.clip(step_size, step_size_min, step_size_max, out=step_size)
    xp.copyto(prev, g)
    xp.copyto(prev, 0, where=flipped)
    xp.sign(prev, out=factor)
    factor *= step_size
    param -= factor


class Rprop(Optimizer):
    """Rprop, as ``torch.optim.Rprop`` (lr=1e-2, etas=(0.5, 1.2), step_sizes=(1e-6, 50),
    maximize=False). Step sizes start at lr; updates use only the gradient's sign."""

    def __init__(self, params, lr=1e-2, etas=(0.5, 1.2), step_sizes=(1e-6, 50), *, maximize=False):
        defaults = dict(lr=lr, etas=tuple(etas), step_sizes=tuple(step_sizes), maximize=maximize)
        super().__init__(params, defaults)

    def _validate(self, group):
        check_common(group, "lr")
        etaminus, etaplus = group["etas"]
        check(0.0 < etaminus < 1.0 < etaplus,
              f"Invalid eta values: etas=({etaminus}, {etaplus}) (need 0 < etaminus < 1 < etaplus)")
        low, high = group["step_sizes"]
        check(0.0 <= low <= high, f"Invalid step_sizes: ({low}, {high}) (need 0 <= min <= max)")

    def step(self, closure=None):
        """One update of every parameter that has a gradient; returns the closure's loss."""
        loss = self._eval_closure(closure)
        for group, params in self._groups_with_grad():
            for p in params:
                state = self.state[p]
                if not state:
                    state["step"], state["prev"] = 0.0, self._zeros_like(p)
                    state["step_size"] = self._zeros_like(p, group["lr"])
                state["step"] += 1
                self._update(rprop_update, p, state["prev"], state["step_size"], n_scratch=2,
                             etas=group["etas"], step_sizes=group["step_sizes"], maximize=group["maximize"])
        return loss
