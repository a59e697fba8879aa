"""Benchmark: the cost of tracing every step with `GradientTracer`.

The bar (issue 16): tracing every step adds at most 10% to a training step of a
20-layer, 256-wide ReLU MLP at batch 128 (SGD). Run ``python tools/bench_trace.py``
(``--device cuda`` on a GPU, ``--every N``, ``--no-activations``). Two identical models
train side by side, one traced, their steps alternating, so machine noise hits both
alike; the medians of the per-step times are compared. The tracer's cost is the norms'
memory traffic (gradients, activations, output gradients, each read once more; the
weights compared with their copy after the optimizer step, and copied again for the
next one) and its Python hooks. On the CPU the same step is also timed written by hand in
NumPy, without and with those statistics taken inline (`numpy_relu_mlp`), the two
alternating: what exact statistics cost before any framework code runs.
"""
from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from a checkout without installing

import numpy as np  # noqa: E402

import minigrad as mg  # noqa: E402
from minigrad import nn  # noqa: E402


def _model(depth, width, device):
    layers = []
    for i in range(depth):
        lin = nn.Linear(width, width)
        nn.init.kaiming_normal_(lin.weight, nonlinearity="relu")
        layers += [lin, nn.ReLU()] if i < depth - 1 else [lin]
    return nn.Sequential(*layers).to(device)


def numpy_relu_mlp(depth=20, width=256, batch=128, lr=1e-3, seed=0):
    """The traced model's SGD step written by hand in NumPy (buffers allocated once, in
    place, no graph): ``step(stats=False)``. With `stats` it also takes the tracer's exact
    statistics, each where its array was just written and is still in cache: per layer
    output (20 Linear, 19 ReLU) the per-unit batch sums (one product with ones, which also
    gives the dead units) and the sum of squares, and the gradient arriving there; per
    parameter the gradient's sum of squares, and after the update the change against a
    copy (difference, its sum of squares, the new weights' sum of squares, the copy
    refreshed). The two variants' ratio is what exact statistics cost with no framework
    at all; both work on the same arrays, so they compete for no more cache than one
    model does."""
    rng = np.random.default_rng(seed)
    f32 = np.float32
    weights = [(rng.standard_normal((width, width)) * np.sqrt(2 / width)).astype(f32) for _ in range(depth)]
    biases = [np.zeros(width, f32) for _ in range(depth)]
    params = weights + biases
    grads = [np.empty_like(p) for p in params]
    copies = [p.copy() for p in params]
    x = rng.standard_normal((batch, width), dtype=f32)
    y = rng.standard_normal((batch, width), dtype=f32)
    zs = [np.empty((batch, width), f32) for _ in range(depth)]  # Linear outputs
    acts = [np.empty((batch, width), f32) for _ in range(depth - 1)]  # ReLU outputs
    d_out, d_z, mask = np.empty((batch, width), f32), np.empty((batch, width), f32), np.empty((batch, width), bool)
    ones = np.ones(batch, f32)
    record = []

    def sq(a):
        flat = a.reshape(-1)
        return np.dot(flat, flat)

    def output_stats(a):
        units = ones @ a
        record.append((units.sum(), sq(a), np.count_nonzero(units)))

    def step(stats=False):
        record.clear()
        inp = x
        for k in range(depth):
            z = zs[k]
            np.matmul(inp, weights[k].T, out=z)
            z += biases[k]
            if stats:
                output_stats(z)
            if k < depth - 1:
                inp = np.maximum(z, 0, out=acts[k])
                if stats:
                    output_stats(inp)
        np.subtract(zs[-1], y, out=d_out)
        np.multiply(d_out, 2 / d_out.size, out=d_out)  # d MSE / d output
        d = d_out
        for k in range(depth - 1, -1, -1):
            if k < depth - 1:  # through the ReLU: d is the gradient at its output
                if stats:
                    record.append(sq(d))
                np.greater(zs[k], 0, out=mask)
                np.multiply(d, mask, out=d_z)
                d = d_z
            if stats:
                record.append(sq(d))
            np.matmul(d.T, acts[k - 1] if k else x, out=grads[k])
            np.add.reduce(d, axis=0, out=grads[depth + k])
            if stats:
                record.append((sq(grads[k]), sq(grads[depth + k])))
            if k:
                d = np.matmul(d, weights[k], out=d_out if d is d_z else d_z)
        for p, g, c in zip(params, grads, copies):
            g *= lr
            p -= g
            if stats:
                record.append((sq(np.subtract(p, c, out=c)), sq(p)))
                np.copyto(c, p)

    step.record, step.params, step.grads, step.data = record, params, grads, (x, y)  # for tests
    return step


