"""`mg.nn.functional` (``F``): every layer, activation and loss as a function.

The classes in `mg.nn` are thin wrappers that hold parameters and settings and call
these. Signatures, defaults and numbers follow ``torch.nn.functional``. Hot or
numerically delicate pieces (cross-entropy, batch/layer norm, GELU, ...) are single
fused graph nodes (``ops/loss.py``, ``ops/normalization.py``, ``ops/activation.py``);
the rest are composed from ``minigrad.ops``. This package holds front ends only.
"""
from __future__ import annotations

import warnings

from .. import backend, ops
from ..generator import default_generator
from ..ops import linear, log_softmax as _log_softmax, relu as _relu, sigmoid, softmax as _softmax, tanh  # noqa: F401
from ..ops.embedding import EmbeddingLookup
from ..tensor import Tensor
from ..ops.activation import ELU, GELU, DropoutMask, LeakyReLU, Softplus
from ..ops.loss import BinaryCrossEntropy, BinaryCrossEntropyWithLogits, ClassNLL
from ..ops.normalization import Normalize
from .utils import _param_list

_REDUCTIONS = ("mean", "sum", "none")


# ---------------------------------------------------------------------------- helpers
def _check_tensor(x, name, op):
    if not isinstance(x, Tensor):
        raise TypeError(f"{op}: {name} must be a Tensor, got {type(x).__name__}")
    return x


def _check_reduction(reduction, op):
    if reduction not in _REDUCTIONS:
        raise ValueError(f"{op}: reduction must be 'mean', 'sum' or 'none', got {reduction!r}")


def _reduce(loss, reduction):
    if reduction == "mean":
        return loss.mean()
    if reduction == "sum":
        return loss.sum()
    return loss


def _elementwise_weight(loss, input, weight, reduction, op, mean_over_weight):
    """Apply torch's optional per-element `weight` of mse/l1/huber losses (torch >= 2.6):
    'mean' is sum(w * loss) / sum(w) for mse and l1 but a plain mean for huber, as in torch."""
    if not isinstance(weight, Tensor):
        weight = Tensor(weight, device=input.device)
    if tuple(weight.shape) != tuple(input.shape):
        raise ValueError(f"{op}: weight shape {tuple(weight.shape)} must equal input shape {tuple(input.shape)}")
    if weight.device != input.device:
        raise RuntimeError(f"{op}: weight is on {weight.device} but input is on {input.device}")
    loss = loss * weight
    if reduction == "mean" and mean_over_weight:
        return loss.sum() / weight.sum()
    return _reduce(loss, reduction)


def _constant(t, input, name, op):
    """The array of an optional constant tensor (weights), on input's device and dtype."""
    if t is None:
        return None
    if not isinstance(t, Tensor):
        t = Tensor(t, device=input.device)
    if t.device != input.device:
        raise RuntimeError(f"{op}: {name} is on {t.device} but input is on {input.device}")
    return t.array.astype(input.dtype, copy=False)


def _as_target(input, target, op):
    """Check a loss's floating `input`; `target` as a tensor on the input's device."""
    _check_tensor(input, "input", op)
    if not isinstance(target, Tensor):
        target = Tensor(target, device=input.device)
    if target.device != input.device:
        raise RuntimeError(f"{op}: target is on {target.device} but input is on {input.device}")
    if input.dtype.kind != "f":
        raise TypeError(f"{op}: input must be floating point, got {input.dtype}")
    return target


def _float_target(input, target, op):
    target = _as_target(input, target, op)
    if target.dtype != input.dtype:
        target = target.type(input.dtype)
    return target


def _warn_broadcast(input, target, op):
    if tuple(input.shape) != tuple(target.shape):
        warnings.warn(
            f"{op}: using a target size {tuple(target.shape)} that is different to the input size "
            f"{tuple(input.shape)}. This will likely lead to incorrect results due to broadcasting. "
            "Please ensure they have the same size.",
            stacklevel=3,
        )


