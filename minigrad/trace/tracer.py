"""`GradientTracer`: per-layer gradient, weight and activation statistics of a model.

How it hooks in (nothing is patched, everything is removed by `detach`):

* a forward pre-hook on the model marks the start of each forward pass made with grad
  enabled (an evaluation pass under ``no_grad`` is ignored) and decides whether this
  pass is recorded (every `every`-th backward);
* a forward hook on each *layer* (a module with parameters of its own, or a module with
  no children) computes activation statistics and weight norms, notes each weight's
  version counter (and, where needed, snapshots it into a reused buffer: see below),
  and registers a hook on the layer's output tensor, which sees the gradient arriving
  there during backward;
* a hook on each parameter sees its gradient during backward.

The update-to-weight ratio is measured, not predicted: ``||w_next - w|| / ||w||`` where
`w_next` are the weights the next forward pass reads, i.e. whatever the optimizer
really did (Adam, momentum, weight decay, clipping included). It is taken layer by
layer during that next pass and the step's row is closed at the end of it, or at
`detach`. With gradient accumulation (several backward passes per optimizer step) the
passes between steps get a ratio of 0.

Two ways to measure ``||w_next - w||^2``. Through the optimizer step hooks
(`optim.optimizer.register_optimizer_step_pre_hook` / `..._post_hook`, which every
optimizer runs): on a recorded step, the pre-hook makes sure a reused buffer holds the
weights of each traced parameter the optimizer is about to update, and the post-hook
takes the squared norms of the change and of the new weights (so the next pass need not
read them again for `weight_norm`), then copies the new weights into the buffer while
they are in cache: the next step's pre-hook copies only the parameters whose version
counter (or array) changed since. Their measurement is used when the version counter
shows that the optimizer's step was the only change since the forward pass, and after
the step until the next pass. Otherwise (a manual ``p -= lr * g``, a change after the
step) the weights snapshotted at the forward pass are compared. A parameter whose last
update was fully measured by the hooks is not snapshotted at the forward pass, so if it
is then changed some other way the ratio of that one step is NaN (unknown) and
snapshots resume; writes to ``p.array`` that bypass the version counter are not seen
once the hooks measure. The optimizer's arithmetic is the same traced or not.

All statistics stay on the model's device (0-d arrays) until a step closes; then they
are fetched with one host transfer (`stats.fetch`): a CUDA run syncs once per recorded
step, not once per tensor. Turning them into metrics waits until the history is read
(`table.Slots.derive`, for all waiting steps at once). No activation or gradient array
is kept alive for later. The saturated fraction of a large output comes from a fixed
sample of the batch (`stats.activation_stats`); every other statistic is exact.
"""
from __future__ import annotations

import csv
import json
import math

import numpy as np

from .. import autograd, backend, nn
from ..ops import elementwise
from ..optim.optimizer import register_optimizer_step_post_hook, register_optimizer_step_pre_hook
from ..tensor import Tensor
from .recurrent import TIME_METRICS, TimeGrads
from .stats import activation_stats, fetch, norm_stats, squared_norm, tensors_in
from .table import METRICS, PARAM_METRICS, Slots, add_norm

# the activation kinds whose statistics differ, by module type and by the op making an output
_ACTIVATION_MODULES = ((nn.Sigmoid, "sigmoid"), (nn.Tanh, "tanh"), (nn.ReLU, "relu"))
_ACTIVATION_OPS = ((elementwise.Sigmoid, "sigmoid"), (elementwise.Tanh, "tanh"), (elementwise.Relu, "relu"))
_HOST_FLOATS = (np.float32, np.float64)  # a statistic already on the host (the CPU)


def _kind_of(obj, table):
    """"sigmoid"/"tanh"/"relu" if `obj` is an instance of one of `table`'s classes, else None."""
    return next((kind for cls, kind in table if isinstance(obj, cls)), None)


class _Layer:
    __slots__ = ("name", "module", "params", "kind")

    def __init__(self, name, module, params):
        self.name, self.module, self.params = name, module, params
        # "sigmoid"/"tanh"/"relu"; None: not known yet (the op that makes the output
        # decides at the first pass); "": no activation
        self.kind = _kind_of(module, _ACTIVATION_MODULES)


