"""Benchmark: what NumPy alone takes for scenarios B, R and C, beside minigrad and torch.

Each "floor" is the same training step written by hand in NumPy, the way one would to go
fast: buffers allocated once, in-place passes, no graph, no checks. No NumPy framework can
be faster than its floor, so where the floor itself is slower than torch (R: torch runs
oneDNN's fused LSTM kernel, NumPy one single-threaded pass per operation), that part of
a goal cannot be met by work on minigrad; the distance between minigrad and its floor is
what minigrad adds. Run ``python tools/bench_floor.py`` (or ``python tools/bench.py floor``).

- B: 20 x (Linear(256, 256) + Sigmoid), MSE, SGD with momentum, batch 64.
- R: LSTM(64, 128) over 50 steps at batch 32, a linear head on the last output, MSE,
  Adam; torch is timed twice, with oneDNN (its default) and without (its own ATen LSTM).
- C: the NumPy calls the chain of 200 tiny ops needs forward and backward, no graph; and
  the same chain on the least a Python autograd needs (a node and a gradient rule per op,
  a topological sweep, nothing else): the floor for per-op overhead in Python.
All three columns in one process, interleaved rounds, a pause between frameworks.
"""
from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from a checkout without installing
sys.path.insert(0, str(Path(__file__).resolve().parent))

import minigrad as mg  # noqa: E402
from bench import SETTLE_S, lstm_step, median_ms, mlp_step  # noqa: E402

try:
    import torch
except ImportError:
    torch = None


# ------------------------------------------------------------------ B by hand
def numpy_sigmoid_mlp(depth=20, width=256, batch=64, lr=0.01, momentum=0.9, seed=0):
    """A NumPy step of B: Linear + Sigmoid layers, MSE, SGD with momentum, all in place."""
    rng = np.random.default_rng(seed)
    f32 = np.float32
    bound = 1 / np.sqrt(width)
    weights = [rng.uniform(-bound, bound, (width, width)).astype(f32) for _ in range(depth)]
    biases = [rng.uniform(-bound, bound, width).astype(f32) for _ in range(depth)]
    params = weights + biases
    grads = [np.empty_like(p) for p in params]
    velocity = [np.zeros_like(p) for p in params]
    x = rng.standard_normal((batch, width), dtype=f32)
    y = rng.standard_normal((batch, width), dtype=f32)
    outs = [np.empty((batch, width), f32) for _ in range(depth)]
    delta, back, deriv = (np.empty((batch, width), f32) for _ in range(3))

    def step():
        inp = x
        for w, b, out in zip(weights, biases, outs):
            np.matmul(inp, w.T, out=out)
            out += b
            np.negative(out, out=out)  # sigmoid in place: 1 / (1 + exp(-z))
            np.exp(out, out=out)
            out += 1
            np.reciprocal(out, out=out)
            inp = out
        np.subtract(outs[-1], y, out=delta)
        np.multiply(delta, 2 / delta.size, out=delta)  # d MSE / d output
        d, spare = delta, back
        for k in range(depth - 1, -1, -1):
            np.subtract(1, outs[k], out=deriv)  # sigmoid' = y (1 - y)
            np.multiply(deriv, outs[k], out=deriv)
            d *= deriv
            np.matmul(d.T, outs[k - 1] if k else x, out=grads[k])
            np.add.reduce(d, axis=0, out=grads[depth + k])
            if k:
                np.matmul(d, weights[k], out=spare)
                d, spare = spare, d
        for p, g, v in zip(params, grads, velocity):
            v *= momentum
            v += g
            np.multiply(v, lr, out=g)  # g is free now: scratch for lr * v
            p -= g

    step.weights, step.biases, step.data = weights, biases, (x, y)  # for tests/test_bench_floors.py
    return step


