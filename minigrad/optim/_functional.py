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
        return add_scaled(grad, weight_decay, param, out, sign=-1.0 if maximize else 1.0)
    if maximize:
        backend.array_module(out).negative(grad, out=out)
        return out
    return grad


def add_scaled(x, alpha, y, out, sign=1.0):
    """``out = sign*x + alpha*y``, as torch's ``x.add(y, alpha=alpha)`` (`sign` is 1 or -1,
    which is exact); returns `out`.

    Two ufunc passes, or two threaded MKL passes (a copy and an axpby) rounding the same.
    """
    vm = backend.vector_math(x, y, out)
    if vm is not None:
        vm.copy(x, out)
        vm.axpby(alpha, y, sign, out)
        return out
    backend.array_module(out).multiply(y, alpha, out=out)
    if sign == 1:
        out += x
    else:
        out -= x
    return out


def scale_(x, factor):
    """``x *= factor`` in place (one threaded MKL pass where it applies)."""
    vm = backend.vector_math(x)
    if vm is not None:
        vm.scale(factor, x)
    else:
        x *= factor


def axpby_(y, a, x, b, tmp):
    """``y = a*x + b*y`` in place, as torch's ``y.mul_(b).add_(x, alpha=a)``.

    One multi-threaded pass through MKL where the backend has it (see `minigrad.blas`;
    equal up to rounding); otherwise ufuncs that round as torch does, skipping the
    multiplications by one (`tmp` is scratch for ``a*x``).
    """
    vm = backend.vector_math(x, y)
    if vm is not None:
        vm.axpby(a, x, b, y)
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
    rounds differently; matching it keeps trajectories equal to the last bits. With MKL
    it is one threaded pass of ``(1 - weight)*avg + weight*target`` (equal up to rounding).
    """
    vm = backend.vector_math(target, avg)
    if vm is not None:
        vm.axpby(weight, target, 1 - weight, avg)
        return
    xp = backend.array_module(avg)
    xp.subtract(target, avg, out=tmp)
    if weight < 0.5:
        tmp *= weight
        avg += tmp
    else:
        tmp *= 1 - weight
        xp.subtract(target, tmp, out=avg)


def ema_square_(avg_sq, grad, beta, tmp):
    """``avg_sq = beta * avg_sq + (1 - beta) * grad**2`` in place (torch's mul_ + addcmul_).

    Four ufunc passes that round as torch does, or two threaded MKL passes.
    """
    vm = backend.vector_math(grad, tmp, avg_sq)
    if vm is not None:
        vm.square(grad, tmp)
        vm.axpby(1 - beta, tmp, beta, avg_sq)
        return
    backend.array_module(avg_sq).multiply(grad, 1 - beta, out=tmp)
    tmp *= grad
    avg_sq *= beta
    avg_sq += tmp


def add_ratio_(param, value, num, sq, eps, tmp):
    """``param += value * num / (sqrt(sq) + eps)`` in place, as torch's
    ``param.addcdiv_(num, sq.sqrt().add_(eps), value=value)`` (the Adam-style step).

    Five ufunc passes that round as torch does, or three threaded MKL passes (square
    root, one fused scale-and-divide, add; equal up to rounding). `tmp` is scratch.
    """
    vm = backend.vector_math(num, sq, tmp, param)
    if vm is not None:
        vm.sqrt(sq, tmp)
        vm.linear_frac(num, tmp, value, 0.0, 1.0, eps, tmp)
        vm.axpby(1.0, tmp, 1.0, param)
        return
    xp = backend.array_module(param)
    xp.sqrt(sq, out=tmp)
    tmp += eps
    xp.divide(num, tmp, out=tmp)
    tmp *= value
    param += tmp
