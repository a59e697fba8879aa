"""Gradients over time: what `GradientTracer` records and judges for recurrent layers.

In backpropagation through time the gradient reaching the hidden state ``h_t`` is
multiplied by the recurrent Jacobian once per step on its way back, so it vanishes or
explodes exponentially in the distance from where the loss reads the sequence, just as
it does over the depth of a layer stack. For each recurrent layer (`nn.RNN`, `nn.LSTM`,
`nn.GRU`) the tracer records ``||dL/dh_t||`` for every time step t of its first layer
(the forward direction of a bidirectional one), summed over the batch: `history`
gives a (recorded steps x time) array.

`time_rule` fits ``log10 ||dL/dh_t|| = a + b * k`` over k = steps back from the last time
step (medians of the last recorded steps) and compares the fitted ratio between the
first and last time step with the depth rule's thresholds. The norms include the part of
the loss that reads h_t directly, so a loss on every time step hides a vanishing
long-range gradient; a loss on the last step (or a few) shows it.
"""
from __future__ import annotations

import math
import warnings

import numpy as np

from .. import backend

TIME_METRICS = ("time_grad_norm",)

REMEDIES = {
    "vanishing": [
        "use a gated recurrent layer, mg.nn.LSTM or mg.nn.GRU, instead of a vanilla RNN: their "
        "additive cell/state update lets the gradient cross many time steps",
        "initialise the recurrent weights orthogonally (mg.nn.init.orthogonal_(rnn.weight_hh_l0)) or as "
        "the identity with ReLU (IRNN), so the recurrent Jacobian neither shrinks nor grows the gradient",
        "shorten the dependency: truncated backpropagation through time over shorter chunks, or feed "
        "the information closer to where it is needed",
        "for an LSTM, start the forget-gate bias at 1 (bias_hh_l0[H:2H]) so the cell keeps its memory",
    ],
    "exploding": [
        "clip the gradient norm before each step: mg.nn.utils.clip_grad_norm_(model.parameters(), max_norm=1.0)",
        "shrink the recurrent weights' spectral radius below 1 (orthogonal init: "
        "mg.nn.init.orthogonal_(rnn.weight_hh_l0), or scale weight_hh down)",
        "use truncated backpropagation through time (detach the hidden state every k steps)",
        "use mg.nn.LSTM or mg.nn.GRU, whose gates bound the state, and a lower learning rate",
    ],
}


class TimeGrads:
    """Per recurrent layer of a traced model: ||dL/dh_t|| of each recorded step.

    The tracer owns one; `attach`/`detach` set and clear each layer's
    ``_time_grad_hook``, which the layer calls at every forward pass to get an observer
    for its recurrence node (None when the pass is not recorded).
    """

    def __init__(self, tracer, model):
        from ..nn.rnn import RNNBase  # trace sits above nn; imported late to keep startup lean

        self.tracer = tracer
        self.modules = [(name or type(m).__name__, m) for name, m in model.named_modules() if isinstance(m, RNNBase)]
        self.names = [name for name, _ in self.modules]
        self._rows = {name: {} for name in self.names}  # name -> {step index: device (T,) array}

    def attach(self):
        for name, module in self.modules:
            module._time_grad_hook = self._observer_factory(name)

    def detach(self):
        for _, module in self.modules:
            module._time_grad_hook = None

    def _observer_factory(self, name):
        def for_direction(direction):
            step = self.tracer._step
            if step is None or direction != 0:
                return None
            rows = self._rows[name]

            def observe(norms):
                step.backward_seen = True
                prev = rows.get(step.index)
                # a second backward through one forward (retain_graph) adds in squares, as _add_norm
                rows[step.index] = norms if prev is None else backend.array_module(norms).sqrt(prev * prev + norms * norms)

            return observe

        return for_direction

    def history(self, layer=None):
        """(recorded steps x time) float64 array of ||dL/dh_t|| for recurrent `layer`
        (a name from `names`; the first recurrent layer by default). Rows of shorter
        sequences, and steps not recorded, are padded with NaN."""
        if not self.names:
            raise ValueError("history: time_grad_norm needs a recurrent layer (nn.RNN, nn.LSTM, nn.GRU) in the model")
        if layer is None:
            layer = self.names[0]
        if layer not in self._rows:
            raise ValueError(f"history: {layer!r} is not a recurrent layer of the model; choose from {self.names}")
        rows = self._rows[layer]
        steps = self.tracer.recorded_steps()
        host = {}
        for index in steps:
            if index in rows and not isinstance(rows[index], np.ndarray):
                rows[index] = backend.to_host(rows[index]).astype(np.float64)  # fetched once
            if index in rows:
                host[index] = rows[index]
        width = max((len(r) for r in host.values()), default=0)
        table = np.full((len(steps), width), np.nan)
        for s, index in enumerate(steps):
            if index in host:
                table[s, :len(host[index])] = host[index]
        return table


def _fit_factor(k, values):
    """Per-step factor 10**b of the least-squares fit log10 v = a + b * k."""
    return float(10.0 ** np.polyfit(k, np.log10(values), 1)[0])


