"""Benchmark: one shuffled epoch through DataLoader vs a hand-written NumPy loop.

The goal (issue 16, tightening issue 5's 1.5x): an epoch over 60,000 x 784 float32 at
batch 128 with shuffling costs at most 1.1x a NumPy permutation-and-index loop. Run ``python tools/bench_data.py``.
"""
from __future__ import annotations

import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from a checkout without installing

import minigrad as mg
from minigrad.data import DataLoader, TensorDataset


def _best_of(fn, repeats):
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - start)
    return best


def run_epoch_bench(n=60_000, features=784, batch_size=128, repeats=5, seed=0):
    """Time one epoch both ways (best of `repeats`); returns a dict with seconds and the ratio."""
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, features), dtype=np.float32)
    y = rng.integers(0, 10, size=n)

    def numpy_epoch():
        perm = rng.permutation(n)
        for start in range(0, n, batch_size):
            idx = perm[start:start + batch_size]
            xb, yb = X[idx], y[idx]
        return xb, yb

    loader = DataLoader(TensorDataset(X, y), batch_size=batch_size, shuffle=True,
                        generator=mg.Generator().manual_seed(seed))

    def loader_epoch():
        for xb, yb in loader:
            pass
        return xb, yb

    numpy_epoch(), loader_epoch()  # warm up caches and page in X
    t_numpy = _best_of(numpy_epoch, repeats)
    t_loader = _best_of(loader_epoch, repeats)
    return {"numpy_s": t_numpy, "loader_s": t_loader, "ratio": t_loader / t_numpy,
            "batches": len(loader), "batch_size": batch_size, "shape": (n, features)}


def report():
    """Print one shuffled epoch's time: DataLoader against a hand-written NumPy loop."""
    r = run_epoch_bench()
    print(f"epoch over {r['shape'][0]}x{r['shape'][1]} float32, batch {r['batch_size']} ({r['batches']} batches), shuffled")
    print(f"  NumPy permutation + index loop: {r['numpy_s'] * 1e3:8.1f} ms")
    print(f"  minigrad DataLoader:            {r['loader_s'] * 1e3:8.1f} ms")
    print(f"  ratio: {r['ratio']:.2f}x  (goal: <= 1.1x)")


if __name__ == "__main__":
    report()
