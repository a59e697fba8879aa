"""The Adam family: Adam (and AMSGrad), AdamW, Adamax, NAdam, RAdam.

Each update function states its rule in the docstring, in PyTorch's exact form (where
eps goes, how bias corrections are applied), and works in place on raw arrays.
"""
from .. import backend
from .optimizer import Optimizer, check_betas, check_common, check_fused


def _decay_and_moments(param, grad, exp_avg, exp_avg_sq, tmp, work, *, ops, lr, beta1, beta2, weight_decay,
                       maximize, decoupled):
    """The first half of Adam, NAdam and RAdam; returns the gradient used.

    Weight decay is decoupled (``p *= 1 - lr*wd``, AdamW) or added to the gradient; then
    ``m = b1*m + (1-b1)*g`` (as torch's lerp_) and ``v = b2*v + (1-b2)*g**2``.
    """
    if decoupled:
        if weight_decay != 0:
            ops.scale_(param, 1 - lr * weight_decay)
        g = ops.effective_grad(param, grad, work, 0.0, maximize)
    else:
        g = ops.effective_grad(param, grad, work, weight_decay, maximize)
    ops.lerp_(exp_avg, g, 1 - beta1, tmp)
    ops.ema_square_(exp_avg_sq, g, beta2, tmp)
    return g


def adam_update(param, grad, exp_avg, exp_avg_sq, max_exp_avg_sq, scratch, *, ops, step, lr, beta1, beta2,
                eps, weight_decay, amsgrad, maximize, decoupled_weight_decay):
    """One Adam step (Kingma & Ba, 2015), in place; PyTorch's form::

        p = p * (1 - lr * wd)                  (decoupled, AdamW) | g = g + wd * p (Adam)
        m = b1 * m + (1 - b1) * g;  v = b2 * v + (1 - b2) * g**2
        v_hat = max(v_hat, v) if amsgrad else v
        p = p - lr / (1 - b1**t) * m / (sqrt(v_hat) / sqrt(1 - b2**t) + eps)
    """
    tmp, work = scratch
    _decay_and_moments(param, grad, exp_avg, exp_avg_sq, tmp, work, ops=ops, lr=lr, beta1=beta1, beta2=beta2,
                       weight_decay=weight_decay, maximize=maximize, decoupled=decoupled_weight_decay)
    step_size = lr / (1 - beta1 ** step)
    bias_correction2_sqrt = (1 - beta2 ** step) ** 0.5
    second = exp_avg_sq
    if amsgrad:
        backend.array_module(param).maximum(max_exp_avg_sq, exp_avg_sq, out=max_exp_avg_sq)
        second = max_exp_avg_sq
    # lr/bc1 * m / (sqrt(v)/sqrt(bc2) + eps) computed as (lr/bc1*sqrt(bc2)) * m / (sqrt(v) + eps*sqrt(bc2)):
    # the same number up to rounding, one pass over the arrays fewer
    ops.add_ratio_(param, -step_size * bias_correction2_sqrt, exp_avg, second, eps * bias_correction2_sqrt, tmp)


def adamax_update(param, grad, exp_avg, exp_inf, scratch, *, ops, step, lr, beta1, beta2, eps, weight_decay,
                  maximize):
    """One Adamax step (Adam with the infinity norm), in place; PyTorch's form::

        g = g + wd * p
        m = b1 * m + (1 - b1) * g;  u = max(b2 * u, |g| + eps)
        p = p - lr / (1 - b1**t) * m / u
    """
    xp = backend.array_module(param)
    tmp, work = scratch
    g = ops.effective_grad(param, grad, work, weight_decay, maximize)
    ops.lerp_(exp_avg, g, 1 - beta1, tmp)
    exp_inf *= beta2
    xp.abs(g, out=tmp)
    tmp += eps
    xp.maximum(exp_inf, tmp, out=exp_inf)
    xp.divide(exp_avg, exp_inf, out=tmp)
    tmp *= lr / (1 - beta1 ** step)
    param -= tmp


def nadam_update(param, grad, exp_avg, exp_avg_sq, scratch, *, ops, step, lr, beta1, beta2, eps, weight_decay,
                 maximize, decoupled_weight_decay, mu, mu_next, mu_product):
    """One NAdam step (Dozat, 2016), in place; PyTorch's form, with the momentum schedule
    ``mu_t = b1 * (1 - 0.5 * 0.96**(t * momentum_decay))`` and ``mu_product = prod mu_1..mu_t``::

        m = b1 * m + (1 - b1) * g;  v = b2 * v + (1 - b2) * g**2
        denom = sqrt(v / (1 - b2**t)) + eps
        p = p - lr * (1 - mu_t) / (1 - mu_product) * g / denom
              - lr * mu_{t+1} / (1 - mu_product * mu_{t+1}) * m / denom
    """
    xp = backend.array_module(param)
    tmp, denom, work = scratch
    g = _decay_and_moments(param, grad, exp_avg, exp_avg_sq, tmp, work, ops=ops, lr=lr, beta1=beta1, beta2=beta2,
                           weight_decay=weight_decay, maximize=maximize, decoupled=decoupled_weight_decay)
    xp.divide(exp_avg_sq, 1 - beta2 ** step, out=denom)
    xp.sqrt(denom, out=denom)
    denom += eps
    xp.divide(g, denom, out=tmp)
    tmp *= lr * (1.0 - mu) / (1.0 - mu_product)
    param -= tmp
    xp.divide(exp_avg, denom, out=tmp)
    tmp *= lr * mu_next / (1.0 - mu_product * mu_next)
    param -= tmp