def time_rule(ev, tracer, window, vanish_ratio, explode_ratio):
    """Vanishing / exploding over time for each recurrent layer of `tracer`.

    Appends sentences to ``ev.vanishing`` / ``ev.exploding`` (and marks the layer in
    ``ev.layers``); returns ``{status: [layer names]}`` for the verdicts it found.
    """
    found = {}
    time = getattr(tracer, "_time", None)
    if time is None:
        return found
    for name in time.names:
        table = time.history(name)
        if not table.size:
            continue
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN columns stay NaN
            profile = np.nanmedian(table[-window:], axis=0)
        T = len(profile)
        k = T - 1 - np.arange(T)  # steps back from the last time step, where backward enters
        usable = np.isfinite(profile) & (profile > 0)
        zero = np.isfinite(profile) & (profile == 0)
        if usable.sum() < 2 or T < 2:
            continue
        factor = _fit_factor(k[usable], profile[usable])
        ratio = factor ** (T - 1)
        ev.details.setdefault("time", {})[name] = {"per_step_factor": factor, "time_ratio": ratio, "steps": T}
        sentence = (f"over time in '{name}': the gradient reaching h_0 is {ratio:.2g} times that reaching "
                    f"h_{T - 1} (log-linear fit over {int(usable.sum())} time steps: x{factor:.3g} per step back)")
        status = None
        if ratio > explode_ratio:
            status, sentence = "exploding", sentence + f" > {explode_ratio:g}"
        elif ratio < vanish_ratio or zero.any():
            status = "vanishing"
            sentence += f" < {vanish_ratio:g}" if ratio < vanish_ratio else ""
            if zero.any():
                sentence += f"; {int(zero.sum())} time step(s) get exactly zero gradient"
        if status is None:
            ev.notes.append(sentence)
            continue
        (ev.exploding if status == "exploding" else ev.vanishing).append(sentence)
        ev.layers[name] = status
        found.setdefault(status, []).append(name)
    return found


def plot_time_grads(tracer, path=None, layer=None):
    """Heatmap of log10 ||dL/dh_t|| (time step x recorded step) for a recurrent layer,
    and the profile over time at a few recorded steps (matplotlib)."""
    from ..viz.plots import finish, new_figure

    time = tracer._time
    table = time.history(layer)
    layer = layer or time.names[0]
    steps = tracer.recorded_steps()
    if not table.size:
        raise RuntimeError(f"plot: no gradient over time recorded for '{layer}' yet")
    with np.errstate(divide="ignore", invalid="ignore"):
        logs = np.log10(table)
    logs[~np.isfinite(logs)] = np.nan
    fig = new_figure(path, (12, 4.5))
    ax1, ax2 = fig.subplots(1, 2, gridspec_kw={"width_ratios": [1.2, 1]})
    from matplotlib import cm, colors

    im = ax1.imshow(logs.T, aspect="auto", origin="lower", cmap=cm.viridis.with_extremes(bad="#bdbdbd"),
                    interpolation="nearest", extent=(-0.5, len(steps) - 0.5, -0.5, table.shape[1] - 0.5))
    fig.colorbar(im, ax=ax1, label="log10 ||dL/dh_t||")
    ax1.set_xlabel("recorded step (index)")
    ax1.set_ylabel("time step t")
    ax1.set_title(f"'{layer}': gradient reaching each hidden state")
    picks = sorted(set(np.linspace(0, len(steps) - 1, min(5, len(steps))).astype(int)))
    norm = colors.Normalize(0, max(len(steps) - 1, 1))
    for s in picks:
        ax2.plot(np.arange(table.shape[1]), table[s], color=cm.viridis(norm(s)), lw=1.2, label=f"step {steps[s]}")
    if np.nanmax(np.where(table > 0, table, np.nan), initial=0) > 0:
        ax2.set_yscale("log")
    ax2.set_xlabel("time step t")
    ax2.set_ylabel("||dL/dh_t||")
    ax2.set_title("over time, at a few steps")
    ax2.legend(fontsize=8)
    ax2.grid(alpha=0.3)
    return finish(fig, path)


def exploded_before(hist, plist, steps, first_bad, growth_ratio, max_relative_grad):
    """A sentence if the finite values up to row `first_bad` (the first with NaN/Inf)
    show an explosion (gradients far larger than their weights, or growing fast over
    steps): then the NaN is its end, not bad data. None otherwise."""
    upto = slice(0, first_bad + 1)
    g, w = hist["grad_norm"][upto][:, plist], hist["weight_norm"][upto][:, plist]
    with np.errstate(divide="ignore", invalid="ignore"):
        rel = g / w
    for r, row in enumerate(rel):
        ok = row[np.isfinite(row)]
        if ok.size and np.median(ok) > max_relative_grad:
            return (f"at step {steps[r]} the median layer's gradient was {np.median(ok):.3g}x its weights' norm "
                    f"(limit {max_relative_grad:g})")
    with np.errstate(invalid="ignore"):
        total = np.sqrt(np.nansum(np.where(np.isfinite(g), g, np.nan) ** 2, axis=1))
    clean = [i for i in range(first_bad) if np.isfinite(g[i]).all()]
    if len(clean) >= 2 and total[clean[0]] > 0:
        growth = total[clean[-1]] / total[clean[0]]
        if growth > growth_ratio or not math.isfinite(growth):
            return f"the total gradient norm grew {growth:.3g}x from step {steps[clean[0]]} to step {steps[clean[-1]]}"
    return None
