"""`fit` and `evaluate`: the mini-batch training loop.

Host syncs are the cost to avoid on a GPU, so batch losses and metrics are summed into
0-d arrays on the device and fetched once per epoch; only the progress bar fetches the
running sums, at most every half second.
"""
import math
import time

from .. import autograd
from ..data.collate import batch_to_device
from ..optim import lr_scheduler
from ..tensor import Tensor
from .history import History
from .metrics import metric_name
from .progress import EpochProgress, choose_mode

# Schedulers whose cycle is defined in batches (PyTorch's docs: "step after every batch").
_PER_BATCH = (lr_scheduler.OneCycleLR, lr_scheduler.CyclicLR)


def _named_metrics(metrics):
    if isinstance(metrics, dict):
        return dict(metrics)
    return {metric_name(fn): fn for fn in metrics}


def _to_device(batch, device):
    return batch if device is None else batch_to_device(batch, device)


def _split(batch, where):
    """(inputs, target) of a batch: ``(x, y)``, or ``(x1, ..., y)`` for a model of several inputs."""
    if not isinstance(batch, (tuple, list)) or len(batch) < 2:
        raise TypeError(
            f"{where}: each batch must be a tuple (inputs, target), got {type(batch).__name__}"
            + (f" of length {len(batch)}" if isinstance(batch, (tuple, list)) else "")
        )
    return tuple(batch[:-1]), batch[-1]


class _Sums:
    """Sample-weighted sums of the loss and metrics, kept as arrays on the device."""

    def __init__(self, names):
        self.names = ("loss",) + tuple(names)
        self.sums = dict.fromkeys(self.names, 0.0)
        self.count = 0

    def add(self, n, values):
        # values are 0-d device arrays; `array * n` stays on the device, no sync
        for name, v in zip(self.names, values):
            self.sums[name] = self.sums[name] + v * n
        self.count += n

    def means(self, prefix=""):
        """The means as Python floats: one host fetch per value."""
        if not self.count:
            return {prefix + k: math.nan for k in self.names}
        return {prefix + k: float(s) / self.count for k, s in self.sums.items()}


def _value(x):
    """The 0-d array behind a metric's result (a Tensor, an array or a float)."""
    return x.array if isinstance(x, Tensor) else x


def _batch_values(loss, out, target, metrics):
    return [loss.array] + [_value(fn(out, target)) for fn in metrics.values()]


def evaluate(model, loss_fn, loader, metrics=(), device=None):
    """Mean loss and metrics of `model` over `loader`, in eval mode and without grad.

    Returns ``{"loss": float, "<metric>": float, ...}``. The model's train/eval mode is
    restored afterwards.
    """
    return _evaluate(model, loss_fn, loader, _named_metrics(metrics), device, prefix="")


def _evaluate(model, loss_fn, loader, metrics, device, prefix):
    was_training = getattr(model, "training", False)
    model.eval()
    sums = _Sums(metrics)
    try:
        with autograd.no_grad():
            for batch in loader:
                inputs, target = _split(_to_device(batch, device), "evaluate")
                out = model(*inputs)
                loss = loss_fn(out, target)
                sums.add(target.shape[0], _batch_values(loss, out, target, metrics))
    finally:
        model.train(was_training)
    return sums.means(prefix)


def train_step(model, loss_fn, optimizer, batch, device=None, clip_grad_norm=None):
    """One step of gradient descent on `batch`; returns ``(loss, output, target)``.

    With `clip_grad_norm`, the gradients of ``model.parameters()`` are rescaled to that
    total L2 norm at most (``nn.utils.clip_grad_norm_``) between backward and the step.
    """
    inputs, target = _split(_to_device(batch, device), "fit")
    optimizer.zero_grad()
    out = model(*inputs)
    loss = loss_fn(out, target)
    loss.backward()
    if clip_grad_norm is not None:
        from ..nn.utils import clip_grad_norm_

        clip_grad_norm_(model.parameters(), clip_grad_norm)
    optimizer.step()
    return loss, out, target


def default_interval(scheduler):
    """The default stepping of `scheduler`: 'batch' for OneCycleLR/CyclicLR, else 'epoch'."""
    return "batch" if isinstance(scheduler, _PER_BATCH) else "epoch"


def _is_plateau(scheduler):
    return isinstance(scheduler, lr_scheduler.ReduceLROnPlateau)


def _group_lrs(optimizer):
    groups = optimizer.param_groups
    logs = {"lr": float(groups[0]["lr"])}
    for i, g in enumerate(groups[1:], 1):
        logs[f"lr_{i}"] = float(g["lr"])
    return logs


def _call(callbacks, hook, *args):
    """Run `hook` on every callback; True when any asks training to stop."""
    stop = False
    for cb in callbacks:
        fn = getattr(cb, hook, None)
        if fn is not None:
            stop = bool(fn(*args)) or stop
        stop = stop or bool(getattr(cb, "stop_training", False))
    return stop