def radam_update(param, grad, exp_avg, exp_avg_sq, scratch, *, ops, step, lr, beta1, beta2, eps, weight_decay,
                 maximize, decoupled_weight_decay):
    """One RAdam step (Liu et al., 2020), in place; PyTorch's form::

        m = b1 * m + (1 - b1) * g;  v = b2 * v + (1 - b2) * g**2;  m_hat = m / (1 - b1**t)
        rho_inf = 2 / (1 - b2) - 1;  rho_t = rho_inf - 2 t b2**t / (1 - b2**t)
        if rho_t > 5:  r = sqrt((rho_t - 4)(rho_t - 2) rho_inf / ((rho_inf - 4)(rho_inf - 2) rho_t))
                       p = p - m_hat * lr * sqrt(1 - b2**t) / (sqrt(v) + eps) * r
        else:          p = p - m_hat * lr          (variance not yet tractable: plain momentum)
    """
    xp = backend.array_module(param)
    tmp, adaptive, work = scratch
    _decay_and_moments(param, grad, exp_avg, exp_avg_sq, tmp, work, ops=ops, lr=lr, beta1=beta1, beta2=beta2,
                       weight_decay=weight_decay, maximize=maximize, decoupled=decoupled_weight_decay)
    bias_correction1 = 1 - beta1 ** step
    bias_correction2 = 1 - beta2 ** step
    rho_inf = 2 / (1 - beta2) - 1
    rho_t = rho_inf - 2 * step * (beta2 ** step) / bias_correction2
    xp.divide(exp_avg, bias_correction1, out=tmp)
    tmp *= lr
    if rho_t > 5.0:
        rect = ((rho_t - 4) * (rho_t - 2) * rho_inf / ((rho_inf - 4) * (rho_inf - 2) * rho_t)) ** 0.5
        xp.sqrt(exp_avg_sq, out=adaptive)
        adaptive += eps
        xp.divide(bias_correction2 ** 0.5, adaptive, out=adaptive)
        tmp *= adaptive
        tmp *= rect
    param -= tmp


def _init_moments(optimizer, p, state, *extra):
    """Adam-family state by name: the step count, the two moments, and `extra` zero tensors."""
    state["step"] = 0.0
    for name in ("exp_avg", "exp_avg_sq", *extra):
        state[name] = optimizer._zeros_like(p)


class Adam(Optimizer):
    """Adam, as ``torch.optim.Adam`` (lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0,
    amsgrad=False, maximize=False, decoupled_weight_decay=False, fused=None).

    `fused`: update large CPU arrays with MKL's threaded vector routines (None: where MKL
    is installed; equal to the default path up to rounding).
    """

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0, amsgrad=False, *,
                 maximize=False, decoupled_weight_decay=False, fused=None):
        defaults = dict(lr=lr, betas=tuple(betas), eps=eps, weight_decay=weight_decay, amsgrad=amsgrad,
                        maximize=maximize, decoupled_weight_decay=decoupled_weight_decay, fused=fused)
        super().__init__(params, defaults)

    def _validate(self, group):
        check_common(group, "lr", "eps", "weight_decay")
        check_betas(group["betas"])
        check_fused(group)

    def step(self, closure=None):
        """One update of every parameter that has a gradient; returns the closure's loss."""
        loss = self._eval_closure(closure)
        for group, params in self._groups_with_grad():
            fused, (beta1, beta2) = self._use_fused(group), group["betas"]
            for p in params:
                state = self.state[p]
                if not state:
                    _init_moments(self, p, state)
                if group["amsgrad"] and "max_exp_avg_sq" not in state:
                    state["max_exp_avg_sq"] = self._zeros_like(p)
                state["step"] += 1
                self._update(adam_update, p, state["exp_avg"], state["exp_avg_sq"], state.get("max_exp_avg_sq"),
                             n_scratch=2, fused=fused, step=state["step"], lr=group["lr"], beta1=beta1,
                             beta2=beta2, eps=group["eps"], weight_decay=group["weight_decay"],
                             amsgrad=group["amsgrad"], maximize=group["maximize"],
                             decoupled_weight_decay=group["decoupled_weight_decay"])
        return loss