def _time_floors(depth, width, batch, steps, settle_s=0.3):
    """Medians (ms) of the hand-written step without and with the statistics, alternating.

    Timed after the models, once they are freed, not between their steps: the floors
    multiply with NumPy's BLAS, and where minigrad's products go to MKL the two libraries'
    idle threads would spin against each other on a small machine (a pause lets them
    settle first); and two models with a tracer fill most of a 32 MB L3 cache already."""
    step = numpy_relu_mlp(depth, width, batch)
    time.sleep(settle_s)
    return _alternating(step, lambda: step(stats=True), steps)


def _alternating(first, second, steps, warmup=10):
    """Median ms of each of two step functions, called in alternating order."""
    times = ([], [])
    for i in range(steps + warmup):
        for k in ((0, 1) if i % 2 else (1, 0)):
            t0 = time.perf_counter()
            (first, second)[k]()
            if i >= warmup:
                times[k].append((time.perf_counter() - t0) * 1e3)
    return statistics.median(times[0]), statistics.median(times[1])


def run_trace_bench(depth=20, width=256, batch=128, steps=200, device="cpu", activations=True, every=1):
    """ms per SGD step with and without ``GradientTracer(every=every)``; prints and returns them.

    Two identical models train side by side, one traced, their steps alternating, so
    that machine noise (other processes, clock changes) hits both alike; the medians of
    the per-step times are compared.
    """
    mg.manual_seed(0)
    runs = []
    for traced in (False, True):
        model = _model(depth, width, device)
        opt = mg.optim.SGD(model.parameters(), lr=1e-3)
        tracer = mg.trace.GradientTracer(model, every=every, activations=activations) if traced else None
        runs.append((model, opt, tracer))
    x = mg.randn(batch, width, device=device)
    y = mg.randn(batch, width, device=device)
    loss_fn = nn.MSELoss()

    def sync(model):  # on a GPU, wait for the step's kernels before stopping the clock
        if device != "cpu":
            mg.backend.to_host(model[0].weight.array[:1, :1])

    def stepper(model, opt):
        def step():
            opt.zero_grad()
            loss_fn(model(x), y).backward()
            opt.step()
            sync(model)
        return step

    runs[1][2].attach()
    p, t = _alternating(stepper(*runs[0][:2]), stepper(*runs[1][:2]), steps)
    tracer = runs[1][2].detach()
    recorded = len(tracer.steps)
    del runs, tracer  # the floor's arrays alone in cache: two models and a tracer are ~30 MB
    floors = _time_floors(depth, width, batch, steps) if device == "cpu" and activations and every == 1 else None
    result = {"plain_ms": p, "traced_ms": t, "overhead_pct": 100 * (t / p - 1), "recorded_steps": recorded}
    print(f"{depth}-layer {width}-wide ReLU MLP, batch {batch}, SGD, {device}, activations={activations}")
    print(f"  plain step:            {p:8.2f} ms")
    print(f"  traced (every={every}):      {t:8.2f} ms")
    print(f"  overhead: {result['overhead_pct']:.1f}%  (bar: <= 10%)")
    if floors:
        fp, ft = floors
        result.update(numpy_plain_ms=fp, numpy_traced_ms=ft, numpy_overhead_pct=100 * (ft / fp - 1))
        print(f"  by hand in NumPy:      {fp:8.2f} ms, with the statistics inline {ft:.2f} ms "
              f"(+{result['numpy_overhead_pct']:.1f}%)")
    return result


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--device", default="cpu")
    ap.add_argument("--no-activations", action="store_true", help="trace gradients and weights only")
    ap.add_argument("--every", type=int, default=1, help="record every N-th step")
    a = ap.parse_args()
    run_trace_bench(device=a.device, activations=not a.no_activations, every=a.every)
