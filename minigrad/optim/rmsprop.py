"""RMSprop: divide the gradient by a running root-mean-square of recent gradients."""
from .. import backend
from .optimizer import Optimizer, check_common


def rmsprop_update(param, grad, square_avg, grad_avg, momentum_buffer, scratch, *, ops, lr, alpha, eps,
                   weight_decay, momentum, centered, maximize):
    """One RMSprop step (Hinton, 2012), in place; PyTorch's form (eps outside the sqrt)::

        g = g + wd * p
        v = alpha * v + (1 - alpha) * g**2
        avg = sqrt(v - gbar**2) + eps, with gbar = alpha * gbar + (1 - alpha) * g   (centered)
        avg = sqrt(v) + eps                                                         (otherwise)
        b = momentum * b + g / avg;  p = p - lr * b          (momentum > 0)
        p = p - lr * g / avg                                  (otherwise)
    """
    xp = backend.array_module(param)
    tmp, avg, work = scratch
    g = ops.effective_grad(param, grad, work, weight_decay, maximize)
    ops.ema_square_(square_avg, g, alpha, tmp)
    if centered:
        ops.lerp_(grad_avg, g, 1 - alpha, tmp)
        xp.multiply(grad_avg, grad_avg, out=avg)
        xp.subtract(square_avg, avg, out=avg)
        xp.sqrt(avg, out=avg)
    else:
        xp.sqrt(square_avg, out=avg)
    avg += eps
    if momentum > 0:
        momentum_buffer *= momentum
        xp.divide(g, avg, out=tmp)
        momentum_buffer += tmp
        xp.multiply(momentum_buffer, lr, out=tmp)
    else:
        xp.divide(g, avg, out=tmp)
        tmp *= lr
    param -= tmp


class RMSprop(Optimizer):
    """RMSprop, as ``torch.optim.RMSprop`` (lr=1e-2, alpha=0.99, eps=1e-8, weight_decay=0,
    momentum=0, centered=False, maximize=False)."""

    def __init__(self, params, lr=1e-2, alpha=0.99, eps=1e-8, weight_decay=0, momentum=0, centered=False, *,
                 maximize=False):
        defaults = dict(lr=lr, alpha=alpha, eps=eps, weight_decay=weight_decay, momentum=momentum,
                        centered=centered, maximize=maximize)
        super().__init__(params, defaults)

    def _validate(self, group):
        check_common(group, "lr", "eps", "momentum", "weight_decay", "alpha")

    def step(self, closure=None):
        """One update of every parameter that has a gradient; returns the closure's loss."""
        loss = self._eval_closure(closure)
        for group, params in self._groups_with_grad():
            momentum, centered = group["momentum"], group["centered"]
            for p in params:
                state = self.state[p]
                if not state:
                    state["step"], state["square_avg"] = 0.0, self._zeros_like(p)
                if momentum > 0 and "momentum_buffer" not in state:
                    state["momentum_buffer"] = self._zeros_like(p)
                if centered and "grad_avg" not in state:
                    state["grad_avg"] = self._zeros_like(p)
                state["step"] += 1
                self._update(rmsprop_update, p, state["square_avg"], state.get("grad_avg"),
                             state.get("momentum_buffer"), n_scratch=3, lr=group["lr"], alpha=group["alpha"],
                             eps=group["eps"], weight_decay=group["weight_decay"], momentum=momentum,
                             centered=centered, maximize=group["maximize"])
        return loss