# ------------------------------------------------------------------ R by hand
def numpy_lstm(seq=50, batch=32, inp=64, hidden=128, lr=1e-3, seed=0):
    """A NumPy step of R: LSTM forward over the sequence, backpropagation through time,
    Adam on every parameter. Gates kept as (i, f, o, g) (sigmoids first), sigmoid(z)
    taken as (1 + tanh(z / 2)) / 2 with the halving folded into the weights, so each
    step is one product, one tanh over all gates and the cell's few products."""
    rng = np.random.default_rng(seed)
    f32, H = np.float32, hidden
    k = 1 / np.sqrt(H)
    w_ih = rng.uniform(-k, k, (4 * H, inp)).astype(f32)   # stored (i, f, o, g)
    w_hh = rng.uniform(-k, k, (4 * H, H)).astype(f32)
    bias = rng.uniform(-k, k, 4 * H).astype(f32)          # b_ih + b_hh
    w_out, b_out = rng.uniform(-k, k, (1, H)).astype(f32), np.zeros(1, f32)
    params = [w_ih, w_hh, bias, w_out, b_out]
    grads = [np.empty_like(p) for p in params]
    moments = [(np.zeros_like(p), np.zeros_like(p), np.empty_like(p)) for p in params]
    x = rng.standard_normal((seq, batch, inp), dtype=f32)
    y = rng.standard_normal((batch, 1), dtype=f32)
    half = np.full((4 * H, 1), 0.5, f32)
    half[3 * H:] = 1  # the g gate is a tanh
    gates = np.empty((seq, batch, 4 * H), f32)
    cells, tanh_c, hs = (np.empty((seq, batch, H), f32) for _ in range(3))
    dgates = np.empty_like(gates)
    cell_tmp = np.empty((batch, H), f32)
    betas, eps, count = (0.9, 0.999), 1e-8, [0]

    def step():
        w_in = w_ih * half  # exact: halving is a change of exponent
        w_rec_t = (w_hh * half).T.copy()
        np.matmul(x.reshape(-1, inp), w_in.T, out=gates.reshape(-1, 4 * H))
        np.add(gates, bias * half[:, 0], out=gates)
        h = c = None
        for t in range(seq):
            a = gates[t]
            if h is not None:
                a += h @ w_rec_t
            np.tanh(a, out=a)
            sig = a[:, :3 * H]
            sig += 1
            sig *= 0.5
            i, f, o, g = a[:, :H], a[:, H:2 * H], a[:, 2 * H:3 * H], a[:, 3 * H:]
            c_new = cells[t]
            np.multiply(i, g, out=c_new)
            if c is not None:
                np.multiply(f, c, out=cell_tmp)
                c_new += cell_tmp
            np.tanh(c_new, out=tanh_c[t])
            np.multiply(o, tanh_c[t], out=hs[t])
            h, c = hs[t], c_new
        err = h @ w_out.T + b_out - y  # head and MSE
        d_pred = err * (2 / err.size)
        np.matmul(d_pred.T, h, out=grads[3])
        grads[4][:] = d_pred.sum(axis=0)
        dh = d_pred @ w_out
        i, f, o, g = (gates[..., n * H:(n + 1) * H] for n in range(4))
        # gradient-independent factors for every step at once
        c_prev = np.concatenate([np.zeros_like(cells[:1]), cells[:-1]])
        d_i, d_f, d_o, d_g = i * (1 - i) * g, f * (1 - f) * c_prev, o * (1 - o) * tanh_c, i * (1 - g * g)
        to_c = o * (1 - tanh_c * tanh_c)
        dc = np.zeros((batch, H), f32)
        for t in range(seq - 1, -1, -1):
            dc += dh * to_c[t]
            dg = dgates[t]
            np.multiply(dc, d_i[t], out=dg[:, :H])
            np.multiply(dc, d_f[t], out=dg[:, H:2 * H])
            np.multiply(dh, d_o[t], out=dg[:, 2 * H:3 * H])
            np.multiply(dc, d_g[t], out=dg[:, 3 * H:])
            dc *= f[t]
            dh = dg @ w_hh
        flat = dgates.reshape(-1, 4 * H)
        np.matmul(flat.T, x.reshape(-1, inp), out=grads[0])
        np.matmul(dgates[1:].reshape(-1, 4 * H).T, hs[:-1].reshape(-1, H), out=grads[1])
        np.add.reduce(flat, axis=0, out=grads[2])
        count[0] += 1
        fix1, fix2 = 1 - betas[0] ** count[0], 1 - betas[1] ** count[0]
        for p, gr, (m, v, tmp) in zip(params, grads, moments):
            np.multiply(gr, 1 - betas[0], out=tmp)
            m *= betas[0]
            m += tmp
            np.multiply(gr, gr, out=tmp)
            tmp *= 1 - betas[1]
            v *= betas[1]
            v += tmp
            np.sqrt(v, out=tmp)
            tmp /= np.sqrt(fix2)
            tmp += eps
            np.divide(m, tmp, out=tmp)
            tmp *= lr / fix1
            p -= tmp

    step.params, step.grads, step.data = params, grads, (x, y)  # for tests/test_bench_floors.py
    return step


