"""matplotlib figures of gradient traces and training histories.

matplotlib is imported only here, only when a plot is asked for. With a `path` the
figure is drawn on matplotlib's Agg canvas without touching pyplot's global state (works
headless, leaks no open figure) and saved by the path's suffix (.png, .svg, .pdf); without
one it is made with pyplot so Jupyter shows it. Every function returns the `Figure`.
"""
from __future__ import annotations

import math

import numpy as np

_INSTALL_HINT = 'plotting needs matplotlib: pip install "minigrad[viz]" (or pip install matplotlib)'


def new_figure(path, figsize):
    """A Figure: on the Agg canvas when it will be saved to `path`, else from pyplot (Jupyter)."""
    try:
        if path is not None:
            from matplotlib.figure import Figure  # Agg canvas by default; no pyplot state

            return Figure(figsize=figsize)
        import matplotlib.pyplot as plt
    except ImportError as e:  # pragma: no cover - matplotlib is installed in dev setups
        raise ImportError(_INSTALL_HINT) from e
    return plt.figure(figsize=figsize)


def finish(fig, path):
    """Lay out `fig` and save it to `path` (format from the suffix) when one is given."""
    fig.tight_layout()
    if path is not None:
        fig.savefig(str(path), dpi=110)
    return fig


def _param_columns(tracer, metric="grad_norm"):
    """(names, steps x layers table) of the parameterised layers, in forward order."""
    order = [i for i in tracer.depth_order() if i in set(tracer.param_layers())]
    return [tracer.names[i] for i in order], tracer.history(metric)[:, order]


def _name_ticks(ax, names, axis):
    """Layer names as tick labels, thinned so ~40 at most are written (readable at 30+)."""
    stride = max(1, math.ceil(len(names) / 40))
    pos = list(range(0, len(names), stride))
    if axis == "x":
        ax.set_xticks(pos)
        ax.set_xticklabels([names[i] for i in pos], rotation=90, fontsize=7)
    else:
        ax.set_yticks(pos)
        ax.set_yticklabels([names[i] for i in pos], fontsize=7)


def plot_trace(tracer, path=None):
    """Heatmap of log10 gradient norm (layers x steps) plus one line per layer.

    Layers run input (top) to output (bottom) in the heatmap; lines are coloured from
    input (dark) to output (light), with a colour bar instead of a 30-entry legend.
    """
    names, table = _param_columns(tracer)
    steps = tracer.recorded_steps()
    if not steps or not names:
        raise RuntimeError("plot: nothing recorded yet (run forward/backward with the tracer attached)")
    with np.errstate(divide="ignore", invalid="ignore"):
        logs = np.log10(table)
    logs[~np.isfinite(logs)] = np.nan
    fig = new_figure(path, (12, max(4.0, 0.22 * len(names) + 1.5)))
    ax1, ax2 = fig.subplots(1, 2, gridspec_kw={"width_ratios": [1.2, 1]})
    from matplotlib import cm, colors

    cmap = cm.viridis.with_extremes(bad="#bdbdbd")  # zero (underflowed) or unrecorded gradients
    im = ax1.imshow(logs.T, aspect="auto", cmap=cmap, interpolation="nearest",
                    extent=(-0.5, len(steps) - 0.5, len(names) - 0.5, -0.5))
    fig.colorbar(im, ax=ax1, label="log10 ||grad||")
    _name_ticks(ax1, names, "y")
    ax1.set_xlabel("recorded step (index)")
    ax1.set_title("log10 gradient norm per layer (grey: zero)")
    norm = colors.Normalize(0, max(len(names) - 1, 1))
    for i in range(len(names)):
        ax2.plot(steps, table[:, i], color=cm.viridis(norm(i)), lw=1)
    if np.nanmax(np.where(table > 0, table, np.nan), initial=0) > 0:
        ax2.set_yscale("log")
    fig.colorbar(cm.ScalarMappable(norm=norm, cmap="viridis"), ax=ax2, label="layer (input -> output)")
    ax2.set_xlabel("step")
    ax2.set_ylabel("||grad||")
    ax2.set_title("per-layer gradient norm over steps")
    ax2.grid(alpha=0.3)
    return finish(fig, path)


