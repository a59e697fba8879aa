"""`mg.train.fit`, `evaluate`, `History` and scheduler stepping on tiny problems.

The model, optimizer and schedulers here are minimal stand-ins built on the tensor core,
so these tests pin the loop's own behaviour (what it calls, when, in which mode).
"""
import math

import numpy as np
import pytest

import minigrad as mg
from minigrad import train


class TinyLinear:
    """y = x @ w.T + b with the Module protocol `fit` uses; records its modes per call."""

    def __init__(self, n_in, n_out, device="cpu"):
        g = mg.Generator(device).manual_seed(1)
        self.weight = mg.tensor(g.normal((n_out, n_in), mg.float32, 0.0, 0.1), requires_grad=True)
        self.bias = mg.zeros(n_out, device=device, requires_grad=True)
        self.training = True
        self.calls = []  # (training, grad enabled) per forward

    def __call__(self, x):
        self.calls.append((self.training, mg.is_grad_enabled()))
        return mg.linear(x, self.weight, self.bias)

    def parameters(self):
        return [self.weight, self.bias]

    def train(self, mode=True):
        self.training = mode
        return self

    def eval(self):
        return self.train(False)

    def to(self, device):
        return self

    def state_dict(self):
        return {"weight": self.weight, "bias": self.bias}

    def load_state_dict(self, state):
        with mg.no_grad():
            self.weight.copy_(state["weight"])
            self.bias.copy_(state["bias"])


class TinySGD:
    """Plain SGD with PyTorch's optimizer protocol (param_groups, state_dict)."""

    def __init__(self, params, lr):
        self.param_groups = [{"params": list(params), "lr": lr}]
        self.state = {}

    def zero_grad(self):
        for p in self.param_groups[0]["params"]:
            p.grad = None

    def step(self):
        g = self.param_groups[0]
        for p in g["params"]:
            p.data -= g["lr"] * p.grad.data
            p._bump_version()

    def state_dict(self):
        return {"param_groups": [{"lr": g["lr"]} for g in self.param_groups], "state": self.state}

    def load_state_dict(self, state):
        for g, s in zip(self.param_groups, state["param_groups"]):
            g["lr"] = s["lr"]


def mse_loss(pred, target):
    d = pred.reshape(target.shape) - target
    return (d * d).mean()


def regression_batches(n=64, batch=16, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, 3)).astype(np.float32)
    y = (x @ np.array([1.5, -2.0, 0.5], np.float32) + 0.3).astype(np.float32)
    return [(mg.tensor(x[i : i + batch]), mg.tensor(y[i : i + batch])) for i in range(0, n, batch)]


def make(lr=0.1):
    model = TinyLinear(3, 1)
    return model, TinySGD(model.parameters(), lr)


def test_fit_reduces_the_training_loss_and_logs_one_row_per_epoch():
    model, opt = make()
    history = train.fit(model, mse_loss, opt, regression_batches(), epochs=15, progress=False)
    assert len(history) == 15
    assert history["epoch"] == list(range(1, 16))
    assert history["train_loss"][-1] < 0.01 * history["train_loss"][0]
    assert all(t > 0 for t in history["time"])
    assert history["lr"] == [0.1] * 15


def test_epoch_loss_is_the_sample_weighted_mean_of_batch_losses():
    # batches of 16 and 4 samples: the epoch loss must weight them 16:4, not 1:1
    model, opt = make(lr=0.0)
    batches = regression_batches(n=20, batch=16)
    history = train.fit(model, mse_loss, opt, batches, epochs=1, progress=False)
    x = np.concatenate([b[0].detach().numpy() for b in batches])
    y = np.concatenate([b[1].detach().numpy() for b in batches])
    pred = x @ model.weight.detach().numpy().T + model.bias.detach().numpy()
    assert history["train_loss"][0] == pytest.approx(float(np.mean((pred[:, 0] - y) ** 2)), rel=1e-5)


def test_validation_runs_in_eval_mode_without_grad_and_mode_is_restored():
    model, opt = make()
    model.eval()  # fit trains in train mode and hands the model back as it got it
    train.fit(model, mse_loss, opt, regression_batches(n=32), epochs=1, val_loader=regression_batches(n=16, seed=1),
              progress=False)
    train_calls, val_calls = model.calls[:2], model.calls[2:]
    assert train_calls == [(True, True)] * 2
    assert val_calls == [(False, False)]
    assert model.training is False


def test_metrics_are_logged_for_train_and_validation():
    model, opt = make()
    history = train.fit(model, mse_loss, opt, regression_batches(), epochs=3, val_loader=regression_batches(seed=1),
                        metrics=[train.mae, train.mse], progress=False)
    for key in ("train_loss", "val_loss", "train_mae", "val_mae", "train_mse", "val_mse"):
        assert len(history[key]) == 3
    # with this loss, mse is the loss itself
    np.testing.assert_allclose(history["val_mse"], history["val_loss"], rtol=1e-5)


def test_metrics_given_as_a_dict_use_its_names():
    model, opt = make()
    history = train.fit(model, mse_loss, opt, regression_batches(), epochs=1, metrics={"err": train.mae},
                        progress=False)
    assert "train_err" in history


