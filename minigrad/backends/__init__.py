"""PyTorch's ``torch.backends`` probes: what the installed libraries and hardware offer.

- `mkl`: Intel MKL for CPU products and the fused optimizer updates (the ``mkl`` extra);
- `cuda`: whether a CUDA GPU is usable (through CuPy);
- `mps`: Apple's Metal backend (never available: minigrad has no MPS backend).
"""
from . import cuda, mkl, mps

__all__ = ["cuda", "mkl", "mps"]
