"""mg.nn benchmarks: an MLP training step against PyTorch, module overhead, fused vs composed.

    python tools/bench_nn.py            # all
    OPENBLAS_NUM_THREADS=1 python tools/bench_nn.py --single-thread   # both on one core
    python tools/bench.py nn            # the MLP rows, from the main benchmark (once registered)

`run_mlp_bench()`: ms per step of ``nn.Sequential`` 784-512-512-10 (ReLU,
CrossEntropyLoss, SGD with momentum written by hand under ``no_grad``) next to the same
model in PyTorch (default thread count), batch 32/128/1024, medians of interleaved runs.
`run_overhead_bench()`: the same step written with raw ops (``mg.ops.linear``, no
modules), so the cost of the module layer shows. `run_fused_bench()`: fused
cross-entropy and batch norm against the same maths composed from ops.
"""
from __future__ import annotations

import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))
sys.path.insert(0, os.path.dirname(__file__))

from bench import interleaved, row, torch  # noqa: E402  (shared timing helpers)

import minigrad as mg  # noqa: E402

SIZES = (784, 512, 512, 10)
BATCHES = (32, 128, 1024)


def _repeat(batch):
    return 200 if batch < 1024 else 60


def _mg_model(sizes=SIZES):
    nn = mg.nn
    a, h1, h2, out = sizes
    return nn.Sequential(nn.Linear(a, h1), nn.ReLU(), nn.Linear(h1, h2), nn.ReLU(), nn.Linear(h2, out))


def _mg_sgd_momentum(params, lr=0.01, momentum=0.9):
    """The update PyTorch's SGD(momentum) does: buf = m buf + g; p -= lr buf (in place)."""
    bufs = [None] * len(params)

    def update():
        with mg.no_grad():
            for i, p in enumerate(params):
                g = p.grad.array
                if bufs[i] is None:
                    bufs[i] = g.copy()
                else:
                    bufs[i] *= momentum
                    bufs[i] += g
                p.array -= lr * bufs[i]
                p._bump_version()
                p.grad = None

    return update


def mg_mlp_step(batch, device="cpu", sizes=SIZES):
    model = _mg_model(sizes).to(device)
    loss_fn = mg.nn.CrossEntropyLoss()
    update = _mg_sgd_momentum(list(model.parameters()))
    x = mg.randn(batch, sizes[0], device=device)
    y = mg.randint(0, sizes[-1], (batch,), device=device)

    def step():
        loss = loss_fn(model(x), y)
        loss.backward()
        update()

    return step


def mg_raw_step(batch, device="cpu", sizes=SIZES):
    """The same network without modules: parameters in a list, ops called directly."""
    F = mg.nn.functional
    model = _mg_model(sizes).to(device)
    (w1, b1, w2, b2, w3, b3) = list(model.parameters())
    update = _mg_sgd_momentum([w1, b1, w2, b2, w3, b3])
    x = mg.randn(batch, sizes[0], device=device)
    y = mg.randint(0, sizes[-1], (batch,), device=device)

    def step():
        h = mg.linear(x, w1, b1).relu()
        h = mg.linear(h, w2, b2).relu()
        loss = F.cross_entropy(mg.linear(h, w3, b3), y)
        loss.backward()
        update()

    return step


def torch_mlp_step(batch):
    tnn = torch.nn
    model = tnn.Sequential(tnn.Linear(784, 512), tnn.ReLU(), tnn.Linear(512, 512), tnn.ReLU(), tnn.Linear(512, 10))
    loss_fn = tnn.CrossEntropyLoss()
    params = list(model.parameters())
    bufs = [None] * len(params)
    x = torch.randn(batch, 784)
    y = torch.randint(0, 10, (batch,))

    def step():
        loss = loss_fn(model(x), y)
        loss.backward()
        with torch.no_grad():
            for i, p in enumerate(params):
                if bufs[i] is None:
                    bufs[i] = p.grad.clone()
                else:
                    bufs[i].mul_(0.9).add_(p.grad)
                p.sub_(0.01 * bufs[i])
                p.grad = None

    return step


