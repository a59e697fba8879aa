"""See gradients: computation-graph drawings (graphviz) and plots of traces (matplotlib).

* `draw_graph(root, params=None, show_shapes=True, show_grads=True)` — the graph behind
  a tensor, boxed per module, coloured by the gradient captured with `capture_grads`.
* `capture_grads(model=None)` — context manager recording per-node gradient norms (and
  which module made each node) during backward, for `draw_graph`.
* `plot_grad_flow(tracer, path=None)`, `plot_history(history, path=None)` — matplotlib
  figures of a `GradientTracer` step and of a training history.
* `plot_schedule(scheduler, steps, path=None, lr=0.1, metrics=None)` — a learning-rate
  schedule's curve, without training.

graphviz and matplotlib are optional (``pip install "minigrad[viz]"``) and imported only
when a function needs them.
"""
from .capture import capture_grads
from .graph import draw_graph
from .plots import plot_grad_flow, plot_history
from .schedule import plot_schedule

__all__ = ["capture_grads", "draw_graph", "plot_grad_flow", "plot_history", "plot_schedule"]
