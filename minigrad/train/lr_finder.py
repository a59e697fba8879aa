"""`lr_find`: the learning-rate range test (Smith, "Cyclical Learning Rates", 2017).

Train for up to `num_iter` batches while the learning rate grows exponentially from
`start_lr` to `end_lr`, record the loss at each rate, stop once the loss diverges, then
put the model and optimizer back as they were. A good learning rate sits where the loss
falls fastest, well before the minimum (at the minimum the rate is already too large).
"""
import math

from ._state import snapshot
from .loop import train_step


class LRFinderResult:
    """The outcome of `lr_find`: ``lrs``, ``losses`` (smoothed), ``raw_losses``, ``suggested_lr``."""

    def __init__(self, lrs, losses, raw_losses, suggested_lr, suggested_index):
        self.lrs = lrs
        self.losses = losses
        self.raw_losses = raw_losses
        self.suggested_lr = suggested_lr
        self.suggested_index = suggested_index

    def __repr__(self):
        lr = "None" if self.suggested_lr is None else f"{self.suggested_lr:.3g}"
        return f"LRFinderResult({len(self.lrs)} steps, lr {self.lrs[0]:.3g}..{self.lrs[-1]:.3g}, suggested_lr={lr})"

    def plot(self, path=None):
        """Smoothed (and raw) loss against the learning rate on a log axis, the suggestion marked."""
        from ..viz.plots import finish, new_figure

        fig = new_figure(path, (5.5, 3.8))
        ax = fig.add_subplot(1, 1, 1)
        ax.plot(self.lrs, self.raw_losses, color="0.75", lw=0.8, label="loss")
        ax.plot(self.lrs, self.losses, color="C0", label="smoothed loss")
        if self.suggested_lr is not None:
            i = self.suggested_index
            ax.plot([self.lrs[i]], [self.losses[i]], "o", color="C3", label=f"steepest descent: {self.suggested_lr:.2g}")
        ax.set_xscale("log")
        finite = [v for v in self.losses + self.raw_losses if math.isfinite(v)]
        if finite:  # keep the divergence spike from squashing the interesting part
            lo, hi = min(finite), max(self.losses[0], self.raw_losses[0])
            pad = hi - lo + 1e-12
            ax.set_ylim(lo - 0.05 * pad, hi + 0.3 * pad)
        ax.set_xlabel("learning rate")
        ax.set_ylabel("training loss")
        ax.set_title("learning-rate range test")
        ax.grid(alpha=0.3)
        ax.legend()
        return finish(fig, path)


def _set_lr(optimizer, lr):
    for group in optimizer.param_groups:
        group["lr"] = lr


def _batches(loader):
    """Batches of `loader` forever (a new pass each time it runs out)."""
    while True:
        empty = True
        for batch in loader:
            empty = False
            yield batch
        if empty:
            raise ValueError("lr_find: the loader yields no batches")


def suggest_lr(lrs, losses, skip_start=None):
    """The learning rate at the steepest descent of the smoothed loss curve.

    The slope is d(loss)/d(log lr) by central differences (``numpy.gradient``), searched
    from `skip_start` (default: the first 10% of the points, where the moving average
    is still warming up) up to the minimum of the curve — beyond the minimum the loss
    only rises. Returns ``(lr, index)``, or ``(None, None)`` with fewer than 3 usable points.
    """
    import numpy as np

    y = np.asarray(losses, dtype=np.float64)
    x = np.log(np.asarray(lrs, dtype=np.float64))
    finite = np.isfinite(y)
    end = int(np.argmin(np.where(finite, y, np.inf))) + 1 if finite.any() else 0
    start = len(y) // 10 if skip_start is None else skip_start
    if end - start < 3:
        start = 0
    if end - start < 3:
        return None, None
    slope = np.gradient(y[start:end], x[start:end])
    i = start + int(np.argmin(slope))
    return float(lrs[i]), i


def lr_find(
    model,
    loss_fn,
    optimizer,
    loader,
    start_lr=1e-7,
    end_lr=10,
    num_iter=100,
    smooth=0.05,
    diverge_threshold=5.0,
    device=None,
):
    """Run the exponential learning-rate range test and restore the model and optimizer.

    Step ``i`` (0-based) trains one batch at ``lr_i = start_lr * (end_lr / start_lr) **
    (i / (num_iter - 1))`` (every parameter group gets the same rate). The loss curve is
    an exponential moving average, ``s_i = smooth * loss_i + (1 - smooth) * s_{i-1}``; the
    test stops early once ``s_i > diverge_threshold * min(s)`` or the loss is not finite.
    Each step reads its loss on the host (one sync per step: this is a short diagnostic,
    not a training loop).

    Returns an `LRFinderResult`; ``suggested_lr`` is the rate where the smoothed loss
    falls fastest against log(lr) (see `suggest_lr`). Afterwards the model's parameters
    and buffers and the optimizer's state and learning rates are those it had before.
    """
    if not 0 < start_lr < end_lr:
        raise ValueError(f"lr_find: need 0 < start_lr < end_lr, got start_lr={start_lr}, end_lr={end_lr}")
    if num_iter < 2:
        raise ValueError(f"lr_find: num_iter must be >= 2, got {num_iter}")
    if not 0 < smooth <= 1:
        raise ValueError(f"lr_find: smooth must be in (0, 1], got {smooth}")
    if diverge_threshold <= 1:
        raise ValueError(f"lr_find: diverge_threshold must be > 1, got {diverge_threshold}")
    if device is not None:
        model.to(device)
    model_state = snapshot(model.state_dict())
    optim_state = snapshot(optimizer.state_dict())
    group_lrs = [g["lr"] for g in optimizer.param_groups]
    was_training = getattr(model, "training", True)
    gamma = (end_lr / start_lr) ** (1.0 / (num_iter - 1))
    lrs, losses, raw = [], [], []
    try:
        model.train()
        batches = _batches(loader)
        for i in range(num_iter):
            lr = start_lr * gamma**i
            _set_lr(optimizer, lr)
            loss = train_step(model, loss_fn, optimizer, next(batches), device)[0].item()
            smoothed = loss if not losses else smooth * loss + (1 - smooth) * losses[-1]
            lrs.append(lr)
            raw.append(loss)
            losses.append(smoothed)
            if not math.isfinite(loss) or smoothed > diverge_threshold * min(losses):
                break
    finally:
        model.load_state_dict(model_state)
        optimizer.load_state_dict(optim_state)
        for group, lr in zip(optimizer.param_groups, group_lrs):
            group["lr"] = lr
        model.train(was_training)
    lr, index = suggest_lr(lrs, losses)
    return LRFinderResult(lrs, losses, raw, lr, index)
