"""``to_torch`` / ``from_torch``: the same model in PyTorch, and back.

minigrad's layers carry PyTorch's class names, constructor arguments, attribute names and
state-dict keys, so a conversion is: build the other framework's class from the same
constructor arguments (read back from the attributes), copy each parameter and buffer
bit for bit, and copy the train/eval flag. ``_LAYERS`` is the whole mapping, one line per
layer type; containers (``Sequential``, ``ModuleList``) are converted child by child.
"""
from __future__ import annotations

import inspect
from collections import OrderedDict

# layer class name (the same in both frameworks) -> constructor arguments, read from the
# module's attributes of the same name. Arguments the source does not have keep the
# target's default. The recurrent layers and Embedding convert once minigrad.nn has them.
_LAYERS = {
    "Linear": ("in_features", "out_features", "bias"),
    "Identity": (),
    "Flatten": ("start_dim", "end_dim"),
    "Dropout": ("p", "inplace"),
    "BatchNorm1d": ("num_features", "eps", "momentum", "affine", "track_running_stats", "bias"),
    "LayerNorm": ("normalized_shape", "eps", "elementwise_affine", "bias"),
    "ReLU": ("inplace",),
    "Sigmoid": (),
    "Tanh": (),
    "LeakyReLU": ("negative_slope", "inplace"),
    "ELU": ("alpha", "inplace"),
    "GELU": ("approximate",),
    "Softplus": ("beta", "threshold"),
    "Softmax": ("dim",),
    "LogSoftmax": ("dim",),
    "Embedding": ("num_embeddings", "embedding_dim", "padding_idx", "max_norm", "norm_type",
                  "scale_grad_by_freq", "sparse"),
    "RNN": ("input_size", "hidden_size", "num_layers", "nonlinearity", "bias", "batch_first",
            "dropout", "bidirectional"),
    "LSTM": ("input_size", "hidden_size", "num_layers", "bias", "batch_first", "dropout",
             "bidirectional", "proj_size"),
    "GRU": ("input_size", "hidden_size", "num_layers", "bias", "batch_first", "dropout",
            "bidirectional"),
    "RNNCell": ("input_size", "hidden_size", "bias", "nonlinearity"),
    "LSTMCell": ("input_size", "hidden_size", "bias"),
    "GRUCell": ("input_size", "hidden_size", "bias"),
}
_CONTAINERS = ("Sequential", "ModuleList")
# the value at which an option the other framework lacks changes nothing, for classes whose
# signature does not say (torch's LSTM takes *args, **kwargs)
_NEUTRAL = {"proj_size": 0}


def to_torch(module):
    """The equivalent ``torch.nn.Module`` (on the CPU) with the same weights, buffers and mode.

    Handles ``Sequential``/``ModuleList`` of the layers in ``mg.nn`` (linear, activations,
    dropout, normalisation, flatten, identity, embedding and recurrent layers). A custom
    ``Module`` subclass has a ``forward`` that cannot be translated: convert its layers one
    by one. Move the result with ``.to("cuda")`` as usual.
    """
    torch = _import_torch("to_torch")
    from .. import nn

    return _convert(module, nn, torch.nn, lambda t: _tensor_to_torch(t, torch), "to_torch")


def from_torch(module, device=None):
    """The equivalent minigrad module with the same weights, buffers and mode, on `device`
    (default: the CPU). The inverse of :func:`to_torch`."""
    torch = _import_torch("from_torch")
    from .. import nn

    return _convert(module, torch.nn, nn, lambda t: _tensor_from_torch(t, device), "from_torch")


def _import_torch(fn):
    try:
        import torch
    except ImportError as e:  # pragma: no cover - exercised only without torch
        raise ImportError(f"mg.utils.{fn} needs PyTorch: pip install torch") from e
    return torch


def _tensor_to_torch(t, torch):
    # numpy() shares host memory; copy so the two models never alias each other's weights
    return torch.from_numpy(t.detach().numpy().copy())


def _tensor_from_torch(t, device):
    from ..factories import tensor

    return tensor(t.detach().cpu().numpy().copy(), device=device or "cpu")


def _supported():
    return ", ".join(sorted(_CONTAINERS + tuple(_LAYERS)))


def _convert(module, src_ns, dst_ns, convert_tensor, fn):
    name = type(module).__name__
    # exact class match: a subclass may override forward(), which cannot be carried over
    if getattr(src_ns, name, None) is not type(module) or (name not in _LAYERS and name not in _CONTAINERS):
        raise TypeError(f"{fn}: cannot convert a module of type {type(module).__module__}.{name}; "
                        f"supported types: {_supported()}")
    target_cls = getattr(dst_ns, name, None)
    if target_cls is None:
        raise TypeError(f"{fn}: {name} has no counterpart in {dst_ns.__name__} in this version")
    if name in _CONTAINERS:
        children = [(k, _convert(m, src_ns, dst_ns, convert_tensor, fn)) for k, m in module.named_children()]
        out = (target_cls(OrderedDict(children)) if name == "Sequential"
               else target_cls([m for _, m in children]))
    else:
        out = target_cls(**_constructor_args(module, _LAYERS[name], target_cls, fn))
        _copy_state(module, out, dst_ns.Parameter, convert_tensor, fn)
    out.train(module.training)
    return out


def _constructor_args(module, names, target_cls, fn):
    accepted = inspect.signature(target_cls).parameters
    takes_any = any(p.kind is inspect.Parameter.VAR_KEYWORD for p in accepted.values())  # torch's RNNs
    defaults = inspect.signature(type(module)).parameters
    args = {}
    for arg in names:
        if not hasattr(module, arg):
            continue
        value = getattr(module, arg)
        if arg == "bias" and not isinstance(value, bool):
            value = value is not None  # Linear/LayerNorm keep the bias tensor (or None) under this name
        if arg not in accepted and not takes_any:
            # an option the other side lacks (e.g. LSTM's proj_size) converts only at its default
            default = defaults[arg].default if arg in defaults else _NEUTRAL.get(arg, inspect.Parameter.empty)
            if value != default:
                raise TypeError(f"{fn}: {type(module).__name__}({arg}={value!r}) has no counterpart in "
                                f"{target_cls.__module__}.{target_cls.__name__}")
            continue
        args[arg] = value
    return args


def _copy_state(src, dst, param_cls, convert_tensor, fn):
    """Copy src's own parameters and buffers into dst (same names in both frameworks)."""
    src_state = {**dict(src.named_parameters(recurse=False)), **dict(src.named_buffers(recurse=False))}
    dst_params = dict(dst.named_parameters(recurse=False))
    dst_buffers = dict(dst.named_buffers(recurse=False))
    if set(src_state) != set(dst_params) | set(dst_buffers):
        raise RuntimeError(f"{fn}: {type(src).__name__} holds {sorted(src_state)} but the converted module "
                           f"holds {sorted(set(dst_params) | set(dst_buffers))}")
    for key, value in src_state.items():
        if value is None:
            continue
        new = convert_tensor(value)
        if key in dst_params:
            setattr(dst, key, param_cls(new, requires_grad=value.requires_grad))
        else:
            setattr(dst, key, new)
