"""Time ``opt.step()`` alone for the bench-A MLP (784-512-512-10) and for one large layer
against torch.optim, and a full Adam training step of that MLP at batch 128 (issue 16's
goal: at most 1.0x).

Each step updates the six parameter tensors of the MLP (669,706 float32 values) from
fixed random gradients; the figure is the median over many steps, after warm-up.
Usage: ``python tools/bench_optim.py [--device cpu|cuda] [--repeats 200]``.
"""
import argparse
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from a checkout without installing
sys.path.insert(0, str(Path(__file__).resolve().parent))

import minigrad as mg  # noqa: E402
from minigrad import optim  # noqa: E402

SHAPES = [(512, 784), (512,), (512, 512), (512,), (10, 512), (10,)]
# a layer large enough for the two-lane updates of the lean install (4.2M values)
LARGE = [(2048, 2048), (2048,)]
CASES = {
    "Adam": (optim.Adam, "Adam", dict(lr=1e-3)),
    "SGD-momentum": (optim.SGD, "SGD", dict(lr=1e-2, momentum=0.9)),
}


def _median_step_seconds(opt, repeats, sync):
    """Median seconds per ``opt.step()`` after a warm-up (state allocation, caches)."""
    for _ in range(10):
        opt.step()
    sync()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        opt.step()
        sync()
        times.append(time.perf_counter() - start)
    return float(np.median(times))


def _params(make_tensor, device, shapes=SHAPES):
    """Parameters of `shapes` (the MLP's) with random gradients, built by `make_tensor`
    (mg or torch)."""
    rng = np.random.default_rng(0)
    params = []
    for shape in shapes:
        p = make_tensor(rng.standard_normal(shape).astype(np.float32), device=device, requires_grad=True)
        p.grad = make_tensor(rng.standard_normal(shape).astype(np.float32), device=device)
        params.append(p)
    return params


def run_step_bench(device="cpu", repeats=200, rounds=3, shapes=SHAPES):
    """Seconds per ``opt.step()`` for minigrad and torch.optim (best of `rounds` medians of
    `repeats` steps each), and their ratio.

    torch is timed with its default thread count and, on the CPU, also single-threaded,
    the fair match for NumPy's single-threaded kernels. Returns ``{case: {"minigrad_s",
    "torch_s", "ratio", "torch_1thread_s", "ratio_1thread"}}`` (torch entries None
    without torch).
    """
    try:
        import torch
    except ImportError:
        torch = None
    cpu = device == "cpu"
    sync = (lambda: None) if cpu else (lambda: mg.backend.xp_for_device(device).cuda.Device().synchronize())
    results = {}
    for name, (mg_cls, torch_name, kwargs) in CASES.items():
        mg_opt = mg_cls(_params(mg.tensor, device, shapes), **kwargs)
        torch_opt = tsync = None
        if torch is not None:
            torch_opt = getattr(torch.optim, torch_name)(_params(torch.tensor, "cpu" if cpu else "cuda", shapes), **kwargs)
            tsync = (lambda: None) if cpu else torch.cuda.synchronize
        # Alternate whole phases (not single steps: torch's idle OpenMP threads spin for a
        # while after each op and would slow whichever code runs next) and keep the best
        # phase median of each, which filters out bursts of load from other processes.
        mine, theirs, theirs_1 = [], [], []
        for _ in range(rounds):
            mine.append(_median_step_seconds(mg_opt, repeats, sync))
            if torch_opt is not None:
                time.sleep(0.3)
                theirs.append(_median_step_seconds(torch_opt, repeats, tsync))
                if cpu:
                    threads = torch.get_num_threads()
                    torch.set_num_threads(1)
                    theirs_1.append(_median_step_seconds(torch_opt, repeats, tsync))
                    torch.set_num_threads(threads)
                time.sleep(0.3)
        mine = min(mine)
        row = dict(minigrad_s=mine, torch_s=None, ratio=None, torch_1thread_s=None, ratio_1thread=None)
        if theirs:
            row.update(torch_s=min(theirs), ratio=mine / min(theirs))
        if theirs_1:
            row.update(torch_1thread_s=min(theirs_1), ratio_1thread=mine / min(theirs_1))
        results[name] = row
    return results


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--repeats", type=int, default=200)
    args = parser.parse_args()
    report(args.device, args.repeats)


def run_adam_train_bench(device="cpu", batch=128, repeat=200):
    """ms per full Adam training step (forward, backward, step) of the bench-A MLP, minigrad
    and torch interleaved in rounds (`bench.interleaved`); returns (minigrad_ms, torch_ms)."""
    import bench

    sizes = (784, 512, 512, 10)
    t_step = None
    if bench.torch is not None and device == "cpu":
        t_step = bench.mlp_step(bench.torch, sizes, "relu", "cpu", batch, "ce", optimizer="adam")
    mg_step = bench.mlp_step(mg, sizes, "relu", device, batch, "ce", optimizer="adam")
    ms, tms = bench.interleaved(mg_step, t_step, repeat, sync=bench._mg_sync(device))
    bench.row(f"A  MLP 784-512-512-10 Adam, batch {batch}", ms, tms)
    return ms, tms


def report(device="cpu", repeats=200):
    """Print opt.step() times for the bench A MLP's parameters and for one large layer,
    beside torch.optim's, and the full Adam training step."""
    run_adam_train_bench(device)
    for title, shapes, n in (("MLP 784-512-512-10 parameters", SHAPES, repeats),
                             ("one Linear(2048, 2048), 4.2M values", LARGE, max(repeats // 8, 5))):
        print(f"opt.step() alone, {title}:")
        for name, r in run_step_bench(device, n, shapes=shapes).items():
            line = f"{name:14s} minigrad {r['minigrad_s'] * 1e6:8.1f} us"
            if r["torch_s"] is not None:
                line += f"  torch {r['torch_s'] * 1e6:8.1f} us (ratio {r['ratio']:.2f}x)"
            if r["torch_1thread_s"] is not None:
                line += f"  torch 1 thread {r['torch_1thread_s'] * 1e6:8.1f} us (ratio {r['ratio_1thread']:.2f}x)"
            print(line)


if __name__ == "__main__":
    main()
