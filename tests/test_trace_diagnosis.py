"""diagnose(): the canonical vanishing/exploding/healthy/nonfinite cases, and unseen ones.

The rule is designed from first principles (see minigrad/trace/diagnosis.py); the grid
below mixes depths, widths, activations, inits and optimizers that it was not tuned on.
"""
import math

import pytest

import minigrad as mg
from minigrad import nn
from minigrad.trace import GradientTracer

ACTS = {"relu": nn.ReLU, "tanh": nn.Tanh, "sigmoid": nn.Sigmoid}


def mlp(act, depth, width, init, n_in=32, n_out=10, device="cpu"):
    """`depth` Linear layers of `width`, `act` between them, initialised by `init`."""
    layers, d = [], n_in
    for i in range(depth):
        lin = nn.Linear(d, width if i < depth - 1 else n_out)
        d = width
        if init == "he":
            nn.init.kaiming_normal_(lin.weight, nonlinearity="relu")
        elif init == "2he":  # twice He's gain: std = 2 * sqrt(2 / fan_in)
            nn.init.normal_(lin.weight, 0.0, 2 * math.sqrt(2.0 / lin.in_features))
        elif init == "xavier":
            nn.init.xavier_normal_(lin.weight, gain=nn.init.calculate_gain(act))
        if init != "default":
            nn.init.zeros_(lin.bias)
        layers.append(lin)
        if i < depth - 1:
            layers.append(ACTS[act]())
    return nn.Sequential(*layers).to(device)


def trace_run(model, steps=2, opt="sgd", lr=1e-3, batch=32, device="cpu", loss="ce"):
    x = mg.randn(batch, model[0].in_features, device=device)
    if loss == "ce":
        y = mg.randint(0, model[-1].out_features, (batch,), device=device)
        loss_fn = nn.CrossEntropyLoss()
    else:
        y = mg.randn(batch, model[-1].out_features, device=device)
        loss_fn = nn.MSELoss()
    optim = {"sgd": mg.optim.SGD, "adam": mg.optim.Adam}[opt](model.parameters(), lr=lr)
    with GradientTracer(model) as tr:
        for _ in range(steps):
            optim.zero_grad()
            loss_fn(model(x), y).backward()
            optim.step()
    return tr


def test_deep_sigmoid_stack_with_default_init_is_vanishing(device):
    d = trace_run(mlp("sigmoid", 20, 64, "default", device=device), device=device).diagnose()
    assert d.status == "vanishing"
    assert d.layers["0"] == "vanishing" and d.layers["38"] == "healthy"
    assert d.details["depth_ratio"] < 1e-3


def test_relu_stack_with_he_init_is_healthy(device):
    d = trace_run(mlp("relu", 20, 64, "he", device=device), device=device).diagnose()
    assert d.status == "healthy", str(d)
    assert set(d.layers.values()) == {"healthy"}


def test_relu_stack_with_twice_he_gain_is_exploding(device):
    d = trace_run(mlp("relu", 20, 64, "2he", device=device), steps=1, device=device).diagnose()
    assert d.status == "exploding", str(d)
    assert d.details["depth_ratio"] > 1e3


@pytest.mark.filterwarnings("ignore:overflow encountered")
def test_gradient_growing_step_after_step_with_too_high_lr_is_exploding(device):
    mg.manual_seed(0)
    model = nn.Sequential(nn.Linear(16, 64), nn.Tanh(), nn.Linear(64, 64), nn.Tanh(), nn.Linear(64, 1)).to(device)
    # six steps: enough to grow 1e7-fold, before tanh saturates and rounding (BLAS-dependent) decides
    tr = trace_run(model, steps=6, lr=1.5, loss="mse", device=device)
    grads = tr.history("grad_norm")[:, 0]
    assert grads[-1] > 100 * grads[0]
    d = tr.diagnose()
    assert d.status == "exploding", str(d)
    assert d.details["gradient_growth"] > 1e2
    assert any("grew" in f for f in d.findings)


def test_the_same_run_with_a_small_lr_is_healthy(device):
    mg.manual_seed(0)
    model = nn.Sequential(nn.Linear(16, 64), nn.Tanh(), nn.Linear(64, 64), nn.Tanh(), nn.Linear(64, 1)).to(device)
    assert trace_run(model, steps=8, lr=0.05, loss="mse", device=device).diagnose().status == "healthy"


@pytest.mark.filterwarnings("ignore:invalid value encountered")
def test_nan_anywhere_is_nonfinite(device):
    model = mlp("relu", 4, 16, "he", device=device)
    with mg.no_grad():
        model[2].weight[3, 3] = math.inf
    d = trace_run(model, steps=1, device=device).diagnose()
    assert d.status == "nonfinite"
    assert d.layers["2"] == "nonfinite"
    assert "detect_anomaly" in str(d)


@pytest.mark.parametrize("act,depth,width,init,opt,expected", [
    ("sigmoid", 12, 256, "default", "adam", "vanishing"),
    ("sigmoid", 30, 32, "xavier", "sgd", "vanishing"),
    ("tanh", 30, 128, "default", "adam", "vanishing"),
    ("relu", 25, 512, "default", "sgd", "vanishing"),  # PyTorch's default init shrinks ReLU stacks
    ("relu", 10, 512, "he", "adam", "healthy"),
    ("relu", 30, 32, "he", "sgd", "healthy"),
    ("tanh", 16, 256, "xavier", "adam", "healthy"),
    ("relu", 12, 128, "2he", "adam", "exploding"),
    ("relu", 28, 32, "2he", "sgd", "exploding"),
])
def test_diagnosis_generalises_across_depth_width_activation_init_optimizer(act, depth, width, init, opt, expected):
    mg.manual_seed(depth * 1000 + width)
    d = trace_run(mlp(act, depth, width, init), steps=1, opt=opt).diagnose()
    assert d.status == expected, str(d)


def test_report_names_layers_gives_numbers_and_remedies():
    text = str(trace_run(mlp("sigmoid", 25, 32, "default")).diagnose())
    assert "VANISHING" in text
    assert "layer '0'" in text and "layer '48'" in text
    assert "e-" in text  # the ratio, in scientific notation
    for remedy in ("He init", "BatchNorm1d", "residual"):
        assert remedy in text
    text = str(trace_run(mlp("relu", 20, 64, "2he"), steps=1).diagnose())
    assert "clip_grad_norm_" in text and "learning rate" in text


def test_thresholds_are_arguments():
    tr = trace_run(mlp("tanh", 10, 32, "default"))
    ratio = tr.diagnose().details["depth_ratio"]
    assert tr.diagnose(vanish_ratio=ratio / 2).status != "vanishing"
    assert tr.diagnose(vanish_ratio=ratio * 2).status == "vanishing"
    with pytest.raises(ValueError, match="vanish_ratio"):
        tr.diagnose(vanish_ratio=2.0)
    with pytest.raises(ValueError, match="window"):
        tr.diagnose(window=0)


def test_diagnose_before_any_step_raises():
    with pytest.raises(RuntimeError, match="nothing recorded"):
        GradientTracer(mlp("relu", 2, 4, "he")).diagnose()