def fit(
    model,
    loss_fn,
    optimizer,
    train_loader,
    epochs,
    val_loader=None,
    scheduler=None,
    callbacks=(),
    metrics=(),
    device=None,
    progress=True,
    scheduler_interval=None,
    scheduler_monitor=None,
    clip_grad_norm=None,
    live_plot=False,
):
    """Train `model` for `epochs` epochs of mini-batch gradient descent; return a `History`.

    Each epoch: ``model.train()``; for every batch ``(x, y)`` of `train_loader` (or
    ``(x1, x2, ..., y)``): ``optimizer.zero_grad()``, ``loss = loss_fn(model(x), y)``,
    ``loss.backward()``, ``optimizer.step()``. Then, with a `val_loader`, the mean
    validation loss and `metrics` in ``model.eval()`` under ``no_grad``. The epoch loss is
    the sample-weighted mean of the batch losses (the dataset mean for ``reduction='mean'``
    losses), accumulated on the device and fetched once per epoch.

    Args:
        metrics: functions ``(pred, target) -> scalar tensor`` (``mg.train.accuracy``,
            ...) logged as ``train_<name>`` / ``val_<name>``, or a dict ``{name: fn}``.
        device: when given, the model is moved there and each batch is moved to it.
        progress: a tqdm bar per epoch on a terminal (running loss and metrics, refreshed
            at most twice a second); one summary line per epoch when stderr is not a
            terminal or tqdm is missing; nothing when False.
        scheduler: a learning-rate scheduler (or a list of them). Stepping rule:
            ``ReduceLROnPlateau`` once per epoch with the monitored value
            (`scheduler_monitor`, default ``val_loss`` when there is a validation loader,
            else ``train_loss``); ``OneCycleLR`` and ``CyclicLR`` after every batch; all
            others once per epoch. `scheduler_interval` ("epoch" or "batch") overrides it.
        callbacks: objects with any of the hooks of `mg.train.Callback` (e.g.
            `EarlyStopping`); a callback can stop training at the end of an epoch.
        clip_grad_norm: when given, gradients are clipped to this total L2 norm before
            every optimizer step (``nn.utils.clip_grad_norm_``).
        live_plot: in a Jupyter notebook, draw the loss/metric curves after every epoch,
            updated in place (`mg.train.live.LivePlot`).

    The model is left in the train/eval mode it had before `fit`.
    """
    if not isinstance(epochs, int) or epochs < 0:
        raise ValueError(f"fit: epochs must be a non-negative int, got {epochs!r}")
    if scheduler_interval not in (None, "epoch", "batch"):
        raise ValueError(f"fit: scheduler_interval must be 'epoch' or 'batch', got {scheduler_interval!r}")
    metrics = _named_metrics(metrics)
    schedulers = [] if scheduler is None else list(scheduler) if isinstance(scheduler, (list, tuple)) else [scheduler]
    per_batch = [s for s in schedulers if (scheduler_interval or default_interval(s)) == "batch"]
    per_epoch = [s for s in schedulers if s not in per_batch]
    monitor = scheduler_monitor or ("val_loss" if val_loader is not None else "train_loss")
    if device is not None:
        model.to(device)
    callbacks = list(callbacks)
    if live_plot:
        from .live import LivePlot

        callbacks.append(LivePlot())
    history = History()
    for cb in callbacks:
        for attr, value in (("model", model), ("optimizer", optimizer), ("history", history)):
            try:
                setattr(cb, attr, value)
            except AttributeError:  # a callback with slots or read-only properties
                pass
    mode = choose_mode(progress)
    try:
        total = len(train_loader)
    except TypeError:
        total = None
    was_training = getattr(model, "training", True)

    _call(callbacks, "on_train_begin", {})
    try:
        for epoch in range(epochs):
            lrs = _group_lrs(optimizer)
            _call(callbacks, "on_epoch_begin", epoch, {})
            model.train()
            bar = EpochProgress(mode, epoch, epochs, total)
            sums = _Sums(metrics)
            start = time.perf_counter()
            for i, batch in enumerate(train_loader):
                loss, out, target = train_step(model, loss_fn, optimizer, batch, device, clip_grad_norm)
                for s in per_batch:
                    s.step()
                with autograd.no_grad():
                    sums.add(target.shape[0], _batch_values(loss, out.detach(), target, metrics))
                if callbacks:
                    _call(callbacks, "on_batch_end", i, {"loss": loss.detach(), "size": target.shape[0]})
                bar.advance()
                if bar.wants_update():
                    bar.show(sums.means("train_"))
            logs = {"epoch": epoch + 1}
            logs.update(sums.means("train_"))
            if val_loader is not None:
                logs.update(_evaluate(model, loss_fn, val_loader, metrics, device, prefix="val_"))
            logs.update(lrs)
            logs["time"] = time.perf_counter() - start
            for s in per_epoch:
                if _is_plateau(s):
                    if monitor not in logs:
                        raise KeyError(f"fit: scheduler_monitor {monitor!r} is not logged; available: {sorted(logs)}")
                    s.step(logs[monitor])
                else:
                    s.step()
            bar.close(logs)
            history.append(logs)
            if _call(callbacks, "on_epoch_end", epoch, dict(logs)):
                break
    finally:
        _call(callbacks, "on_train_end", {})
        model.train(was_training)
    return history
