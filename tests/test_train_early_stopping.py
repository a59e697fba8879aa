"""`mg.train.EarlyStopping`: when it stops, what it restores, its arguments."""
import numpy as np
import pytest

import minigrad as mg
from minigrad import nn, optim, train


def feed(stopper, values, key="val_loss"):
    """Call on_epoch_end with these values; return the epoch index where it asked to stop."""
    stopper.on_train_begin({})
    for epoch, v in enumerate(values):
        if stopper.on_epoch_end(epoch, {key: v}):
            return epoch
    return None


def test_stops_after_patience_epochs_without_improvement():
    assert feed(train.EarlyStopping(patience=2), [1.0, 0.9, 0.95, 0.92, 0.5]) == 3


def test_min_delta_ignores_tiny_improvements():
    stopper = train.EarlyStopping(patience=1, min_delta=0.05)
    assert feed(stopper, [1.0, 0.97, 0.96]) == 1
    assert stopper.best == 1.0 and stopper.best_epoch == 0


def test_mode_max_watches_for_increases():
    stopper = train.EarlyStopping(monitor="val_accuracy", mode="max", patience=1)
    assert feed(stopper, [0.5, 0.7, 0.6], key="val_accuracy") == 2
    assert stopper.best == 0.7 and stopper.best_epoch == 1 and stopper.stopped_epoch == 2


def test_nan_never_counts_as_an_improvement():
    stopper = train.EarlyStopping(patience=1)
    assert feed(stopper, [1.0, float("nan")]) == 1


def test_missing_monitor_raises_naming_the_logged_keys():
    stopper = train.EarlyStopping(monitor="val_loss")
    with pytest.raises(KeyError, match="train_loss.*needs a val_loader"):
        stopper.on_epoch_end(0, {"train_loss": 1.0})


@pytest.mark.parametrize("kwargs, match", [(dict(mode="auto"), "mode"), (dict(patience=-1), "patience"),
                                           (dict(min_delta=-0.1), "min_delta")])
def test_bad_arguments_raise(kwargs, match):
    with pytest.raises(ValueError, match=match):
        train.EarlyStopping(**kwargs)


def test_fit_stops_early_and_restores_the_best_weights(device):
    # validation targets are the negated training targets: the better the model fits the
    # training set, the worse its validation loss, so the first epoch is the best
    rng = np.random.default_rng(0)
    x = mg.tensor(rng.normal(size=(64, 4)).astype(np.float32), device=device)
    y = mg.tensor(rng.normal(size=(64, 1)).astype(np.float32), device=device)
    batches = [(x[i:i + 16], y[i:i + 16]) for i in range(0, 64, 16)]
    model = nn.Sequential(nn.Linear(4, 8), nn.BatchNorm1d(8), nn.Linear(8, 1)).to(device)
    opt = optim.SGD(model.parameters(), lr=0.05)
    snapshots = []

    class Snap(train.Callback):
        def on_epoch_end(self, epoch, logs=None):
            snapshots.append({k: v.detach().numpy().copy() for k, v in model.state_dict().items()})

    stopper = train.EarlyStopping(monitor="val_loss", patience=2)
    history = train.fit(model, nn.MSELoss(), opt, batches, epochs=20, val_loader=[(x, -y)],
                        callbacks=[Snap(), stopper], progress=False)
    best = int(np.nanargmin(history["val_loss"]))
    assert len(history) == best + 3 < 20  # patience 2: two more epochs after the best
    assert any(not np.array_equal(snapshots[-1][k], snapshots[best][k]) for k in snapshots[best])
    assert stopper.best_epoch == best and stopper.stopped_epoch == best + 2
    for key, value in model.state_dict().items():  # weights and BatchNorm buffers of the best epoch
        np.testing.assert_array_equal(value.detach().numpy(), snapshots[best][key])


def test_restore_best_false_keeps_the_last_weights():
    model = nn.Linear(2, 1)
    stopper = train.EarlyStopping(patience=0, restore_best=False)
    stopper.model = model
    stopper.on_train_begin({})
    stopper.on_epoch_end(0, {"val_loss": 1.0})
    with mg.no_grad():
        model.weight.fill_(7.0)
    stopper.on_epoch_end(1, {"val_loss": 2.0})
    stopper.on_train_end({})
    assert (model.weight.detach().numpy() == 7.0).all()
