"""`mg.nn.utils`: gradient clipping and flattening parameters into one vector.

Clipping stays on the device: per-parameter norms are stacked and reduced there and
the gradients are scaled by ``min(1, max_norm / (total + 1e-6))`` without asking the
host whether clipping is needed, so it costs no device sync (except with
``error_if_nonfinite=True``, which must look at the norm).
"""
from __future__ import annotations

from .. import backend
from ..autograd import no_grad
from ..tensor import Tensor


def _param_list(parameters, op=None):
    """A list of tensors from a tensor, an iterable of tensors or a Module's parameters;
    with `op` (the caller's name), an empty list is an error."""
    if hasattr(parameters, "parameters") and callable(parameters.parameters):
        parameters = parameters.parameters()
    params = [parameters] if isinstance(parameters, Tensor) else list(parameters)
    if op is not None and not params:
        raise ValueError(f"{op}: got an empty list of parameters")
    return params


def _vector_norm(arr, norm_type, xp):
    """The p-norm of a flattened array (inf, -inf, 0 and any p, as torch.linalg.vector_norm)."""
    return xp.linalg.norm(arr.reshape(-1), ord=norm_type)


def clip_grad_norm_(parameters, max_norm, norm_type=2.0, error_if_nonfinite=False, foreach=None):
    """Scale gradients in place so that their joint `norm_type`-norm is at most `max_norm`.

    The joint norm is the norm of the vector of all gradients (``inf`` for the max-abs).
    Returns that total norm (before clipping) as a 0-d tensor. With
    `error_if_nonfinite`, a NaN/Inf total norm raises instead of scaling by it.
    """
    params = _param_list(parameters)
    grads = [p.grad.array for p in params if p.grad is not None]
    norm_type = float(norm_type)
    if not grads:
        return Tensor(0.0)
    xp = backend.array_module(grads[0])
    devices = {backend.device_of(g) for g in grads}
    if len(devices) > 1:
        raise RuntimeError(f"clip_grad_norm_: gradients live on several devices {sorted(devices)}")
    norms = xp.stack([_vector_norm(g, norm_type, xp) for g in grads])
    total = backend.as_array(_vector_norm(norms, norm_type, xp))
    if error_if_nonfinite and not bool(xp.isfinite(total)):
        raise RuntimeError(
            f"The total norm of order {norm_type} for gradients from `parameters` is non-finite, so it "
            "cannot be clipped. To disable this error and scale the gradients by the non-finite norm "
            "anyway, set `error_if_nonfinite=False`"
        )
    coef = xp.minimum(float(max_norm) / (total + 1e-6), 1.0)
    for g in grads:
        g *= coef.astype(g.dtype, copy=False)
    return Tensor._make(total, False, None)


def clip_grad_value_(parameters, clip_value, foreach=None):
    """Clamp every gradient element to [-clip_value, clip_value], in place."""
    clip_value = float(clip_value)
    for p in _param_list(parameters):
        if p.grad is not None:
            p.grad.xp.clip(p.grad.array, -clip_value, clip_value, out=p.grad.array)


def parameters_to_vector(parameters):
    """All parameters flattened and concatenated into one 1-D tensor (differentiable)."""
    params = _param_list(parameters)
    if not params:
        raise ValueError("parameters_to_vector: got no parameters")
    from ..ops import cat

    return cat([p.reshape(-1) for p in params])


def vector_to_parameters(vec, parameters):
    """Copy consecutive slices of the 1-D `vec` into `parameters` (in their order)."""
    if not isinstance(vec, Tensor):
        raise TypeError(f"expected a minigrad Tensor, but got: {type(vec).__name__}")
    if vec.ndim != 1:
        raise ValueError(f"vector_to_parameters: vec must be 1-D, got shape {tuple(vec.shape)}")
    params = _param_list(parameters)
    total = sum(p.numel() for p in params)
    if total != vec.numel():
        raise ValueError(f"vector_to_parameters: vec has {vec.numel()} elements but the parameters need {total}")
    pointer = 0
    with no_grad():
        for p in params:
            if p.device != vec.device:
                raise RuntimeError(f"vector_to_parameters: vec is on {vec.device} but a parameter is on {p.device}")
            n = p.numel()
            p.array[...] = vec.array[pointer:pointer + n].reshape(p.shape)
            p._bump_version()
            pointer += n


def zero_grad_(parameters, set_to_none: bool = True) -> None:
    """Reset the gradients of `parameters`: to None (default), or to zeros in place.

    ``Module.zero_grad`` and ``Optimizer.zero_grad`` both call this.
    """
    for p in parameters:
        if p.grad is None:
            continue
        if set_to_none:
            p.grad = None
        else:
            p.grad.array.fill(0)
            p.grad._bump_version()