# ---------------------------------------------------------------------------- activations
def relu(input, inplace=False):
    """max(x, 0). (`inplace` is accepted for PyTorch compatibility; a new tensor is returned.)"""
    return _relu(input)


def leaky_relu(input, negative_slope=0.01, inplace=False):
    """x for x > 0, negative_slope * x otherwise."""
    return LeakyReLU.apply(input, negative_slope=float(negative_slope))


def elu(input, alpha=1.0, inplace=False):
    """x for x > 0, alpha * (exp(x) - 1) otherwise."""
    return ELU.apply(input, alpha=float(alpha))


def gelu(input, approximate="none"):
    """x * Phi(x): exact (erf) by default, or ``approximate='tanh'``."""
    if approximate not in ("none", "tanh"):
        raise ValueError(f"gelu: approximate must be 'none' or 'tanh', got {approximate!r}")
    return GELU.apply(input, approximate=approximate)


def softplus(input, beta=1.0, threshold=20.0):
    """log(1 + exp(beta x)) / beta; linear where beta x > threshold."""
    return Softplus.apply(input, beta=float(beta), threshold=float(threshold))


def _softmax_dim(dim, ndim, op):
    if dim is None:
        warnings.warn(
            f"Implicit dimension choice for {op} has been deprecated. Change the call to include dim=X as an argument.",
            stacklevel=3,
        )
        return 0 if ndim in (0, 1, 3) else 1
    return dim


def softmax(input, dim=None, dtype=None):
    """exp(x) / sum(exp(x)) along `dim`, stable for large inputs."""
    if dtype is not None:
        input = input.type(dtype)
    return _softmax(input, _softmax_dim(dim, input.ndim, "softmax"))


def log_softmax(input, dim=None, dtype=None):
    """x - logsumexp(x) along `dim`, stable for large inputs."""
    if dtype is not None:
        input = input.type(dtype)
    return _log_softmax(input, _softmax_dim(dim, input.ndim, "log_softmax"))


# ---------------------------------------------------------------------------- layers
def dropout(input, p=0.5, training=True, inplace=False, generator=None):
    """Zero each element with probability `p` and scale the rest by 1 / (1 - p).

    Identity when not `training` (or p == 0). The mask is drawn from `generator`, or
    from the input device's default generator (seeded by ``mg.manual_seed``).
    """
    if not isinstance(p, (int, float)) or not 0.0 <= p <= 1.0:
        raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")
    if not training or p == 0:
        return input
    gen = generator or default_generator(input.device)
    if gen.device != input.device:
        raise RuntimeError(f"dropout: generator is on {gen.device} but input is on {input.device}")
    return DropoutMask.apply(input, p=float(p), generator=gen)


def _check_param(t, shape, name, op):
    if t is not None and tuple(t.shape) != shape:
        raise ValueError(f"{op}: {name} should have shape {shape}, got {tuple(t.shape)}")


def batch_norm(input, running_mean, running_var, weight=None, bias=None, training=False, momentum=0.1, eps=1e-5):
    """Normalise each channel (dim 1) over the batch and the other dims.

    Training: batch mean and biased variance normalise; ``running_mean``/``running_var``
    (when given) move towards the batch mean and the *unbiased* variance by `momentum`.
    Eval: the running estimates normalise. One fused node (see ``ops/normalization.py``).
    """
    _check_tensor(input, "input", "batch_norm")
    if input.ndim < 2:
        raise ValueError(f"batch_norm: expected an input with at least 2 dims (N, C, ...), got shape {tuple(input.shape)}")
    c = input.shape[1]
    for t, name in ((running_mean, "running_mean"), (running_var, "running_var"), (weight, "weight"), (bias, "bias")):
        _check_param(t, (c,), name, "batch_norm")
        if t is not None and t.device != input.device:
            raise RuntimeError(f"batch_norm: {name} is on {t.device} but input is on {input.device}")
    axes = (0,) + tuple(range(2, input.ndim))
    param_shape = (1, c) + (1,) * (input.ndim - 2)
    common = dict(axes=axes, reduce_axes=axes, param_shape=param_shape, eps=eps)
    if training:
        if input.array.size // max(c, 1) <= 1:
            raise ValueError(
                f"Expected more than 1 value per channel when training, got input size {tuple(input.shape)}"
            )
        running = None
        if running_mean is not None and running_var is not None:
            running = (running_mean.array, running_var.array, momentum)
            running_mean._bump_version()
            running_var._bump_version()
        return Normalize.apply(input, weight, bias, running=running, **common)
    if running_mean is None or running_var is None:
        raise ValueError("batch_norm: running_mean and running_var must be given when training=False")
    return Normalize.apply(input, weight, bias, mean=running_mean.array, var=running_var.array, **common)


