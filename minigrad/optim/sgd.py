"""Stochastic gradient descent with momentum, dampening and Nesterov momentum."""
from .optimizer import Optimizer, check, check_common, check_fused


def sgd_update(param, grad, buf, scratch, *, ops, lr, momentum, dampening, nesterov, weight_decay, maximize,
               first_step):
    """One SGD step, in place (PyTorch's form)::

        g = -grad if maximize else grad;  g = g + weight_decay * p
        b = g                                    (first step: the buffer is a copy of g)
        b = momentum * b + (1 - dampening) * g   (later steps)
        d = g + momentum * b if nesterov else b  (d = g when momentum == 0)
        p = p - lr * d
    """
    tmp, work = scratch
    g = ops.effective_grad(param, grad, work, weight_decay, maximize)
    d = g
    if momentum != 0:
        if first_step:
            buf[...] = g
        else:
            ops.axpby_(buf, 1 - dampening, g, momentum, tmp)
        d = buf
        if nesterov:
            d = ops.add_scaled(g, momentum, buf, tmp)
    ops.axpby_(param, -lr, d, 1, tmp)


def _passes(momentum, nesterov, weight_decay, maximize):
    """About how many passes `sgd_update` makes over the arrays (its two-lane threshold)."""
    return 2 + 2 * (momentum != 0) + 2 * bool(nesterov) + 2 * (weight_decay != 0) + bool(maximize)


class SGD(Optimizer):
    """Stochastic gradient descent (optionally with momentum), as ``torch.optim.SGD``.

    Args: params, lr=1e-3, momentum=0, dampening=0, weight_decay=0, nesterov=False,
    maximize=False, fused=None. The momentum buffer starts as the first gradient (not
    zeros). `fused`: update large CPU arrays with MKL's threaded vector routines (None:
    where MKL is installed; equal to the default path up to rounding).
    """

    def __init__(self, params, lr=1e-3, momentum=0, dampening=0, weight_decay=0, nesterov=False, *,
                 maximize=False, fused=None):
        defaults = dict(lr=lr, momentum=momentum, dampening=dampening, weight_decay=weight_decay,
                        nesterov=nesterov, maximize=maximize, fused=fused)
        super().__init__(params, defaults)

    def _validate(self, group):
        check_common(group, "lr", "momentum", "weight_decay")
        check(not group["nesterov"] or (group["momentum"] > 0 and group["dampening"] == 0),
              "Nesterov momentum requires a momentum and zero dampening (nesterov=True needs momentum > 0, "
              "dampening == 0)")
        check_fused(group)

    def step(self, closure=None):
        """One update of every parameter that has a gradient; returns the closure's loss."""
        loss = self._eval_closure(closure)
        for group, params in self._groups_with_grad():
            fused, momentum = self._use_fused(group), group["momentum"]
            passes = _passes(momentum, group["nesterov"], group["weight_decay"], group["maximize"])
            for p in params:
                state = self.state[p]
                first_step = momentum != 0 and "momentum_buffer" not in state
                if first_step:
                    state["momentum_buffer"] = self._zeros_like(p)
                self._update(sgd_update, p, state.get("momentum_buffer"), n_scratch=2, fused=fused, passes=passes,
                             lr=group["lr"], momentum=momentum, dampening=group["dampening"],
                             nesterov=group["nesterov"], weight_decay=group["weight_decay"],
                             maximize=group["maximize"], first_step=first_step)
        return loss
