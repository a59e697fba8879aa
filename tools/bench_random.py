"""Benchmark: torch-identical CPU random draws, minigrad against torch (medians of
interleaved rounds, one torch thread). Run ``python tools/bench_random.py``.

The bar (issue 18): 10 million float32 normals in at most 2x torch's time. Up to 2^20
normals per call minigrad replays torch's AVX2 log and sincos exactly; beyond, it keeps
the exact log and takes NumPy's float32 sin/cos (within 2 float32 ulp of torch's).
"""
from __future__ import annotations

import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from a checkout without installing

import minigrad as mg


def interleaved_ms(ours, theirs, rounds=9):
    """Median milliseconds of `ours` and `theirs`, alternating so load hits both alike."""
    a, b = [], []
    for _ in range(rounds):
        start = time.perf_counter()
        theirs()
        b.append(time.perf_counter() - start)
        start = time.perf_counter()
        ours()
        a.append(time.perf_counter() - start)
    return np.median(a) * 1e3, np.median(b) * 1e3


def report():
    import torch

    torch.set_num_threads(1)
    g, tg = mg.Generator().manual_seed(0), torch.Generator().manual_seed(0)
    cases = [(f"randn({n:,}) float32", lambda n=n: mg.randn(n, generator=g), lambda n=n: torch.randn(n, generator=tg))
             for n in (10_000_000, 1_000_000, 60_000)]
    cases += [("rand(10,000,000) float32", lambda: mg.rand(10_000_000, generator=g),
               lambda: torch.rand(10_000_000, generator=tg)),
              ("randperm(60,000)", lambda: mg.randperm(60_000, generator=g), lambda: torch.randperm(60_000, generator=tg))]
    for name, ours, theirs in cases:
        m, t = interleaved_ms(ours, theirs)
        print(f"{name:28s} minigrad {m:8.2f} ms   torch {t:8.2f} ms   {m / t:5.2f}x")


if __name__ == "__main__":
    report()
