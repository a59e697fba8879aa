"""minigrad benchmarks, side by side with PyTorch on the same device when it has it.

    python tools/bench.py            # every scenario
    python tools/bench.py A C        # some of them
    python tools/bench.py --device cuda

Scenarios (issue 2): A: MLP 784-512-512-10, ReLU, cross-entropy, SGD momentum at batch
32/128/1024 (128/1024/4096 on a GPU, against PyTorch CUDA); B: 20 x (Linear(256, 256) +
Sigmoid), MSE, batch 64; C: a chain of 200 tiny elementwise ops, forward + backward
(per-op overhead); T: MLP 16-16-1, batch 8 (a whole tiny training step's overhead);
R: LSTM(64, 128) over 50 steps, batch 32, forward + backward + Adam
(issue 17); `import`: the import time; `memory`: peak RSS of A at batch 1024. Area
benchmarks live in tools/bench_<area>.py and are run from here when present.

Timings are medians of many repetitions after warm-up; both frameworks run in the same
process, interleaved, so machine noise hits both alike. Speed is measured here, never
asserted in tests.
"""
from __future__ import annotations

import argparse
import importlib
import os
import statistics
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))
sys.path.insert(0, os.path.dirname(__file__))


def _threads_from_argv(argv):
    """`--threads N`, read before NumPy loads: its BLAS takes the thread count from the
    environment at load time only."""
    for i, arg in enumerate(argv):
        if arg.startswith("--threads"):
            value = arg.partition("=")[2] or (argv[i + 1] if i + 1 < len(argv) else "")
            return int(value) if value.isdigit() else None
    return None


THREADS = _threads_from_argv(sys.argv[1:]) if __name__ == "__main__" else None
if THREADS:
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[var] = str(THREADS)

import numpy as np  # noqa: E402

import minigrad as mg  # noqa: E402

try:
    import torch
except ImportError:  # the benchmark still runs, without the comparison column
    torch = None


def median_ms(fn, repeat, warmup=3, sync=None):
    """Median wall time of fn() in milliseconds."""
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        if sync:
            sync()
        times.append((time.perf_counter() - t0) * 1e3)
    return statistics.median(times)


# Seconds to wait between the two frameworks' rounds. After a parallel region, OpenMP
# worker threads spin for a while before they sleep (Intel's OpenMP, under MKL, for
# 200 ms; GNU's, under torch, for less): without a pause the other framework's next
# round would share the CPU with them and look slower than it is.
SETTLE_S = 0.3


