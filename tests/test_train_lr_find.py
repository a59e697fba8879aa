"""`mg.train.lr_find`: the exponential range test, divergence stop, suggestion, restore."""
import math

import numpy as np
import pytest

import minigrad as mg
from conftest import to_np
from minigrad import nn, optim, train


def classification_batches(device, n=256, batch=32, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, 8)).astype(np.float32)
    y = (x[:, 0] + x[:, 1] > 0).astype(np.int64)
    x, y = mg.tensor(x, device=device), mg.tensor(y, device=device)
    return [(x[i:i + batch], y[i:i + batch]) for i in range(0, n, batch)]


def model_and_opt(device):
    model = nn.Sequential(nn.Linear(8, 16), nn.BatchNorm1d(16), nn.ReLU(), nn.Linear(16, 2)).to(device)
    return model, optim.Adam(model.parameters(), lr=1e-3)


def test_learning_rates_grow_exponentially_from_start_to_end(device):
    model, opt = model_and_opt(device)
    result = train.lr_find(model, nn.CrossEntropyLoss(), opt, classification_batches(device), start_lr=1e-4,
                           end_lr=1e-2, num_iter=21, diverge_threshold=1e9)
    assert len(result.lrs) == 21 == len(result.losses) == len(result.raw_losses)
    np.testing.assert_allclose(result.lrs, np.geomspace(1e-4, 1e-2, 21), rtol=1e-9)


def test_losses_are_an_exponential_moving_average_of_the_raw_losses(device):
    model, opt = model_and_opt(device)
    r = train.lr_find(model, nn.CrossEntropyLoss(), opt, classification_batches(device), num_iter=10, smooth=0.3,
                      diverge_threshold=1e9)
    expected = [r.raw_losses[0]]
    for loss in r.raw_losses[1:]:
        expected.append(0.3 * loss + 0.7 * expected[-1])
    np.testing.assert_allclose(r.losses, expected, rtol=1e-12)


def test_stops_once_the_loss_diverges(device):
    model, opt = model_and_opt(device)
    opt = optim.SGD(model.parameters(), lr=0.1)  # plain SGD at lr 1e4 blows up at once
    r = train.lr_find(model, nn.CrossEntropyLoss(), opt, classification_batches(device), start_lr=1e-3,
                      end_lr=1e6, num_iter=100)
    assert len(r.lrs) < 100
    last = r.losses[-1]
    assert not math.isfinite(r.raw_losses[-1]) or last > 5.0 * min(r.losses)


def test_model_and_optimizer_are_restored(device):
    model, opt = model_and_opt(device)
    batches = classification_batches(device)
    train.fit(model, nn.CrossEntropyLoss(), opt, batches, epochs=1, progress=False)  # give Adam some state
    before_model = {k: v.detach().numpy().copy() for k, v in model.state_dict().items()}
    before_opt = {i: {k: to_np(v).copy() for k, v in s.items()} for i, s in opt.state_dict()["state"].items()}
    model.eval()
    train.lr_find(model, nn.CrossEntropyLoss(), opt, batches, num_iter=30)
    for k, v in model.state_dict().items():  # parameters and BatchNorm running statistics
        np.testing.assert_array_equal(v.detach().numpy(), before_model[k])
    after_opt = opt.state_dict()
    for i, s in before_opt.items():
        for k, v in s.items():
            np.testing.assert_array_equal(to_np(after_opt["state"][i][k]), v)
    assert opt.param_groups[0]["lr"] == 1e-3
    assert model.training is False


def test_restored_optimizer_continues_as_if_lr_find_never_ran(device):
    batches = classification_batches(device)
    mg.manual_seed(0)
    a, opt_a = model_and_opt(device)
    mg.manual_seed(0)
    b, opt_b = model_and_opt(device)
    train.lr_find(b, nn.CrossEntropyLoss(), opt_b, batches, num_iter=20)
    ha = train.fit(a, nn.CrossEntropyLoss(), opt_a, batches, epochs=2, progress=False)
    hb = train.fit(b, nn.CrossEntropyLoss(), opt_b, batches, epochs=2, progress=False)
    assert ha["train_loss"] == hb["train_loss"]


def test_suggestion_is_the_steepest_descent_of_the_smoothed_curve():
    lrs = np.geomspace(1e-5, 1, 50)
    # loss falls like a logistic in log10(lr), steepest at lr = 1e-3, and blows up past 1e-1
    x = np.log10(lrs)
    losses = 2.0 / (1 + np.exp(3 * (x + 3))) + 0.1 + np.where(x > -1, 10 * (x + 1) ** 2, 0)
    lr, i = train.suggest_lr(list(lrs), list(losses))
    assert lr == pytest.approx(1e-3, rel=0.3) and lrs[i] == lr


def test_suggestion_needs_a_few_points():
    assert train.suggest_lr([1e-3, 1e-2], [1.0, 0.5]) == (None, None)


def test_plot_writes_a_figure(tmp_path, device):
    model, opt = model_and_opt(device)
    r = train.lr_find(model, nn.CrossEntropyLoss(), opt, classification_batches(device), num_iter=30)
    assert r.suggested_lr is None or r.lrs[0] <= r.suggested_lr <= r.lrs[-1]
    r.plot(tmp_path / "lr.png")
    assert (tmp_path / "lr.png").stat().st_size > 1000


@pytest.mark.parametrize("kwargs, match", [
    (dict(start_lr=1.0, end_lr=0.1), "start_lr"), (dict(num_iter=1), "num_iter"), (dict(smooth=0), "smooth"),
    (dict(diverge_threshold=1.0), "diverge_threshold"),
])
def test_bad_arguments_raise(kwargs, match, device):
    model, opt = model_and_opt(device)
    with pytest.raises(ValueError, match=match):
        train.lr_find(model, nn.CrossEntropyLoss(), opt, classification_batches(device), **kwargs)
