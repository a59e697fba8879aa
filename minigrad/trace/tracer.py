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

Two ways to measure ``||w_next - w||^2``: the elementwise optimizers (SGD, Adam, ...)
measure it themselves while they update each cache-sized chunk (an
``optim.UpdateProbe`` per parameter asks them to), which saves copying and re-reading
all weights every step; they also take the norm of the new weights, so the next pass
need not read them again for `weight_norm`. Their report is used when the version
counter shows that their update was the only change since the forward pass. Otherwise (LBFGS, a manual
``p -= lr * g``, a change after the step) the weights snapshotted at the forward pass
are compared. A parameter whose last update was fully reported is not snapshotted, so
if it is then changed some other way the ratio of that one step is NaN (unknown) and
snapshots resume; writes to ``p.array``'s array that bypass the version counter are not
seen once the optimizer reports.

All statistics stay on the model's device (0-d arrays) until a step closes; then they
are fetched with one host transfer (`stats.fetch`): a CUDA run syncs once per recorded
step, not once per tensor. No activation or gradient array is kept alive for later.
"""
from __future__ import annotations

import csv
import json
import math

import numpy as np

from .. import autograd, backend
from ..optim.optimizer import UpdateProbe, update_probes
from ..tensor import Tensor
from .stats import activation_stats, fetch, moments, norm_stats, squared_norm, tensors_in

METRICS = ("grad_norm", "out_grad_norm", "weight_norm", "update_ratio", "act_mean", "act_std",
           "saturated", "dead", "nonfinite")
PARAM_METRICS = ("grad_norm", "weight_norm", "update_ratio")
_ACTIVATION_OPS = {"Sigmoid": "sigmoid", "Tanh": "tanh", "Relu": "relu"}


def _add_norm(slots, k, g):
    """Record (squared norm, NaN/Inf count) of gradient array `g` in ``slots[k]``.

    Backward hands each hook the gradient summed over the whole graph (a shared layer's
    contributions included), so one call per backward is exact. A second backward
    through the same forward (``retain_graph=True``) adds its squared norm, which is
    exact only for orthogonal contributions: keeping the arrays to sum them instead
    would hold every gradient alive until the step closes (slower by far, measured).
    """
    sq, bad = norm_stats(g)
    if slots[k] is not None:
        sq, bad = sq + slots[k][0], bad + slots[k][1]
    slots[k] = (sq, bad)


class _Layer:
    __slots__ = ("name", "module", "params", "kind")

    def __init__(self, name, module, params):
        self.name, self.module, self.params = name, module, params
        kind = type(module).__name__.lower()
        # "sigmoid"/"tanh"/"relu"; None: not known yet (the op that makes the output
        # decides at the first pass); "": no activation
        self.kind = kind if kind in ("sigmoid", "tanh", "relu") else None


class _Step:
    """What one recorded pass queued (device scalars), until it is closed."""

    def __init__(self, index, n_layers, n_params):
        self.index = index
        self.backward_seen = False
        self.grad = [None] * n_params  # (squared norm, NaN/Inf count) of each parameter gradient
        self.out = [None] * n_layers  # the same for the gradient reaching each layer's output
        self.act = [None] * n_layers  # activation_stats(...)
        self.act_size = [0] * n_layers
        self.weight = [None] * n_params  # (squared norm, NaN/Inf count) at the forward pass
        self.version = [None] * n_params  # each weight's version counter at the forward pass
        self.snap = [None] * n_params  # weights at the forward pass, unless the optimizer reports
        self.upd = [None] * n_params  # ||w_next - w||^2, measured during the next pass


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
                       made the output.
        dead           ReLU: fraction of units whose output is 0 for every sample
        nonfinite      number of NaN/Inf values in the layer's output, output gradient,
                       parameters and parameter gradients
    `param_history(metric)` gives grad_norm/weight_norm/update_ratio per parameter
    (`param_names`).
    """

    def __init__(self, model, every=1, activations=True):
        if not hasattr(model, "named_modules") or not hasattr(model, "register_forward_hook"):
            raise TypeError(f"GradientTracer: model must be an nn.Module, got {type(model).__name__}")
        if not isinstance(every, int) or isinstance(every, bool) or every < 1:
            raise ValueError(f"GradientTracer: every must be a positive int, got {every!r}")
        self.model, self.every, self.activations = model, every, bool(activations)
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
        self._steps = []  # backward-pass index of each closed row
        self._rows = {m: [] for m in METRICS}
        self._prows = {m: [] for m in PARAM_METRICS}
        self._tail = None  # provisional rows of the open step (see _sync)
        self._order = []  # layer indices in the order their forward ran (depth order)
        self._order_done = False
        self._handles = []
        self._step = None  # the pass being recorded, until the next pass starts
        self._prev = None  # a recorded step waiting for its optimizer update to be measured
        self._n_backward = 0
        self._pass_backward = False
        self._snap_bufs = [None] * len(self._params)
        self._probes = [None] * len(self._params)  # optim.UpdateProbe per parameter while attached
        self._reported = [False] * len(self._params)  # last update fully measured by the optimizer

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
            if p.dtype.kind == "f":  # complex weights: snapshots (their norm needs vdot)
                self._set_probe(j)
        return self

    def detach(self):
        """Stop recording: close the open step (its update is measured now) and unhook."""
        self._close_prev()
        self._retire_step()
        self._close_prev()
        for h in self._handles:
            h.remove()
        self._handles.clear()
        for j in range(len(self._params)):
            self._set_probe(j, register=False)
        return self

    def _set_probe(self, j, register=True):
        """Register parameter j's update probe (again, if its array was replaced), or remove it."""
        old = self._probes[j]
        if old is not None:
            old.users -= 1
            if old.users == 0:
                del update_probes[id(old.array)]
        self._probes[j] = probe = None
        self._reported[j] = False
        if register:
            data = self._params[j].array  # tracers of the same weights share one probe
            probe = self._probes[j] = update_probes.setdefault(id(data), UpdateProbe(self._params[j]))
            probe.users += 1

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
        if self._n_backward % self.every == 0:
            self._step = _Step(self._n_backward, len(self._layers), len(self._params))
        return None

    def _on_pass_end(self, module, inputs, output):
        if autograd.is_grad_enabled():
            self._close_prev()  # its update was measured layer by layer during this pass
        return None

    def _layer_hook(self, i):
        layer = self._layers[i]

        def hook(module, inputs, output):
            if not autograd.is_grad_enabled():  # runs once per layer per pass: keep it lean
                return None
            prev, step = self._prev, self._step
            if prev is not None:  # the optimizer step is done: measure it while w is in cache
                for j in layer.params:
                    if prev.upd[j] is None:
                        prev.upd[j] = self._update_of(prev, j, in_place=True)
            if step is None:
                return None
            out = output if isinstance(output, Tensor) else next(iter(tensors_in(output)), None)
            if not self._order_done and i not in self._order:  # depth order, from the first pass
                self._order.append(i)
            for j in layer.params:
                if step.weight[j] is None:  # a layer called twice in a pass: first call wins
                    p = self._params[j]
                    probe = self._probes[j]
                    if probe is not None and probe.array is not p.array:  # the array was replaced
                        self._set_probe(j)
                        probe = None
                    # the optimizer's last update was the only change since it took the norm
                    known = probe.w_sq if probe is not None and p._version == probe.version + 1 else None
                    step.weight[j] = norm_stats(p.array, known)
                    step.version[j] = p._version
                    if not self._reported[j]:
                        step.snap[j] = self._snapshot(j)
            if out is None:
                return None
            if self.activations and step.act[i] is None:
                if layer.kind is None:  # not known from the module type: ask the op, once
                    fn = out.grad_fn
                    layer.kind = _ACTIVATION_OPS.get(fn.name, "") if fn is not None else ""
                step.act[i] = activation_stats(out.array, layer.kind or None)
                step.act_size[i] = out.array.size
            if out.requires_grad:
                out.register_hook(lambda g: self._on_out_grad(step, i, g))
            return None

        return hook

    def _snapshot(self, j):
        """Copy parameter j into its reused buffer (no allocation per step)."""
        data, buf = self._params[j].array, self._snap_bufs[j]
        if type(buf) is np.ndarray and type(data) is np.ndarray and buf.shape == data.shape \
                and buf.dtype == data.dtype:
            np.copyto(buf, data)  # the CPU fast path
        elif buf is None or buf.shape != data.shape or buf.dtype != data.dtype or type(buf) is not type(data) \
                or backend.device_of(buf) != backend.device_of(data):
            buf = self._snap_bufs[j] = data.copy()
        else:
            backend.array_module(data).copyto(buf, data)
        return buf

    def _update_of(self, step, j, in_place):
        """||w_now - w||^2 of parameter j since `step`'s forward pass (None: not in that pass).

        The optimizer's report when its update was the only change (the version moved by
        exactly its one bump, from the version seen at the forward pass), else the
        snapshot's difference; without a snapshot, 0 if nothing changed, else NaN.
        """
        seen = step.version[j]
        if seen is None:
            return None
        now, probe, snap = self._params[j]._version, self._probes[j], step.snap[j]
        if probe is not None and probe.version == seen and now == seen + 1:
            self._reported[j] = True
            return probe.sq
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

    def _on_out_grad(self, step, i, g):
        step.backward_seen = True
        _add_norm(step.out, i, g.array)

    def _param_hook(self, j):
        def hook(g):
            self._pass_backward = True
            step = self._step
            if step is not None:
                step.backward_seen = True
                _add_norm(step.grad, j, g.array)
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
        """Fetch the waiting step's statistics (one transfer) and append its rows."""
        step, self._prev = self._prev, None
        if step is not None:
            self._tail = None
            self._append(self._compute(step, final=True))
            self._order_done = True

    def _sync(self):
        """Rows for a step not closed yet (provisional: its optimizer step may not have run)."""
        if self._tail is None:
            pending = self._prev or (self._step if self._step is not None and self._step.backward_seen else None)
            if pending is not None:
                self._tail = self._compute(pending, final=False)

    def _compute(self, step, final):
        """One host transfer for all of `step`'s statistics, then per-layer rows."""
        n_l = len(self._layers)
        upd = [u if u is not None else self._update_of(step, j, in_place=final) for j, u in enumerate(step.upd)]
        pair, five = (None, None), (None,) * 5
        columns = {
            "g_sq": [(g or pair)[0] for g in step.grad], "g_bad": [(g or pair)[1] for g in step.grad],
            "w_sq": [(w or pair)[0] for w in step.weight], "w_bad": [(w or pair)[1] for w in step.weight],
            "d_sq": upd,
            "o_sq": [(o or pair)[0] for o in step.out], "o_bad": [(o or pair)[1] for o in step.out],
        }
        for k, name in enumerate(("a_sum", "a_sq", "saturated", "dead", "a_bad")):
            columns[name] = [(a or five)[k] for a in step.act]
        flat = fetch([v for col in columns.values() for v in col])
        host, start = {}, 0
        for name, col in columns.items():
            host[name], start = flat[start:start + len(col)], start + len(col)
        rows = {m: np.full(n_l, np.nan) for m in METRICS}
        bad = np.nan_to_num(host["o_bad"]) + np.nan_to_num(host["a_bad"])
        with np.errstate(divide="ignore", invalid="ignore"):
            prow = {"grad_norm": np.sqrt(host["g_sq"]), "weight_norm": np.sqrt(host["w_sq"]),
                    "update_ratio": np.sqrt(host["d_sq"] / host["w_sq"])}
            if self._params:  # per layer: sums over its (contiguous) parameters
                owners, starts = self._param_owners, self._param_starts
                g, w, d = (np.add.reduceat(host[k], starts) for k in ("g_sq", "w_sq", "d_sq"))
                rows["grad_norm"][owners], rows["weight_norm"][owners] = np.sqrt(g), np.sqrt(w)
                rows["update_ratio"][owners] = np.sqrt(d / w)
                bad[owners] += np.add.reduceat(np.nan_to_num(host["g_bad"]) + np.nan_to_num(host["w_bad"]), starts)
            rows["out_grad_norm"] = np.sqrt(host["o_sq"])
        rows["act_mean"], rows["act_std"] = moments(host["a_sum"], host["a_sq"], np.array(step.act_size, float))
        rows["saturated"], rows["dead"] = host["saturated"], host["dead"]
        rows["nonfinite"] = bad
        return step.index, rows, prow

    def _append(self, computed):
        index, rows, prow = computed
        self._steps.append(index)
        for m in METRICS:
            self._rows[m].append(rows[m])
        for m in PARAM_METRICS:
            self._prows[m].append(prow[m])

    # ------------------------------------------------------------------ results
    def _table(self, store, metric, width, allowed):
        if metric not in allowed:
            raise ValueError(f"history: unknown metric {metric!r}; choose from {', '.join(allowed)}")
        self._sync()
        rows = list(store[metric])
        if self._tail is not None:
            rows.append((self._tail[1] if store is self._rows else self._tail[2])[metric])
        return np.array(rows, dtype=np.float64).reshape(len(rows), width)

    def history(self, metric):
        """A (recorded steps x layers) float64 array of `metric` (see the class doc)."""
        return self._table(self._rows, metric, len(self._layers), METRICS)

    def param_history(self, metric):
        """A (recorded steps x parameters) array of grad_norm, weight_norm or update_ratio."""
        return self._table(self._prows, metric, len(self._params), PARAM_METRICS)

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

    def plot(self, path=None):
        """Heatmap of log10 gradient norm (layers x steps) and per-layer lines (matplotlib)."""
        from ..viz.plots import plot_trace

        return plot_trace(self, path)

    def __repr__(self):
        state = "attached" if self._handles else "detached"
        return f"GradientTracer({len(self.names)} layers, {len(self.recorded_steps())} steps recorded, every={self.every}, {state})"


def _json_rows(arr):
    return [[float(v) if math.isfinite(v) else None for v in row] for row in arr]


def _csv_value(v):
    return repr(float(v)) if not math.isnan(v) else ""
