"""``mg.utils``: bridges to other frameworks.

    torch_model = mg.utils.to_torch(model)      # same weights, buffers and train/eval mode
    model = mg.utils.from_torch(torch_model)    # and back
"""
from .torch_bridge import from_torch, to_torch

__all__ = ["from_torch", "to_torch"]
