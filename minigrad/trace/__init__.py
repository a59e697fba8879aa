"""Gradient tracing and health diagnosis.

* `GradientTracer(model, every=1, activations=True)` records per-layer gradient, weight,
  update and activation statistics while a model trains (context manager or
  attach/detach), with `history(metric)`, `to_csv`, `to_json`, `plot` and `diagnose`.
* `diagnose(tracer, **thresholds)` -> `Diagnosis` (status healthy / vanishing /
  exploding / nonfinite, per-layer statuses, readable findings and remedies).
"""
from .diagnosis import Diagnosis, diagnose
from .tracer import METRICS, GradientTracer

__all__ = ["GradientTracer", "Diagnosis", "diagnose", "METRICS"]