def run_mlp_bench(device="cpu", quick=False):
    """minigrad nn.Sequential MLP vs torch, ms per training step; returns the rows."""
    out = []
    for batch in BATCHES:
        t_step = torch_mlp_step(batch) if torch is not None and device == "cpu" else None
        repeat = 20 if quick else _repeat(batch)
        ms, tms = interleaved(mg_mlp_step(batch, device), t_step, repeat)
        out.append(row(f"nn MLP 784-512-512-10 CE, manual SGD-mom, b{batch}", ms, tms))
    return out


def run_overhead_bench(device="cpu", quick=False):
    """Module layer vs raw ops for the same step (the ratio column is modules / raw)."""
    out = []
    for batch in BATCHES:
        repeat = 20 if quick else _repeat(batch)
        ms, raw = interleaved(mg_mlp_step(batch, device), mg_raw_step(batch, device), repeat)
        out.append(row(f"nn modules vs raw ops (ratio = overhead), b{batch}", ms, raw))
    # tiny tensors: the arrays cost nothing, so this isolates the Python cost of modules
    tiny = (4, 4, 4, 2)
    ms, raw = interleaved(mg_mlp_step(2, device, tiny), mg_raw_step(2, device, tiny), 50 if quick else 2000)
    out.append(row("nn modules vs raw ops, tiny 4-4-4-2 MLP, b2", ms, raw))
    return out


def _composed_cross_entropy(x, y):
    n = x.shape[0]
    return -(mg.log_softmax(x, 1)[mg.arange(n, device=x.device), y]).mean()


def _composed_batch_norm(x, w, b, eps=1e-5):
    mean = x.mean(0, keepdim=True)
    xc = x - mean
    var = (xc * xc).mean(0, keepdim=True)
    return xc / (var + eps).sqrt() * w + b


def run_fused_bench(device="cpu", quick=False):
    """Fused cross-entropy / batch norm vs the same maths composed from ops (fwd + bwd)."""
    F = mg.nn.functional
    out = []
    for n, c in ((128, 10), (1024, 1000)):
        x = mg.randn(n, c, device=device, requires_grad=True)
        y = mg.randint(0, c, (n,), device=device)

        def fused(x=x, y=y):
            x.grad = None
            F.cross_entropy(x, y).backward()

        def composed(x=x, y=y):
            x.grad = None
            _composed_cross_entropy(x, y).backward()

        ms, cms = interleaved(fused, composed, 20 if quick else 200)
        out.append(row(f"cross_entropy fused vs composed ({n}x{c})", ms, cms))
    for n, c in ((128, 512), (1024, 512)):
        x = mg.randn(n, c, device=device, requires_grad=True)
        w = mg.ones(c, device=device, requires_grad=True)
        b = mg.zeros(c, device=device, requires_grad=True)
        g = mg.randn(n, c, device=device)

        def fused(x=x, w=w, b=b, g=g):
            x.grad = w.grad = b.grad = None
            F.batch_norm(x, None, None, w, b, training=True).backward(g)

        def composed(x=x, w=w, b=b, g=g):
            x.grad = w.grad = b.grad = None
            _composed_batch_norm(x, w, b).backward(g)

        ms, cms = interleaved(fused, composed, 20 if quick else 200)
        out.append(row(f"batch_norm fused vs composed ({n}x{c})", ms, cms))
    return out


if __name__ == "__main__":
    quick = "--quick" in sys.argv
    if "--single-thread" in sys.argv and torch is not None:
        # a fairer comparison on a busy machine; set OPENBLAS_NUM_THREADS=1 for NumPy too
        torch.set_num_threads(1)
    mg.manual_seed(0)
    print(f"{'scenario':<44s} {'minigrad':>9s} {'other':>9s} {'ratio':>7s}   (ms per step)")
    run_mlp_bench(quick=quick)
    run_overhead_bench(quick=quick)
    run_fused_bench(quick=quick)
