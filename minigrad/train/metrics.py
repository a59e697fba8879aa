"""Metrics for `fit`: functions ``(pred, target) -> scalar Tensor`` on the batch's device.

Each returns the batch mean as a 0-d tensor and never calls ``.item()``, so `fit` can
accumulate it on the device and fetch it once per epoch (one host sync, not one per
batch). They run under ``no_grad``-free code too: the result has no grad history because
the comparisons that build them are not differentiable.
"""
from ..tensor import Tensor


def _check(pred, target, name):
    if not isinstance(pred, Tensor) or not isinstance(target, Tensor):
        raise TypeError(
            f"{name}: pred and target must be Tensors, got {type(pred).__name__} and {type(target).__name__}"
        )
    if pred.shape[:1] != target.shape[:1]:
        raise ValueError(f"{name}: pred {tuple(pred.shape)} and target {tuple(target.shape)} differ in batch size")


def _labels(pred, target, name):
    """Predicted and true class indices from logits/probabilities and indices or one-hot."""
    _check(pred, target, name)
    if pred.ndim == target.ndim + 1:  # (N, C) scores vs (N,) class indices
        return pred.array.argmax(axis=1), target.array
    if pred.shape == target.shape and pred.ndim >= 2 and pred.shape[1] > 1:  # one-hot / probabilities
        return pred.array.argmax(axis=1), target.array.argmax(axis=1)
    if pred.shape == target.shape:  # binary: probabilities thresholded at 0.5
        return pred.array >= 0.5, target.array >= 0.5
    raise ValueError(
        f"{name}: cannot match pred {tuple(pred.shape)} with target {tuple(target.shape)}; expected "
        "(N, C) scores with (N,) class indices, or equal shapes"
    )


def accuracy(pred, target):
    """Fraction of correct predictions.

    ``pred`` (N, C) logits or probabilities with ``target`` (N,) class indices (or (N, C)
    one-hot / probabilities); or, for binary problems, ``pred`` probabilities with the same
    shape as ``target`` in {0, 1}, thresholded at 0.5.
    """
    p, t = _labels(pred, target, "accuracy")
    hits = p == t
    return Tensor._make(hits.mean(dtype=pred.dtype if pred.array.dtype.kind == "f" else None), False, None)


def top_k_accuracy(pred, target, k=5):
    """Fraction of samples whose true class is among the ``k`` highest scores.

    ``pred`` (N, C) scores, ``target`` (N,) class indices. A class counts as within the top
    k when fewer than ``k`` classes score strictly higher (ties favour the sample), which
    needs no sort: one comparison against the true class's score.
    """
    _check(pred, target, "top_k_accuracy")
    if pred.ndim != 2 or target.ndim != 1:
        raise ValueError(
            f"top_k_accuracy: expected pred (N, C) and target (N,), got {tuple(pred.shape)} and {tuple(target.shape)}"
        )
    if not 1 <= k:
        raise ValueError(f"top_k_accuracy: k must be >= 1, got {k}")
    xp = pred.xp
    true_score = xp.take_along_axis(pred.array, target.array.astype("int64")[:, None], axis=1)
    higher = (pred.array > true_score).sum(axis=1)
    return Tensor._make((higher < k).mean(dtype=pred.dtype), False, None)


def _regression_pair(pred, target, name):
    _check(pred, target, name)
    if pred.shape != target.shape:
        if pred.numel() != target.numel():
            raise ValueError(f"{name}: pred {tuple(pred.shape)} and target {tuple(target.shape)} differ in size")
        # (N, 1) predictions against (N,) targets: compare elementwise, never broadcast to (N, N)
        return pred.array.reshape(target.shape), target.array
    return pred.array, target.array


def mse(pred, target):
    """Mean squared error, ``mean((pred - target) ** 2)``; (N, 1) vs (N,) is compared elementwise."""
    p, t = _regression_pair(pred, target, "mse")
    d = p - t
    return Tensor._make((d * d).mean(), False, None)


def mae(pred, target):
    """Mean absolute error, ``mean(|pred - target|)``; (N, 1) vs (N,) is compared elementwise."""
    p, t = _regression_pair(pred, target, "mae")
    return Tensor._make(abs(p - t).mean(), False, None)


def metric_name(fn):
    """The name a metric is logged under: its ``__name__`` (or the wrapped function's)."""
    name = getattr(fn, "__name__", None) or getattr(getattr(fn, "func", None), "__name__", None)
    if name is None:
        raise TypeError(f"metric {fn!r} has no __name__; pass metrics as a dict {{name: fn}}")
    return name
