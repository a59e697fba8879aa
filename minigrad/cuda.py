"""``mg.cuda``: whether a GPU is usable (False, never an exception, when it is not)."""
from . import backend
from .generator import default_generator


def is_available() -> bool:
    """True where cupy imports and sees a GPU."""
    return backend.cuda_is_available()


def device_count() -> int:
    """How many GPUs cupy sees (0 without cupy)."""
    return backend.cuda_device_count()


def manual_seed(seed: int) -> None:
    """Seed the default generator of every GPU."""
    for i in range(device_count()):
        default_generator(f"cuda:{i}").manual_seed(seed)


def synchronize() -> None:
    """Wait for queued GPU work to finish (for timing); a no-op without a GPU."""
    if is_available():
        backend._load_cupy().cuda.Device().synchronize()