def interleaved(mg_step, torch_step, repeat, rounds=5, sync=None, torch_sync=None):
    """Medians of both steps, measured in alternating rounds to share machine noise."""
    a, b = [], []
    for _ in range(rounds):
        a.append(median_ms(mg_step, max(repeat // rounds, 3), sync=sync))
        if torch_step is not None:
            time.sleep(SETTLE_S)
            b.append(median_ms(torch_step, max(repeat // rounds, 3), sync=torch_sync))
            time.sleep(SETTLE_S)
    return statistics.median(a), (statistics.median(b) if b else None)


def row(name, ms, torch_ms):
    ratio = f"{ms / torch_ms:6.2f}x" if torch_ms else "     -"
    tms = f"{torch_ms:9.3f}" if torch_ms else "        -"
    print(f"{name:<44s} {ms:9.3f} {tms} {ratio}", flush=True)
    return {"name": name, "minigrad_ms": ms, "torch_ms": torch_ms}


# ------------------------------------------------------------------ models
def _mg_sync(device):
    return mg.cuda.synchronize if device != "cpu" else None


def _torch_device(device):
    """The device torch is compared on: the same one, where torch can use it; else None."""
    if torch is None:
        return None
    if device == "cpu":
        return "cpu"
    return device if torch.cuda.is_available() else None


def _torch_sync(device):
    return torch.cuda.synchronize if device != "cpu" and torch is not None and torch.cuda.is_available() else None


def mlp_step(lib, sizes, act, device, batch, loss_kind, optimizer="sgd"):
    """A training step of an MLP built with `lib` (minigrad or torch: the same API).

    Linear layers with ReLU between them (or Sigmoid after each), SGD with momentum (or
    Adam, lr=1e-3, with ``optimizer="adam"``), cross-entropy ("ce") or MSE loss.
    """
    nn = lib.nn
    layers = []
    for i, (a, b) in enumerate(zip(sizes[:-1], sizes[1:])):
        layers.append(nn.Linear(a, b))
        if act == "relu" and i < len(sizes) - 2:
            layers.append(nn.ReLU())
        if act == "sigmoid":
            layers.append(nn.Sigmoid())
    model = nn.Sequential(*layers).to(device)
    if optimizer == "adam":
        opt = lib.optim.Adam(model.parameters(), lr=1e-3)
    else:
        opt = lib.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    x = lib.randn(batch, sizes[0], device=device)
    if loss_kind == "ce":
        y = lib.randint(0, sizes[-1], (batch,), device=device)
        loss_fn = nn.CrossEntropyLoss()
    else:
        y = lib.randn(batch, sizes[-1], device=device)
        loss_fn = nn.MSELoss()

    def step():
        opt.zero_grad()
        loss = loss_fn(model(x), y)
        loss.backward()
        opt.step()

    return step


def bench_a(device, quick):
    out = []
    tdev = _torch_device(device)
    # a GPU is measured where it is used: larger batches
    for batch in ((32, 128, 1024) if device == "cpu" else (128, 1024, 4096)):
        repeat = 20 if quick else (200 if batch < 1024 else 60)
        sizes = (784, 512, 512, 10)
        t_step = mlp_step(torch, sizes, "relu", tdev, batch, "ce") if tdev else None
        ms, tms = interleaved(mlp_step(mg, sizes, "relu", device, batch, "ce"), t_step, repeat, sync=_mg_sync(device),
                              torch_sync=_torch_sync(device))
        out.append(row(f"A  MLP 784-512-512-10 SGD-mom, batch {batch}", ms, tms))
    return out


def bench_b(device, quick):
    sizes = (256,) * 21
    tdev = _torch_device(device)
    t_step = mlp_step(torch, sizes, "sigmoid", tdev, 64, "mse") if tdev else None
    ms, tms = interleaved(mlp_step(mg, sizes, "sigmoid", device, 64, "mse"), t_step, 20 if quick else 100,
                          sync=_mg_sync(device), torch_sync=_torch_sync(device))
    return [row("B  20 x (Linear(256,256)+Sigmoid), MSE, b64", ms, tms)]


def bench_t(device, quick):
    """Tiny: an MLP 16-16-1 at batch 8 (ReLU, MSE, SGD momentum), all per-op overhead."""
    sizes = (16, 16, 1)
    tdev = _torch_device(device)
    t_step = mlp_step(torch, sizes, "relu", tdev, 8, "mse") if tdev else None
    ms, tms = interleaved(mlp_step(mg, sizes, "relu", device, 8, "mse"), t_step, 100 if quick else 1000,
                          sync=_mg_sync(device), torch_sync=_torch_sync(device))
    return [row("T  MLP 16-16-1, MSE, SGD-mom, batch 8", ms, tms)]


def _chain(x, ops):
    y = x
    for op in ops:
        y = op(y)
    return y


def bench_c(device, quick):
    """Per-op overhead: 200 tiny elementwise ops forward + backward on 16 floats."""
    kinds = [lambda y: y * 1.01, lambda y: y + 0.01, lambda y: y.tanh(), lambda y: y.sigmoid(), lambda y: y * y]
    ops = [kinds[i % len(kinds)] for i in range(200)]
    x = mg.randn(16, device=device, requires_grad=True)

    def mg_step():
        x.grad = None
        _chain(x, ops).sum().backward()

    t_step = None
    if torch and device == "cpu":
        tx = torch.randn(16, requires_grad=True)

        def t_step():
            tx.grad = None
            _chain(tx, ops).sum().backward()

    ms, tms = interleaved(mg_step, t_step, 50 if quick else 500, sync=_mg_sync(device))
    r = row("C  200 tiny elementwise ops, fwd+bwd", ms, tms)
    print(f"   -> {ms / 200 * 1e3:.2f} us per op (torch {tms / 200 * 1e3:.2f} us)" if tms else "", flush=True)
    return [r]


def lstm_step(lib, device, seq=50, batch=32, inp=64, hidden=128):
    """A training step of LSTM(64, 128) over 50 steps, a linear head on the last output,
    MSE, Adam: the same code for minigrad and torch."""
    nn = lib.nn
    lstm, head = nn.LSTM(inp, hidden).to(device), nn.Linear(hidden, 1).to(device)
    opt = lib.optim.Adam([*lstm.parameters(), *head.parameters()], lr=1e-3)
    x, y = lib.randn(seq, batch, inp, device=device), lib.randn(batch, 1, device=device)
    loss_fn = nn.MSELoss()

    def step():
        opt.zero_grad()
        out, _ = lstm(x)
        loss_fn(head(out[-1]), y).backward()
        opt.step()

    return step


def bench_r(device, quick):
    """Recurrent: LSTM seq 50, batch 32, input 64, hidden 128, forward + backward + Adam."""
    tdev = _torch_device(device)
    t_step = lstm_step(torch, tdev) if tdev else None
    ms, tms = interleaved(lstm_step(mg, device), t_step, 10 if quick else 60, sync=_mg_sync(device),
                          torch_sync=_torch_sync(device))
    return [row("R  LSTM(64,128) seq 50 b32, Adam", ms, tms)]


def bench_import():
    import subprocess

    code = "import time; t=time.perf_counter(); import minigrad; print(time.perf_counter()-t)"
    runs = sorted(float(subprocess.check_output([sys.executable, "-c", code], cwd=os.path.dirname(__file__) + "/..")) for _ in range(5))
    print(f"import minigrad: {runs[2] * 1e3:.0f} ms (median of 5)", flush=True)


# A at batch 1024 in a fresh interpreter that imports only one framework; prints peak RSS
_PEAK_RSS = """
import sys
lib = __import__(sys.argv[1])
nn = lib.nn
model = nn.Sequential(nn.Linear(784, 512), nn.ReLU(), nn.Linear(512, 512), nn.ReLU(), nn.Linear(512, 10))
opt = lib.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
x, y, loss_fn = lib.randn(1024, 784), lib.randint(0, 10, (1024,)), nn.CrossEntropyLoss()
for _ in range(20):
    opt.zero_grad(); loss_fn(model(x), y).backward(); opt.step()
# VmHWM, not ru_maxrss: the latter still counts the parent's pages from before exec
print(next(int(l.split()[1]) for l in open("/proc/self/status") if l.startswith("VmHWM")) / 1024)
"""


def bench_memory():
    """Peak resident memory of 20 steps of A at batch 1024 (goal: at most 100 MB), each
    framework in a fresh process of its own, interpreter and libraries included."""
    import subprocess

    if not os.path.exists("/proc/self/status"):  # Linux's per-process memory counters
        return
    mb = {}
    for lib in ("minigrad", "torch") if torch is not None else ("minigrad",):
        out = subprocess.check_output([sys.executable, "-c", _PEAK_RSS, lib], cwd=os.path.dirname(__file__) + "/..")
        mb[lib] = float(out)
    vs = f" (torch {mb['torch']:.0f} MB)" if "torch" in mb else ""
    print(f"peak RSS, A at batch 1024: {mb['minigrad']:.0f} MB{vs}", flush=True)


SCENARIOS = {"A": bench_a, "B": bench_b, "C": bench_c, "T": bench_t, "R": bench_r}
# area benchmarks: module name in tools/, function; each prints its own rows
AREA_BENCHES = {
    "nn": ("bench_nn", "run_mlp_bench"),
    "optim": ("bench_optim", "report"),
    "data": ("bench_data", "report"),
    "trace": ("bench_trace", "run_trace_bench"),
    "floor": ("bench_floor", "report"),
}


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("which", nargs="*", help="scenarios: A B C T R import memory " + " ".join(AREA_BENCHES) + " (default: all)")
    p.add_argument("--device", default="cpu")
    p.add_argument("--quick", action="store_true", help="few repetitions (a smoke run)")
    p.add_argument("--threads", type=int, default=None,
                   help="threads for both frameworks' BLAS and torch's kernels (default: theirs, all cores); "
                        "--threads 1 compares the frameworks' own overhead, without torch's multithreaded "
                        "elementwise kernels, which NumPy does not have")
    args = p.parse_args(argv)
    if args.threads and torch is not None:
        torch.set_num_threads(args.threads)
    which = args.which or list(SCENARIOS) + ["import", "memory"] + list(AREA_BENCHES)
    mg.manual_seed(0)
    if torch is not None:
        torch.manual_seed(0)
    print(f"numpy {np.__version__}, torch {torch.__version__ if torch else 'not installed'}, device {args.device}, "
          f"{os.cpu_count()} CPUs{f', {args.threads} thread(s)' if args.threads else ''}, "
          f"minigrad's CPU matmul: {mg.backends.mkl.name()}")
    print(f"{'scenario':<44s} {'minigrad':>9s} {'torch':>9s} {'ratio':>7s}   (ms per step)")
    for w in which:
        if w in SCENARIOS:
            SCENARIOS[w](args.device, args.quick)
        elif w == "import":
            bench_import()
        elif w == "memory":
            bench_memory()
        elif w in AREA_BENCHES:
            mod_name, fn_name = AREA_BENCHES[w]
            try:
                mod = importlib.import_module(mod_name)
            except ImportError as e:
                print(f"({w}: {e})")
                continue
            getattr(mod, fn_name)()
        else:
            p.error(f"unknown scenario {w!r}")


if __name__ == "__main__":
    main()