def test_evaluate_returns_mean_loss_and_metrics():
    model, _ = make()
    out = train.evaluate(model, mse_loss, regression_batches(), metrics=[train.mae])
    assert set(out) == {"loss", "mae"}
    assert model.training is True and model.calls[-1] == (False, False)


def test_batches_that_are_not_tuples_raise_a_clear_error():
    model, opt = make()
    with pytest.raises(TypeError, match="tuple \\(inputs, target\\)"):
        train.fit(model, mse_loss, opt, [mg.ones(4, 3)], epochs=1, progress=False)


def test_negative_epochs_raise():
    model, opt = make()
    with pytest.raises(ValueError, match="epochs"):
        train.fit(model, mse_loss, opt, regression_batches(), epochs=-1)


class CountingScheduler:
    def __init__(self):
        self.steps = []

    def step(self, metric=None):
        self.steps.append(metric)


class OneCycleLR(CountingScheduler, mg.optim.lr_scheduler.OneCycleLR):
    """Counts the steps of a per-batch scheduler."""


class ReduceLROnPlateau(CountingScheduler, mg.optim.lr_scheduler.ReduceLROnPlateau):
    """Counts the steps (and metrics) of the metric-driven scheduler."""


def test_ordinary_schedulers_step_once_per_epoch():
    model, opt = make()
    sched = CountingScheduler()
    train.fit(model, mse_loss, opt, regression_batches(), epochs=3, scheduler=sched, progress=False)
    assert sched.steps == [None] * 3


def test_one_cycle_steps_after_every_batch():
    model, opt = make()
    sched = OneCycleLR()
    train.fit(model, mse_loss, opt, regression_batches(), epochs=2, scheduler=sched, progress=False)
    assert len(sched.steps) == 2 * 4


def test_scheduler_interval_overrides_the_default():
    model, opt = make()
    sched = CountingScheduler()
    train.fit(model, mse_loss, opt, regression_batches(), epochs=2, scheduler=sched, scheduler_interval="batch",
              progress=False)
    assert len(sched.steps) == 8


def test_plateau_scheduler_gets_val_loss_or_train_loss():
    model, opt = make()
    with_val, without_val = ReduceLROnPlateau(), ReduceLROnPlateau()
    h = train.fit(model, mse_loss, opt, regression_batches(), epochs=2, val_loader=regression_batches(seed=1),
                  scheduler=with_val, progress=False)
    assert with_val.steps == h["val_loss"]
    h = train.fit(model, mse_loss, opt, regression_batches(), epochs=2, scheduler=without_val, progress=False)
    assert without_val.steps == h["train_loss"]


def test_lr_logged_is_the_rate_used_during_the_epoch():
    model, opt = make()

    class Halve(CountingScheduler):
        def step(self, metric=None):
            opt.param_groups[0]["lr"] /= 2

    h = train.fit(model, mse_loss, opt, regression_batches(), epochs=3, scheduler=Halve(), progress=False)
    assert h["lr"] == [0.1, 0.05, 0.025]


class Recorder(train.Callback):
    def __init__(self, stop_at=None):
        self.events = []
        self.stop_at = stop_at

    def on_train_begin(self, logs=None):
        self.events.append("train_begin")

    def on_epoch_begin(self, epoch, logs=None):
        self.events.append(f"epoch_begin {epoch}")

    def on_batch_end(self, batch, logs=None):
        assert isinstance(logs["loss"], mg.Tensor) and logs["size"] == 16
        self.events.append(f"batch {batch}")

    def on_epoch_end(self, epoch, logs=None):
        self.events.append(f"epoch_end {epoch}")
        return epoch == self.stop_at

    def on_train_end(self, logs=None):
        self.events.append("train_end")


def test_callback_hooks_run_in_order_with_model_and_history_set():
    model, opt = make()
    rec = Recorder()
    history = train.fit(model, mse_loss, opt, regression_batches(n=32), epochs=2, callbacks=[rec], progress=False)
    assert rec.events == [
        "train_begin", "epoch_begin 0", "batch 0", "batch 1", "epoch_end 0",
        "epoch_begin 1", "batch 0", "batch 1", "epoch_end 1", "train_end",
    ]
    assert rec.model is model and rec.optimizer is opt and rec.history is history


def test_a_callback_returning_true_stops_training():
    model, opt = make()
    history = train.fit(model, mse_loss, opt, regression_batches(), epochs=10, callbacks=[Recorder(stop_at=2)],
                        progress=False)
    assert len(history) == 3


def test_progress_prints_one_line_per_epoch_off_a_terminal(capsys):
    model, opt = make()
    train.fit(model, mse_loss, opt, regression_batches(), epochs=2, progress=True)
    lines = capsys.readouterr().out.strip().splitlines()
    assert len(lines) == 2 and lines[0].startswith("epoch 1/2: train_loss=")


def test_progress_false_prints_nothing(capsys):
    model, opt = make()
    train.fit(model, mse_loss, opt, regression_batches(), epochs=2, progress=False)
    assert capsys.readouterr() == ("", "")


