"""PyTorch's ``torch.backends`` probes: what the installed libraries and hardware offer.

- `mkl`: Intel MKL for CPU products and the fused optimizer updates (the ``mkl`` extra);
- `cuda`: whether a CUDA GPU is usable (through CuPy);
- `mps`: Apple's Metal backend (never available: minigrad has no MPS backend);
- `memory`: glibc's allocator thresholds, set at import so a step's large arrays are reused.
"""
from . import cuda, memory, mkl, mps

__all__ = ["cuda", "memory", "mkl", "mps"]
