"""Callbacks: hooks `fit` calls around epochs and batches, and `EarlyStopping`.

The protocol (every method optional; subclass `Callback` for no-op defaults):

- ``on_train_begin(logs)``: before the first epoch. `fit` sets ``callback.model``,
  ``callback.optimizer`` and ``callback.history`` beforehand.
- ``on_epoch_begin(epoch, logs)``
- ``on_batch_end(batch, logs)``: ``logs`` holds ``"loss"`` (the batch loss as a 0-d
  tensor on the device: calling ``.item()`` on it costs a host sync) and ``"size"``.
- ``on_epoch_end(epoch, logs)``: ``logs`` holds the epoch's floats (``train_loss``,
  ``val_loss``, metrics, ``lr``, ``time``). Returning True, or setting
  ``self.stop_training = True``, stops training after this epoch.
- ``on_train_end(logs)``: after the last epoch (also after a stop).
"""
import math

from ._state import snapshot


class Callback:
    """Base class with a no-op for every hook (see the module docstring)."""

    model = None
    optimizer = None
    history = None
    stop_training = False

    def on_train_begin(self, logs=None):
        pass

    def on_epoch_begin(self, epoch, logs=None):
        pass

    def on_batch_end(self, batch, logs=None):
        pass

    def on_epoch_end(self, epoch, logs=None):
        pass

    def on_train_end(self, logs=None):
        pass


class EarlyStopping(Callback):
    """Stop once `monitor` has not improved for `patience` epochs in a row.

    An epoch improves on the best so far when ``value < best - min_delta`` (mode "min") or
    ``value > best + min_delta`` (mode "max"); NaN never improves. With ``restore_best``
    the weights (and buffers) of the best epoch are copied when it happens and loaded back
    into the model when training ends, so the model `fit` returns is the best one seen.

    After training: ``best`` (value), ``best_epoch`` and ``stopped_epoch`` (None when the
    run used all its epochs).
    """

    def __init__(self, monitor="val_loss", patience=5, min_delta=0.0, mode="min", restore_best=True):
        if mode not in ("min", "max"):
            raise ValueError(f"EarlyStopping: mode must be 'min' or 'max', got {mode!r}")
        if patience < 0:
            raise ValueError(f"EarlyStopping: patience must be >= 0, got {patience}")
        if min_delta < 0:
            raise ValueError(f"EarlyStopping: min_delta must be >= 0, got {min_delta}")
        self.monitor = monitor
        self.patience = patience
        self.min_delta = min_delta
        self.mode = mode
        self.restore_best = restore_best
        self._reset()

    def _reset(self):
        self.best = math.inf if self.mode == "min" else -math.inf
        self.best_epoch = None
        self.stopped_epoch = None
        self.wait = 0
        self.stop_training = False
        self._best_state = None

    def _improved(self, value):
        if math.isnan(value):
            return False
        if self.mode == "min":
            return value < self.best - self.min_delta
        return value > self.best + self.min_delta

    def on_train_begin(self, logs=None):
        self._reset()

    def on_epoch_end(self, epoch, logs=None):
        logs = logs or {}
        if self.monitor not in logs:
            raise KeyError(
                f"EarlyStopping: monitor {self.monitor!r} is not logged; available: {sorted(logs)}"
                + (" (val_* needs a val_loader)" if self.monitor.startswith("val_") else "")
            )
        value = logs[self.monitor]
        if self._improved(value):
            self.best, self.best_epoch, self.wait = value, epoch, 0
            if self.restore_best and self.model is not None:
                self._best_state = snapshot(self.model.state_dict())
            return False
        self.wait += 1
        if self.wait >= self.patience:
            self.stopped_epoch = epoch
            self.stop_training = True
        return self.stop_training

    def on_train_end(self, logs=None):
        if self.restore_best and self._best_state is not None:
            self.model.load_state_dict(self._best_state)

    def __repr__(self):
        return (
            f"EarlyStopping(monitor={self.monitor!r}, patience={self.patience}, min_delta={self.min_delta}, "
            f"mode={self.mode!r}, restore_best={self.restore_best})"
        )
