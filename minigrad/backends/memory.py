"""How the C library's allocator keeps freed memory for the next training step (glibc).

A training step allocates and frees the same large arrays every time: activations,
gradients, a recurrence's whole-sequence buffers, megabytes each. glibc hands such blocks
back to the kernel when they are freed (``munmap`` above its mmap threshold, trimming the
heap's top above its trim threshold), so every step the kernel maps fresh zeroed pages
again, one page fault per 4 KiB. On a virtual machine that is ~2 us a fault: an LSTM step
(sequence 50, batch 32, hidden 128) took ~4,000 faults and ~8 ms of its ~17, an MLP at
batch 1024 ~2,000. PyTorch's tutorials on CPU performance answer this with another
allocator (jemalloc, tcmalloc) preloaded; minigrad sets glibc's own two thresholds once,
at import, to the values glibc's dynamic heuristic itself moves to after a 32 MiB block
has been freed (mmap threshold 32 MiB, trim threshold 64 MiB): arrays up to 32 MiB come
from the heap, and up to 64 MiB of free heap top is kept for reuse instead of returned.

It is process-wide, so it is skipped where the user tuned malloc (any ``MALLOC_*``
variable or ``glibc.malloc`` tunable set) or asked not to (``MINIGRAD_MALLOC_TUNING=0``),
and off glibc (macOS, Windows, musl).
"""
from __future__ import annotations

import ctypes
import os
import sys

# mallopt parameter numbers from glibc's <malloc.h>
_M_TRIM_THRESHOLD, _M_MMAP_THRESHOLD = -1, -3
MMAP_THRESHOLD = 32 << 20
TRIM_THRESHOLD = 64 << 20

_tuned = False


def _user_tuned() -> bool:
    """Whether the allocator was configured by hand: a MALLOC_* variable or a glibc.malloc tunable."""
    return any(k.startswith("MALLOC_") for k in os.environ) or "glibc.malloc" in os.environ.get("GLIBC_TUNABLES", "")


def tune() -> bool:
    """Set glibc's mmap and trim thresholds (see the module docstring); whether they are set.

    Idempotent; does nothing off glibc, under ``MINIGRAD_MALLOC_TUNING=0`` or where a
    ``MALLOC_*`` variable or ``GLIBC_TUNABLES`` shows the allocator was tuned by hand.
    """
    global _tuned
    if _tuned:
        return True
    if (not sys.platform.startswith("linux") or os.environ.get("MINIGRAD_MALLOC_TUNING", "1") == "0"
            or _user_tuned()):
        return False
    try:
        libc = ctypes.CDLL(None)
        libc.gnu_get_libc_version  # only glibc has it (musl does not)
        mallopt = libc.mallopt
    except (OSError, AttributeError):
        return False
    mallopt.argtypes, mallopt.restype = (ctypes.c_int, ctypes.c_int), ctypes.c_int
    _tuned = bool(mallopt(_M_MMAP_THRESHOLD, MMAP_THRESHOLD)) and bool(mallopt(_M_TRIM_THRESHOLD, TRIM_THRESHOLD))
    return _tuned


def is_tuned() -> bool:
    """Whether `tune` set glibc's thresholds in this process."""
    return _tuned