# ------------------------------------------------------------------ C by hand
def numpy_chain(n=200, size=16, seed=0):
    """The NumPy calls of bench C's chain (x*1.01, +0.01, tanh, sigmoid, x*x, repeated),
    forward and backward, without any graph: the arithmetic's own cost per op."""
    x = np.random.default_rng(seed).standard_normal(size).astype(np.float32)

    def step():
        a, saved = x, []
        for k in range(n):
            kind = k % 5
            if kind == 0:
                a = a * 1.01
            elif kind == 1:
                a = a + 0.01
            elif kind == 2:
                a = np.tanh(a)
            elif kind == 3:
                t = np.negative(a)
                np.exp(t, out=t)
                t += 1
                a = np.reciprocal(t, out=t)
            else:
                saved.append(a)
                a = a * a
            saved.append(a)
        g = np.ones_like(a)
        for k in range(n - 1, -1, -1):
            kind, y = k % 5, saved.pop()
            if kind == 0:
                g = g * 1.01
            elif kind == 2:
                g = g * (1 - y * y)
            elif kind == 3:
                g = g * (y * (1 - y))
            elif kind == 4:
                g = g * (2 * saved.pop())
        return g

    return step


class _Node:
    """The least a reverse-mode autograd node holds: its value, its gradient, its inputs
    and the rule that turns its gradient into theirs (micrograd's design, on arrays)."""

    __slots__ = ("value", "grad", "inputs", "rule")

    def __init__(self, value, inputs=(), rule=None):
        self.value, self.grad, self.inputs, self.rule = value, None, inputs, rule


def _sigmoid_node(a):
    t = np.negative(a.value)
    np.exp(t, out=t)
    t += 1
    y = np.reciprocal(t, out=t)
    return _Node(y, (a,), lambda g: (g * (y * (1 - y)),))


def _tanh_node(a):
    y = np.tanh(a.value)
    return _Node(y, (a,), lambda g: (g * (1 - y * y),))


def _mul_node(a, b):
    return _Node(a.value * b.value, (a, b), lambda g: (g * b.value, g * a.value))


_MINIMAL_OPS = [
    lambda a: _Node(a.value * 1.01, (a,), lambda g: (g * 1.01,)),
    lambda a: _Node(a.value + 0.01, (a,), lambda g: (g,)),
    _tanh_node,
    _sigmoid_node,
    lambda a: _mul_node(a, a),
]


def _minimal_backward(root):
    """Reverse-mode sweep from `root` (seeded with ones): a depth-first topological order,
    then each node's rule once, summing gradients where a node feeds several others."""
    order, seen, stack = [], set(), [(root, False)]
    while stack:
        node, done = stack.pop()
        if done:
            order.append(node)
        elif id(node) not in seen:
            seen.add(id(node))
            stack.append((node, True))
            stack.extend((i, False) for i in node.inputs)
    root.grad = np.ones_like(root.value)
    for node in reversed(order):
        if node.rule is not None:
            for inp, g in zip(node.inputs, node.rule(node.grad)):
                inp.grad = g if inp.grad is None else inp.grad + g


