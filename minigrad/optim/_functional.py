"""Array-level building blocks shared by the update rules (in place, allocation-free).

They take raw NumPy/CuPy arrays and Python floats, never Tensors, and reproduce the
rounding of the PyTorch kernels they stand for.
"""
from .. import backend


def effective_grad(param, grad, out, weight_decay=0.0, maximize=False):
    """The gradient an update rule sees: ``(-g if maximize else g) + weight_decay * p``.

    Never writes to `grad` (gradients may be shared); when a change is needed the result
    is written into the scratch array `out` and returned, otherwise `grad` itself is.
    """
    if weight_decay != 0:
        backend.array_module(out).multiply(param, weight_decay, out=out)
        if maximize:
            out -= grad
        else:
            out += grad
        return out
    if maximize:
        backend.array_module(out).negative(grad, out=out)
        return out
    return grad


def axpby_(y, a, x, b, tmp):
    """``y = a*x + b*y`` in place, as torch's ``y.mul_(b).add_(x, alpha=a)``.

    One multi-threaded pass through MKL where the backend has it (see `minigrad.blas`;
    equal up to rounding); otherwise ufuncs that round as torch does, skipping the
    multiplications by one (`tmp` is scratch for ``a*x``).
    """
    if backend.axpby_(a, x, b, y):
        return
    if b != 1:
        y *= b
    if a == 1:
        y += x
    else:
        backend.array_module(y).multiply(x, a, out=tmp)
        y += tmp


def lerp_(avg, target, weight, tmp):
    """``avg += weight * (target - avg)`` in place, in torch.lerp_'s two numerical forms.

    PyTorch evaluates ``end - (end - self) * (1 - weight)`` when weight >= 0.5, which
    rounds differently; matching it keeps trajectories equal to the last bits.
    """
    xp = backend.array_module(avg)
    xp.subtract(target, avg, out=tmp)
    if weight < 0.5:
        tmp *= weight
        avg += tmp
    else:
        tmp *= 1 - weight
        xp.subtract(target, tmp, out=avg)


def ema_square_(avg_sq, grad, beta, tmp):
    """``avg_sq = beta * avg_sq + (1 - beta) * grad**2`` in place (torch's mul_ + addcmul_)."""
    backend.array_module(avg_sq).multiply(grad, 1 - beta, out=tmp)
    tmp *= grad
    avg_sq *= beta
    avg_sq += tmp