class AdamW(Adam):
    """Adam with decoupled weight decay (Loshchilov & Hutter, 2019), as ``torch.optim.AdamW``:
    ``p *= 1 - lr * weight_decay`` before the Adam step; weight_decay defaults to 1e-2."""

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=1e-2, amsgrad=False, *,
                 maximize=False, fused=None):
        super().__init__(params, lr, betas, eps, weight_decay, amsgrad, maximize=maximize,
                         decoupled_weight_decay=True, fused=fused)


class Adamax(Optimizer):
    """Adamax, as ``torch.optim.Adamax`` (lr=2e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0)."""

    def __init__(self, params, lr=2e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0, *, maximize=False):
        defaults = dict(lr=lr, betas=tuple(betas), eps=eps, weight_decay=weight_decay, maximize=maximize)
        super().__init__(params, defaults)

    def _validate(self, group):
        check_common(group, "lr", "eps", "weight_decay")
        check_betas(group["betas"])

    def step(self, closure=None):
        """One update of every parameter that has a gradient; returns the closure's loss."""
        loss = self._eval_closure(closure)
        for group, params in self._groups_with_grad():
            beta1, beta2 = group["betas"]
            for p in params:
                state = self.state[p]
                if not state:
                    state["step"] = 0.0
                    state["exp_avg"], state["exp_inf"] = self._zeros_like(p), self._zeros_like(p)
                state["step"] += 1
                # passes=4: its light passes pay for a second thread from ~512K values (measured)
                self._update(adamax_update, p, state["exp_avg"], state["exp_inf"], n_scratch=2, passes=4,
                             step=state["step"], lr=group["lr"], beta1=beta1, beta2=beta2, eps=group["eps"],
                             weight_decay=group["weight_decay"], maximize=group["maximize"])
        return loss


class NAdam(Optimizer):
    """Adam with Nesterov momentum, as ``torch.optim.NAdam`` (lr=2e-3, betas=(0.9, 0.999),
    eps=1e-8, weight_decay=0, momentum_decay=4e-3, decoupled_weight_decay=False)."""

    _scalar_state = ("step", "mu_product")

    def __init__(self, params, lr=2e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0, momentum_decay=4e-3,
                 decoupled_weight_decay=False, *, maximize=False):
        defaults = dict(lr=lr, betas=tuple(betas), eps=eps, weight_decay=weight_decay,
                        momentum_decay=momentum_decay, decoupled_weight_decay=decoupled_weight_decay,
                        maximize=maximize)
        super().__init__(params, defaults)

    def _validate(self, group):
        check_common(group, "lr", "eps", "weight_decay", "momentum_decay")
        check_betas(group["betas"])

    def step(self, closure=None):
        """One update of every parameter that has a gradient; returns the closure's loss."""
        loss = self._eval_closure(closure)
        for group, params in self._groups_with_grad():
            beta1, beta2 = group["betas"]
            decay = group["momentum_decay"]
            for p in params:
                state = self.state[p]
                if not state:
                    _init_moments(self, p, state)
                    state["mu_product"] = 1.0
                step = state["step"] = state["step"] + 1
                # the momentum schedule mu_t and its running product (plain floats: no device sync)
                mu = beta1 * (1.0 - 0.5 * (0.96 ** (step * decay)))
                mu_next = beta1 * (1.0 - 0.5 * (0.96 ** ((step + 1) * decay)))
                state["mu_product"] *= mu
                self._update(nadam_update, p, state["exp_avg"], state["exp_avg_sq"], n_scratch=3, step=step,
                             lr=group["lr"], beta1=beta1, beta2=beta2, eps=group["eps"],
                             weight_decay=group["weight_decay"], maximize=group["maximize"],
                             decoupled_weight_decay=group["decoupled_weight_decay"], mu=mu, mu_next=mu_next,
                             mu_product=state["mu_product"])
        return loss


class RAdam(Optimizer):
    """Rectified Adam, as ``torch.optim.RAdam`` (lr=1e-3, betas=(0.9, 0.999), eps=1e-8,
    weight_decay=0, decoupled_weight_decay=False)."""

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0,
                 decoupled_weight_decay=False, *, maximize=False):
        defaults = dict(lr=lr, betas=tuple(betas), eps=eps, weight_decay=weight_decay,
                        decoupled_weight_decay=decoupled_weight_decay, maximize=maximize)
        super().__init__(params, defaults)

    def _validate(self, group):
        check_common(group, "lr", "eps", "weight_decay")
        check_betas(group["betas"])

    def step(self, closure=None):
        """One update of every parameter that has a gradient; returns the closure's loss."""
        loss = self._eval_closure(closure)
        for group, params in self._groups_with_grad():
            beta1, beta2 = group["betas"]
            for p in params:
                state = self.state[p]
                if not state:
                    _init_moments(self, p, state)
                state["step"] += 1
                self._update(radam_update, p, state["exp_avg"], state["exp_avg_sq"], n_scratch=3,
                             step=state["step"], lr=group["lr"], beta1=beta1, beta2=beta2, eps=group["eps"],
                             weight_decay=group["weight_decay"], maximize=group["maximize"],
                             decoupled_weight_decay=group["decoupled_weight_decay"])
        return loss
