"""``mg.backends.mps``: Apple's Metal Performance Shaders backend, which minigrad does not have."""


def is_available() -> bool:
    """Always False: minigrad runs on NumPy (CPU) or CuPy (CUDA), never on MPS."""
    return False


def is_built() -> bool:
    """Always False (PyTorch's probe of the same name: built with MPS support)."""
    return False