def test_history_best_as_dict_and_plot(tmp_path):
    h = train.History()
    for e, (loss, acc) in enumerate([(1.0, 0.5), (0.5, 0.8), (0.7, 0.9)], 1):
        h.append({"epoch": e, "train_loss": loss, "val_loss": loss + 0.1, "val_accuracy": acc, "lr": 0.1, "time": 0.1})
    assert h.best("val_loss")["epoch"] == 2
    assert h.best("val_accuracy")["epoch"] == 3  # accuracy-like names are maximised
    assert h.as_dict()["val_loss"] == pytest.approx([1.1, 0.6, 0.8])
    path = tmp_path / "history.png"
    h.plot(path)
    assert path.stat().st_size > 1000


def test_history_best_skips_nan():
    h = train.History()
    h.append({"epoch": 1, "train_loss": math.nan})
    h.append({"epoch": 2, "train_loss": 3.0})
    assert h.best("train_loss")["epoch"] == 2
    with pytest.raises(KeyError, match="val_loss"):
        h.best("val_loss")


def classification_loaders(device):
    from minigrad import data

    rng = np.random.default_rng(0)
    x = rng.normal(size=(128, 4)).astype(np.float32)
    y = (x[:, 0] > 0).astype(np.int64)
    ds = data.TensorDataset(mg.tensor(x), mg.tensor(y))
    return data.DataLoader(ds, batch_size=32, shuffle=True, device=device), data.DataLoader(ds, batch_size=128,
                                                                                            device=device)


def test_fit_trains_a_real_model_on_the_device(device):
    from minigrad import nn, optim

    train_loader, val_loader = classification_loaders(device)
    model = nn.Sequential(nn.Linear(4, 16), nn.ReLU(), nn.Linear(16, 2))
    opt = optim.Adam(model.parameters(), lr=0.02)
    h = train.fit(model, nn.CrossEntropyLoss(), opt, train_loader, 10, val_loader=val_loader,
                  metrics=[train.accuracy], device=device, progress=False)
    assert model[0].weight.device == device
    assert h["val_accuracy"][-1] > 0.9


def test_real_one_cycle_is_stepped_per_batch_to_its_end(device):
    from minigrad import nn, optim

    train_loader, _ = classification_loaders(device)
    model = nn.Linear(4, 2)
    opt = optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    sched = optim.lr_scheduler.OneCycleLR(opt, max_lr=0.1, epochs=3, steps_per_epoch=len(train_loader))
    h = train.fit(model, nn.CrossEntropyLoss(), opt, train_loader, 3, scheduler=sched, device=device, progress=False)
    assert sched.last_epoch == 3 * len(train_loader)
    assert h["lr"][0] == pytest.approx(0.1 / 25)  # OneCycle starts at max_lr / div_factor


def test_real_plateau_scheduler_cuts_the_rate_when_the_monitored_loss_stalls(device):
    from minigrad import nn, optim

    train_loader, _ = classification_loaders(device)
    model = nn.Linear(4, 2)
    opt = optim.SGD(model.parameters(), lr=0.01)
    # threshold 0.5: only halving the loss counts as progress, so every epoch "stalls"
    sched = optim.lr_scheduler.ReduceLROnPlateau(opt, patience=0, factor=0.5, threshold=0.5)
    h = train.fit(model, nn.CrossEntropyLoss(), opt, train_loader, 4, scheduler=sched, device=device, progress=False)
    assert h["lr"] == [0.01, 0.01, 0.005, 0.0025]


def test_progress_bar_on_a_terminal_does_not_change_the_results(monkeypatch, capsys):
    from minigrad.train import progress

    monkeypatch.setattr(progress, "choose_mode", lambda p: "bar")
    monkeypatch.setattr(train.loop, "choose_mode", lambda p: "bar")
    monkeypatch.setattr(progress.EpochProgress, "wants_update", lambda self: self.bar is not None)
    model, opt = make()
    h = train.fit(model, mse_loss, opt, regression_batches(), epochs=2)
    err = capsys.readouterr().err
    assert "epoch 2/2" in err and "loss=" in err
    model2, opt2 = make()
    assert train.fit(model2, mse_loss, opt2, regression_batches(), epochs=2, progress=False)["train_loss"] == \
        h["train_loss"]


def test_clip_grad_norm_bounds_every_step(device):
    from minigrad import nn, optim

    train_loader, _ = classification_loaders(device)
    model = nn.Linear(4, 2)
    with mg.no_grad():
        model.weight.mul_(100.0)  # huge logits: huge gradients
    before = model.weight.detach().numpy().copy()
    opt = optim.SGD(model.parameters(), lr=1.0)
    train.fit(model, nn.CrossEntropyLoss(), opt, train_loader, 1, device=device, progress=False, clip_grad_norm=0.01)
    # each of the 4 steps moves the parameters by at most lr * 0.01
    assert np.linalg.norm(model.weight.detach().numpy() - before) <= 4 * 0.01 + 1e-6