class _Step:
    """What one recorded pass queued (device scalars on a GPU), until it is closed."""

    __slots__ = ("index", "backward_seen", "vals", "version", "snap")

    def __init__(self, index, slots):
        self.index = index
        self.backward_seen = False
        # the raw statistics (see table.Slots): gradient, weight and update norms per
        # parameter (the update's ||w_next - w||^2 is measured during the next pass), output
        # gradient norms and activation statistics per layer; None until measured
        self.vals = slots.new()
        self.version = [None] * slots.n_params  # each weight's version counter at the forward pass
        self.snap = [None] * slots.n_params  # weights at the forward pass, unless the optimizer reports


class GradientTracer:
    """Record gradient health per layer while a model trains.

    ::

        tracer = mg.trace.GradientTracer(model)
        with tracer:                      # or tracer.attach() ... tracer.detach()
            for x, y in loader:
                opt.zero_grad(); loss_fn(model(x), y).backward(); opt.step()
        print(tracer.diagnose())
        tracer.history("grad_norm")       # steps x layers numpy array

    Args:
        model: an ``nn.Module``; its layers are the modules with parameters of their own
            or without children (so activations are layers too), in ``named_modules()``
            order (`names`).
        every: record every `every`-th backward pass (others cost one check per hook).
        max_steps: the most rows the history keeps (None: no limit). When it is full the
            history is decimated: every second row is dropped and from then on every
            second step that would have been recorded is skipped, so the rows always
            span the whole run, evenly. Memory is at most about ``max_steps * (9 * layers +
            5 * parameters) * 8`` bytes whatever the run's length: at the default 4,096,
            18 MB for the 39-layer, 40-parameter MLP of ``tools/bench_trace.py``.
        activations: also record activation mean/std, saturation and dead units.

    Metrics (`history(metric)`, NaN where a metric does not apply to a layer):
        grad_norm      L2 norm of the layer's parameter gradients (all its parameters)
        out_grad_norm  L2 norm of the gradient arriving at the layer's output
        weight_norm    L2 norm of its parameters at the forward pass
        update_ratio   ||w_after_step - w|| / ||w||, measured (see module docstring)
        act_mean, act_std  mean and population std of the layer's output
        saturated      sigmoid: fraction of outputs < 0.05 or > 0.95; tanh: |output| >
                       0.95 (derivative below ~1/5 resp. 1/10 of its peak). Layers are
                       recognised by module type (Sigmoid/Tanh/ReLU) or by the op that
                       made the output. Above 8,192 values, counted on every k-th
                       sample of the batch (k = values // 8,192; the same every step).
        dead           ReLU: fraction of units whose output is 0 for every sample
        nonfinite      number of NaN/Inf values in the layer's output, output gradient,
                       parameters and parameter gradients
        time_grad_norm recurrent layers only: ``history("time_grad_norm", layer=None)`` is
                       (steps x time), the norm of the gradient reaching each time
                       step's hidden state
    `param_history(metric)` gives grad_norm/weight_norm/update_ratio per parameter
    (`param_names`).
    """

    def __init__(self, model, every=1, activations=True, max_steps=4096):
        if not hasattr(model, "named_modules") or not hasattr(model, "register_forward_hook"):
            raise TypeError(f"GradientTracer: model must be an nn.Module, got {type(model).__name__}")
        if not isinstance(every, int) or isinstance(every, bool) or every < 1:
            raise ValueError(f"GradientTracer: every must be a positive int, got {every!r}")
        if max_steps is not None and (not isinstance(max_steps, int) or isinstance(max_steps, bool) or max_steps < 1):
            raise ValueError(f"GradientTracer: max_steps must be a positive int or None, got {max_steps!r}")
        self.model, self.every, self.activations, self.max_steps = model, every, bool(activations), max_steps
        self._stride = 1  # after decimation, record every (every * stride)-th backward pass
        self._layers = []
        self.param_names, self._params = [], []
        for name, module in model.named_modules():
            own = [(n, p) for n, p in module.named_parameters(recurse=False) if p.requires_grad]
            has_children = next(iter(module.children()), None) is not None
            if own or not has_children:
                for pname, p in own:
                    self.param_names.append(f"{name}.{pname}" if name else pname)
                    self._params.append(p)
                self._layers.append(_Layer(name or type(module).__name__, module,
                                           list(range(len(self._params) - len(own), len(self._params)))))
        self.names = [layer.name for layer in self._layers]
        self._param_owners = [i for i, layer in enumerate(self._layers) if layer.params]
        self._param_starts = [self._layers[i].params[0] for i in self._param_owners]
        self._slots = Slots(len(self._layers), len(self._params), self._param_starts, self._param_owners)
        self._steps = []  # backward-pass index of each closed row
        self._rows = []  # one derived float64 row per closed step (see Slots.columns) ...
        self._pending = []  # ... but the last ones' raw rows, derived together when read (_flush)
        self._tail = None  # (index, derived row) of the open step, provisional (see _sync)
        self._order = []  # layer indices in the order their forward ran (depth order)
        self._order_done = False
        self._handles = []
        self._step = None  # the pass being recorded, until the next pass starts
        self._prev = None  # a recorded step waiting for its optimizer update to be measured
        self._n_backward = 0
        self._pass_backward = False
        self._index = {id(p): j for j, p in enumerate(self._params)}
        self._snap_bufs = [None] * len(self._params)  # forward-pass snapshots
        self._step_bufs = [None] * len(self._params)  # the weights before an optimizer step
        # (array, version) of which _step_bufs[j] holds a copy: the post-hook refreshes it
        # while the weights are in cache, so the next pre-hook need not copy them again
        self._step_copy = [None] * len(self._params)
        self._before = {}  # j -> version at the optimizer's pre-hook, for the parameters it snapshotted
        # j -> (version before, version after, ||w_after - w_before||^2, ||w_after||^2) of the
        # last optimizer step measured through the hooks
        self._measured = [None] * len(self._params)
        self._reported = [False] * len(self._params)  # last update fully measured through the hooks
        self._time = TimeGrads(self, model)  # ||dL/dh_t|| over time in recurrent layers

    # ------------------------------------------------------------------ attach/detach
    def attach(self):
        """Start recording (hooks on the model and its parameters). Returns self."""
        if self._handles:
            return self
        self._handles.append(self.model.register_forward_pre_hook(self._on_pass))
        for i, layer in enumerate(self._layers):
            self._handles.append(layer.module.register_forward_hook(self._layer_hook(i)))
        self._handles.append(self.model.register_forward_hook(self._on_pass_end))
        for j, p in enumerate(self._params):
            self._handles.append(p.register_hook(self._param_hook(j)))
        self._handles.append(register_optimizer_step_pre_hook(self._before_optimizer_step))
        self._handles.append(register_optimizer_step_post_hook(self._after_optimizer_step))
        self._time.attach()
        return self

    def detach(self):
        """Stop recording: close the open step (its update is measured now) and unhook."""
        self._close_prev()
        self._retire_step()
        self._close_prev()
        for h in self._handles:
            h.remove()
        self._handles.clear()
        self._time.detach()
        self._before.clear()
        self._step_copy = [None] * len(self._params)
        self._measured = [None] * len(self._params)
        self._reported = [False] * len(self._params)
        return self

    def __enter__(self):
        return self.attach()

    def __exit__(self, *exc):
        self.detach()

    # ------------------------------------------------------------------ hooks
    def _on_pass(self, module, inputs):
        if not autograd.is_grad_enabled():
            return None  # evaluation: neither a step nor the end of one
        self._close_prev()  # normally closed at the end of the last pass already
        self._retire_step()
        if self._n_backward % (self.every * self._stride) == 0:
            self._step = _Step(self._n_backward, self._slots)
        return None

    def _on_pass_end(self, module, inputs, output):
        if autograd.is_grad_enabled():
            self._close_prev()  # its update was measured layer by layer during this pass
        return None

    def _layer_hook(self, i):
        layer = self._layers[i]
        params, slots = layer.params, self._slots
        is_grad_enabled = autograd.is_grad_enabled

        def hook(module, inputs, output):
            if not is_grad_enabled():  # runs once per layer per pass: keep it lean
                return None
            prev, step = self._prev, self._step
            if prev is not None:  # the optimizer step is done: measure it while w is in cache
                upd = prev.vals
                for j in params:
                    if upd[slots.d_sq + j] is None:
                        upd[slots.d_sq + j] = self._update_of(prev, j, in_place=True)
            if step is None:
                return None
            out = output if isinstance(output, Tensor) else next(iter(tensors_in(output)), None)
            if not self._order_done and i not in self._order:  # depth order, from the first pass
                self._order.append(i)
            vals = step.vals
            if params and step.version[params[0]] is None:  # a layer called twice in a pass: first call wins
                self._weight_stats(step, params)
            if out is None:
                return None
            if self.activations and vals[slots.a_n + i] is None:
                if layer.kind is None:  # not known from the module type: ask the op, once
                    layer.kind = _kind_of(out.grad_fn, _ACTIVATION_OPS) or ""
                k = slots.a_sum + i
                (vals[k], vals[slots.a_sq + i], vals[slots.a_n + i], vals[slots.saturated + i],
                 vals[slots.dead + i], vals[slots.a_bad + i]) = \
                    activation_stats(out.array, layer.kind or None)
            if out.requires_grad:
                def on_out_grad(g):  # the gradient arriving at this layer's output, in backward
                    step.backward_seen = True
                    add_norm(vals, slots.o_sq + i, slots.o_bad + i, g.array)

                out.register_hook(on_out_grad)
            return None

        return hook

    def _weight_stats(self, step, params):
        """Weight norms and version counters of one layer's parameters at the forward pass
        (and, where the optimizer hooks do not report their update, a snapshot)."""
        vals, slots, measured, reported = step.vals, self._slots, self._measured, self._reported
        for j in params:
            p = self._params[j]
            m = measured[j]
            # the optimizer's last step was the only change since the hook took the norm
            known = m[3] if m is not None and p._version == m[1] else None
            if type(known) in _HOST_FLOATS and known < math.inf:
                vals[slots.w_sq + j] = known  # the CPU's common case: nothing to count
            else:
                vals[slots.w_sq + j], vals[slots.w_bad + j] = norm_stats(p.array, known)
            step.version[j] = p._version
            if not reported[j]:
                step.snap[j] = self._snapshot(j)

    def _snapshot(self, j, bufs=None):
        """Copy parameter j into its reused buffer in `bufs` (forward snapshots by default)."""
        bufs = self._snap_bufs if bufs is None else bufs
        data, buf = self._params[j].array, bufs[j]
        if type(buf) is np.ndarray and type(data) is np.ndarray and buf.shape == data.shape \
                and buf.dtype == data.dtype:
            np.copyto(buf, data)  # the CPU fast path: one pass into the reused buffer
        elif buf is None or buf.shape != data.shape or buf.dtype != data.dtype or type(buf) is not type(data) \
                or backend.device_of(buf) != backend.device_of(data):
            buf = bufs[j] = data.copy()
        else:
            backend.array_module(data).copyto(buf, data)
        return buf

    def _before_optimizer_step(self, optimizer, args, kwargs):
        """Global optimizer pre-hook: snapshot the traced parameters `optimizer` will update,
        while a recorded step waits for its update (others cost this one test)."""
        if self._step is None and self._prev is None:
            return None
        index, before, bufs, copies = self._index, self._before, self._step_bufs, self._step_copy
        for group in optimizer.param_groups:
            for p in group["params"]:
                j = index.get(id(p))
                if j is not None and p.grad is not None:
                    version, held = p._version, copies[j]
                    if held is None or held[0] is not p.array or held[1] != version:
                        self._snapshot(j, bufs)  # changed since the last post-hook's copy
                        copies[j] = (p.array, version)
                    before[j] = version
        return None

    def _after_optimizer_step(self, optimizer, args, kwargs):
        """Global optimizer post-hook: ||w_after - w_before||^2 and ||w_after||^2 of what the
        pre-hook snapshotted; then the buffer is refilled with the new weights, which the
        next step's pre-hook uses unless the version counter shows a change in between."""
        if not self._before:
            return None
        before, self._before = self._before, {}
        params, bufs, measured, copies = self._params, self._step_bufs, self._measured, self._step_copy
        for j, version in before.items():
            p = params[j]
            now = p._version
            if now == version:  # not changed by this step (the buffer still holds w)
                measured[j] = (version, version, 0.0, None)
                continue
            w, buf = p.array, bufs[j]
            # the change (in the buffer) and the new weights' norm (a forward pass reads it
            # instead of taking it again), then the copy for the next step, all while w is in cache
            if type(w) is np.ndarray and w.dtype.kind == "f":  # the CPU: one BLAS dot per norm
                d, fw = np.subtract(w, buf, out=buf).reshape(-1), w.reshape(-1)
                measured[j] = (version, now, np.dot(d, d), np.dot(fw, fw))
                np.copyto(buf, w)
            else:
                xp = backend.array_module(w)
                measured[j] = (version, now, squared_norm(xp.subtract(w, buf, out=buf)), squared_norm(w))
                xp.copyto(buf, w)
            copies[j] = (w, now)
        return None

    def _update_of(self, step, j, in_place):
        """||w_now - w||^2 of parameter j since `step`'s forward pass (None: not in that pass).

        The hooks' measurement when the optimizer's step was the only change since the
        forward pass (versions match), else the snapshot's difference; without a
        snapshot, 0 if nothing changed, else NaN.
        """
        seen = step.version[j]
        if seen is None:
            return None
        now, m, snap = self._params[j]._version, self._measured[j], step.snap[j]
        if m is not None and m[0] == seen and m[1] == now:
            self._reported[j] = True
            return m[2]
        if now != seen:
            self._reported[j] = False  # changed some other way: snapshot it from now on
        if snap is not None:
            return self._update_sq(j, snap, in_place)
        return 0.0 if now == seen else math.nan

    def _update_sq(self, j, snap, in_place):
        """||w_now - snap||^2 for parameter j; in place reuses the snapshot buffer."""
        w = self._params[j].array
        xp = np if type(w) is np.ndarray else backend.array_module(w)
        return squared_norm(xp.subtract(w, snap, out=snap) if in_place else w - snap)

    def _param_hook(self, j):
        slots = self._slots
        k, kb = slots.g_sq + j, slots.g_bad + j

        def hook(g):
            self._pass_backward = True
            step = self._step
            if step is not None:
                step.backward_seen = True
                add_norm(step.vals, k, kb, g.array)
            return None

        return hook

    # ------------------------------------------------------------------ closing a step
    def _retire_step(self):
        """The open step's backward is over: it waits (as `_prev`) for its update."""
        step, self._step = self._step, None
        self._tail = None
        seen = step is not None and step.backward_seen
        if seen:
            self._prev = step
        if seen or self._pass_backward:
            self._n_backward += 1
        self._pass_backward = False

    def _close_prev(self):
        """Fetch the waiting step's statistics (one transfer) and queue its raw row."""
        step, self._prev = self._prev, None
        if step is not None:
            self._tail = None
            self._append(*self._compute(step, final=True))
            self._order_done = True

    def _sync(self):
        """The row of a step not closed yet (provisional: its optimizer step may not have run)."""
        if self._tail is None:
            pending = self._prev or (self._step if self._step is not None and self._step.backward_seen else None)
            if pending is not None:
                index, raw = self._compute(pending, final=False)
                self._tail = index, self._slots.derive(raw)[0]

    def _compute(self, step, final):
        """(index, raw row): `step`'s statistics with its updates measured, in one host transfer.

        Final: the step is closing, its snapshots may be overwritten; else a provisional
        copy, which leaves the step's own record as it was."""
        vals = step.vals if final else list(step.vals)
        d_sq = self._slots.d_sq
        for j, seen in enumerate(step.version):
            if seen is not None and vals[d_sq + j] is None:
                vals[d_sq + j] = self._update_of(step, j, in_place=final)
        return step.index, fetch(vals)

    def _append(self, index, raw):
        self._steps.append(index)
        self._pending.append(raw)
        if self.max_steps is not None and len(self._steps) > self.max_steps:
            self._decimate()

    def _flush(self):
        """Derive the metrics of the rows queued since the last read, all at once."""
        if self._pending:
            self._rows.extend(self._slots.derive(np.stack(self._pending)))
            self._pending.clear()

    def _decimate(self):
        """Keep the rows of every second recorded step (the whole run, half the resolution)."""
        self._flush()
        self._stride *= 2
        period = self.every * self._stride
        keep = [i for i, s in enumerate(self._steps) if s % period == 0]
        if len(keep) > self.max_steps:  # uneven indices (passes without backward): thin by position
            keep = keep[::2]
        self._steps = [self._steps[i] for i in keep]
        self._rows = [self._rows[i] for i in keep]

    def clear(self):
        """Forget the recorded history (an open step too); the tracer stays attached."""
        self._steps, self._rows, self._pending = [], [], []
        self._tail = self._step = self._prev = None
        self._stride = 1
        self._before.clear()
        return self

    # ------------------------------------------------------------------ results
    def _table(self, column, metric, allowed):
        if metric not in allowed:
            raise ValueError(f"history: unknown metric {metric!r}; choose from {', '.join(allowed)}")
        self._sync()
        self._flush()
        cols = self._slots.columns[column]
        rows = [row[cols] for row in self._rows]
        if self._tail is not None:
            rows.append(self._tail[1][cols])
        return np.array(rows, dtype=np.float64).reshape(len(rows), cols.stop - cols.start)

    def history(self, metric, layer=None):
        """A (recorded steps x layers) float64 array of `metric` (see the class doc).

        ``"time_grad_norm"``: (recorded steps x time) ||dL/dh_t|| of recurrent `layer`
        (the first recurrent layer by default; see `minigrad.trace.recurrent`)."""
        if metric in TIME_METRICS:
            return self._time.history(layer)
        return self._table(metric, metric, METRICS)

    def param_history(self, metric):
        """A (recorded steps x parameters) array of grad_norm, weight_norm or update_ratio."""
        return self._table("param:" + metric, metric, PARAM_METRICS)

    @property
    def steps(self):
        """The backward-pass index (0-based) of each recorded row, the open step included."""
        self._sync()
        return self._steps + ([self._tail[0]] if self._tail is not None else [])

    def recorded_steps(self):
        """Same as `steps` (a method, for code that wants a call)."""
        return self.steps

    def as_dict(self):
        """``{"steps", "names", "param_names", metric: steps x layers lists}`` (JSON-able)."""
        out = {"steps": self.recorded_steps(), "names": list(self.names), "param_names": list(self.param_names)}
        for m in METRICS:
            out[m] = _json_rows(self.history(m))
        out["param"] = {m: _json_rows(self.param_history(m)) for m in PARAM_METRICS}
        return out

    def to_json(self, path):
        """Write `as_dict()` as JSON (NaN/Inf become null)."""
        with open(path, "w") as f:
            json.dump(self.as_dict(), f, indent=1)

    def to_csv(self, path):
        """Write one row per (step, layer): ``step, layer, <metric>...`` (empty = NaN)."""
        tables = {m: self.history(m) for m in METRICS}
        with open(path, "w", newline="") as f:
            w = csv.writer(f)
            w.writerow(["step", "layer", *METRICS])
            for s, step in enumerate(self.recorded_steps()):
                for i, name in enumerate(self.names):
                    w.writerow([step, name, *(_csv_value(tables[m][s, i]) for m in METRICS)])

    def diagnose(self, **thresholds):
        """Judge gradient health; see `minigrad.trace.diagnose` for the rule and thresholds."""
        from .diagnosis import diagnose

        return diagnose(self, **thresholds)

    def depth_order(self):
        """Layer indices in the order their forward ran (names order before any forward)."""
        seen = list(self._order)
        return seen + [i for i in range(len(self._layers)) if i not in seen]

    def layer_numel(self, name):
        """Number of parameter elements the layer called `name` owns."""
        layer = self._layers[self.names.index(name)]
        return sum(int(self._params[j].array.size) for j in layer.params)

    def param_layers(self):
        """Indices of the layers that own parameters."""
        return list(self._param_owners)

    def plot(self, path=None, what="layers", layer=None):
        """Heatmap of log10 gradient norm (layers x steps) and per-layer lines (matplotlib);
        ``what="time"``: log10 ||dL/dh_t|| (time x steps) of recurrent `layer`."""
        if what == "time":
            from .recurrent import plot_time_grads

            return plot_time_grads(self, path, layer)
        if what != "layers":
            raise ValueError(f"plot: what must be 'layers' or 'time', got {what!r}")
        from ..viz.plots import plot_trace

        return plot_trace(self, path)

    def to_tensorboard(self, log_dir, inputs=None, histograms=True):
        """Write per-layer scalars and weight/gradient (and, given `inputs`, activation)
        histograms to TensorBoard event files in `log_dir`; see `mg.viz.tensorboard.write_tracer`."""
        from ..viz.tensorboard import write_tracer

        return write_tracer(self, log_dir, inputs=inputs, histograms=histograms)

    def _repr_html_(self):
        from ..viz.html import tracer_html

        return tracer_html(self)

    def __repr__(self):
        state = "attached" if self._handles else "detached"
        return f"GradientTracer({len(self.names)} layers, {len(self.recorded_steps())} steps recorded, every={self.every}, {state})"


def _json_rows(arr):
    return [[float(v) if math.isfinite(v) else None for v in row] for row in arr]


def _csv_value(v):
    return repr(float(v)) if not math.isnan(v) else ""
