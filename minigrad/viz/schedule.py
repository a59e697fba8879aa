"""`plot_schedule`: a learning-rate schedule's curve, drawn without training (matplotlib)."""
from __future__ import annotations

import copy

from ..optim.lr_scheduler import LRScheduler, ReduceLROnPlateau
from ..optim.sgd import SGD
from ..tensor import Tensor


def plot_schedule(scheduler, steps, path=None, *, lr=0.1, metrics=None):
    """See a schedule's curve without training.

    `scheduler` is either a factory ``optimizer -> scheduler`` (it is given a throw-away
    SGD optimizer with one parameter, ``lr`` and momentum 0.9), or an existing scheduler,
    which is stepped on a copy so that it and its optimizer are left untouched.
    ReduceLROnPlateau needs `metrics`, one value per step.

    Returns ``(lrs, fig)``: ``lrs[g]`` is the list of `steps` learning rates of parameter
    group `g` (the lr in force at each step), and a matplotlib Figure (saved to `path`
    when given).
    """
    try:
        from matplotlib.figure import Figure
    except ImportError as e:  # pragma: no cover - depends on the environment
        raise ImportError('plot_schedule needs matplotlib: pip install "minigrad[viz]"') from e
    if isinstance(scheduler, (LRScheduler, ReduceLROnPlateau)):
        scheduler = copy.deepcopy(scheduler)
    else:
        param = Tensor([0.0], requires_grad=True)
        scheduler = scheduler(SGD([param], lr=lr, momentum=0.9))
    if isinstance(scheduler, ReduceLROnPlateau) and (metrics is None or len(metrics) < steps):
        raise ValueError("plot_schedule: ReduceLROnPlateau needs `metrics`, one value per step")
    optimizer = scheduler.optimizer
    optimizer._opt_called = True  # no optimizer steps here: silence the call-order warning
    lrs = [[] for _ in optimizer.param_groups]
    for i in range(steps):
        for curve, group in zip(lrs, optimizer.param_groups):
            curve.append(group["lr"])
        if isinstance(scheduler, ReduceLROnPlateau):
            scheduler.step(metrics[i])
        else:
            scheduler.step()
    fig = Figure(figsize=(6, 3.5))
    ax = fig.add_subplot(1, 1, 1)
    for g, curve in enumerate(lrs):
        ax.plot(range(steps), curve, label=f"group {g}" if len(lrs) > 1 else None)
    ax.set_xlabel("step")
    ax.set_ylabel("learning rate")
    ax.set_title(type(scheduler).__name__)
    ax.grid(True, alpha=0.3)
    if len(lrs) > 1:
        ax.legend()
    fig.tight_layout()
    if path is not None:
        fig.savefig(path)
    return lrs, fig
