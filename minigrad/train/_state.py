"""Deep copies of model and optimizer state, for EarlyStopping and lr_find to restore.

``state_dict()`` returns references to the live arrays (as in PyTorch), which the next
optimizer step overwrites in place, so keeping the best weights needs real copies.
"""
from ..tensor import Tensor


def snapshot(obj):
    """A copy of a (nested) state dict whose tensors and arrays share no memory with `obj`."""
    if isinstance(obj, Tensor):
        return Tensor._make(obj.array.copy(), False, None)
    if hasattr(obj, "__array_interface__") or hasattr(obj, "__cuda_array_interface__"):
        return obj.copy()
    if isinstance(obj, dict):
        return {k: snapshot(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return type(obj)(snapshot(v) for v in obj)
    return obj