def layer_norm(input, normalized_shape, weight=None, bias=None, eps=1e-5):
    """Normalise over the last ``len(normalized_shape)`` dims of each sample."""
    _check_tensor(input, "input", "layer_norm")
    shape = (normalized_shape,) if isinstance(normalized_shape, int) else tuple(normalized_shape)
    k = len(shape)
    if k == 0 or tuple(input.shape[input.ndim - k:]) != shape or input.ndim < k:
        raise ValueError(
            f"layer_norm: given normalized_shape={list(shape)}, expected input with shape [*, "
            f"{', '.join(map(str, shape))}], but got input of size {tuple(input.shape)}"
        )
    _check_param(weight, shape, "weight", "layer_norm")
    _check_param(bias, shape, "bias", "layer_norm")
    axes = tuple(range(input.ndim - k, input.ndim))
    return Normalize.apply(
        input, weight, bias, axes=axes, reduce_axes=tuple(range(input.ndim - k)), param_shape=shape, eps=eps
    )


# ---------------------------------------------------------------------------- regression losses
def mse_loss(input, target, reduction="mean", weight=None):
    """Mean squared error (x - y)^2, optionally weighted per element (mean = sum(w l) / sum(w))."""
    _check_reduction(reduction, "mse_loss")
    target = _float_target(input, target, "mse_loss")
    _warn_broadcast(input, target, "mse_loss")
    d = input - target
    if weight is not None:
        return _elementwise_weight(d * d, input, weight, reduction, "mse_loss", mean_over_weight=True)
    return _reduce(d * d, reduction)


def l1_loss(input, target, reduction="mean", weight=None):
    """Mean absolute error |x - y|, optionally weighted per element (mean = sum(w l) / sum(w))."""
    _check_reduction(reduction, "l1_loss")
    target = _float_target(input, target, "l1_loss")
    _warn_broadcast(input, target, "l1_loss")
    loss = (input - target).abs()
    if weight is not None:
        return _elementwise_weight(loss, input, weight, reduction, "l1_loss", mean_over_weight=True)
    return _reduce(loss, reduction)


def huber_loss(input, target, reduction="mean", delta=1.0, weight=None):
    """0.5 d^2 where |d| < delta, else delta (|d| - 0.5 delta); optionally weighted per
    element (torch then still takes a plain mean)."""
    _check_reduction(reduction, "huber_loss")
    if delta <= 0:
        raise ValueError(f"huber_loss: delta must be positive, got {delta}")
    target = _float_target(input, target, "huber_loss")
    _warn_broadcast(input, target, "huber_loss")
    d = input - target
    ad = d.abs()
    loss = ops.where(ad < delta, 0.5 * d * d, delta * (ad - 0.5 * delta))
    if weight is not None:
        return _elementwise_weight(loss, input, weight, reduction, "huber_loss", mean_over_weight=False)
    return _reduce(loss, reduction)