def plot_grad_flow(tracer, path=None, step=-1):
    """Per-layer bars of the gradient at one recorded step (the last by default).

    For each parameterised layer, in forward order: the RMS gradient entry
    ``||grad|| / sqrt(numel)`` (its typical size) and the gradient L2 norm, on a log
    axis so a vanishing stack shows as a staircase. `tracer` is a `GradientTracer`.
    """
    names, table = _param_columns(tracer)
    steps = tracer.recorded_steps()
    if not steps:
        raise RuntimeError("plot_grad_flow: nothing recorded yet (run forward/backward with the tracer attached)")
    if not -len(steps) <= step < len(steps):
        raise IndexError(f"plot_grad_flow: step {step} out of range for {len(steps)} recorded steps")
    numel = np.array([tracer.layer_numel(n) for n in names], dtype=np.float64)
    norms = table[step]
    rms = norms / np.sqrt(np.maximum(numel, 1))
    fig = new_figure(path, (max(6.0, 0.3 * len(names) + 2), 4.5))
    ax = fig.subplots()
    x = np.arange(len(names))
    ax.bar(x, norms, color="#5ec962", alpha=0.6, label="||grad|| (L2 norm)")
    ax.bar(x, rms, color="#3b528b", alpha=0.9, width=0.5, label="RMS gradient entry")
    if (norms > 0).any():
        ax.set_yscale("log")
        zero = np.flatnonzero(norms == 0)
        if zero.size:  # invisible on a log axis: mark them
            ax.plot(zero, np.full(zero.size, np.nanmin(norms[norms > 0])), "x", color="#e41a1c",
                    label="zero gradient")
    _name_ticks(ax, names, "x")
    ax.set_xlim(-0.6, len(names) - 0.4)
    ax.set_ylabel("gradient")
    ax.set_title(f"gradient flow at step {steps[step]} (input -> output)")
    ax.legend()
    ax.grid(alpha=0.3, axis="y")
    return finish(fig, path)


def _history_dict(history):
    """{key: list} from a dict of lists, an object with as_dict(), or attributes."""
    if isinstance(history, dict):
        data = history
    elif hasattr(history, "as_dict"):
        data = history.as_dict()
    else:
        data = {k: getattr(history, k) for k in ("epoch", "train_loss", "val_loss", "lr") if hasattr(history, k)}
    if not data:
        raise TypeError(f"plot_history: expected a dict of lists or a History, got {type(history).__name__}")
    out = {}
    for k, v in data.items():
        try:
            out[k] = np.asarray(v, dtype=np.float64).reshape(-1)
        except (TypeError, ValueError):
            raise TypeError(f"plot_history: {k!r} must be a list of numbers") from None
    return out


def plot_history(history, path=None):
    """Loss, each metric (train vs validation) and the learning rate per epoch.

    `history` is a ``mg.train.History``, any object with ``as_dict()`` or attributes
    ``train_loss``/``val_loss``/``lr``, or a dict of lists. Keys ``train_X``/``val_X``
    share a panel titled X; ``lr`` (and ``lr_1``, ...) get a log-scale panel; ``epoch``
    is the x axis when present; ``time`` is ignored.
    """
    data = _history_dict(history)
    n = max(len(v) for v in data.values())
    epochs = data.get("epoch", np.arange(1, n + 1, dtype=np.float64))
    panels = {}
    for key, values in data.items():
        if key in ("epoch", "time") or key == "lr" or key.startswith("lr_"):
            continue
        split, _, rest = key.partition("_")
        title = rest if split in ("train", "val") and rest else key
        panels.setdefault(title, []).append(({"train": "train", "val": "validation"}.get(split, key), values))
    lrs = [(k, v) for k, v in data.items() if k == "lr" or k.startswith("lr_")]
    count = len(panels) + bool(lrs)
    if not count:
        raise ValueError(f"plot_history: nothing to plot in keys {sorted(data)}")
    fig = new_figure(path, (4.2 * count, 3.4))
    axes = np.atleast_1d(fig.subplots(1, count))
    for ax, (title, curves) in zip(axes, sorted(panels.items(), key=lambda kv: kv[0] != "loss")):
        for label, values in curves:
            ax.plot(epochs[:len(values)], values, marker="." if n < 40 else None, label=label)
        finite = np.concatenate([v[np.isfinite(v)] for _, v in curves])
        if title == "loss" and finite.size and (finite > 0).all():
            ax.set_yscale("log")
        ax.set_title(title)
        ax.set_xlabel("epoch")
        ax.legend()
        ax.grid(alpha=0.3)
    if lrs:
        ax = axes[-1]
        for key, values in lrs:
            ax.plot(epochs[:len(values)], values, label="group 0" if key == "lr" else f"group {key[3:]}")
        if all((v[np.isfinite(v)] > 0).all() for _, v in lrs):
            ax.set_yscale("log")
        ax.set_title("learning rate")
        ax.set_xlabel("epoch")
        ax.grid(alpha=0.3)
        if len(lrs) > 1:
            ax.legend()
    return finish(fig, path)
