"""Gradients over time: the tracer's time_grad_norm for recurrent layers, the verdicts it
supports (vanishing / exploding over time, healthy LSTM), and an explosion that ends in NaN."""
import math

import numpy as np
import pytest

import minigrad as mg
from minigrad import nn
from minigrad.trace import GradientTracer
from nn_parity import assert_close, copy_to_torch
from test_trace_diagnosis import mlp, trace_run


class LastStep(nn.Module):
    """A recurrent layer read at its last time step by a linear head (many-to-one)."""

    def __init__(self, rnn, out=1):
        super().__init__()
        self.rnn = rnn
        self.head = nn.Linear(rnn.hidden_size, out)

    def forward(self, x):
        out, _ = self.rnn(x)
        return self.head(out[-1])


def run(model, x, steps=3, lr=1e-3, device="cpu", y=None):
    y = mg.randn(x.shape[1], 1, device=device) if y is None else y
    opt = mg.optim.SGD(model.parameters(), lr=lr)
    with GradientTracer(model) as tr:
        for _ in range(steps):
            opt.zero_grad()
            nn.functional.mse_loss(model(x), y).backward()
            opt.step()
    return tr


def test_time_grad_norm_is_the_gradient_reaching_each_hidden_state(torch, device):
    """Against torch unrolled cell by cell, where h_t.retain_grad() sees dL/dh_t."""
    T, B = 6, 3
    rnn = nn.RNN(2, 4).to(device).double()
    model = LastStep(rnn).to(device).double()
    x = np.random.default_rng(0).standard_normal((T, B, 2))
    y = np.random.default_rng(1).standard_normal((B, 1))
    tr = run(model, mg.tensor(x, device=device), steps=1, lr=0.0, device=device, y=mg.tensor(y, device=device))
    cell = torch.nn.RNNCell(2, 4).double()
    cell.load_state_dict({k[:-3]: torch.tensor(v.numpy()) for k, v in rnn.state_dict().items()})
    head = copy_to_torch(model.head, torch.nn.Linear(4, 1).double())
    h, hs = torch.zeros(B, 4, dtype=torch.float64), []
    for t in range(T):
        h = cell(torch.tensor(x[t]), h)
        h.retain_grad()
        hs.append(h)
    torch.nn.functional.mse_loss(head(h), torch.tensor(y)).backward()
    expected = [float(v.grad.norm()) for v in hs]
    table = tr.history("time_grad_norm")
    assert table.shape == (1, T)
    assert_close(table[0], np.array(expected), rtol=1e-6, atol=0)


def test_time_grad_norm_has_one_row_per_recorded_step_and_pads_shorter_sequences(device):
    model = LastStep(nn.GRU(2, 4)).to(device)
    y = mg.randn(2, 1, device=device)
    with GradientTracer(model, every=2) as tr:
        for T in (5, 5, 3, 3, 4):
            nn.functional.mse_loss(model(mg.randn(T, 2, 2, device=device)), y).backward()
    table = tr.history("time_grad_norm")
    assert table.shape == (3, 5)  # backward passes 0, 2 and 4
    assert np.isnan(table[1, 3:]).all() and np.isfinite(table[1, :3]).all()


def test_time_grad_norm_needs_a_recurrent_layer():
    tr = trace_run(mlp("relu", 2, 8, "he"), steps=1)
    with pytest.raises(ValueError, match="recurrent layer"):
        tr.history("time_grad_norm")


def test_vanilla_rnn_gradient_vanishes_over_time(device):
    model = LastStep(nn.RNN(3, 16)).to(device)
    tr = run(model, mg.randn(80, 8, 3, device=device), device=device)
    d = tr.diagnose()
    assert d.status == "vanishing"
    assert d.details["time"]["rnn"]["time_ratio"] < 1e-3
    assert d.layers["rnn"] == "vanishing"
    assert "over time" in str(d) and "mg.nn.LSTM" in str(d)


def test_lstm_that_keeps_its_memory_is_healthy_over_time(device):
    lstm = nn.LSTM(3, 16)
    with mg.no_grad():  # forget gates open (f ~ 0.99), as an LSTM that learned to remember
        lstm.bias_hh_l0[16:32] = 5.0
    model = LastStep(lstm).to(device)
    tr = run(model, mg.randn(80, 8, 3, device=device), device=device)
    d = tr.diagnose()
    assert d.status == "healthy", str(d)
    assert 1e-3 < d.details["time"]["rnn"]["time_ratio"] < 1e3


def test_rnn_with_spectral_radius_above_one_explodes_over_time(device):
    rnn = nn.RNN(3, 16, nonlinearity="relu")
    with mg.no_grad():  # W_hh = 1.3 I: every step back multiplies the gradient by ~1.3
        rnn.weight_hh_l0.copy_(1.3 * mg.eye(16))
    model = LastStep(rnn).to(device)
    x = mg.rand(40, 8, 3, device=device) * 0.1
    d = run(model, x, steps=1, lr=0.0, device=device).diagnose()
    assert d.status == "exploding"
    assert d.details["time"]["rnn"]["time_ratio"] > 1e3
    assert "clip_grad_norm_" in d.remedies[0] and "spectral radius" in str(d)


def test_explosion_that_ends_in_nan_is_exploding_with_the_step_it_became_nonfinite():
    mg.manual_seed(1)
    model = mlp("relu", 25, 64, "2he")
    d = trace_run(model, steps=3, lr=0.1).diagnose()
    assert d.status == "exploding"
    assert d.details["nonfinite_step"] == 1
    assert "non-finite at step 1" in str(d) and "clip" in str(d)


def test_nan_from_the_data_after_healthy_steps_stays_nonfinite(device):
    model = mlp("relu", 4, 16, "he", device=device)
    opt = mg.optim.SGD(model.parameters(), lr=1e-3)
    y = mg.randint(0, 10, (8,), device=device)
    with GradientTracer(model) as tr:
        for step in range(3):
            x = mg.randn(8, 32, device=device)
            if step == 2:
                x[0, 0] = math.nan
            opt.zero_grad()
            nn.functional.cross_entropy(model(x), y).backward()
            opt.step()
    d = tr.diagnose()
    assert d.status == "nonfinite"
    assert "detect_anomaly" in str(d)


def test_log_of_zero_stays_nonfinite(device):
    model = mlp("relu", 3, 8, "he", device=device)
    x = mg.randn(4, 32, device=device)
    with GradientTracer(model) as tr:
        (model(x) * 0).exp().sub(1).log().sum().backward()  # log(0) = -inf: NaN gradients
    assert tr.diagnose().status == "nonfinite"


def test_plot_time_draws_time_by_step(tmp_path):
    pytest.importorskip("matplotlib")
    model = LastStep(nn.LSTM(2, 4))
    tr = run(model, mg.randn(10, 2, 2), steps=3)
    fig = tr.plot(tmp_path / "time.png", what="time")
    assert (tmp_path / "time.png").stat().st_size > 0
    image = fig.axes[0].images[0].get_array()
    assert image.shape == (10, 3)  # time steps x recorded steps


def test_plot_rejects_an_unknown_view():
    tr = run(LastStep(nn.RNN(2, 4)), mg.randn(4, 2, 2), steps=1)
    with pytest.raises(ValueError, match="what"):
        tr.plot(what="depth")