def smooth_l1_loss(input, target, reduction="mean", beta=1.0):
    """0.5 d^2 / beta where |d| < beta, else |d| - 0.5 beta (L1 when beta == 0)."""
    _check_reduction(reduction, "smooth_l1_loss")
    if beta < 0:
        raise ValueError(f"smooth_l1_loss: beta must be non-negative, got {beta}")
    if beta == 0:
        return l1_loss(input, target, reduction)
    target = _float_target(input, target, "smooth_l1_loss")
    _warn_broadcast(input, target, "smooth_l1_loss")
    d = input - target
    ad = d.abs()
    return _reduce(ops.where(ad < beta, (0.5 / beta) * d * d, ad - 0.5 * beta), reduction)


# ---------------------------------------------------------------------------- binary losses
def _same_shape(input, target, op):
    if tuple(target.shape) != tuple(input.shape):
        raise ValueError(f"{op}: target size {tuple(target.shape)} must be the same as input size {tuple(input.shape)}")


def binary_cross_entropy(input, target, weight=None, reduction="mean"):
    """-w (y log x + (1 - y) log(1 - x)) for probabilities x; logs are clamped at -100."""
    _check_reduction(reduction, "binary_cross_entropy")
    target = _float_target(input, target, "binary_cross_entropy")
    _same_shape(input, target, "binary_cross_entropy")
    x = input.array
    if input.numel() and bool(((x < 0) | (x > 1)).any()):
        raise RuntimeError("binary_cross_entropy: all elements of input should be between 0 and 1")
    w = _constant(weight, input, "weight", "binary_cross_entropy")
    return _reduce(BinaryCrossEntropy.apply(input, target, w), reduction)


def binary_cross_entropy_with_logits(input, target, weight=None, reduction="mean", pos_weight=None):
    """Sigmoid + binary cross-entropy in one stable expression.

    `pos_weight` multiplies the positive term (broadcast over the last dim, one per class).
    """
    _check_reduction(reduction, "binary_cross_entropy_with_logits")
    target = _float_target(input, target, "binary_cross_entropy_with_logits")
    _same_shape(input, target, "binary_cross_entropy_with_logits")
    w = _constant(weight, input, "weight", "binary_cross_entropy_with_logits")
    pw = _constant(pos_weight, input, "pos_weight", "binary_cross_entropy_with_logits")
    return _reduce(BinaryCrossEntropyWithLogits.apply(input, target, w, pw), reduction)


# ---------------------------------------------------------------------------- classification
def _class_last(input, op):
    """(N, C, d1, ...) -> (N*d1*..., C), and the shape of one loss per position."""
    if input.ndim == 0:
        raise ValueError(f"{op}: input must have at least 1 dim (C,) or (N, C, ...), got a 0-d tensor")
    if input.ndim == 1:
        return input.reshape(1, -1), ()
    if input.ndim == 2:
        return input, (input.shape[0],)
    perm = (0,) + tuple(range(2, input.ndim)) + (1,)
    rest = (input.shape[0],) + tuple(input.shape[2:])
    return input.permute(perm).reshape(-1, input.shape[1]), rest


def _check_class_input(input, op):
    if not isinstance(input, Tensor):
        raise TypeError(f"{op}: input must be a Tensor, got {type(input).__name__}")
    if input.ndim == 0:
        raise ValueError(f"{op}: input must have at least 1 dim (C,) or (N, C, ...), got a 0-d tensor")


def _class_nll(input, target, weight, ignore_index, reduction, label_smoothing, from_logits, op):
    _check_reduction(reduction, op)
    _check_class_input(input, op)
    target = _as_target(input, target, op)
    if target.dtype.kind not in "iu":
        raise TypeError(f"{op}: expected class-index targets of an integer dtype (int64), got {target.dtype}")
    c = input.shape[0] if input.ndim == 1 else input.shape[1]
    expected = () if input.ndim == 1 else (input.shape[0],) + tuple(input.shape[2:])
    if tuple(target.shape) != expected:
        raise ValueError(f"{op}: expected target of shape {expected} for input of shape {tuple(input.shape)}, got {tuple(target.shape)}")
    w = _constant(weight, input, "weight", op)
    if w is not None and w.shape != (c,):
        raise ValueError(f"{op}: weight should have shape ({c},), one per class, got {tuple(w.shape)}")
    t = target.array.reshape(-1)
    x2, out_shape = _class_last(input, op)
    loss = ClassNLL.apply(
        x2, target=t, weight=w, ignore_index=ignore_index, reduction=reduction,
        label_smoothing=float(label_smoothing), from_logits=from_logits,
    )
    return loss.reshape(out_shape) if reduction == "none" else loss


