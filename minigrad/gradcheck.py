"""Finite-difference gradient checking in float64 (no torch needed)."""
from __future__ import annotations

from . import backend
from .tensor import Tensor


def _as_tuple(x):
    return x if isinstance(x, (tuple, list)) else (x,)


def gradcheck(fn, inputs, eps=1e-6, atol=1e-5, rtol=1e-3, seed=0):
    """Compare autograd's gradient of `fn` with central differences; True or raise.

    The outputs are projected on fixed random weights ``v`` (so one backward gives
    ``J^T v``), and each input element is nudged by ±eps to compute the same quantity
    numerically. Inputs that require grad should be float64: float32 round-off would
    swamp the differences.
    """
    inputs = _as_tuple(inputs)
    targets = [t for t in inputs if isinstance(t, Tensor) and t.requires_grad]
    if not targets:
        raise ValueError("gradcheck: no input requires grad")
    for t in targets:
        if t.dtype != backend.float64:
            raise TypeError(f"gradcheck: inputs should be float64 for finite differences, got {t.dtype}")
    rng = backend.np.random.default_rng(seed)

    outs = _as_tuple(fn(*inputs))
    outs = [o for o in outs if isinstance(o, Tensor) and o.dtype.kind == "f"]
    weights = [backend.to_device(rng.standard_normal(o.shape), o.device) for o in outs]

    def projected(*args):
        total = 0.0
        for o, w in zip([o for o in _as_tuple(fn(*args)) if isinstance(o, Tensor) and o.dtype.kind == "f"], weights):
            total += float((o.array * w).sum())
        return total

    for t in targets:
        t.grad = None
    loss = None
    for o, w in zip(outs, weights):
        if not o.requires_grad:
            continue
        term = (o * Tensor._make(w, False, None)).sum()
        loss = term if loss is None else loss + term
    if loss is None:
        raise RuntimeError("gradcheck: no output depends on the inputs that require grad")
    loss.backward()

    for k, t in enumerate(targets):
        analytic = backend.to_host(t.grad.array if t.grad is not None else t.xp.zeros(t.shape)).reshape(-1)
        numeric = backend.np.zeros(t.array.size)
        # nudge elements in place by multi-index: reshape(-1) of a non-contiguous input
        # would be a copy, and nudging it would leave the input untouched
        for i, idx in enumerate(backend.np.ndindex(*t.shape)):
            orig = t.array[idx].item()
            t.array[idx] = orig + eps
            plus = projected(*inputs)
            t.array[idx] = orig - eps
            minus = projected(*inputs)
            t.array[idx] = orig
            numeric[i] = (plus - minus) / (2 * eps)
        err = backend.np.abs(analytic - numeric)
        bad = err > atol + rtol * backend.np.abs(numeric)
        if bad.any():
            i = int(backend.np.argmax(err - (atol + rtol * backend.np.abs(numeric))))
            raise AssertionError(
                f"gradcheck: gradient mismatch for input {k} (shape {tuple(t.shape)}) at flat index {i}: "
                f"analytic {analytic[i]:.8g} vs numeric {numeric[i]:.8g} (abs error {err[i]:.3g}, "
                f"{int(bad.sum())} of {bad.size} elements off)"
            )
    return True
