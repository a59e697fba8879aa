"""Writing to TensorBoard's event format (through tensorboardX, the `tensorboard` extra).

Used by the `mg.train.TensorBoard` callback and `GradientTracer.to_tensorboard`; view the
files with ``tensorboard --logdir <log_dir>``.
"""
from __future__ import annotations

import math

import numpy as np

# the tracer's per-layer scalars, written as "<metric>/<layer>" (one chart per metric,
# one line per layer in TensorBoard's grouping)
TRACE_SCALARS = ("grad_norm", "update_ratio", "weight_norm", "out_grad_norm", "act_mean", "act_std",
                 "saturated", "dead")


def open_writer(log_dir, **kwargs):
    """A ``tensorboardX.SummaryWriter`` on `log_dir` (an error naming the extra if missing)."""
    try:
        from tensorboardX import SummaryWriter
    except ImportError as e:
        raise ImportError('TensorBoard output needs tensorboardX: pip install "minigrad[tensorboard]"') from e
    return SummaryWriter(logdir=str(log_dir), **kwargs)


def _host(t):
    return np.asarray(t.detach().numpy(), dtype=np.float64)


def add_histogram(writer, tag, values, step):
    """Histogram of the finite entries of `values` (TensorBoard rejects NaN/Inf)."""
    values = np.asarray(values, dtype=np.float64).ravel()
    values = values[np.isfinite(values)]
    if values.size:
        writer.add_histogram(tag, values, step)


def write_parameters(writer, model, step, grads=True):
    """Histograms ``weights/<param>`` and (where set) ``gradients/<param>`` of `model`."""
    for name, p in model.named_parameters():
        add_histogram(writer, f"weights/{name}", _host(p), step)
        if grads and p.grad is not None:
            add_histogram(writer, f"gradients/{name}", _host(p.grad), step)


def write_activations(writer, model, layers, inputs, step):
    """Histograms ``activations/<layer>`` of one forward pass of `inputs` (under no_grad)."""
    from .. import autograd

    outputs, handles = {}, []
    for name, module in layers:
        def hook(module, args, out, name=name):
            if hasattr(out, "detach"):
                outputs[name] = _host(out)
        handles.append(module.register_forward_hook(hook))
    was_training = model.training
    try:
        model.eval()
        with autograd.no_grad():
            model(*inputs) if isinstance(inputs, tuple) else model(inputs)
    finally:
        model.train(was_training)
        for h in handles:
            h.remove()
    for name, _ in layers:
        if name in outputs:
            add_histogram(writer, f"activations/{name}", outputs[name], step)


def write_tracer(tracer, log_dir, inputs=None, histograms=True):
    """Write a `GradientTracer`'s records to `log_dir` (see `GradientTracer.to_tensorboard`).

    Returns the event-file directory. Scalars: ``<metric>/<layer>`` for every recorded
    step (x axis: the backward-pass index) and metric of `TRACE_SCALARS`, skipping NaN
    (metrics that do not apply to a layer). The tracer keeps norms, not arrays, so the
    histograms show the model as it is now, at the last recorded step: ``weights/<param>``,
    ``gradients/<param>`` (the ``.grad`` left by the last backward) and, given `inputs`,
    ``activations/<layer>`` from one forward pass in eval mode.
    """
    steps = tracer.recorded_steps()
    writer = open_writer(log_dir)
    try:
        for metric in TRACE_SCALARS:
            table = tracer.history(metric)
            for i, name in enumerate(tracer.names):
                for s, step in enumerate(steps):
                    v = float(table[s, i])
                    if not math.isnan(v):
                        writer.add_scalar(f"{metric}/{name}", v, step)
        if histograms and steps:
            last = steps[-1]
            write_parameters(writer, tracer.model, last)
            if inputs is not None:
                modules = dict(tracer.model.named_modules())  # the root layer is named by its class
                layers = [(name, modules.get(name, tracer.model)) for name in tracer.names]
                write_activations(writer, tracer.model, layers, inputs, last)
        writer.flush()
        return writer.logdir
    finally:
        writer.close()