def minimal_autograd_chain(n=200, size=16, seed=0):
    """Bench C's chain on the least a Python autograd needs (`_Node`: a node object and a
    gradient rule per op, a topological sweep), with none of a framework's checks, hooks,
    version counters, dtype rules or grad mode: what any autograd written in Python pays
    per op beyond the arithmetic. Returns the step; it leaves the input node's gradient."""
    x = _Node(np.random.default_rng(seed).standard_normal(size).astype(np.float32))

    def step():
        x.grad = None
        v = x
        for k in range(n):
            v = _MINIMAL_OPS[k % 5](v)
        total = v.value.sum()
        root = _Node(total, (v,), lambda g, shape=v.value.shape: (np.broadcast_to(g, shape),))
        _minimal_backward(root)
        return x.grad

    return step


def _chain(lib):
    """Bench C's step for `lib` (minigrad or torch): the same chain, forward + backward."""
    kinds = [lambda v: v * 1.01, lambda v: v + 0.01, lambda v: v.tanh(), lambda v: v.sigmoid(), lambda v: v * v]
    x = lib.randn(16, requires_grad=True)

    def step():
        x.grad = None
        v = x
        for k in range(200):
            v = kinds[k % 5](v)
        v.sum().backward()

    return step


def _interleaved(steps, repeat, rounds=5):
    """Median ms of each step (a dict name -> callable), in alternating rounds."""
    times = {name: [] for name in steps}
    for _ in range(rounds):
        for name, fn in steps.items():
            times[name].append(median_ms(fn, max(repeat // rounds, 3)))
            time.sleep(SETTLE_S)
    return {name: statistics.median(t) for name, t in times.items()}


def _print(label, ms, base):
    ratio = f"{ms / base:6.2f}x" if base else "     -"
    print(f"   {label:<40s} {ms:9.3f} ms  {ratio} torch", flush=True)


def report(quick=False):
    """Print each floor beside minigrad and torch (ratios to torch's default)."""
    sizes = (256,) * 21
    rows = {
        "B  20 x (Linear(256)+Sigmoid), b64": (
            {"NumPy floor": numpy_sigmoid_mlp(), "minigrad": mlp_step(mg, sizes, "sigmoid", "cpu", 64, "mse")},
            {"torch": mlp_step(torch, sizes, "sigmoid", "cpu", 64, "mse")} if torch else {}, 100),
        "R  LSTM(64,128) seq 50 b32, Adam": (
            {"NumPy floor": numpy_lstm(), "minigrad": lstm_step(mg, "cpu")},
            {"torch": lstm_step(torch, "cpu")} if torch else {}, 60),
        "C  200 tiny ops, fwd+bwd": (
            {"NumPy floor": numpy_chain(), "minimal Python autograd": minimal_autograd_chain(),
             "minigrad": _chain(mg)}, {}, 500),
    }
    if torch is not None:
        rows["C  200 tiny ops, fwd+bwd"][1]["torch"] = _chain(torch)
        torch_lstm = rows["R  LSTM(64,128) seq 50 b32, Adam"][1]["torch"]

        def torch_lstm_no_onednn():
            with torch.backends.mkldnn.flags(enabled=False):
                torch_lstm()

        rows["R  LSTM(64,128) seq 50 b32, Adam"][1]["torch without oneDNN"] = torch_lstm_no_onednn
    print("NumPy floors (hand-written NumPy, no framework) beside minigrad and torch:")
    for title, (ours, theirs, repeat) in rows.items():
        ms = _interleaved({**ours, **theirs}, 10 if quick else repeat)
        base = ms.get("torch")
        print(f"{title}")
        for name, value in ms.items():
            _print(name, value, base)


if __name__ == "__main__":
    report(quick="--quick" in sys.argv[1:])
