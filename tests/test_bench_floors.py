"""The hand-written NumPy floors of tools/bench_floor.py compute what they claim: a floor
that skipped work would make the README's "no NumPy framework can beat it" untrue."""
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tools"))

import bench_floor  # noqa: E402


def test_the_lstm_floors_gradients_are_torchs(torch):
    step = bench_floor.numpy_lstm(seq=6, batch=4, inp=5, hidden=3)
    before = [p.copy() for p in step.params]
    step()  # forward, backpropagation through time, then Adam (which leaves the gradients)
    w_ih, w_hh, bias, w_out, b_out = (torch.tensor(p, requires_grad=True) for p in before)
    x, y = (torch.tensor(a) for a in step.data)
    H = 3
    # the floor stores gates as (i, f, o, g); torch wants (i, f, g, o)
    order = torch.cat([torch.arange(0, 2 * H), torch.arange(3 * H, 4 * H), torch.arange(2 * H, 3 * H)])
    lstm = torch.nn.LSTM(5, H)
    with torch.no_grad():
        lstm.bias_hh_l0.zero_()
    out, _ = torch.func.functional_call(lstm, {"weight_ih_l0": w_ih[order], "weight_hh_l0": w_hh[order],
                                               "bias_ih_l0": bias[order], "bias_hh_l0": lstm.bias_hh_l0}, (x,))
    ((out[-1] @ w_out.T + b_out - y) ** 2).mean().backward()
    for ours, param in zip(step.grads, (w_ih, w_hh, bias, w_out, b_out)):
        np.testing.assert_allclose(ours, param.grad.numpy(), rtol=1e-4, atol=1e-6)


def test_the_sigmoid_mlp_floor_descends_its_loss():
    step = bench_floor.numpy_sigmoid_mlp(depth=3, width=8, batch=4, lr=0.5, momentum=0.0)
    before = _mse(step)
    for _ in range(40):
        step()
    assert _mse(step) < 0.9 * before  # its forward, backward and update fit together


def _mse(step):
    """The floor's MSE, recomputed from its weights."""
    x, y = step.data
    a = x
    for w, b in zip(step.weights, step.biases):
        a = 1 / (1 + np.exp(-(a @ w.T + b)))
    return float(((a - y) ** 2).mean())


def test_the_chain_floor_returns_the_chains_gradient(torch):
    g = bench_floor.numpy_chain(n=10, size=4)()
    x = torch.tensor(np.random.default_rng(0).standard_normal(4).astype(np.float32), requires_grad=True)
    v = x
    for k in range(10):
        v = [lambda t: t * 1.01, lambda t: t + 0.01, torch.tanh, torch.sigmoid, lambda t: t * t][k % 5](v)
    v.sum().backward()
    np.testing.assert_allclose(g, x.grad.numpy(), rtol=1e-5)


def test_the_minimal_autograd_floor_returns_the_chains_gradient():
    g = bench_floor.minimal_autograd_chain(n=10, size=4)()
    np.testing.assert_allclose(g, bench_floor.numpy_chain(n=10, size=4)(), rtol=1e-6)


def test_the_traced_mlp_floor_has_torchs_gradients_and_takes_its_statistics(torch):
    import bench_trace

    plain = bench_trace.numpy_relu_mlp(depth=3, width=6, batch=5)
    traced = bench_trace.numpy_relu_mlp(depth=3, width=6, batch=5)
    before = [p.copy() for p in plain.params]
    plain()
    assert plain.record == []  # nothing taken without stats
    traced(stats=True)
    for a, b in zip(plain.params, traced.params):  # the statistics change nothing
        np.testing.assert_array_equal(a, b)
    ws = [torch.tensor(p, requires_grad=True) for p in before]
    x, y = (torch.tensor(a) for a in plain.data)
    h = x
    for k in range(3):
        h = h @ ws[k].T + ws[3 + k]
        h = torch.relu(h) if k < 2 else h
    ((h - y) ** 2).mean().backward()
    for k, w in enumerate(ws):  # the floor leaves lr * gradient in its gradient buffers
        np.testing.assert_allclose(plain.grads[k], 1e-3 * w.grad.numpy(), rtol=1e-4, atol=1e-9)
    # 5 layer outputs in forward, 5 output gradients and 3 parameter pairs in backward, 6 updates
    assert len(traced.record) == 5 + 5 + 3 + 6
    update_sq, weight_sq = traced.record[-1]  # the last layer's bias, updated last: its change is -lr * grad
    np.testing.assert_allclose(update_sq, float(((1e-3 * ws[5].grad.numpy()) ** 2).sum()), rtol=1e-4)
    np.testing.assert_allclose(weight_sq, float((traced.params[5] ** 2).sum()), rtol=1e-5)
