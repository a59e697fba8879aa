"""PyTorch's CPU random engine, reproduced on NumPy's MT19937 (host code).

torch's CPU generator (``at::CPUGeneratorImpl``) is a 32-bit Mersenne Twister seeded
exactly like ``std::mt19937`` with the low 32 bits of the 64-bit seed
(``aten/src/ATen/core/MT19937RNGEngine.h``); ``random()`` is one engine output and
``random64()`` is two, the first in the high half. NumPy's ``MT19937`` runs the same
recurrence, so we only seed it the way torch does and read raw 32-bit words from it,
in bulk. Besides the engine, torch keeps one cached Box-Muller sample per precision
(``next_double_normal_sample``); it is part of the state here too.
"""
from __future__ import annotations

import numpy as np

# torch's default seed (c10::detail::default_rng_seed_val): what an unseeded
# torch.Generator() and the process-wide default generator start from.
DEFAULT_SEED = 67280421310721

_N = 624  # MERSENNE_STATE_N
# torch.Generator.get_state() is the raw bytes of CPUGeneratorImplState (5056 bytes):
# seed u64, left i32, seeded i32, next u64, state u64[624], normal_x/y/rho f64,
# normal_is_valid i32 (+4 padding), next_float_normal_sample f32, its valid flag, padding.
_STATE_DTYPE = np.dtype([
    ("seed", "<u8"), ("left", "<i4"), ("seeded", "<i4"), ("next", "<u8"), ("state", "<u8", (_N,)),
    ("normal_x", "<f8"), ("normal_y", "<f8"), ("normal_rho", "<f8"), ("normal_is_valid", "<i4"),
    ("pad0", "<i4"), ("next_float", "<f4"), ("next_float_valid", "u1"), ("pad1", "u1", (3,)),
])
STATE_SIZE = _STATE_DTYPE.itemsize  # 5056, torch's ByteTensor length


def _seed_key(seed):
    """std::mt19937's init_genrand: the 624 state words from a 32-bit seed."""
    key = [seed & 0xFFFFFFFF]
    for j in range(1, _N):  # 624 fixed steps, a sequential recurrence
        prev = key[-1]
        key.append((1812433253 * (prev ^ (prev >> 30)) + j) & 0xFFFFFFFF)
    return np.array(key, dtype=np.uint32)


class MT19937Stream:
    """One torch-compatible CPU random stream: the engine plus the cached normal samples."""

    def __init__(self, seed=DEFAULT_SEED):
        self.bits = np.random.MT19937()
        self._words = np.random.Generator(self.bits)
        self.manual_seed(seed)

    def manual_seed(self, seed):
        """Seed as ``torch.Generator.manual_seed``: the engine and the normal caches reset."""
        self.initial_seed = int(seed) & 0xFFFFFFFFFFFFFFFF
        self.bits.state = {"bit_generator": "MT19937", "state": {"key": _seed_key(self.initial_seed), "pos": _N}}
        self.next_double_normal = None
        self.next_float_normal = None

    def random(self, n):
        """`n` engine outputs (torch's ``random()``), as uint32."""
        # Generator.integers over the full uint32 range returns raw engine words, in order.
        return self._words.integers(0, 1 << 32, size=n, dtype=np.uint32)

    def random64(self, n):
        """`n` of torch's ``random64()``: two engine outputs, the first in the high half."""
        # NumPy's MT19937 makes a uint64 from two outputs the same way, the first one high.
        return self._words.integers(0, 1 << 64, size=n, dtype=np.uint64)

    # -- state --
    def get_state(self):
        """The state as torch's ByteTensor layout (a uint8 array of STATE_SIZE bytes)."""
        s = self.bits.state["state"]
        pos = int(s["pos"])
        rec = np.zeros((), dtype=_STATE_DTYPE)
        rec["seed"] = self.initial_seed
        rec["left"] = _N + 1 - pos  # torch decrements `left` before each draw; NumPy counts `pos` up
        rec["seeded"] = 1
        rec["next"] = pos if pos < _N else 0
        rec["state"] = s["key"].astype(np.uint64)
        if self.next_double_normal is not None:
            rec["normal_is_valid"] = 1
            rec["normal_y"] = self.next_double_normal
        if self.next_float_normal is not None:
            rec["next_float_valid"] = 1
            rec["next_float"] = self.next_float_normal
        return np.frombuffer(rec.tobytes(), dtype=np.uint8).copy()

    def set_state(self, state):
        """Restore a state from `get_state` (or from ``torch.Generator.get_state()``)."""
        raw = np.ascontiguousarray(state, dtype=np.uint8).ravel()
        if raw.size != STATE_SIZE:
            raise RuntimeError(f"set_state: expected a state of {STATE_SIZE} bytes, got {raw.size}")
        rec = np.frombuffer(raw.tobytes(), dtype=_STATE_DTYPE)[0]
        left = int(rec["left"])
        if not (rec["seeded"] and 0 < left <= _N):
            raise RuntimeError("set_state: the state is not a valid CPU generator state")
        self.initial_seed = int(rec["seed"])
        key = rec["state"].astype(np.uint32)
        self.bits.state = {"bit_generator": "MT19937", "state": {"key": key, "pos": _N + 1 - left}}
        self.next_double_normal = float(rec["normal_y"]) if rec["normal_is_valid"] else None
        self.next_float_normal = float(rec["next_float"]) if rec["next_float_valid"] else None
