"""Stochastic gradient descent with momentum, dampening and Nesterov momentum."""
from ._functional import add_scaled, axpby_, effective_grad
from .optimizer import Optimizer, check, check_common


def sgd_update(param, grad, buf, scratch, *, lr, momentum, dampening, nesterov, weight_decay,
               maximize, first_step):
    """One SGD step, in place (PyTorch's form)::

        g = -grad if maximize else grad;  g = g + weight_decay * p
        b = g                                    (first step: the buffer is a copy of g)
        b = momentum * b + (1 - dampening) * g   (later steps)
        d = g + momentum * b if nesterov else b  (d = g when momentum == 0)
        p = p - lr * d
    """
    tmp, work = scratch
    g = effective_grad(param, grad, work, weight_decay, maximize)
    d = g
    if momentum != 0:
        if first_step:
            buf[...] = g
        else:
            axpby_(buf, 1 - dampening, g, momentum, tmp)
        d = buf
        if nesterov:
            d = add_scaled(g, momentum, buf, tmp)
    axpby_(param, -lr, d, 1, tmp)


class SGD(Optimizer):
    """Stochastic gradient descent (optionally with momentum), as ``torch.optim.SGD``.

    Args: params, lr=1e-3, momentum=0, dampening=0, weight_decay=0, nesterov=False,
    maximize=False. The momentum buffer starts as the first gradient (not zeros).
    """

    _threaded_on_mkl = True

    def __init__(self, params, lr=1e-3, momentum=0, dampening=0, weight_decay=0, nesterov=False, *,
                 maximize=False):
        defaults = dict(lr=lr, momentum=momentum, dampening=dampening, weight_decay=weight_decay,
                        nesterov=nesterov, maximize=maximize)
        super().__init__(params, defaults)

    def _validate(self, group):
        check_common(group, "lr", "momentum", "weight_decay")
        check(not group["nesterov"] or (group["momentum"] > 0 and group["dampening"] == 0),
              "Nesterov momentum requires a momentum and zero dampening (nesterov=True needs momentum > 0, "
              "dampening == 0)")

    def _step_group(self, group):
        momentum = group["momentum"]
        for p, grad in self._with_grad(group):
            state = self.state[p]
            first = momentum != 0 and "momentum_buffer" not in state
            if first:
                state["momentum_buffer"] = self._new_state(p)
            buf = state["momentum_buffer"].array if momentum != 0 else None
            self.run_elementwise(
                sgd_update, (p.array, grad, buf), 2, lr=group["lr"], momentum=momentum,
                dampening=group["dampening"], nesterov=group["nesterov"], weight_decay=group["weight_decay"],
                maximize=group["maximize"], first_step=first, chunked=self._chunks(p))
            p._bump_version()