def nll_loss(input, target, weight=None, ignore_index=-100, reduction="mean"):
    """Negative log-likelihood of class indices given log-probabilities (N, C, ...).

    A weighted mean divides by the summed weights of the non-ignored targets.
    """
    return _class_nll(input, target, weight, ignore_index, reduction, 0.0, False, "nll_loss")


def cross_entropy(input, target, weight=None, ignore_index=-100, reduction="mean", label_smoothing=0.0):
    """Cross-entropy of logits (N, C, ...) against class indices or class probabilities.

    Class indices go through one fused node (log-softmax + gather + weights + smoothing);
    probability targets (a float tensor of the input's shape) through log_softmax.
    """
    if not 0.0 <= label_smoothing <= 1.0:
        raise ValueError(f"cross_entropy: label_smoothing must be in [0, 1], got {label_smoothing}")
    if isinstance(target, Tensor) and target.dtype.kind == "f":
        return _cross_entropy_probs(input, target, weight, reduction, label_smoothing)
    return _class_nll(input, target, weight, ignore_index, reduction, label_smoothing, True, "cross_entropy")


def _cross_entropy_probs(input, target, weight, reduction, label_smoothing):
    op = "cross_entropy"
    _check_reduction(reduction, op)
    _check_class_input(input, op)
    target = _float_target(input, target, op)
    if tuple(target.shape) != tuple(input.shape):
        raise ValueError(
            f"{op}: probability targets must have the input's shape {tuple(input.shape)}, got {tuple(target.shape)}"
        )
    class_dim = 0 if input.ndim == 1 else 1
    c = input.shape[class_dim]
    if label_smoothing > 0:
        target = target * (1 - label_smoothing) + label_smoothing / c
    prod = _log_softmax(input, class_dim) * target
    w = _constant(weight, input, "weight", op)
    if w is not None:
        if w.shape != (c,):
            raise ValueError(f"{op}: weight should have shape ({c},), one per class, got {tuple(w.shape)}")
        prod = prod * Tensor._make(w.reshape((c,) + (1,) * (input.ndim - class_dim - 1)), False, None)
    if reduction == "none":
        return -prod.sum(class_dim)
    total = -prod.sum()
    return total if reduction == "sum" else total / (input.numel() // max(c, 1))


# ---------------------------------------------------------------------------- penalties
def _add_all(terms):
    total = terms[0]
    for t in terms[1:]:
        total = total + t
    return total


def l1_penalty(params):
    """sum_i |w_i| over all `params` (tensors, or a Module's parameters).

    Add ``lam * F.l1_penalty(model)`` to the loss for L1 (lasso) regularisation, which
    pushes weights to exactly zero; its gradient is ``lam * sign(w)``.
    """
    return _add_all([p.abs().sum() for p in _param_list(params, "l1_penalty")])


def l2_penalty(params):
    """0.5 * sum_i w_i^2 over all `params` (tensors, or a Module's parameters).

    With the 1/2, adding ``lam * F.l2_penalty(model)`` to the loss adds ``lam * w`` to
    each gradient: exactly what ``SGD(weight_decay=lam)`` does (and Adam's coupled
    ``weight_decay``). It is *not* AdamW's decoupled decay, which shrinks the weights
    outside the adaptive scaling; with adaptive optimizers prefer AdamW's
    ``weight_decay`` to this penalty.
    """
    return 0.5 * _add_all([(p * p).sum() for p in _param_list(params, "l2_penalty")])


__all__ = [
    "linear", "relu", "sigmoid", "tanh", "leaky_relu", "elu", "gelu", "softplus", "softmax", "log_softmax",
    "dropout", "batch_norm", "layer_norm", "mse_loss", "l1_loss", "huber_loss", "smooth_l1_loss",
    "binary_cross_entropy", "binary_cross_entropy_with_logits", "nll_loss", "cross_entropy",
    "l1_penalty", "l2_penalty", "one_hot", "embedding",
]


def one_hot(tensor, num_classes=-1):
    """int64 one-hot rows: ``out[..., c] = 1`` where ``tensor == c`` (as torch).

    `num_classes` = -1 uses ``tensor.max() + 1``. `tensor` must hold int64 class indices
    in ``[0, num_classes)``.
    """
    if not isinstance(tensor, Tensor) or tensor.array.dtype != backend.int64:
        got = tensor.dtype if isinstance(tensor, Tensor) else type(tensor).__name__
        raise TypeError(f"one_hot: expects an int64 tensor of class indices, got {got}")
    x = tensor.array
    xp = tensor.xp
    if num_classes == -1:
        if x.size == 0:
            raise RuntimeError("one_hot: cannot infer the number of classes from an empty tensor; pass num_classes")
        num_classes = int(x.max()) + 1
    if x.size and (int(x.min()) < 0 or int(x.max()) >= num_classes):
        raise RuntimeError(
            f"one_hot: class values must be in [0, num_classes={num_classes}), got values in "
            f"[{int(x.min())}, {int(x.max())}]"
        )
    out = (x[..., None] == xp.arange(num_classes)).astype(backend.int64)
    return Tensor._make(out, False, None)


# ---------------------------------------------------------------------------- embedding
def _embedding_renorm_(weight, index, max_norm, norm_type):
    """Scale, in place, the rows `index` refers to whose `norm_type`-norm exceeds
    `max_norm` down to max_norm (torch.embedding_renorm_, 1e-7 included)."""
    xp = weight.xp
    rows = xp.unique(index.reshape(-1))
    w = weight.array
    norms = (xp.abs(w[rows]) ** norm_type).sum(axis=1) ** (1.0 / norm_type)
    scale = xp.where(norms > max_norm, max_norm / (norms + 1e-7), 1.0).astype(w.dtype)
    w[rows] *= scale[:, None]
    weight._bump_version()


def embedding(input, weight, padding_idx=None, max_norm=None, norm_type=2.0, scale_grad_by_freq=False, sparse=False):
    """Rows of `weight` (num_embeddings, dim) picked by the integer tensor `input`:
    output shape ``input.shape + (dim,)``. The `padding_idx` row gets no gradient; with
    `max_norm`, referenced rows are renormalised in place first (as PyTorch)."""
    _check_tensor(weight, "weight", "embedding")
    if not isinstance(input, Tensor):
        input = Tensor(input, device=weight.device)
    if input.dtype.kind not in "iu":
        raise TypeError(f"embedding: input must be an integer tensor of indices, got dtype {input.dtype}")
    if weight.ndim != 2:
        raise ValueError(f"embedding: weight must be 2-D (num_embeddings, embedding_dim), got shape {tuple(weight.shape)}")
    if sparse:
        raise ValueError("embedding: sparse gradients are not supported; use sparse=False")
    if input.device != weight.device:
        raise RuntimeError(f"embedding: input is on {input.device} but weight is on {weight.device}")
    num = weight.shape[0]
    if padding_idx is not None:
        if not -num <= padding_idx < num:
            raise ValueError(f"embedding: padding_idx {padding_idx} must be within num_embeddings ({num})")
        padding_idx = padding_idx % num
    idx = input.array
    if idx.size and bool(((idx < 0) | (idx >= num)).any()):  # one check, one device sync
        raise IndexError(f"embedding: index out of range: indices must be in [0, {num}), got min {int(idx.min())}, max {int(idx.max())}")
    if max_norm is not None:
        _embedding_renorm_(weight, idx, max_norm, norm_type)
    return EmbeddingLookup.apply(weight, input, padding_idx=padding_idx, scale_grad_by_freq=scale_grad_by_freq)
