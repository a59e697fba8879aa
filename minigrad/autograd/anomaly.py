"""`detect_anomaly`: find the first op whose forward or backward makes a NaN or an Inf."""
from __future__ import annotations

import traceback

from .. import backend
from ..grad_mode import is_anomaly_enabled, set_anomaly_mode  # noqa: F401  (re-exported)


class detect_anomaly(set_anomaly_mode):
    """Check every op's forward result and backward gradients for NaN/Inf (this thread).

    The first non-finite value raises a RuntimeError naming the op, its input shapes,
    dtypes and device, and the source line where the op was created. Slow (it syncs
    and keeps a stack summary per op): use it to debug, not to train.
    """

    def __init__(self, check_nan: bool = True):
        super().__init__(check_nan)
        self.check_nan = check_nan

    def _clone(self):
        return detect_anomaly(self.check_nan)


def check_forward(node, args, out):
    """Record where `node` was created and what went in, then check its output."""
    node._created_at = traceback.format_stack()[-10:-3]
    node._input_meta = tuple((a.shape, a.dtype, a.device) for a in args if hasattr(a, "grad_fn"))
    node.shape, node.dtype = out.shape, out.dtype
    check_finite(node, (out,), "forward")


def _describe_inputs(node):
    return ", ".join(f"{tuple(s)} {d} on {dev}" for s, d, dev in node._input_meta) or "no tensor inputs"


def check_finite(node, arrays, phase):
    """Raise naming `node` if any floating array in `arrays` holds a NaN or an Inf."""
    for i, a in enumerate(arrays):
        if a is None or getattr(a, "dtype", None) is None or a.dtype.kind not in "fc":
            continue
        xp = backend.array_module(a)
        if not bool(xp.isfinite(a).all()):
            kind = "NaN" if bool(xp.isnan(a).any()) else "Inf"
            what = "output" if phase == "forward" else f"gradient for input {i}"
            where = "".join(node._created_at or ["  (creation site not recorded)\n"])
            raise RuntimeError(
                f"detect_anomaly: {node.name} produced {kind} in its {phase} {what}. "
                f"Inputs: {_describe_inputs(node)}. The op was created at:\n{where}"
            )
