"""``mg.backends.cuda``: whether minigrad can run on a CUDA GPU (CuPy installed, a GPU seen)."""


def is_available() -> bool:
    """True where cupy imports and sees a GPU (False, never an exception, otherwise)."""
    from .. import backend  # backend imports this package (for mkl): look it up at call time

    return backend.cuda_is_available()
